"""A client's progress: the series behind the charts, the findings grid and a plain summary.

Everything is read in a fixed number of queries, however many sessions the client has had.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import models
from django.db.models import F, FloatField, Func, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from clinic.access import CLIENT_ROW, get_client_with_row
from clinic.models import Client
from clinic.prepared import prepared
from intake.models import IntakeStatus, PainReport
from treatments import charts
from treatments.access import CLINICAL, require
from treatments.measures import MEASURES, change_from, with_changes
from treatments.models import (
    Finding,
    FindingState,
    MeasureKind,
    OutcomeMeasure,
    Session,
    SessionStatus,
    Side,
    SurgeryEpisode,
    TreatmentPlan,
    surgery_phase,
)

STATE_ORDER = {FindingState.ACTIVE: 0, FindingState.LATENT: 1, FindingState.RESOLVED: 2}


@dataclass
class FindingRow:
    label: str
    cells: list  # one FindingCell or None per session column


@dataclass
class Progress:
    client: Client
    sessions: list  # SessionRow, in time order
    summary: list[str]
    charts: list[dict] = field(default_factory=list)
    finding_columns: list = field(default_factory=list)
    finding_rows: list[FindingRow] = field(default_factory=list)
    measure_tables: dict = field(default_factory=dict)
    episodes: list[SurgeryEpisode] = field(default_factory=list)
    plans: list[TreatmentPlan] = field(default_factory=list)


def _num(value) -> str:
    value = Decimal(value)
    return f"{value.normalize():f}" if value != value.to_integral() else str(int(value))


def _sessions_between(completed_days: list[date], first: date, last: date) -> int:
    """How many of the completed sessions' days (in order) fall from `first` to `last`."""
    return max(0, bisect_right(completed_days, last) - bisect_left(completed_days, first))


def trend_sentence(label: str, first, last, sessions: int, *, higher_is_better=False) -> str:
    """ "Heel pain down from 7 to 3 over 5 sessions"."""
    first, last = Decimal(first), Decimal(last)
    if last == first:
        text = f"{label} unchanged at {_num(last)}"
    else:
        direction = "down" if last < first else "up"
        text = f"{label} {direction} from {_num(first)} to {_num(last)}"
    if sessions:
        text += f" over {sessions} session{'s' if sessions != 1 else ''}"
    return text


class SessionRow:
    """The columns of a session the progress page, its report and letters read.

    A client with 100 sessions and 190 findings made ~850 model instances (with every note's
    text); rows of plain values cost a fraction of that. `local_start` is localised once, and
    `local_day` is its date."""

    __slots__ = ("local_day", "local_start", "pain_after", "pain_before", "pk", "status")

    def __init__(self, pk, local_start, status, pain_before, pain_after):
        self.pk = pk
        self.status = status
        self.pain_before = pain_before
        self.pain_after = pain_after
        self.local_start = local_start
        self.local_day = local_start.date()

    @property
    def id(self) -> int:
        return self.pk


