"""Writes to treatment records: each validates, writes atomically and records an audit event.

Audit details carry ids and field names only, never clinical text.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent, Client
from clinic.services import EditConflict, restores_on_failure
from knowledge.models import Muscle, Zone
from treatments import measures
from treatments.models import (
    Addendum,
    Finding,
    MuscleSource,
    OutcomeMeasure,
    PlanMuscle,
    PlanStatus,
    ReferralLetter,
    Session,
    SessionStatus,
    SurgeryEpisode,
    SurgeryNote,
    TreatmentGiven,
    TreatmentPlan,
)

DOUBLE_BOOKING = "session_no_double_booking"
ONE_ACTIVE_PLAN = "plan_one_active_per_client"
NOTE_FIELDS = (
    "subjective",
    "objective",
    "assessment",
    "plan",
    "pain_before",
    "pain_after",
    "home_care",
)
PLAN_FIELDS = ("goals", "planned_sessions", "frequency", "start_date", "review_date", "status")
EPISODE_FIELDS = ("procedure", "side", "date", "status", "surgeon", "clearance")


class NoteSigned(Exception):
    """The note was signed (perhaps while this form was open): it cannot be changed."""


def _constraint_name(error: IntegrityError) -> str | None:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def clash_message(clash: Session) -> str:
    start, end = clash.local_start, clash.local_end
    return (
        f"{_person(clash.therapist)} already has a session {start:%H:%M}\u2013{end:%H:%M} on "
        f"{start:%A} {start.day} {start:%B}. Choose another time or therapist."
    )


def _end(starts_at: datetime, minutes: int) -> datetime:
    """The end of a session `minutes` long. Counted in UTC: an aware local time plus a timedelta
    moves the wall clock, so a two-hour session from midnight on the night the clocks go
    forward would end after one hour."""
    return starts_at.astimezone(UTC) + timedelta(minutes=minutes)


def _find_clash(*, therapist, starts_at: datetime, ends_at: datetime, exclude_pk=None):
    clashes = (
        Session.objects.booked()
        .filter(therapist=therapist, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("therapist")
        .order_by("starts_at")
    )
    if exclude_pk:
        clashes = clashes.exclude(pk=exclude_pk)
    return clashes.first()


def _refuse_clash(**kwargs) -> None:
    clash = _find_clash(**kwargs)
    if clash:
        raise ValidationError({"start_time": clash_message(clash)})


def home_care_from(muscles: list[Muscle]) -> str:
    """Home-care advice for a note, prefilled from the muscles' self-care advice."""
    return "\n\n".join(f"{m.name}: {m.self_care.strip()}" for m in muscles if m.self_care.strip())


# Plans


def plan_create(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    data: dict[str, Any],
    muscles: list[Muscle] = (),
    source: str = MuscleSource.LIBRARY,
    intake=None,
) -> TreatmentPlan:
    if client.is_archived:
        raise ValidationError("An archived client's record cannot be changed.")
    plan = TreatmentPlan(client=client, created_by=actor, therapist=data.get("therapist") or actor)
    for name in PLAN_FIELDS:
        if name in data and data[name] is not None:
            setattr(plan, name, data[name])
    plan.status = PlanStatus.ACTIVE
    plan.source_intake = intake
    plan.full_clean(validate_constraints=False)
    if TreatmentPlan.objects.active().filter(client=client).exists():
        raise ValidationError(
            "This client already has an active plan. Complete or stop it before starting another."
        )
    try:
        with transaction.atomic():
            plan.save()
            PlanMuscle.objects.bulk_create(
                PlanMuscle(plan=plan, muscle=m, source=source, source_intake=intake, added_by=actor)
                for m in muscles
            )
            audit_record(
                request=request,
                actor=actor,
                action=AuditEvent.Action.CREATE,
                client=client,
                obj=plan,
                detail={"muscles": len(muscles)},
            )
    except IntegrityError as error:
        if _constraint_name(error) == ONE_ACTIVE_PLAN:
            raise ValidationError(
                "This client already has an active plan. Complete or stop it first."
            ) from None
        raise
    return plan


