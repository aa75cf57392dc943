"""Treatments pages: schedule, bookings, notes, plans, surgery, outcome measures, progress.

Each view checks access through treatments.access, calls a form and a service, and renders.
Clinical reads write an audit event; URLs carry ids only.
"""

from datetime import UTC, date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinic.access import get_client_for_user
from clinic.audit import audit_record
from clinic.markup import render_with_parts
from clinic.models import AuditEvent, Client
from intake.models import Intake
from knowledge.models import Muscle, TriggerPoint
from treatments import page_reads, progress_html, services
from treatments.access import (
    bookable_therapists,
    get_episode_for_user,
    get_plan_for_user,
    get_session_for_user,
    require,
)
from treatments.forms import (
    MEASURE_FORMS,
    AddendumForm,
    BookingForm,
    CancelForm,
    EpisodeForm,
    FindingFormSet,
    NoteForm,
    PlanForm,
    SurgeryNoteForm,
    TreatmentFormSet,
)
from treatments.measures import LEFS_ITEMS, MEASURES
from treatments.models import (
    MeasureKind,
    OutcomeMeasure,
    Session,
    SessionStatus,
    SurgeryNote,
)
from treatments.progress import build as build_progress
from treatments.progress import client_and_lists

BLANK_FINDING_ROWS = 3
BLANK_TREATMENT_ROWS = 3


def _errors_to_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages_ in error.message_dict.values() for m in messages_]
    return list(error.messages)


def _add_errors(form, error: ValidationError, default_field=None) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else default_field, errors)
    else:
        form.add_error(default_field, error)


def _posted(request):
    """The form data of a POST, even an empty one (`request.POST or None` would leave a form
    posted empty unbound: refused without a word)."""
    return request.POST if request.method == "POST" else None


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _parse_day(value) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _therapist_filter(request):
    therapists = list(bookable_therapists())
    chosen = None
    wanted = request.GET.get("therapist")
    if wanted:
        chosen = next((t for t in therapists if str(t.pk) == wanted), None)
    return therapists, chosen


# Schedule


@login_required
@permission_required("treatments.view_session", raise_exception=True)
def schedule_day(request):
    day = _parse_day(request.GET.get("date"))
    # Rows from prepared queries (treatments/page_reads.py), written by {% schedule_columns %}.
    therapists = page_reads.bookable_therapist_rows()
    wanted = request.GET.get("therapist")
    chosen = next((t for t in therapists if str(t.pk) == wanted), None) if wanted else None
    sessions = page_reads.day_slots(day, chosen.pk if chosen else None)
    shown = [chosen] if chosen else therapists
    busy = {s.therapist_id for s in sessions}
    shown = [t for t in shown if t.pk in busy or chosen] or shown
    columns = [(t, [s for s in sessions if s.therapist_id == t.pk]) for t in shown]
    # Someone no longer bookable may still have sessions on the day.
    others = [s for s in sessions if s.therapist_id not in {t.pk for t in shown}]
    if others:
        columns.append((None, others))
    context = {
        "day": day,
        "today": timezone.localdate(),
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "therapists": therapists,
        "chosen": chosen,
        "columns": columns,
        "count": sum(1 for s in sessions if s.status != SessionStatus.CANCELLED),
        "view": "day",
        "can_read_notes": request.user.has_perm("treatments.view_clinical_notes"),
        "can_change": request.user.has_perm("treatments.change_session"),
    }
    return render(request, "treatments/schedule_day.html", context)


@login_required
@permission_required("treatments.view_session", raise_exception=True)
def schedule_week(request):
    day = _parse_day(request.GET.get("date"))
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=n) for n in range(7)]
    therapists, chosen = _therapist_filter(request)
    sessions = Session.objects.between(days[0], days[-1]).for_schedule()
    if chosen:
        sessions = sessions.for_therapist(chosen)
    sessions = list(sessions)
    shown = [chosen] if chosen else therapists
    rows = []
    for therapist in shown:
        cells = []
        for each in days:
            cells.append(
                [
                    s
                    for s in sessions
                    if s.therapist_id == therapist.pk and s.local_start.date() == each
                ]
            )
        rows.append((therapist, cells))
    context = {
        "day": day,
        "days": days,
        "today": timezone.localdate(),
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "therapists": therapists,
        "chosen": chosen,
        "rows": rows,
        "view": "week",
    }
    return render(request, "treatments/schedule_week.html", context)