class FindingCell(NamedTuple):
    """One finding of the grid: its state (with `get_state_display`) and tenderness. Equal
    cells are one object (`finding_cell`): a grid of a hundred sessions has some 200 findings
    and a dozen different cells."""

    state: str
    tenderness: int | None

    def get_state_display(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


_CELLS: dict[tuple, FindingCell] = {}


def finding_cell(state: str, tenderness: int | None) -> FindingCell:
    key = (state, tenderness)
    cell = _CELLS.get(key)
    if cell is None:
        cell = _CELLS[key] = FindingCell(state, tenderness)
    return cell


class MeasureRow(NamedTuple):
    """The columns of an outcome measure the charts and tables read."""

    pk: int
    kind: str
    score: Decimal
    measured_on: date
    zone_id: int | None
    zone_name: str | None


STATE_LABELS = {state.value: str(state.label) for state in FindingState}


def _finding_place(muscle: str, point: str | None, side: str) -> str:
    """`Finding.place` from the columns: muscle, point and side (unless both)."""
    parts = [muscle, point or "", "" if side == Side.BOTH else side]
    return ", ".join(part for part in parts if part)


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (UTC), a float: a number reads back some twenty times
    faster than a `timestamptz` through Django's loader, JSON carries it as it is, and
    PostgreSQL works it out faster than a numeric. A double holds today's seconds to a fraction
    of a microsecond, so `from_epoch` gives back the microseconds too."""

    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()


def from_epoch(seconds: float, zone=UTC) -> datetime:
    """The aware datetime of `EpochSeconds`, in `zone` (as `timezone.localtime`)."""
    return datetime.fromtimestamp(seconds, zone)


class JSONRows(Subquery):
    """A queryset's rows as one JSON array of arrays, in the queryset's order.

    Each query of a request costs some 0.5 ms of CPU here in the round trip alone, more than
    PostgreSQL spends on these; the progress page's six lists come back as the six columns
    of one row instead (`read`)."""

    template = "array_to_json(ARRAY(%(subquery)s))"

    def __init__(self, queryset, columns):
        row = Func(*columns, function="json_build_array", output_field=TextField())
        super().__init__(queryset.values_list(row), output_field=TextField())


def _optional(decode):
    return lambda value: None if value is None else decode(value)


_DATE = _optional(date.fromisoformat)
_DATETIME = _optional(from_epoch)
_DECIMAL = _optional(Decimal)
# Columns JSON carries as the ORM gives them: numbers, text, booleans and nulls.
_NATIVE = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.IntegerField,
    models.TextField,
)


def _model_columns(model) -> tuple:
    """(column, decoder) for every concrete field of `model`: what `from_db` takes, in JSON."""
    columns = []
    for column in model._meta.concrete_fields:
        target = column.target_field if column.is_relation else column
        if isinstance(target, models.DateTimeField):
            columns.append((EpochSeconds(column.attname), _DATETIME))
        elif isinstance(target, models.DateField):
            columns.append((F(column.attname), _DATE))
        elif isinstance(target, models.DecimalField):
            columns.append((Cast(column.attname, TextField()), _DECIMAL))
        elif isinstance(target, _NATIVE):
            columns.append((F(column.attname), None))
        else:  # a new kind of field: say so rather than give the wrong type
            raise TypeError(f"progress reads: no JSON decoder for {column!r}")
    return tuple(columns)


@dataclass(frozen=True)
class Read:
    """One list `build` reads: its rows (filtered and ordered), the columns of each row, and
    how to turn each JSON value back into what the ORM gives (None: as it is)."""

    rows: Callable[[int], QuerySet]
    columns: Callable[[], tuple]  # (field name or expression, decoder or None), fresh each call

    def json(self, client_id) -> JSONRows:
        return JSONRows(self.rows(client_id), [column for column, _ in self.columns()])

    def decoders(self) -> list[tuple[int, Callable]]:
        return [(i, decode) for i, (_, decode) in enumerate(self.columns()) if decode]


SESSIONS = Read(
    lambda client_id: (
        Session.objects.filter(client_id=client_id)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at", "id")
    ),
    lambda: (
        ("id", None),
        (EpochSeconds("starts_at"), None),
        ("status", None),
        ("pain_before", None),
        ("pain_after", None),
    ),
)
MEASURES_READ = Read(
    lambda client_id: OutcomeMeasure.objects.filter(client_id=client_id).order_by(
        "measured_on", "id"
    ),
    lambda: (
        ("id", None),
        ("kind", None),
        (Cast("score", TextField()), _DECIMAL),
        ("measured_on", _DATE),
        ("zone_id", None),
        ("zone__name", None),
    ),
)
PAIN_REPORTS = Read(
    lambda client_id: (
        PainReport.objects.filter(intake__client_id=client_id)
        .exclude(intake__status=IntakeStatus.DRAFT)
        .order_by("intake__submitted_at", "zone__position")
    ),
    lambda: (
        (EpochSeconds(Coalesce("intake__submitted_at", "intake__created_at")), None),
        ("zone__name", None),
        ("side", None),
        ("intensity", None),
    ),
)
FINDINGS = Read(
    # One row per muscle, point and side (a row of the grid), with its findings as three
    # lists in step: session ids, states, tenderness (at most one finding a session:
    # `finding_one_per_point_side`). Read from the finding's own client column (index
    # `finding_client`, every column in it), not through each session: `build` leaves out
    # those of cancelled sessions. Three `array_agg`s cost PostgreSQL less than one JSON
    # array a finding.
    lambda client_id: (
        Finding.objects.filter(client_id=client_id)
        .values("muscle__name", "trigger_point_id", "trigger_point__label", "side")
        .order_by()
    ),
    lambda: (
        ("muscle__name", None),
        ("trigger_point_id", None),
        ("trigger_point__label", None),
        ("side", None),
        (ArrayAgg("session_id"), None),
        (ArrayAgg("state"), None),
        (ArrayAgg("tenderness"), None),
    ),
)
EPISODES = Read(
    lambda client_id: SurgeryEpisode.objects.filter(client_id=client_id).order_by("date", "id"),
    lambda: _model_columns(SurgeryEpisode),
)
PLANS = Read(
    lambda client_id: TreatmentPlan.objects.filter(client_id=client_id).order_by(
        "start_date", "id"
    ),
    lambda: _model_columns(TreatmentPlan),
)
READS = (SESSIONS, MEASURES_READ, PAIN_REPORTS, FINDINGS, EPISODES, PLANS)
_DECODERS = {read: read.decoders() for read in READS}


@prepared
def _read_all(*, client_id):
    return Client.objects.filter(pk=client_id).values_list(
        *CLIENT_ROW, *(read.json(client_id) for read in READS)
    )


def _decoded(columns) -> dict[Read, list]:
    """The lists of `READS` from their JSON columns, rows as the ORM's `values_list()` gives
    them (lists rather than tuples); empty lists for no columns (no such client)."""
    result = {}
    for item, rows in zip(READS, columns or [[] for _ in READS], strict=True):
        decoders = _DECODERS[item]
        if decoders:
            for row in rows:
                for index, decode in decoders:
                    row[index] = decode(row[index])
        result[item] = rows
    return result


def read(client_id: int) -> dict[Read, list]:
    """Every list of `READS` for a client, in one query."""
    found = _read_all(client_id=client_id)
    return _decoded(found[0][len(CLIENT_ROW) :] if found else None)


def client_and_lists(user, client_pk) -> tuple[Client, dict[Read, list]]:
    """The client, as `get_client_for_clinical(user, client_pk)` gives it (the same 403 and
    404), and its lists for `build`, in one query: a round trip costs more than reading the
    client's columns alongside the lists."""
    require(user, CLINICAL)
    client, columns = get_client_with_row(user, client_pk, lambda pk: _read_all(client_id=pk))
    return client, _decoded(columns)


def _instances(model, rows: list) -> list:
    """Model instances from rows of all their columns, as the queryset would have made."""
    names = tuple(f.attname for f in model._meta.concrete_fields)
    db = model.objects.db
    return [model.from_db(db, names, row) for row in rows]


def build(client: Client, lists: dict[Read, list] | None = None) -> Progress:
    """The progress of `client`, from its `lists` (`client_and_lists`) or read now."""
    today = timezone.localdate()
    now = timezone.now()
    local = timezone.get_current_timezone()
    rows = read(client.pk) if lists is None else lists
    now_seconds = now.timestamp()
    sessions, past, completed_days = [], [], []
    for pk, start, status, pain_before, pain_after in rows[SESSIONS]:
        session = SessionRow(pk, from_epoch(start, local), status, pain_before, pain_after)
        sessions.append(session)
        if start <= now_seconds:
            past.append(session)
        if status == SessionStatus.COMPLETED:
            completed_days.append(session.local_day)
    measures = [MeasureRow._make(row) for row in rows[MEASURES_READ]]
    by_kind: dict[str, list[MeasureRow]] = defaultdict(list)  # each kind in date order
    for measure in measures:
        by_kind[measure.kind].append(measure)
    pain_reports = rows[PAIN_REPORTS]
    findings = rows[FINDINGS]
    episodes = _instances(SurgeryEpisode, rows[EPISODES])
    plans = _instances(TreatmentPlan, rows[PLANS])

    markers = [
        charts.Marker(e.date, f"Surgery: {e.procedure}", "surgery") for e in episodes if e.date
    ] + [charts.Marker(p.review_date, "Plan review", "review") for p in plans if p.review_date]

    progress = Progress(client=client, sessions=sessions, summary=[], episodes=episodes)
    progress.plans = plans

    # Pain per zone: the intake's pain reports, then NPRS ratings of a zone.
    zone_points: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for submitted, zone, side, intensity in pain_reports:
        place = zone if side == Side.BOTH else f"{zone}, {side}"  # PainReport.place
        when = from_epoch(submitted, local).date()
        zone_points[place].append((when, intensity))
    for measure in by_kind[MeasureKind.NPRS]:
        if measure.zone_id:
            zone_points[measure.zone_name].append((measure.measured_on, int(measure.score)))
    zone_series = [charts.Series(name, sorted(points)) for name, points in zone_points.items()]
    progress.charts.append(
        {
            "id": "pain-zones",
            "chart": charts.Chart(
                "Pain per zone (0 to 10)", zone_series, 10, 2, markers, "pain", True
            ),
            "table": [
                {"label": s.name, "points": [(d, v) for d, v in s.points]} for s in zone_series
            ],
        }
    )

    # Pain before and after each session.
    past_days = [(s.local_day, s) for s in past]
    before = [(day, s.pain_before) for day, s in past_days if s.pain_before is not None]
    after = [(day, s.pain_after) for day, s in past_days if s.pain_after is not None]
    progress.charts.append(
        {
            "id": "pain-sessions",
            "chart": charts.Chart(
                "Pain before and after each session (0 to 10)",
                [
                    charts.Series("Before", before, "#c0392b"),
                    charts.Series("After", after, "#3a8d5c", dashed=True),
                ],
                10,
                2,
                markers,
                "pain",
                True,
            ),
            "sessions": [s for s in past if s.pain_before is not None or s.pain_after is not None],
        }
    )

    # Function: PSFS (0-10) and LEFS (0-80), each against its own scale.
    for kind, step in ((MeasureKind.PSFS, 2), (MeasureKind.LEFS, 10)):
        info = MEASURES[kind]
        rows = by_kind[kind]
        progress.measure_tables[kind.value] = with_changes(rows)
        progress.charts.append(
            {
                "id": kind.value,
                "kind": kind.value,
                "chart": charts.Chart(
                    f"{info.short} (0 to {info.maximum}, higher is better)",
                    [charts.Series(info.short, [(m.measured_on, float(m.score)) for m in rows])],
                    info.maximum,
                    step,
                    markers,
                    info.short,
                ),
                "rows": progress.measure_tables[kind.value],
            }
        )
    overall_nprs = [m for m in by_kind[MeasureKind.NPRS] if not m.zone_id]
    progress.measure_tables["nprs"] = with_changes(overall_nprs)

    # Findings grid: one row per muscle, point and side; one column per session with findings.
    by_key: dict[tuple, dict[int, FindingCell]] = {}  # session id: cell
    labels: dict[tuple, str] = {}
    shown = {s.pk for s in sessions}  # not cancelled
    for muscle, point_id, point, side, session_ids, states, tenderness in findings:
        row = {
            session_id: finding_cell(state, tender)
            for session_id, state, tender in zip(session_ids, states, tenderness, strict=True)
            if session_id in shown
        }
        if row:
            key = (muscle, point_id or 0, side)
            by_key[key] = row
            labels[key] = _finding_place(muscle, point, side)
    found = set().union(*by_key.values())
    progress.finding_columns = [s for s in sessions if s.pk in found]
    column_ids = [s.pk for s in progress.finding_columns]
    progress.finding_rows = [
        FindingRow(labels[key], list(map(by_key[key].get, column_ids))) for key in sorted(by_key)
    ]
    session_ids = {pk: column for column, pk in enumerate(column_ids)}

    # Summary in plain words.
    summary = progress.summary
    for name, points in zone_points.items():
        points = sorted(points)
        if len(points) > 1:
            count = _sessions_between(completed_days, points[0][0], points[-1][0])
            summary.append(trend_sentence(f"{name} pain", points[0][1], points[-1][1], count))
    if len(before) > 1:
        summary.append(
            trend_sentence(
                "Pain before treatment",
                before[0][1],
                before[-1][1],
                _sessions_between(completed_days, before[0][0], before[-1][0]),
            )
        )
    for kind in (MeasureKind.PSFS, MeasureKind.LEFS):
        rows = by_kind[kind]
        if len(rows) > 1:
            info = MEASURES[kind]
            change = change_from(kind, rows[0].score, rows[-1].score)
            text = trend_sentence(info.short, rows[0].score, rows[-1].score, 0)
            text += (
                f" ({'a meaningful' if change.meaningful else 'not yet a meaningful'} change; "
                f"{_num(info.mcid)} points matter)"
            )
            summary.append(text)
    if by_key:
        latest = defaultdict(int)
        for cells in by_key.values():
            last = cells[max(cells, key=session_ids.__getitem__)]
            latest[last.state] += 1
        total = sum(latest.values())
        summary.append(
            f"Of {total} trigger point{'s' if total != 1 else ''} found, "
            f"{latest[FindingState.RESOLVED]} resolved, {latest[FindingState.LATENT]} latent "
            f"and {latest[FindingState.ACTIVE]} still active at the last check"
        )
    for episode in episodes:
        if episode.date:
            summary.append(
                f"Today: {surgery_phase(episode.date, today)} ({episode.title}, "
                f"{episode.date.day} {episode.date:%B %Y})"
            )
    return progress