@restores_on_failure("plan", (*PLAN_FIELDS, "ended_on"))
def plan_update(
    *,
    request: HttpRequest | None,
    actor,
    plan: TreatmentPlan,
    version: int,
    data: dict[str, Any],
    muscles: list[Muscle] | None = None,
) -> TreatmentPlan:
    """Save the plan if nobody saved it since `version` was loaded; else raise EditConflict."""
    if plan.client.is_archived:
        raise ValidationError("An archived client's record cannot be changed.")
    changed = [n for n in PLAN_FIELDS if n in data and getattr(plan, n) != data[n]]
    for name in changed:
        setattr(plan, name, data[name])
    if plan.status != PlanStatus.ACTIVE and plan.ended_on is None:
        plan.ended_on = timezone.localdate()
    elif plan.status == PlanStatus.ACTIVE:
        plan.ended_on = None
    plan.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            updated = TreatmentPlan.objects.filter(pk=plan.pk, version=version).update(
                **{name: getattr(plan, name) for name in (*PLAN_FIELDS, "ended_on")},
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
            if not updated:
                raise EditConflict(TreatmentPlan.objects.with_muscles().get(pk=plan.pk))
            if muscles is not None:
                wanted = {m.pk: m for m in muscles}
                have = set(plan.plan_muscles.values_list("muscle_id", flat=True))
                removed = have - wanted.keys()
                if removed:
                    plan.plan_muscles.filter(muscle_id__in=removed).delete()
                PlanMuscle.objects.bulk_create(
                    PlanMuscle(plan=plan, muscle=wanted[pk], added_by=actor)
                    for pk in wanted.keys() - have
                )
                if removed or wanted.keys() - have:
                    changed.append("muscles")
            audit_record(
                request=request,
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                client=plan.client,
                obj=plan,
                detail={"fields": changed},
            )
    except IntegrityError as error:
        if _constraint_name(error) == ONE_ACTIVE_PLAN:
            raise ValidationError(
                {"status": "This client already has another active plan; stop that one first."}
            ) from None
        raise
    plan.version = version + 1
    return plan


def plan_add_muscle(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    muscle: Muscle,
    intake=None,
) -> tuple[TreatmentPlan, bool, bool]:
    """Add a muscle to the client's active plan, starting a plan when there is none.

    Returns (plan, plan_created, muscle_added); adding a muscle already there changes nothing.
    """
    source = MuscleSource.SUGGESTION if intake is not None else MuscleSource.LIBRARY
    plan = TreatmentPlan.objects.active().filter(client=client).first()
    if plan is None:
        plan = plan_create(
            request=request,
            actor=actor,
            client=client,
            data={
                "start_date": timezone.localdate(),
                "review_date": timezone.localdate() + timedelta(weeks=6),
            },
            muscles=[muscle],
            source=source,
            intake=intake,
        )
        return plan, True, True
    if plan.plan_muscles.filter(muscle=muscle).exists():
        return plan, False, False
    with transaction.atomic():
        PlanMuscle.objects.create(
            plan=plan, muscle=muscle, source=source, source_intake=intake, added_by=actor
        )
        TreatmentPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1)
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=client,
            obj=plan,
            detail={"fields": ["muscles"], "muscle": muscle.slug},
        )
    return plan, False, True


# Booking


def session_book(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    therapist,
    starts_at: datetime,
    minutes: int,
) -> Session:
    if client.is_archived:
        raise ValidationError("An archived client cannot be booked; restore the record first.")
    session = Session(
        client=client,
        therapist=therapist,
        starts_at=starts_at,
        ends_at=_end(starts_at, minutes),
        booked_by=actor,
        treatment_plan=TreatmentPlan.objects.active().filter(client=client).first(),
    )
    _refuse_clash(therapist=therapist, starts_at=session.starts_at, ends_at=session.ends_at)
    session.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            session.save()
            audit_record(
                request=request,
                actor=actor,
                action=AuditEvent.Action.CREATE,
                client=client,
                obj=session,
            )
    except IntegrityError as error:
        if _constraint_name(error) == DOUBLE_BOOKING:
            # Someone booked the slot between the check and the save.
            _refuse_clash(therapist=therapist, starts_at=session.starts_at, ends_at=session.ends_at)
        raise
    return session


def _refuse_if_not_movable(session: Session) -> None:
    if session.is_signed:
        raise ValidationError("This session's note is signed; the booking can no longer change.")
    if session.status != SessionStatus.PLANNED:
        raise ValidationError(
            f"This session is {session.get_status_display().lower()}; only a planned session "
            "can be moved or cancelled."
        )