@login_required
@permission_required("treatments.add_session", raise_exception=True)
def session_book(request):
    client = None
    client_id = request.POST.get("client") or request.GET.get("client")
    if client_id:
        client = get_client_for_user(request.user, client_id, for_change=True)
    if client is None:
        # PostgreSQL refuses NUL in text: dropped here, as the client list's form refuses it.
        query = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
        results = Client.objects.active().search(query)[:20] if query else []
        template = (
            "treatments/_client_search_results.html"
            if request.htmx
            else "treatments/session_book.html"
        )
        return render(request, template, {"query": query, "results": results})
    initial = {"minutes": 60}
    if request.GET.get("date"):
        initial["date"] = _parse_day(request.GET.get("date"))
    if request.GET.get("therapist"):
        initial["therapist"] = request.GET.get("therapist")
    elif request.user.has_perm("treatments.sign_session"):
        initial["therapist"] = request.user.pk
    form = BookingForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_book(
                request=request,
                actor=request.user,
                client=client,
                therapist=data["therapist"],
                starts_at=data["starts_at"],
                minutes=data["minutes"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            start = session.local_start
            messages.success(
                request,
                f"Booked {client.full_name} with {data['therapist'].get_full_name()} on "
                f"{start:%A} {start.day} {start:%B} at {start:%H:%M}.",
            )
            return redirect(f"{reverse('treatments:schedule_day')}?date={start.date().isoformat()}")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "treatments/session_book.html", {"client": client, "form": form}, status=status
    )


@login_required
@permission_required("treatments.change_session", raise_exception=True)
def session_move(request, client_pk, pk):
    session = get_session_for_user(request.user, client_pk, pk)
    if not session.can_be_moved:
        messages.error(request, "Only a planned, unsigned session can be moved.")
        return redirect(_schedule_url(session))
    start = session.local_start
    form = BookingForm(
        _posted(request),
        initial={
            "date": start.date(),
            "start_time": start.time(),
            "minutes": session.length_minutes,
            "therapist": session.therapist_id,
        },
    )
    # The booking as the form was opened: a move from a stale form is a conflict.
    loaded_at = session.updated_at.isoformat()
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.session_move(
                request=request,
                actor=request.user,
                session=session,
                therapist=data["therapist"],
                starts_at=data["starts_at"],
                minutes=data["minutes"],
                loaded_at=_posted_time(request, "loaded_at"),
            )
        except services.EditConflict as error:
            # Keep the choice typed; moving again, having seen the change, replaces it.
            conflict = error.current
            loaded_at = conflict.updated_at.isoformat()
        except ValidationError as error:
            _add_errors(form, error)
        else:
            new = session.local_start
            messages.success(
                request,
                f"Moved {session.client.full_name} to {new:%A} {new.day} {new:%B} at {new:%H:%M}.",
            )
            return redirect(_schedule_url(session))
    status = 200 if request.method == "GET" else (409 if conflict else 400)
    context = {"session": session, "form": form, "conflict": conflict, "loaded_at": loaded_at}
    return render(request, "treatments/session_move.html", context, status=status)


def _posted_time(request, name: str) -> datetime:
    """A timestamp a form carries back; anything unreadable is a time no row has."""
    try:
        value = datetime.fromisoformat(request.POST.get(name, ""))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else datetime.min.replace(tzinfo=UTC)


def _schedule_url(session: Session) -> str:
    return f"{reverse('treatments:schedule_day')}?date={session.local_start.date().isoformat()}"


@login_required
@permission_required("treatments.change_session", raise_exception=True)
def session_cancel(request, client_pk, pk):
    session = get_session_for_user(request.user, client_pk, pk)
    form = CancelForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                request=request,
                actor=request.user,
                session=session,
                reason=form.cleaned_data["text"],
            )
        except ValidationError as error:
            _add_errors(form, error, "reason")
        else:
            messages.success(request, f"Cancelled {session.client.full_name}'s session.")
            return redirect(_schedule_url(session))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "treatments/session_cancel.html", {"session": session, "form": form}, status=status
    )


@require_POST
@login_required
@permission_required("treatments.change_session", raise_exception=True)
def session_no_show(request, client_pk, pk):
    session = get_session_for_user(request.user, client_pk, pk)
    try:
        services.session_mark_no_show(request=request, actor=request.user, session=session)
    except ValidationError as error:
        for message in _errors_to_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, f"Marked {session.client.full_name} as a no-show.")
    return redirect(_safe_next(request, _schedule_url(session)))


