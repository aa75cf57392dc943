"""The progress page's long tables, written in Python rather than by the template language.

A client with 100 sessions has a findings grid of some 800 cells and tables of a hundred rows;
through the template language they took most of the page's 80 ms of rendering. The markup is
what `treatments/progress.html` wrote inline, cell for cell; every value is escaped as the
template's autoescaping did, and dates are formatted with the template's own `date` formats.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinic.markup import date_formatter, url_maker
from treatments.models import Finding, Session


def _session_url(client_id: int):
    return url_maker("treatments:session_detail", client_id)


def findings_grid(columns: list[Session], rows: Iterable, client_id: int) -> SafeString:
    """The `<thead>` and `<tbody>` of the trigger-point grid: a column per session with
    findings, a row per muscle, point and side (`progress.FindingRow`)."""
    url = _session_url(client_id)
    day = date_formatter("j M")
    head = "".join(
        f'<th scope="col" class="rotate"><a href="{url(s.pk)}">{day(s.local_start.date())}</a></th>'
        for s in columns
    )
    parts = [f'<thead><tr><th scope="col">Muscle, point, side</th>{head}</tr></thead>\n<tbody>']
    cells: dict[tuple, str] = {}
    for row in rows:
        parts.append(f'\n<tr><th scope="row" class="fw-normal">{escape(row.label)}</th>')
        for finding in row.cells:
            parts.append(_cell(finding, cells))
        parts.append("</tr>")
    parts.append("\n</tbody>")
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above)


def _cell(finding: Finding | None, cells: dict[tuple, str]) -> str:
    if finding is None:
        return '<td class="state-cell"></td>'
    key = (finding.state, finding.tenderness)
    if key not in cells:
        shown = finding.get_state_display()
        tenderness = "" if finding.tenderness is None else escape(finding.tenderness)
        cells[key] = (
            f'<td class="state-cell state-{escape(finding.state)}"><abbr title="{escape(shown)}">'
            f"{escape(shown[:1])}</abbr>{tenderness}</td>"
        )
    return cells[key]


def pain_zone_rows(table: list[dict]) -> SafeString:
    """The rows of the pain-per-zone table: zone (on its first row), date, pain."""
    day = date_formatter("j M Y")
    parts = []
    for row in table:
        label = escape(row["label"])
        for number, (when, value) in enumerate(row["points"]):
            parts.append(
                f"<tr><td>{label if number == 0 else ''}</td><td>{day(when)}</td>"
                f"<td>{escape(value)}</td></tr>"
            )
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above)


def session_pain_rows(sessions: list[Session], client_id: int) -> SafeString:
    """The rows of the pain before/after table, each session's date a link to it."""
    url = _session_url(client_id)
    day = date_formatter("j M Y")
    return mark_safe(  # noqa: S308 (values escaped below)
        "".join(
            f'<tr><td><a href="{url(s.pk)}">{day(s.local_start.date())}</a></td>'
            f"<td>{_or_dash(s.pain_before)}</td><td>{_or_dash(s.pain_after)}</td></tr>"
            for s in sessions
        )
    )


def _or_dash(value) -> str:
    return "—" if value is None else escape(value)


def measure_rows(rows: list[tuple], unit: str = "") -> SafeString:
    """The rows of a measure table: date, score (with `unit`), change from the first."""
    day = date_formatter("j M Y")
    parts = []
    for measure, change in rows:
        if change:
            highlight = "mcid" if change.meaningful and change.improved else ""
            shown = f'<span class="{highlight}">{escape(change.label)}</span>'
        else:
            shown = "baseline"
        parts.append(
            f"<tr><td>{day(measure.measured_on)}</td>"
            f"<td>{escape(localize(measure.score.normalize()))}{unit}</td><td>{shown}</td></tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above)


def chart_table_rows(item: dict, client_id: int) -> SafeString:
    """The rows of the table beside a chart of `progress.build`, by the chart's id."""
    if item["id"] == "pain-zones":
        return pain_zone_rows(item["table"])
    if item["id"] == "pain-sessions":
        return session_pain_rows(item["sessions"], client_id)
    return measure_rows(item["rows"])