@restores_on_failure("session", ("therapist", "starts_at", "ends_at"))
def session_move(
    *,
    request: HttpRequest | None,
    actor,
    session: Session,
    therapist,
    starts_at: datetime,
    minutes: int,
    loaded_at: datetime | None = None,
) -> Session:
    """Move a planned session. With `loaded_at` (the session's `updated_at` when the form was
    opened), raise EditConflict if it changed since, rather than overwrite that change."""
    _refuse_if_not_movable(session)
    ends_at = _end(starts_at, minutes)
    _refuse_clash(therapist=therapist, starts_at=starts_at, ends_at=ends_at, exclude_pk=session.pk)
    changed = [
        name
        for name, value in (
            ("therapist", therapist),
            ("starts_at", starts_at),
            ("ends_at", ends_at),
        )
        if getattr(session, name) != value
    ]
    session.therapist, session.starts_at, session.ends_at = therapist, starts_at, ends_at
    session.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            # Booking columns only: a note being written at the same time is not touched.
            unchanged = {"updated_at": loaded_at} if loaded_at is not None else {}
            moved = Session.objects.filter(
                pk=session.pk, signed_at__isnull=True, status=SessionStatus.PLANNED, **unchanged
            ).update(
                therapist=therapist, starts_at=starts_at, ends_at=ends_at, updated_at=timezone.now()
            )
            if not moved:
                raise EditConflict(Session.objects.select_related("therapist").get(pk=session.pk))
            audit_record(
                request=request,
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                client=session.client,
                obj=session,
                detail={"fields": changed, "change": "moved"},
            )
    except IntegrityError as error:
        if _constraint_name(error) == DOUBLE_BOOKING:
            _refuse_clash(
                therapist=therapist, starts_at=starts_at, ends_at=ends_at, exclude_pk=session.pk
            )
        raise
    return session


def session_cancel(*, request: HttpRequest | None, actor, session: Session, reason: str) -> Session:
    _refuse_if_not_movable(session)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the session is cancelled."})
    with transaction.atomic():
        Session.objects.filter(pk=session.pk, signed_at__isnull=True).update(
            status=SessionStatus.CANCELLED, cancel_reason=reason, updated_at=timezone.now()
        )
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=session.client,
            obj=session,
            detail={"fields": ["status"], "change": "cancelled"},
        )
    session.status, session.cancel_reason = SessionStatus.CANCELLED, reason
    return session


def session_mark_no_show(*, request: HttpRequest | None, actor, session: Session) -> Session:
    _refuse_if_not_movable(session)
    if not session.has_started:
        raise ValidationError("A session can be marked as a no-show once its time has come.")
    with transaction.atomic():
        Session.objects.filter(pk=session.pk, signed_at__isnull=True).update(
            status=SessionStatus.NO_SHOW, updated_at=timezone.now()
        )
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=session.client,
            obj=session,
            detail={"fields": ["status"], "change": "no-show"},
        )
    session.status = SessionStatus.NO_SHOW
    return session


# Notes


def session_note_save(
    *,
    request: HttpRequest | None,
    actor,
    session: Session,
    version: int,
    data: dict[str, Any],
    findings: list[dict[str, Any]],
    treatments: list[dict[str, Any]],
) -> Session:
    """Save an unsigned note, its findings and treatments, if nobody saved it since `version`.

    Raises EditConflict with what is saved now when the version is stale, NoteSigned when the
    note was signed meanwhile; nothing is written in either case.
    """
    if session.is_signed:
        raise NoteSigned
    if session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
        raise ValidationError("A cancelled or missed session has no note.")
    for name in NOTE_FIELDS:
        value = data.get(name)
        setattr(session, name, value if name.startswith("pain_") else (value or ""))
    session.full_clean(validate_constraints=False)
    finding_rows = [
        Finding(session=session, client_id=session.client_id, position=index, **row)
        for index, row in enumerate(findings)
    ]
    treatment_rows = [
        TreatmentGiven(session=session, position=index, **row)
        for index, row in enumerate(treatments)
    ]
    for row in (*finding_rows, *treatment_rows):
        row.full_clean(exclude=["session"], validate_constraints=False)
    now = timezone.now()
    with transaction.atomic():
        updated = Session.objects.filter(
            pk=session.pk, version=version, signed_at__isnull=True
        ).update(
            **{name: getattr(session, name) for name in NOTE_FIELDS},
            notes_updated_at=now,
            notes_updated_by=actor,
            updated_at=now,
            version=F("version") + 1,
        )
        if not updated:
            current = Session.objects.with_note().get(pk=session.pk)
            if current.is_signed:
                raise NoteSigned
            raise EditConflict(current)
        # Edited in place, not deleted and inserted again: the history reads as edits.
        _edit_rows(
            list(session.findings.all()),
            finding_rows,
            key=lambda f: (f.muscle_id, f.trigger_point_id, f.side),
            fields=FINDING_FIELDS,
        )
        _edit_rows(
            list(session.treatments.all()),
            treatment_rows,
            key=lambda t: tuple(getattr(t, name) for name in TREATMENT_FIELDS[:-1]),
            fields=TREATMENT_FIELDS,
        )
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=session.client,
            obj=session,
            detail={
                "fields": [n for n in NOTE_FIELDS if getattr(session, n) not in ("", None)],
                "findings": len(finding_rows),
                "treatments": len(treatment_rows),
            },
        )
    session.version = version + 1
    session.notes_updated_at, session.notes_updated_by = now, actor
    return session