# Session notes


@login_required
def session_detail(request, client_pk, pk):
    session = get_session_for_user(request.user, client_pk, pk, clinical=True)
    audit_record(request=request, action=AuditEvent.Action.VIEW, client=session.client, obj=session)
    return render(request, "treatments/session_detail.html", _note_context(request, session))


def _note_context(request, session, **extra) -> dict:
    measures = list(
        OutcomeMeasure.objects.filter(session=session).select_related("zone").order_by("id")
    )
    context = {
        "session": session,
        "client": session.client,
        "measures": measures,
        "can_sign": (
            not session.is_signed
            and session.is_booked
            and request.user.pk == session.therapist_id
            and request.user.has_perm("treatments.sign_session")
        ),
        "can_edit": (
            not session.is_signed
            and session.is_booked
            and request.user.has_perm("treatments.change_clinical_notes")
        ),
        "addendum_form": AddendumForm(),
    }
    context.update(extra)
    return context


def _note_choice_kwargs(rows=None) -> dict:
    """The muscle and trigger-point choices from `page_reads.muscle_point_rows()` (read here
    unless given): muscles without points too."""
    muscles, points, owner = [], [], {}
    for slug, name, point_id, label in page_reads.muscle_point_rows() if rows is None else rows:
        if not muscles or muscles[-1][0] != slug:
            muscles.append((slug, name))
        if point_id is not None:
            points.append((str(point_id), f"{name}: {label}"))
            owner[str(point_id)] = slug
    return {"muscles": muscles, "points": points, "point_owner": owner}


def _note_form_read(user, client_pk, pk) -> page_reads.NoteForm:
    """What the note form's GET shows, with the checks of `get_session_for_user(user,
    client_pk, pk, clinical=True, addenda=False)`, in one prepared query."""
    require(user, "treatments.view_session", "treatments.view_clinical_notes")
    client = get_client_for_user(user, client_pk)
    read = page_reads.note_form(pk=int(pk), client=client)
    if read is None:
        raise Http404("No such session")
    return read


def _note_initial(read: page_reads.NoteForm) -> tuple[dict, list[dict], list[dict]]:
    session, plan_muscles = read.session, read.plan_muscles
    note = {name: getattr(session, name) for name in services.NOTE_FIELDS}
    note["version"] = session.version
    if not session.home_care:
        note["home_care"] = services.home_care_from(plan_muscles)
    findings = [
        {
            "muscle": muscle,
            "trigger_point": str(point_id or ""),
            "side": side,
            "state": state,
            "tenderness": tenderness,
            "referral_reproduced": referral_reproduced,
        }
        for muscle, point_id, side, state, tenderness, referral_reproduced in read.findings
    ]
    listed = {row["muscle"] for row in findings}
    findings += [{"muscle": m.slug, "side": "both"} for m in plan_muscles if m.slug not in listed]
    findings += [{"side": "both"} for _ in range(BLANK_FINDING_ROWS)]
    treatments = [
        {
            "technique": technique,
            "muscle": muscle or "",
            "side": side,
            "pressure": pressure,
            "minutes": minutes,
        }
        for technique, muscle, side, pressure, minutes in read.treatments
    ]
    treatments += [{} for _ in range(BLANK_TREATMENT_ROWS)]
    return note, findings, treatments


