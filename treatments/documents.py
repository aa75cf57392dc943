"""Printable treatment documents: the session note, the progress report and referral letters.

Each document has a context builder that reads what it shows in a fixed number of queries (the
access request reuses them for a client's whole record) and a thin view that checks access,
records the read and renders the page; static/css/print.css makes the A4 pages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.access import get_client_for_user
from clinic.audit import audit_record
from clinic.documents import document_context
from clinic.models import AuditEvent, Client
from intake.models import Intake, IntakeStatus
from treatments import charts, services
from treatments.access import (
    get_client_for_clinical,
    get_letter_for_user,
    get_session_for_user,
    require,
)
from treatments.forms import ReferralLetterForm
from treatments.measures import MEASURES
from treatments.models import (
    FindingState,
    MeasureKind,
    OutcomeMeasure,
    PlanMuscle,
    RecipientKind,
    ReferralLetter,
    Session,
    SessionStatus,
    SurgeryEpisode,
    SurgeryNote,
    surgery_phase,
)
from treatments.progress import build as build_progress
from treatments.views import _add_errors

SESSION_NOTE = "documents/session_note.html"
PROGRESS_REPORT = "documents/progress_report.html"
LETTER = "documents/referral_letter.html"
# The findings grid prints the latest sessions only: more columns would not fit an A4 width.
FINDING_COLUMNS = 10

MEASURES_PREFETCH = Prefetch(
    "outcome_measures", OutcomeMeasure.objects.select_related("zone").order_by("id")
)


def _person(user) -> str:
    return user.get_full_name() or user.get_username() if user else ""


def _record_read(request, client: Client, obj, document: str) -> None:
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        client=client,
        obj=obj,
        detail={"document": document},
    )


# Session note


def noted_sessions(client: Client):
    """The client's sessions that have a note: signed, completed, or written in (with addenda,
    findings, treatments and outcome measures loaded in a fixed number of queries)."""
    return (
        Session.objects.with_note()
        .prefetch_related(MEASURES_PREFETCH)
        .filter(client=client)
        .exclude(status__in=[SessionStatus.CANCELLED, SessionStatus.NO_SHOW], signed_at=None)
        .exclude(status=SessionStatus.PLANNED, notes_updated_at=None, signed_at=None)
        .order_by("starts_at", "id")
    )


def session_note_context(session: Session) -> dict:
    """From a session loaded by `noted_sessions` (or `with_note()` and its measures)."""
    start, end = session.local_start, session.local_end
    return document_context(
        session=session,
        client=session.client,
        findings=list(session.findings.all()),
        treatments=list(session.treatments.all()),
        addenda=list(session.addenda.all()),
        measures=[(m, MEASURES[MeasureKind(m.kind)].unit) for m in session.outcome_measures.all()],
        extra_meta=[
            ("Session", f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}\u2013{end:%H:%M}"),
            ("Therapist", _person(session.therapist)),
        ],
    )


@login_required
@require_GET
def session_note_document(request, client_pk, pk):
    session = get_session_for_user(request.user, client_pk, pk, clinical=True)
    prefetch_related_objects([session], MEASURES_PREFETCH)
    _record_read(request, session.client, session, "session-note")
    context = session_note_context(session)
    context["printed_by"] = _person(request.user)
    return render(request, SESSION_NOTE, context)


# Progress report


def progress_report_context(client: Client) -> dict:
    """The progress charts and measures, with the plans and the surgery notes: with the intake
    summaries and session notes, the whole treatment record."""
    data = build_progress(client)
    prefetch_related_objects(
        data.plans,
        Prefetch("plan_muscles", PlanMuscle.objects.select_related("muscle").order_by("id")),
    )
    prefetch_related_objects(
        data.episodes,
        Prefetch("notes", SurgeryNote.objects.select_related("author", "episode")),
    )
    shown = [item for item in data.charts if item["chart"].has_data]
    rendered = [
        {**item, "svg": charts.render_with_id(item["chart"], f"report-{item['id']}")}
        for item in shown
    ]
    columns = data.finding_columns[-FINDING_COLUMNS:]
    skipped = len(data.finding_columns) - len(columns)
    rows = [(row.label, row.cells[skipped:]) for row in data.finding_rows]
    completed = [s for s in data.sessions if s.status == SessionStatus.COMPLETED]
    tables = [
        (MEASURES[MeasureKind(kind)], data.measure_tables.get(kind, []))
        for kind in ("nprs", "psfs", "lefs")
    ]
    return document_context(
        client=client,
        progress=data,
        charts=rendered,
        finding_columns=columns,
        finding_rows=rows,
        findings_skipped=skipped,
        completed=completed,
        first_session=completed[0] if completed else None,
        last_session=completed[-1] if completed else None,
        measure_tables=[(info, table) for info, table in tables if table],
        current_plan=next((p for p in reversed(data.plans) if p.is_active), None),
        extra_meta=[("Report date", f"{timezone.localdate():%-d %B %Y}")],
    )


@login_required
@require_GET
def progress_report(request, client_pk):
    client = get_client_for_clinical(request.user, client_pk)
    _record_read(request, client, client, "progress-report")
    context = progress_report_context(client)
    context["printed_by"] = _person(request.user)
    return render(request, PROGRESS_REPORT, context)


# Referral letters


def letter_findings(client: Client, episode: SurgeryEpisode | None = None) -> str:
    """The findings and summary a new letter starts from, in plain paragraphs from the record:
    the latest intake, the alerts, treatment so far, progress and the surgery."""
    parts = []
    intake = (
        Intake.objects.with_details()
        .filter(client=client)
        .exclude(status=IntakeStatus.DRAFT)
        .order_by("-submitted_at", "-id")
        .first()
    )
    if intake is not None:
        when = timezone.localtime(intake.submitted_at or intake.created_at)
        complaint = " ".join(intake.main_complaint.split()).rstrip(".")
        parts.append(f"Presenting complaint ({when:%-d %B %Y}): {complaint or 'not given'}.")
        pain = "; ".join(f"{p.place} {p.intensity}/10" for p in intake.pain_reports.all())
        if pain:
            parts.append(f"Pain at intake: {pain}.")
        alerts = [f"{a.get_level_display()}: {a.message}" for a in intake.alerts.all()]
        if alerts:
            parts.append("Screening: " + " ".join(alerts))
    data = build_progress(client)
    completed = [s for s in data.sessions if s.status == SessionStatus.COMPLETED]
    if completed:
        first, last = completed[0].local_start, completed[-1].local_start
        parts.append(
            f"Treated with trigger point therapy in {len(completed)} "
            f"session{'s' if len(completed) != 1 else ''} from {first:%-d %B %Y} "
            f"to {last:%-d %B %Y}."
        )
    if data.summary:
        parts.append("Progress:\n" + "\n".join(f"- {line}." for line in data.summary))
    active = [
        label
        for label, cells in ((r.label, [c for c in r.cells if c]) for r in data.finding_rows)
        if cells and cells[-1].state == FindingState.ACTIVE
    ]
    if active:
        parts.append("Trigger points still active at the last check: " + "; ".join(active) + ".")
    # The last completed session with an assessment that is not only blanks; read here, as only
    # letters quote it. PostgreSQL's \S takes a few characters for text that Python's split()
    # takes for blanks (a no-break space): the query narrows, Python decides.
    assessed = (
        Session.objects.filter(
            client=client, status=SessionStatus.COMPLETED, assessment__regex=r"\S"
        )
        .order_by("-starts_at", "-id")
        .values_list("starts_at", "assessment")
    )
    quoted, offset = None, 0
    while quoted is None and (rows := list(assessed[offset : offset + 10])):
        quoted = next(((at, words) for at, text in rows if (words := text.split())), None)
        offset += 10
    if quoted is not None:
        starts_at, words = quoted
        parts.append(
            f"Assessment at the session of {timezone.localtime(starts_at):%-d %B %Y}: "
            f"{' '.join(words)}"
        )
    if episode is not None:
        day = f"{episode.date:%-d %B %Y}" if episode.date else "date not set"
        parts.append(
            f"Surgery: {episode.title}, {day} ({episode.get_status_display().lower()}); "
            f"today {surgery_phase(episode.date, timezone.localdate())}."
        )
        notes = list(episode.notes.order_by("-noted_on", "-id")[:1])
        if notes:
            note = notes[0]
            text = " ".join(note.text.split())
            parts.append(f"Latest surgery note ({note.noted_on:%-d %B %Y}, {note.phase}): {text}")
    return "\n\n".join(parts)


def letter_context(letter: ReferralLetter) -> dict:
    sent = timezone.localtime(letter.created_at)
    return document_context(letter=letter, client=letter.client, sent=sent)


@login_required
def letter_create(request, client_pk):
    """Write a referral letter; `?episode=<id>` starts it from one of the client's surgeries."""
    require(request.user, "treatments.add_referralletter", "treatments.view_clinical_notes")
    client = get_client_for_user(request.user, client_pk, for_change=True)
    episodes = SurgeryEpisode.objects.filter(client=client).order_by("-date", "-id")
    episode = None
    wanted = request.GET.get("episode")
    if wanted:
        try:
            episode = episodes.get(pk=int(wanted))
        except (SurgeryEpisode.DoesNotExist, ValueError):
            raise Http404("No such surgery episode") from None
    if request.method == "POST":
        form = ReferralLetterForm(request.POST, episodes=episodes)
    else:
        _record_read(request, client, client, "letter-form")
        form = ReferralLetterForm(
            episodes=episodes,
            initial={
                "recipient_kind": RecipientKind.SURGEON if episode else RecipientKind.GP,
                "recipient_name": (episode.surgeon if episode else client.gp_details)[:200],
                "surgery_episode": episode,
                "findings": letter_findings(client, episode),
            },
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            letter = services.referral_letter_create(
                request=request,
                actor=request.user,
                client=client,
                data=data,
                surgery_episode=data.get("surgery_episode"),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"Letter to {letter.recipient_name} saved: print it from this page."
            )
            return redirect(letter)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "treatments/letter_form.html",
        {"client": client, "form": form, "episode": episode},
        status=status,
    )


@login_required
@require_GET
def letter_detail(request, client_pk, pk):
    require(request.user, "treatments.view_clinical_notes")
    letter = get_letter_for_user(request.user, client_pk, pk)
    _record_read(request, letter.client, letter, "referral-letter")
    context = letter_context(letter)
    context["printed_by"] = _person(request.user)
    return render(request, LETTER, context)