# A note's child rows: the fields a saved row is compared on (and, for findings, the first three
# are its key, unique within a session).
FINDING_FIELDS = (
    "muscle_id",
    "trigger_point_id",
    "side",
    "state",
    "tenderness",
    "referral_reproduced",
    "position",
)
TREATMENT_FIELDS = ("technique", "muscle_id", "side", "pressure", "minutes", "position")


def _edit_rows(saved: list, wanted: list, *, key, fields: tuple[str, ...]) -> None:
    """Make a note's saved child rows (findings or treatments) read as `wanted`, in place.

    A saved row with the key of a wanted row stays that row; the saved rows left over take the
    wanted rows left over, in order; only the surplus is inserted or deleted. The change history
    then reads as edits, and the ids of unchanged rows are kept. A wanted row left over has a
    key no saved row has, so giving it to a saved row cannot collide with a finding's unique key.
    """
    free = {}
    for row in saved:
        free.setdefault(key(row), []).append(row)
    pairs, unmatched = [], []
    for row in wanted:
        matches = free.get(key(row))
        if matches:
            pairs.append((matches.pop(0), row))
        else:
            unmatched.append(row)
    leftover = sorted((row for rows in free.values() for row in rows), key=lambda r: r.position)
    reused = min(len(leftover), len(unmatched))
    pairs += zip(leftover[:reused], unmatched[:reused], strict=True)
    if leftover[reused:]:
        type(leftover[0]).objects.filter(pk__in=[row.pk for row in leftover[reused:]]).delete()
    for current, row in pairs:
        changed = [name for name in fields if getattr(current, name) != getattr(row, name)]
        if changed:
            for name in changed:
                setattr(current, name, getattr(row, name))
            current.save(update_fields=changed)
    if unmatched[reused:]:
        type(unmatched[0]).objects.bulk_create(unmatched[reused:])


def session_sign(*, request: HttpRequest | None, actor, session: Session, version: int) -> Session:
    """Sign the note: only its own therapist may, and from then on it is locked."""
    if actor.pk != session.therapist_id or not actor.has_perm("treatments.sign_session"):
        raise PermissionDenied(
            f"Only the session's therapist, {_person(session.therapist)}, can sign this note."
        )
    if session.is_signed:
        raise ValidationError("This note is already signed.")
    if session.status not in (SessionStatus.PLANNED, SessionStatus.COMPLETED):
        raise ValidationError("A cancelled or missed session has no note to sign.")
    if not session.has_started:
        raise ValidationError("This session has not started yet; sign its note afterwards.")
    if not (session.subjective.strip() or session.objective.strip() or session.assessment.strip()):
        raise ValidationError(
            "Write the note before signing it: at least the subjective, objective or assessment."
        )
    now = timezone.now()
    with transaction.atomic():
        updated = Session.objects.filter(
            pk=session.pk, version=version, signed_at__isnull=True
        ).update(
            signed_at=now,
            signed_by=actor,
            status=SessionStatus.COMPLETED,
            version=F("version") + 1,
            updated_at=now,
        )
        if not updated:
            raise EditConflict(Session.objects.with_note().get(pk=session.pk))
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.SIGN,
            client=session.client,
            obj=session,
        )
    session.signed_at, session.signed_by, session.status = now, actor, SessionStatus.COMPLETED
    session.version = version + 1
    return session