@login_required
def session_note(request, client_pk, pk):
    require(request.user, "treatments.change_clinical_notes")
    if request.method == "POST":
        session = get_session_for_user(request.user, client_pk, pk, clinical=True, addenda=False)
        read = None
    else:
        read = _note_form_read(request.user, client_pk, pk)
        session = read.session
    if session.client.is_archived:
        raise PermissionDenied("An archived client's record cannot be changed.")
    if session.is_signed:
        messages.info(request, "This note is signed and locked. Add an addendum to correct it.")
        return redirect(session)
    if not session.is_booked:
        messages.error(request, "A cancelled or missed session has no note.")
        return redirect(session)
    kwargs = _note_choice_kwargs(read.choice_rows if read else None)
    conflict = None
    if request.method == "POST":
        form = NoteForm(request.POST)
        findings = FindingFormSet(request.POST, prefix="f", form_kwargs=kwargs)
        treatments = TreatmentFormSet(request.POST, prefix="t", form_kwargs=kwargs)
        if form.is_valid() and findings.is_valid() and treatments.is_valid():
            try:
                services.session_note_save(
                    request=request,
                    actor=request.user,
                    session=session,
                    version=form.cleaned_data["version"],
                    data=form.cleaned_data,
                    findings=_finding_rows(findings),
                    treatments=_treatment_rows(treatments),
                )
            except services.EditConflict as error:
                conflict = error.current
                # Keep what this user typed; a further save replaces the other version on
                # purpose, after they have seen it.
                data = request.POST.copy()
                data["version"] = conflict.version
                form = NoteForm(data)
                form.is_valid()
            except services.NoteSigned:
                messages.error(
                    request,
                    "The note was signed while you were editing, so your changes were not "
                    "saved. Add them as an addendum.",
                )
                return redirect(session)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Note saved. Sign it when it is complete.")
                return redirect(session)
        status = 409 if conflict else 400
    else:
        # The edit form shows the note: a read of clinical data like the detail page.
        audit_record(
            request=request, action=AuditEvent.Action.VIEW, client=session.client, obj=session
        )
        note, finding_rows, treatment_rows = _note_initial(read)
        form = NoteForm(initial=note)
        findings = FindingFormSet(initial=finding_rows, prefix="f", form_kwargs=kwargs)
        treatments = TreatmentFormSet(initial=treatment_rows, prefix="t", form_kwargs=kwargs)
        status = 200
    context = {
        "session": session,
        "client": session.client,
        "form": form,
        "findings": findings,
        "treatments": treatments,
        # Read here: the template's `findings.x` would look up `findings["x"]` first, which
        # builds every form of the formset (the rows are written without them when unbound).
        "row_errors": findings.total_error_count() + treatments.total_error_count(),
        "finding_errors": findings.non_form_errors(),
        "conflict": conflict,
    }
    return render(request, "treatments/session_note.html", context, status=status)


def _finding_rows(formset) -> list[dict]:
    wanted = [f.cleaned_data for f in formset.forms if f.counts]
    muscles = Muscle.objects.in_bulk([row["muscle"] for row in wanted], field_name="slug")
    points = TriggerPoint.objects.in_bulk(
        [int(row["trigger_point"]) for row in wanted if row.get("trigger_point")]
    )
    return [
        {
            "muscle": muscles[row["muscle"]],
            "trigger_point": points.get(int(row["trigger_point"]))
            if row.get("trigger_point")
            else None,
            "side": row["side"],
            "state": row["state"],
            "tenderness": row.get("tenderness"),
            "referral_reproduced": row.get("referral_reproduced", False),
        }
        for row in wanted
    ]


def _treatment_rows(formset) -> list[dict]:
    wanted = [f.cleaned_data for f in formset.forms if f.counts]
    muscles = Muscle.objects.in_bulk(
        [row["muscle"] for row in wanted if row.get("muscle")], field_name="slug"
    )
    return [
        {
            "technique": row["technique"],
            "muscle": muscles.get(row["muscle"]) if row.get("muscle") else None,
            "side": row.get("side", ""),
            "pressure": row.get("pressure", ""),
            "minutes": row.get("minutes"),
        }
        for row in wanted
    ]


@require_POST
@login_required
def session_sign(request, client_pk, pk):
    require(request.user, "treatments.sign_session")
    session = get_session_for_user(request.user, client_pk, pk, clinical=True)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.session_sign(request=request, actor=request.user, session=session, version=version)
    except services.EditConflict:
        messages.error(
            request,
            "The note changed after you opened it. Read it again below, then sign.",
        )
    except ValidationError as error:
        for message in _errors_to_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, "Note signed. It is now locked; corrections are addenda.")
    return redirect(session)


