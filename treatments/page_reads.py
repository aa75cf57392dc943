"""The session note form's and the day schedule's reads, compiled to SQL once a process
(`clinic.prepared`).

The form of an unsigned note is opened many times a day; its session (with the note, the
therapist's names), findings, treatments given, the plan's target muscles and the muscle and
trigger-point choices are read in one query, the lists as JSON, with the SQL the ORM wrote the
first time, instead of five queries and some forty model instances through `select_related`
and two prefetches compiled on every request. The schedule's therapists and sessions are read
as rows the same way.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import JSONArray

from clinic.models import full_name
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


def _json_rows(queryset, *columns, order_by):
    """A subquery: `columns` of each row of `queryset` as a JSON array of arrays, in `order_by`
    order (NULL without rows). All rows make one group (a constant's group is no column)."""
    return Subquery(
        queryset.order_by()
        .annotate(_all=Value(1))
        .values("_all")
        .annotate(rows=JSONBAgg(JSONArray(*columns), order_by=order_by))
        .values("rows")
    )


_FINDING_COLUMNS = (
    "muscle__slug", "trigger_point_id", "side", "state", "tenderness", "referral_reproduced"
)  # fmt: skip
_TREATMENT_COLUMNS = ("technique", "muscle__slug", "side", "pressure", "minutes")
_PLAN_MUSCLE_COLUMNS = ("muscle__slug", "muscle__name", "muscle__self_care")
_CHOICE_COLUMNS = ("slug", "name", "trigger_points__id", "trigger_points__label")
_CHOICE_ORDER = ("name", "slug", "trigger_points__position", "trigger_points__id")


@prepared
def _note_form_row(*, pk, client_id):
    """The session's columns, its therapist's, then (as JSON) its findings, treatments, the
    target muscles of its plan and of the client's active plan, and every muscle and point."""
    session = OuterRef("pk")
    return (
        Session.objects.filter(pk=pk, client_id=client_id)
        .annotate(
            finding_rows=_json_rows(
                Finding.objects.filter(session_id=session),
                *_FINDING_COLUMNS,
                order_by=("position", "id"),
            ),
            treatment_rows=_json_rows(
                TreatmentGiven.objects.filter(session_id=session),
                *_TREATMENT_COLUMNS,
                order_by=("position", "id"),
            ),
            plan_rows=_json_rows(
                PlanMuscle.objects.filter(plan_id=OuterRef("treatment_plan_id")),
                *_PLAN_MUSCLE_COLUMNS,
                order_by=("added_at", "id"),
            ),
            active_plan_rows=_json_rows(
                PlanMuscle.objects.filter(
                    plan__client_id=OuterRef("client_id"), plan__status=PlanStatus.ACTIVE
                ),
                *_PLAN_MUSCLE_COLUMNS,
                order_by=("added_at", "id"),
            ),
            choice_rows=_json_rows(Muscle.objects.all(), *_CHOICE_COLUMNS, order_by=_CHOICE_ORDER),
        )
        .values_list(
            *SESSION_COLUMNS,
            *(f"therapist__{column}" for column in THERAPIST_COLUMNS),
            "finding_rows",
            "treatment_rows",
            "plan_rows",
            "active_plan_rows",
            "choice_rows",
        )
    )


class PlanMuscleRow(NamedTuple):
    """What the note form reads of a plan's target muscle (`services.home_care_from` reads the
    name and self-care advice)."""

    slug: str
    name: str
    self_care: str


@dataclass(frozen=True, slots=True)
class NoteForm:
    """What the form of an unsigned note shows: the session (with the note's columns, its client
    and its therapist's names), its findings as (muscle slug, trigger point id, side, state,
    tenderness, referral reproduced), its treatments as (technique, muscle slug or None, side,
    pressure, minutes), the target muscles of its plan (or else of the client's active plan),
    and every muscle with its trigger points as `muscle_point_rows` gives them."""

    session: Session
    findings: list[tuple]
    treatments: list[tuple]
    plan_muscles: list[PlanMuscleRow]
    choice_rows: list[tuple]


def note_form(*, pk: int, client) -> NoteForm | None:
    """The client's session `pk` and what its note form shows, in one query; None if the client
    has no such session."""
    rows = _note_form_row(pk=pk, client_id=client.pk)
    if not rows:
        return None
    row = rows[0]
    split = len(SESSION_COLUMNS)
    names = split + len(THERAPIST_COLUMNS)
    session = Session.from_db("default", SESSION_COLUMNS, row[:split])
    session.therapist = get_user_model().from_db("default", THERAPIST_COLUMNS, row[split:names])
    session.client = client
    findings, treatments, plan, active_plan, choices = (value or [] for value in row[names:])
    plan_muscles = plan if session.treatment_plan_id else active_plan
    return NoteForm(
        session=session,
        findings=[tuple(finding) for finding in findings],
        treatments=[tuple(treatment) for treatment in treatments],
        plan_muscles=[PlanMuscleRow(*muscle) for muscle in plan_muscles],
        choice_rows=[tuple(choice) for choice in choices],
    )


@prepared
def muscle_point_rows():
    """Every muscle with its trigger points (a muscle without points once, with NULLs), by
    muscle name and the points' order: (slug, name, point id, point label)."""
    return Muscle.objects.order_by(*_CHOICE_ORDER).values_list(*_CHOICE_COLUMNS)


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
        return full_name(self.first_name, self.preferred_name, self.last_name)


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