def addendum_add(
    *, request: HttpRequest | None, actor, session: Session, reason: str, text: str
) -> Addendum:
    if not session.is_signed:
        raise ValidationError("The note is not signed yet: change it directly.")
    addendum = Addendum(session=session, author=actor, reason=reason.strip(), text=text.strip())
    addendum.full_clean()
    with transaction.atomic():
        addendum.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=session.client,
            obj=addendum,
            detail={"session": session.pk},
        )
    return addendum


# Surgery


def surgery_create(
    *, request: HttpRequest | None, actor, client: Client, data: dict[str, Any]
) -> SurgeryEpisode:
    if client.is_archived:
        raise ValidationError("An archived client's record cannot be changed.")
    episode = SurgeryEpisode(client=client, created_by=actor)
    for name in EPISODE_FIELDS:
        if name in data:
            setattr(episode, name, data[name])
    episode.full_clean()
    with transaction.atomic():
        episode.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=client,
            obj=episode,
        )
    return episode


@restores_on_failure("episode", EPISODE_FIELDS)
def surgery_update(
    *,
    request: HttpRequest | None,
    actor,
    episode: SurgeryEpisode,
    version: int,
    data: dict[str, Any],
) -> SurgeryEpisode:
    """Save the episode if nobody saved it since `version` was loaded; else raise EditConflict."""
    if episode.client.is_archived:
        raise ValidationError("An archived client's record cannot be changed.")
    changed = [n for n in EPISODE_FIELDS if n in data and getattr(episode, n) != data[n]]
    if not changed:
        # What was posted is what is saved: nothing to overwrite, so no conflict either.
        return episode
    for name in changed:
        setattr(episode, name, data[name])
    episode.full_clean()
    with transaction.atomic():
        updated = SurgeryEpisode.objects.filter(pk=episode.pk, version=version).update(
            **{name: getattr(episode, name) for name in EPISODE_FIELDS},
            version=F("version") + 1,
        )
        if not updated:
            raise EditConflict(SurgeryEpisode.objects.get(pk=episode.pk))
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=episode.client,
            obj=episode,
            detail={"fields": changed},
        )
    episode.version = version + 1
    return episode


def surgery_note_add(
    *, request: HttpRequest | None, actor, episode: SurgeryEpisode, noted_on: date, text: str
) -> SurgeryNote:
    note = SurgeryNote(episode=episode, noted_on=noted_on, text=text.strip(), author=actor)
    note.full_clean()
    with transaction.atomic():
        note.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=episode.client,
            obj=note,
            detail={"episode": episode.pk},
        )
    return note


# Outcome measures


def measure_record(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    kind: str,
    answers: dict,
    measured_on: date,
    session: Session | None = None,
    intake=None,
    zone: Zone | None = None,
) -> OutcomeMeasure:
    """Score the answers and keep them; the score is never typed in."""
    if client.is_archived:
        raise ValidationError("An archived client's record cannot be changed.")
    if session is not None and session.client_id != client.pk:
        raise ValidationError("That session belongs to another client.")
    cleaned, score = measures.score(kind, answers)
    measure = OutcomeMeasure(
        client=client,
        kind=kind,
        answers=cleaned,
        score=score,
        measured_on=measured_on,
        session=session,
        intake=intake,
        zone=zone if kind == "nprs" else None,
        recorded_by=actor,
    )
    measure.full_clean()
    with transaction.atomic():
        measure.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=client,
            obj=measure,
            detail={"kind": kind},
        )
    return measure


# Referral letters

LETTER_FIELDS = ("recipient_kind", "recipient_name", "recipient_address", "reason", "findings")


def referral_letter_create(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    data: dict[str, Any],
    surgery_episode: SurgeryEpisode | None = None,
) -> ReferralLetter:
    """Keep the clinic's copy of a letter. It is never changed afterwards: a correction is a
    new letter."""
    if client.is_archived:
        raise ValidationError("An archived client's record cannot be changed.")
    if surgery_episode is not None and surgery_episode.client_id != client.pk:
        raise ValidationError({"surgery_episode": "That surgery is not this client's."})
    letter = ReferralLetter(client=client, author=actor, surgery_episode=surgery_episode)
    for name in LETTER_FIELDS:
        setattr(letter, name, (data.get(name) or "").strip())
    letter.full_clean()
    with transaction.atomic():
        letter.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=client,
            obj=letter,
            detail={
                "recipient_kind": letter.recipient_kind,
                "episode": surgery_episode.pk if surgery_episode else None,
            },
        )
    return letter