@require_POST
@login_required
def addendum_create(request, client_pk, pk):
    require(request.user, "treatments.add_addendum")
    session = get_session_for_user(request.user, client_pk, pk, clinical=True)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(
                request=request,
                actor=request.user,
                session=session,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Addendum added to the signed note.")
            return redirect(session)
    context = _note_context(request, session, addendum_form=form)
    return render(request, "treatments/session_detail.html", context, status=400)


# Plans


@login_required
def plan_create(request, client_pk):
    require(request.user, "treatments.add_treatmentplan")
    client = get_client_for_user(request.user, client_pk, for_change=True)
    today = timezone.localdate()
    form = PlanForm(
        _posted(request),
        creating=True,
        initial={"start_date": today, "review_date": today + timedelta(weeks=6)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                request=request,
                actor=request.user,
                client=client,
                data=form.cleaned_data,
                muscles=form.chosen_muscles(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Treatment plan saved.")
            return redirect(plan)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "treatments/plan_form.html",
        {"client": client, "form": form, "creating": True},
        status=status,
    )


@login_required
def plan_detail(request, client_pk, pk):
    plan = get_plan_for_user(request.user, client_pk, pk)
    audit_record(request=request, action=AuditEvent.Action.VIEW, client=plan.client, obj=plan)
    sessions = list(
        plan.sessions.exclude(status=SessionStatus.CANCELLED)
        .select_related("therapist")
        .order_by("starts_at")
    )
    done = sum(1 for s in sessions if s.status == SessionStatus.COMPLETED)
    return render(
        request,
        "treatments/plan_detail.html",
        {"plan": plan, "client": plan.client, "sessions": sessions, "done": done},
    )


@login_required
def plan_update(request, client_pk, pk):
    plan = get_plan_for_user(request.user, client_pk, pk, for_change=True)
    if request.method == "GET":
        audit_record(request=request, action=AuditEvent.Action.VIEW, client=plan.client, obj=plan)
    form = PlanForm(_posted(request), instance=plan)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                request=request,
                actor=request.user,
                plan=plan,
                version=form.cleaned_data.get("version") or 0,
                data=form.cleaned_data,
                muscles=form.chosen_muscles(),
            )
        except services.EditConflict as error:
            conflict = error.current
            data = request.POST.copy()
            data["version"] = conflict.version
            form = PlanForm(data, instance=plan)
            form.is_valid()
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Treatment plan saved.")
            return redirect(plan)
    status = 200 if request.method == "GET" else (409 if conflict else 400)
    return render(
        request,
        "treatments/plan_form.html",
        {"client": plan.client, "plan": plan, "form": form, "conflict": conflict},
        status=status,
    )


@require_POST
@login_required
def plan_add_muscle(request, client_pk):
    """Add a muscle to the client's active plan (a plan is started when there is none).

    POST `muscle` (a muscle slug), optionally `intake` (the id of one of this client's intakes
    whose suggestion it came from) and `next` (a local URL to return to).
    """
    require(request.user, "treatments.add_treatmentplan", "treatments.change_treatmentplan")
    client = get_client_for_user(request.user, client_pk, for_change=True)
    muscle = Muscle.objects.filter(slug=request.POST.get("muscle", "")).first()
    if muscle is None:
        raise Http404("No such muscle")
    intake = None
    if request.POST.get("intake"):
        try:
            intake = Intake.objects.get(pk=int(request.POST["intake"]), client=client)
        except (Intake.DoesNotExist, ValueError):
            raise Http404("No such intake") from None
    try:
        plan, created, added = services.plan_add_muscle(
            request=request, actor=request.user, client=client, muscle=muscle, intake=intake
        )
    except ValidationError as error:
        for message in _errors_to_messages(error):
            messages.error(request, message)
        return redirect(_safe_next(request, client.get_absolute_url()))
    if created:
        messages.success(request, f"Started a treatment plan with {muscle.name}.")
    elif added:
        messages.success(request, f"Added {muscle.name} to the treatment plan.")
    else:
        messages.info(request, f"{muscle.name} is already in the treatment plan.")
    if request.htmx:
        return render(
            request,
            "treatments/_plan_muscle_added.html",
            {"plan": plan, "muscle": muscle, "client": client},
        )
    return redirect(_safe_next(request, plan.get_absolute_url()))


# Surgery


@login_required
def surgery_create(request, client_pk):
    require(request.user, "treatments.add_surgeryepisode")
    client = get_client_for_user(request.user, client_pk, for_change=True)
    form = EpisodeForm(_posted(request), initial={"status": "planned"})
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.surgery_create(
                request=request, actor=request.user, client=client, data=form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Surgery episode saved.")
            return redirect(episode)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "treatments/surgery_form.html", {"client": client, "form": form}, status=status
    )


@login_required
def surgery_detail(request, client_pk, pk):
    episode = get_episode_for_user(request.user, client_pk, pk)
    audit_record(request=request, action=AuditEvent.Action.VIEW, client=episode.client, obj=episode)
    return render(
        request,
        "treatments/surgery_detail.html",
        {"episode": episode, "client": episode.client, "note_form": SurgeryNoteForm()},
    )


@login_required
def surgery_update(request, client_pk, pk):
    episode = get_episode_for_user(request.user, client_pk, pk, for_change=True)
    if request.method == "GET":
        audit_record(
            request=request, action=AuditEvent.Action.VIEW, client=episode.client, obj=episode
        )
    form = EpisodeForm(_posted(request), instance=episode)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.surgery_update(
                request=request,
                actor=request.user,
                episode=episode,
                version=form.cleaned_data["version"],
                data=form.cleaned_data,
            )
        except services.EditConflict as error:
            conflict = error.current
            # Keep what this user typed; a further save replaces the other version on purpose.
            data = request.POST.copy()
            data["version"] = conflict.version
            form = EpisodeForm(data, instance=episode)
            form.is_valid()
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Surgery episode saved.")
            return redirect(episode)
    status = 200 if request.method == "GET" else (409 if conflict else 400)
    return render(
        request,
        "treatments/surgery_form.html",
        {"client": episode.client, "episode": episode, "form": form, "conflict": conflict},
        status=status,
    )


@require_POST
@login_required
def surgery_note_create(request, client_pk, pk):
    require(request.user, "treatments.add_surgerynote")
    episode = get_episode_for_user(request.user, client_pk, pk)
    if episode.client.is_archived:
        raise PermissionDenied("An archived client's record cannot be changed.")
    form = SurgeryNoteForm(request.POST)
    if form.is_valid():
        try:
            services.surgery_note_add(
                request=request,
                actor=request.user,
                episode=episode,
                noted_on=form.cleaned_data["noted_on"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            note = SurgeryNote(episode=episode, noted_on=form.cleaned_data["noted_on"])
            messages.success(request, f"Note added ({note.phase}).")
            return redirect(episode)
    return render(
        request,
        "treatments/surgery_detail.html",
        {"episode": episode, "client": episode.client, "note_form": form},
        status=400,
    )


# Outcome measures


@login_required
def measure_create(request, client_pk, kind):
    require(request.user, "treatments.add_outcomemeasure")
    client = get_client_for_user(request.user, client_pk, for_change=True)
    try:
        kind = MeasureKind(kind)
    except ValueError:
        raise Http404("No such measure") from None
    session = None
    session_id = request.POST.get("session") or request.GET.get("session")
    if session_id:
        session = get_session_for_user(request.user, client.pk, session_id, clinical=True)
    form_class = MEASURE_FORMS[kind.value]
    extra = {}
    if kind == MeasureKind.PSFS:
        first = OutcomeMeasure.objects.filter(client=client).of_kind("psfs").first()
        if first:
            extra["activities"] = [row["activity"] for row in first.answers.get("activities", [])]
    initial = {"measured_on": session.local_start.date() if session else timezone.localdate()}
    form = form_class(_posted(request), initial=initial, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.measure_record(
                request=request,
                actor=request.user,
                client=client,
                kind=kind.value,
                answers=form.answers(),
                measured_on=form.cleaned_data["measured_on"],
                session=session,
                zone=form.cleaned_data.get("zone"),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            info = MEASURES[kind]
            messages.success(
                request,
                f"{info.short} recorded: {measure.score.normalize():f}{info.unit}.",
            )
            return redirect(_safe_next(request, reverse("treatments:progress", args=[client.pk])))
    status = 400 if request.method == "POST" else 200
    context = {
        "client": client,
        "form": form,
        "kind": kind,
        "info": MEASURES[kind],
        "session": session,
        "lefs_items": LEFS_ITEMS,
        "next": _safe_next(request, ""),
    }
    return render(request, "treatments/measure_form.html", context, status=status)


# Progress


@login_required
def progress(request, client_pk):
    client, lists = client_and_lists(request.user, client_pk)
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        client=client,
        obj=client,
        detail={"page": "progress"},
    )
    data = build_progress(client, lists)
    can_record = request.user.has_perm("treatments.add_outcomemeasure")
    content = progress_html.page_parts(client, data, can_record=can_record)
    return render_with_parts(
        request,
        "treatments/progress.html",
        {"client": client, "progress": data},
        {"content": content},
    )
