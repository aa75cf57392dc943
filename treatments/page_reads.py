"""The session note form's and the day schedule's reads, compiled to SQL once a process
(`clinic.prepared`).

The form of an unsigned note is opened many times a day; its session (with the note, the
therapist's names), findings, treatments given, the plan's target muscles and the muscle and
trigger-point choices are read as rows, with the SQL the ORM wrote the first time, instead of
as some forty model instances through `select_related` and two prefetches compiled on every
request.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model

from clinic.prepared import prepared
from knowledge.models import Muscle
from treatments.access import bookable_therapists
from treatments.models import Finding, PlanMuscle, PlanStatus, Session, TreatmentGiven
from treatments.querysets import day_bounds
from treatments.services import NOTE_FIELDS

# In the models' field order, as `Model.from_db` takes them.
_SESSION_WANTED = {"id", "client_id", "therapist_id", "starts_at", "ends_at", "status",
                   "treatment_plan_id", "signed_at", "version", *NOTE_FIELDS}  # fmt: skip
SESSION_COLUMNS = tuple(
    field.attname for field in Session._meta.concrete_fields if field.attname in _SESSION_WANTED
)
THERAPIST_COLUMNS = tuple(
    field.attname
    for field in get_user_model()._meta.concrete_fields
    if field.attname in {"id", "username", "first_name", "last_name"}
)


@prepared
def _session_row(*, pk, client_id):
    return Session.objects.filter(pk=pk, client_id=client_id).values_list(
        *SESSION_COLUMNS, *(f"therapist__{column}" for column in THERAPIST_COLUMNS)
    )


def note_session(*, pk: int, client) -> Session | None:
    """The client's session `pk` with the columns the note form shows and its therapist (names
    only), or None. The instance has the client set, so nothing reads it again."""
    rows = _session_row(pk=pk, client_id=client.pk)
    if not rows:
        return None
    row = rows[0]
    split = len(SESSION_COLUMNS)
    session = Session.from_db("default", SESSION_COLUMNS, row[:split])
    session.therapist = get_user_model().from_db("default", THERAPIST_COLUMNS, row[split:])
    session.client = client
    return session


@prepared
def note_findings(*, session_id):
    """A note's findings in their order, as (muscle slug, trigger point id, side, state,
    tenderness, referral reproduced)."""
    return (
        Finding.objects.filter(session_id=session_id)
        .order_by("position", "id")
        .values_list(
            "muscle__slug", "trigger_point_id", "side", "state", "tenderness", "referral_reproduced"
        )
    )


@prepared
def note_treatments(*, session_id):
    """A note's treatments given in their order, as (technique, muscle slug or None, side,
    pressure, minutes)."""
    return (
        TreatmentGiven.objects.filter(session_id=session_id)
        .order_by("position", "id")
        .values_list("technique", "muscle__slug", "side", "pressure", "minutes")
    )


class PlanMuscleRow(NamedTuple):
    """What the note form reads of a plan's target muscle (`services.home_care_from` reads the
    name and self-care advice)."""

    slug: str
    name: str
    self_care: str


_PLAN_MUSCLE_COLUMNS = ("muscle__slug", "muscle__name", "muscle__self_care")


@prepared
def _muscles_of_plan(*, plan_id):
    return (
        PlanMuscle.objects.filter(plan_id=plan_id)
        .order_by("added_at", "id")
        .values_list(*_PLAN_MUSCLE_COLUMNS)
    )


@prepared
def _muscles_of_active_plan(*, client_id):
    return (
        PlanMuscle.objects.filter(plan__client_id=client_id, plan__status=PlanStatus.ACTIVE)
        .order_by("added_at", "id")
        .values_list(*_PLAN_MUSCLE_COLUMNS)
    )


def plan_muscles(session: Session) -> list[PlanMuscleRow]:
    """The target muscles of the session's plan, or of the client's active plan."""
    if session.treatment_plan_id:
        rows = _muscles_of_plan(plan_id=session.treatment_plan_id)
    else:
        rows = _muscles_of_active_plan(client_id=session.client_id)
    return [PlanMuscleRow(*row) for row in rows]


@prepared
def muscle_point_rows():
    """Every muscle with its trigger points (a muscle without points once, with NULLs), by
    muscle name and the points' order: (slug, name, point id, point label)."""
    return Muscle.objects.order_by(
        "name", "slug", "trigger_points__position", "trigger_points__id"
    ).values_list("slug", "name", "trigger_points__id", "trigger_points__label")


# The day schedule


@dataclass(frozen=True, slots=True)
class TherapistRow:
    """A bookable therapist as the schedule shows them (`User.get_full_name`, `username`)."""

    pk: int
    first_name: str
    last_name: str
    username: str

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@prepared
def _bookable_therapist_rows():
    return bookable_therapists().values_list("id", "first_name", "last_name", "username")


def bookable_therapist_rows() -> list[TherapistRow]:
    """`treatments.access.bookable_therapists()`, in its order, as rows."""
    return [TherapistRow(*row) for row in _bookable_therapist_rows()]


@dataclass(frozen=True, slots=True)
class SlotRow:
    """A session as the day schedule shows it, with its client's names."""

    pk: int
    client_id: int
    therapist_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    cancel_reason: str
    signed_at: datetime | None
    first_name: str
    preferred_name: str
    last_name: str

    @property
    def client_full_name(self) -> str:
        """`Client.full_name`."""
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.first_name} ({self.preferred_name}) {self.last_name}"
        return f"{self.first_name} {self.last_name}"


_SLOT_COLUMNS = (
    "id",
    "client_id",
    "therapist_id",
    "starts_at",
    "ends_at",
    "status",
    "cancel_reason",
    "signed_at",
    "client__first_name",
    "client__preferred_name",
    "client__last_name",
)


@prepared
def _slots(*, start, end):
    return (
        Session.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "therapist_id")
        .values_list(*_SLOT_COLUMNS)
    )


@prepared
def _slots_of(*, start, end, therapist_id):
    return (
        Session.objects.filter(starts_at__gte=start, starts_at__lt=end, therapist_id=therapist_id)
        .order_by("starts_at", "therapist_id")
        .values_list(*_SLOT_COLUMNS)
    )


def day_slots(day: date, therapist_id: int | None = None) -> list[SlotRow]:
    """`Session.objects.on_day(day).for_schedule()` (of one therapist if given), as rows."""
    start, end = day_bounds(day)
    if therapist_id is None:
        rows = _slots(start=start, end=end)
    else:
        rows = _slots_of(start=start, end=end, therapist_id=therapist_id)
    return [SlotRow(*row) for row in rows]
