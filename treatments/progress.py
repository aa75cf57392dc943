"""A client's progress: the series behind the charts, the findings grid and a plain summary.

Everything is read in a fixed number of queries, however many sessions the client has had.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from clinic.models import Client
from intake.models import IntakeStatus, PainReport
from treatments import charts
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


def _sessions_between(sessions: list, first: date, last: date) -> int:
    return sum(
        1
        for s in sessions
        if s.status == SessionStatus.COMPLETED and first <= s.local_start.date() <= last
    )


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
    text); rows of plain values cost a fraction of that. `local_start` is localised once."""

    __slots__ = ("assessment", "local_start", "pain_after", "pain_before", "pk", "status")

    def __init__(self, pk, starts_at, status, pain_before, pain_after, assessment):
        self.pk = pk
        self.status = status
        self.pain_before = pain_before
        self.pain_after = pain_after
        self.assessment = assessment
        self.local_start = timezone.localtime(starts_at)

    @property
    def id(self) -> int:
        return self.pk


class FindingCell(NamedTuple):
    """One finding of the grid: its state (with `get_state_display`) and tenderness."""

    session_id: int
    state: str
    tenderness: int | None

    def get_state_display(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


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


def build(client: Client) -> Progress:
    today = timezone.localdate()
    now = timezone.now()
    sessions = [
        SessionRow(*row)
        for row in Session.objects.filter(client=client)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", "starts_at", "status", "pain_before", "pain_after", "assessment")
    ]
    past = [s for s in sessions if s.local_start <= now]
    measures = [
        MeasureRow._make(row)
        for row in OutcomeMeasure.objects.filter(client=client)
        .order_by("measured_on", "id")
        .values_list("id", "kind", "score", "measured_on", "zone_id", "zone__name")
    ]
    pain_reports = (
        PainReport.objects.filter(intake__client=client)
        .exclude(intake__status=IntakeStatus.DRAFT)
        .order_by("intake__submitted_at", "zone__position")
        .values_list(
            "intake__submitted_at", "intake__created_at", "zone__name", "side", "intensity"
        )
    )
    findings = (
        Finding.objects.filter(session__client=client)
        .exclude(session__status=SessionStatus.CANCELLED)
        .order_by("session__starts_at", "position")
        .values_list(
            "session_id",
            "state",
            "tenderness",
            "muscle__name",
            "trigger_point_id",
            "trigger_point__label",
            "side",
        )
    )
    episodes = list(SurgeryEpisode.objects.filter(client=client).order_by("date", "id"))
    plans = list(TreatmentPlan.objects.filter(client=client).order_by("start_date", "id"))

    markers = [
        charts.Marker(e.date, f"Surgery: {e.procedure}", "surgery") for e in episodes if e.date
    ] + [charts.Marker(p.review_date, "Plan review", "review") for p in plans if p.review_date]

    progress = Progress(client=client, sessions=sessions, summary=[], episodes=episodes)
    progress.plans = plans

    # Pain per zone: the intake's pain reports, then NPRS ratings of a zone.
    zone_points: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for submitted_at, created_at, zone, side, intensity in pain_reports:
        place = zone if side == Side.BOTH else f"{zone}, {side}"  # PainReport.place
        when = timezone.localtime(submitted_at or created_at).date()
        zone_points[place].append((when, intensity))
    for measure in measures:
        if measure.kind == MeasureKind.NPRS and measure.zone_id:
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
    before = [(s.local_start.date(), s.pain_before) for s in past if s.pain_before is not None]
    after = [(s.local_start.date(), s.pain_after) for s in past if s.pain_after is not None]
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
        rows = [m for m in measures if m.kind == kind]
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
    overall_nprs = [m for m in measures if m.kind == MeasureKind.NPRS and not m.zone_id]
    progress.measure_tables["nprs"] = with_changes(overall_nprs)

    # Findings grid: one row per muscle, point and side; one column per session with findings.
    session_ids: dict[int, int] = {}  # session id: its column, in the order first seen
    by_key: dict[tuple, dict[int, FindingCell]] = defaultdict(dict)
    labels: dict[tuple, str] = {}
    for session_id, state, tenderness, muscle, point_id, point, side in findings:
        session_ids.setdefault(session_id, len(session_ids))
        key = (muscle, point_id or 0, side)
        by_key[key][session_id] = FindingCell(session_id, state, tenderness)
        if key not in labels:
            labels[key] = _finding_place(muscle, point, side)
    by_id = {s.pk: s for s in sessions}
    progress.finding_columns = [by_id[pk] for pk in session_ids if pk in by_id]
    progress.finding_rows = [
        FindingRow(labels[key], [by_key[key].get(s.pk) for s in progress.finding_columns])
        for key in sorted(by_key)
    ]

    # Summary in plain words.
    summary = progress.summary
    for name, points in zone_points.items():
        points = sorted(points)
        if len(points) > 1:
            count = _sessions_between(sessions, points[0][0], points[-1][0])
            summary.append(trend_sentence(f"{name} pain", points[0][1], points[-1][1], count))
    if len(before) > 1:
        summary.append(
            trend_sentence(
                "Pain before treatment",
                before[0][1],
                before[-1][1],
                _sessions_between(sessions, before[0][0], before[-1][0]),
            )
        )
    for kind in (MeasureKind.PSFS, MeasureKind.LEFS):
        rows = [m for m in measures if m.kind == kind]
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
