"""What the intake review page reads: the intake, its client and every row it shows, in one query.

The review used to load the intake with five prefetches (pain reports, factors, answers, alerts,
amendments) and then every zone's name: seven queries, each compiled by the ORM on every request,
and some hundred model instances. Here one `values()` query, compiled once a process
(`clinic.prepared`), brings the intake's columns, its client's and its reviewer's, each list of
rows as one JSON array aggregated by PostgreSQL, and the names of all zones. The intake and its
client come back as model instances holding only the columns the page shows (so `audit_record`
and the templates can use them); the lists are small frozen rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.postgres.aggregates import JSONBAgg
from django.db.models import Aggregate, JSONField, OuterRef, Subquery, Value
from django.db.models.functions import JSONObject

from clinic.models import Client
from clinic.prepared import prepared
from intake.models import (
    Amendment,
    Intake,
    IntakeAlert,
    IntakeFactor,
    PainReport,
    RedFlagAnswer,
)
from knowledge.models import Zone

# The intake's columns the review shows (attnames, as Model.from_db takes them).
INTAKE_FIELDS = (
    "id",
    "client_id",
    "status",
    "source",
    "main_complaint",
    "onset_date",
    "onset_duration",
    "goals",
    "medications",
    "other_factors",
    "surgery",
    "surgery_procedure",
    "surgery_side",
    "surgery_date",
    "consent_name",
    "consent_at",
    "submitted_at",
    "reviewed_at",
    "reviewed_by_id",
    "suggestions",
    "suggested_at",
)
CLIENT_FIELDS = ("id", "first_name", "last_name", "preferred_name", "date_of_birth", "archived_at")


@dataclass(frozen=True, slots=True)
class PainRow:
    zone: str  # slug
    name: str  # the zone's name
    side: str
    intensity: int
    qualities: tuple[str, ...]
    pattern: str
    worse_at: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FactorRow:
    kind: str
    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class AnswerRow:
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class AmendmentRow:
    created_at: datetime.datetime
    author: str  # the author's full name, else their username
    text: str


@dataclass(frozen=True, slots=True)
class Review:
    intake: Intake  # only INTAKE_FIELDS loaded, with its client (CLIENT_FIELDS) attached
    client: Client
    reviewer: str  # who marked it reviewed: full name, else username; "" if nobody yet
    pains: tuple[PainRow, ...]
    factors: tuple[FactorRow, ...]
    answers: tuple[AnswerRow, ...]
    alerts: tuple[IntakeAlert, ...]
    amendments: tuple[AmendmentRow, ...]
    zone_names: dict[str, str]  # every zone's, by slug


class _JSONBObjectAgg(Aggregate):
    function = "JSONB_OBJECT_AGG"
    output_field = JSONField()


def _rows(model, order: tuple[str, ...], **fields) -> Subquery:
    """The intake's rows of `model` as one JSON array (NULL without rows), in `order`."""
    return Subquery(
        model.objects.filter(intake_id=OuterRef("id"))
        .order_by()
        .values("intake_id")
        .annotate(rows=JSONBAgg(JSONObject(**fields), order_by=order))
        .values("rows")
    )


@prepared
def review_row(*, pk: int):
    """The one row of the review's query (see the module), or none for an unknown id."""
    return (
        Intake.objects.filter(pk=pk)
        .order_by()
        .values(
            *INTAKE_FIELDS,
            *(f"client__{name}" for name in CLIENT_FIELDS[1:]),
            "reviewed_by__first_name",
            "reviewed_by__last_name",
            "reviewed_by__username",
            pain_rows=_rows(
                PainReport,
                # PainReport's own ordering, as the prefetch had it.
                ("zone__position", "side"),
                zone="zone__slug",
                name="zone__name",
                side="side",
                intensity="intensity",
                qualities="qualities",
                pattern="pattern",
                worse_at="worse_at",
            ),
            factor_rows=_rows(
                IntakeFactor,
                ("factor__position", "factor__slug"),
                kind="factor__kind",
                name="factor__name",
                detail="detail",
            ),
            answer_rows=_rows(
                RedFlagAnswer,
                ("red_flag__position", "red_flag__slug"),
                question="red_flag__question",
                answer="answer",
            ),
            alert_rows=_rows(
                IntakeAlert,
                ("position", "id"),
                id="id",
                flag="flag",
                level="level",
                message="message",
                unsure="unsure",
                position="position",
            ),
            amendment_rows=_rows(
                Amendment,
                ("created_at", "id"),
                created_at="created_at",
                text="text",
                first_name="author__first_name",
                last_name="author__last_name",
                username="author__username",
            ),
            zone_names=Subquery(
                # One object of all zones: the GROUP BY a constant makes it one row.
                Zone.objects.order_by()
                .annotate(one=Value(1))
                .values("one")
                .annotate(names=_JSONBObjectAgg("slug", "name"))
                .values("names")
            ),
        )
    )


def _person(first: str | None, last: str | None, username: str | None) -> str:
    """`user.get_full_name|default:user`, from the columns."""
    if username is None:
        return ""
    return f"{first} {last}".strip() or username


def load_review(pk: int) -> Review:
    """The review's rows for intake `pk`; Intake.DoesNotExist if there is no such intake."""
    rows = review_row(pk=pk)
    if not rows:
        raise Intake.DoesNotExist("No such intake")
    row = rows[0]
    intake = Intake.from_db(None, INTAKE_FIELDS, [row[name] for name in INTAKE_FIELDS])
    client = Client.from_db(
        None,
        CLIENT_FIELDS,
        [row["client_id"], *(row[f"client__{name}"] for name in CLIENT_FIELDS[1:])],
    )
    Intake.client.field.set_cached_value(intake, client)
    return Review(
        intake=intake,
        client=client,
        reviewer=_person(
            row["reviewed_by__first_name"],
            row["reviewed_by__last_name"],
            row["reviewed_by__username"],
        ),
        pains=tuple(
            PainRow(
                zone=p["zone"],
                name=p["name"],
                side=p["side"],
                intensity=p["intensity"],
                qualities=tuple(p["qualities"]),
                pattern=p["pattern"],
                worse_at=tuple(p["worse_at"]),
            )
            for p in row["pain_rows"] or ()
        ),
        factors=tuple(
            FactorRow(kind=f["kind"], name=f["name"], detail=f["detail"])
            for f in row["factor_rows"] or ()
        ),
        answers=tuple(
            AnswerRow(question=a["question"], answer=a["answer"]) for a in row["answer_rows"] or ()
        ),
        # Few, and their model's properties say how each is shown.
        alerts=tuple(IntakeAlert(intake_id=intake.pk, **a) for a in row["alert_rows"] or ()),
        amendments=tuple(
            AmendmentRow(
                created_at=datetime.datetime.fromisoformat(a["created_at"]),
                author=_person(a["first_name"], a["last_name"], a["username"]),
                text=a["text"],
            )
            for a in row["amendment_rows"] or ()
        ),
        zone_names=row["zone_names"] or {},
    )


class ReviewLoader:
    """What `get_intake_for_user(queryset=...)` asks of a queryset, `get(pk=...)`, loading the
    whole review with the intake: the access check stays the helper's, and `review` holds
    what was loaded."""

    review: Review | None = None

    def get(self, *, pk: int) -> Intake:
        self.review = load_review(pk)
        return self.review.intake
