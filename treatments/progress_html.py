"""The progress page's long tables, written in Python rather than by the template language.

A client with 100 sessions has a findings grid of some 800 cells and tables of a hundred rows;
through the template language they took most of the page's 80 ms of rendering. The markup is
what `treatments/progress.html` wrote inline, cell for cell; every value is escaped as the
template's autoescaping did, and dates are formatted with the template's own `date` formats.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import numberformat, timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from clinic.markup import date_formatter
from clinic.markup import text_escape as escape
from treatments import charts
from treatments.models import Finding
from treatments.progress import SessionRow

# Ids no row has, standing for the arguments in a URL reversed once (`_url`).
_PLACEHOLDERS = (918273645546372819, 918273645546372817)
_URL_FORMATS: dict[tuple, str] = {}


def _url_format(viewname: str, count: int) -> str:
    """`reverse(viewname, args=…)` of `count` arguments as an escaped format string, each
    pattern reversed once per process and script prefix (a reverse costs some 50 µs)."""
    key = (viewname, count, get_script_prefix(), get_urlconf())
    pattern = _URL_FORMATS.get(key)
    if pattern is None:
        path = escape(reverse(viewname, args=_PLACEHOLDERS[:count]))
        pattern = path.replace("{", "{{").replace("}", "}}")
        for placeholder in _PLACEHOLDERS[:count]:
            pattern = pattern.replace(str(placeholder), "{}", 1)
        _URL_FORMATS[key] = pattern
    return pattern


def _url(viewname: str, *args) -> str:
    """`reverse(viewname, args=args)`, escaped, for ids and slugs (nothing to escape)."""
    return _url_format(viewname, len(args)).format(*args)


def _session_url(client_id: int):
    pattern = _url_format("treatments:session_detail", 2)
    return lambda pk: pattern.format(client_id, pk)


_DAY_FORMATTERS: dict[tuple, Callable] = {}


@functools.lru_cache(maxsize=8192)
def _day_text(fmt: str, language: str, day) -> str:
    """`clinic.markup.date_formatter(fmt)(day)` in `language` (the active one when called), as
    a plain str: the page writes some 250 dates, most of them again on every request."""
    key = (fmt, language)
    if key not in _DAY_FORMATTERS:  # made once: it translates the twelve month names
        _DAY_FORMATTERS[key] = date_formatter(fmt)
    return str(_DAY_FORMATTERS[key](day))


def _day(fmt: str) -> Callable:
    """The template filter `|date:fmt` for dates, escaped, in the active language."""
    language = get_language()
    return lambda day: _day_text(fmt, language, day)


def findings_grid(columns: list[SessionRow], rows: list, client_id: int) -> SafeString:
    """The `<thead>` and `<tbody>` of the trigger-point grid: a column per session with
    findings, a row per muscle, point and side (`progress.FindingRow`)."""
    url = _session_url(client_id)
    day = _day("j M")
    head = "".join(
        [
            f'<th scope="col" class="rotate"><a href="{url(s.pk)}">{day(s.local_day)}</a></th>'
            for s in columns
        ]
    )
    parts = [f'<thead><tr><th scope="col">Muscle, point, side</th>{head}</tr></thead>\n<tbody>']
    # Each finding's cell, written once for each state and tenderness; then the rows are
    # joined by lookups alone (a hundred-session grid has some 900 cells, 200 findings).
    by_state: dict[tuple, str] = {}
    cells: dict = {None: '<td class="state-cell"></td>'}
    for finding in set().union(*(row.cells for row in rows)):
        if finding is not None:
            key = (finding.state, finding.tenderness)
            if key not in by_state:
                by_state[key] = _cell(finding)
            cells[finding] = by_state[key]
    td = cells.__getitem__
    parts.extend(
        f'\n<tr><th scope="row" class="fw-normal">{escape(row.label)}</th>'
        f"{''.join(map(td, row.cells))}</tr>"
        for row in rows
    )
    parts.append("\n</tbody>")
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above)


def _cell(finding: Finding) -> str:
    shown = finding.get_state_display()
    tenderness = "" if finding.tenderness is None else escape(finding.tenderness)
    return (
        f'<td class="state-cell state-{escape(finding.state)}"><abbr title="{escape(shown)}">'
        f"{escape(shown[:1])}</abbr>{tenderness}</td>"
    )


def pain_zone_rows(table: list[dict]) -> SafeString:
    """The rows of the pain-per-zone table: zone (on its first row), date, pain."""
    day = _day("j M Y")
    parts = []
    for row in table:
        label = escape(row["label"])
        for number, (when, value) in enumerate(row["points"]):
            parts.append(
                f"<tr><td>{label if number == 0 else ''}</td><td>{day(when)}</td>"
                f"<td>{escape(value)}</td></tr>"
            )
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above)


def session_pain_rows(sessions: list[SessionRow], client_id: int) -> SafeString:
    """The rows of the pain before/after table, each session's date a link to it."""
    url = _session_url(client_id)
    day = _day("j M Y")
    shown = _PAIN_SHOWN
    return mark_safe(  # noqa: S308 (values escaped below)
        "".join(
            [
                f'<tr><td><a href="{url(s.pk)}">{day(s.local_day)}</a></td>'
                f"<td>{shown.get(s.pain_before) or _or_dash(s.pain_before)}</td>"
                f"<td>{shown.get(s.pain_after) or _or_dash(s.pain_after)}</td></tr>"
                for s in sessions
            ]
        )
    )


def _or_dash(value) -> str:
    return "—" if value is None else escape(value)


_PAIN_SHOWN = {value: _or_dash(value) for value in (None, *range(11))}  # 0 to 10, or a dash


def _number_formatter() -> Callable:
    """`django.utils.formats.localize` for numbers, with the active language's separators
    looked up once rather than for every number (what `formats.number_format` does)."""
    language = get_language()
    separator, grouping, thousands = (
        get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )
    return lambda value: numberformat.format(
        value, separator, None, grouping, thousands, force_grouping=False, use_l10n=True
    )


def measure_rows(rows: list[tuple], unit: str = "") -> SafeString:
    """The rows of a measure table: date, score (with `unit`), change from the first."""
    day = _day("j M Y")
    localize = _number_formatter()
    scores: dict[str, str] = {}  # localised once per score shown (they repeat)
    # and each change, by identity (`measures.with_changes` shares equal ones)
    changes: dict[int, str] = {id(None): "baseline"}
    parts = []
    for measure, change in rows:
        shown = changes.get(id(change))
        if shown is None:
            highlight = "mcid" if change.meaningful and change.improved else ""
            shown = changes[id(change)] = f'<span class="{highlight}">{escape(change.label)}</span>'
        key = str(measure.score)
        if key not in scores:
            scores[key] = escape(localize(measure.score.normalize()))
        parts.append(
            f"<tr><td>{day(measure.measured_on)}</td>"
            f"<td>{scores[key]}{unit}</td><td>{shown}</td></tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 (values escaped above)


def chart_table_rows(item: dict, client_id: int) -> SafeString:
    """The rows of the table beside a chart of `progress.build`, by the chart's id."""
    if item["id"] == "pain-zones":
        return pain_zone_rows(item["table"])
    if item["id"] == "pain-sessions":
        return session_pain_rows(item["sessions"], client_id)
    return measure_rows(item["rows"])


# The page: what the content block of treatments/progress.html wrote, text for text.

_NOT_ENOUGH = (
    '<p class="text-secondary mb-0">Not enough recorded yet to show a change: pain scores, '
    "findings and outcome measures appear here as sessions are logged.</p>"
)
_CAPTION = '<table class="table table-sm"><caption>The numbers in the chart'
_TABLE_HEADS = {
    "pain-zones": f'{_CAPTION}</caption><thead><tr><th scope="col">Zone</th>'
    '<th scope="col">Date</th><th scope="col">Pain</th></tr></thead>\n      ',
    "pain-sessions": f'{_CAPTION}</caption><thead><tr><th scope="col">Session</th>'
    '<th scope="col">Before</th><th scope="col">After</th></tr></thead>\n      ',
}
_MEASURE_HEAD = (
    f'{_CAPTION}; change from the first</caption><thead><tr><th scope="col">Date</th>'
    '<th scope="col">Score</th><th scope="col">Change</th></tr></thead>\n      '
)
_FINDINGS_KEY = (
    '<p class="small text-secondary"><span class="badge state-active">A</span> active · '
    '<span class="badge state-latent">L</span> latent · <span class="badge state-resolved">'
    "R</span> resolved · blank: not examined. Tenderness 0–3 after the letter.</p>"  # noqa: RUF001
)


_MEASURE = "treatments:measure_create"
_SURGERY = "treatments:surgery_detail"  # SurgeryEpisode.get_absolute_url
_PLAN = "treatments:plan_detail"  # TreatmentPlan.get_absolute_url


def page_parts(client, progress, *, can_record: bool) -> list[str]:
    """The progress page's content (`progress.build`'s `Progress` of `client`): breadcrumb,
    summary, a card a chart with its table, the NPRS table, the findings grid, surgery and
    plans, in pieces, each escaped: `treatments/progress.html` puts them in the response as
    chunks of their own (`clinic.markup.render_with_parts`), not joined into one string."""
    name = escape(client.full_name)
    client_url = _url("client_detail", client.pk)
    born = _day("j F Y")
    today = born(timezone.localdate())  # {% now "j F Y" %}: day, month and year only
    out = [
        '\n<nav aria-label="breadcrumb" class="no-print"><ol class="breadcrumb mb-1">'
        f'<li class="breadcrumb-item"><a href="{client_url}">{name}</a></li>'
        '<li class="breadcrumb-item active" aria-current="page">Progress</li></ol></nav>\n'
        '<div class="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3">\n'
        "  <div>\n"
        f'    <h1 class="mb-1">Progress: {name}</h1>\n'
        f'    <p class="text-secondary mb-0">Born {born(client.date_of_birth)} · printed '
        f"{today}</p>\n"
        "  </div>\n"
        '  <div class="d-flex gap-2 no-print">\n'
        '    <a class="btn btn-outline-primary" href="'
        f'{_url("treatments:progress_report", client.pk)}">Print report</a>\n'
        "  "
    ]
    if can_record and not client.is_archived:
        out.append(
            "".join(
                '\n    <a class="btn btn-outline-secondary" '
                f'href="{_url(_MEASURE, client.pk, kind)}">Record {kind.upper()}</a>'
                for kind in ("nprs", "psfs", "lefs")
            )
            + "\n  "
        )
    out.append(
        "\n  </div>\n</div>\n"
        '<section class="card mb-4" aria-labelledby="summary-h"><div class="card-body">\n'
        '  <h2 class="h5" id="summary-h">Summary</h2>\n  '
    )
    if progress.summary:
        lines = "".join(f"<li>{escape(line)}.</li>" for line in progress.summary)
        out.append(f'\n  <ul class="progress-summary mb-0">{lines}</ul>\n  ')
    else:
        out.append(_NOT_ENOUGH)
    out.append("\n</div></section>\n\n")
    for item in progress.charts:
        out += _chart_card(item, client.pk)
    out.append("\n\n")
    nprs = progress.measure_tables.get("nprs", [])
    if nprs:
        out.append(
            '\n<section class="card mb-4 chart-card" aria-labelledby="nprs-h">'
            '<div class="card-body">\n'
            '  <h2 class="h5" id="nprs-h">NPRS, overall pain</h2>\n'
            '  <table class="table table-sm narrow-form mb-0"><thead><tr><th scope="col">Date'
            '</th><th scope="col">Pain</th><th scope="col">Change</th></tr></thead>\n'
            f"  <tbody>{measure_rows(nprs, unit='/10')}</tbody></table>\n"
            "</div></section>\n"
        )
    out.append(
        "\n\n"
        '<section class="card mb-4 chart-card" aria-labelledby="findings-h">'
        '<div class="card-body">\n'
        '  <h2 class="h5" id="findings-h">Trigger points across sessions</h2>\n  '
    )
    if progress.finding_rows:
        out += (
            f"\n  {_FINDINGS_KEY}\n"
            '  <div class="table-responsive">\n'
            '  <table class="table table-sm table-bordered findings-grid mb-0">\n'
            "    \n    ",
            findings_grid(progress.finding_columns, progress.finding_rows, client.pk),
            "\n  </table>\n  </div>\n  ",
        )
    else:
        out.append('<p class="text-secondary mb-0">No findings recorded yet.</p>')
    out.append(
        "\n</div></section>\n\n"
        '<div class="row g-4">\n'
        '  <section class="col-lg-6" aria-labelledby="timeline-h"><div class="card h-100">'
        '<div class="card-body">\n'
        '    <h2 class="h5" id="timeline-h">Surgery and plans</h2>\n'
        '    <ul class="list-unstyled mb-0">\n      '
    )
    out.append(_timeline(progress.episodes, progress.plans))
    out.append(
        "\n    </ul>\n"
        "  </div></div></section>\n"
        '  <section class="col-lg-6" aria-labelledby="sessions-h"><div class="card h-100">'
        '<div class="card-body">\n'
        '    <h2 class="h5" id="sessions-h">Sessions</h2>\n'
        f'    <p class="mb-0">{len(progress.sessions)} booked (not cancelled). '
        f'<a href="{client_url}#treatments-heading">See them on the client\'s page</a>.</p>\n'
        "  </div></div></section>\n"
        "</div>\n"
    )
    return out


def _chart_card(item: dict, client_id: int) -> tuple[str, ...]:
    """A chart's card in pieces: the drawing and its table's rows each a piece of its own (one
    character that is not ASCII, a dash in a table, would otherwise widen the drawing too)."""
    chart_id = escape(item["id"])
    chart = item["chart"]
    head = (
        f'\n<section class="card mb-4 chart-card" aria-labelledby="{chart_id}-h">'
        '<div class="card-body">\n'
        f'  <h2 class="h5" id="{chart_id}-h">{escape(chart.title)}</h2>\n  '
    )
    if not chart.has_data:
        return (f'{head}<p class="text-secondary mb-0">Nothing recorded yet.</p>{_CARD_END}',)
    return (
        f'{head}\n  <div class="row g-3">\n    <div class="col-lg-8">',
        charts.render_with_id(chart, f"chart-{item['id']}"),
        "\n"
        '      <p class="small text-secondary mb-0">Dashed red lines: surgery; grey: plan '
        "reviews.</p>\n"
        "    </div>\n"
        '    <div class="col-lg-4">\n'
        '      <div class="table-responsive">\n'
        f"      \n      {_TABLE_HEADS.get(item['id'], _MEASURE_HEAD)}<tbody>",
        chart_table_rows(item, client_id),
        "</tbody></table>\n      \n      </div>\n    </div>\n  </div>\n  " + _CARD_END,
    )


_CARD_END = "\n</div></section>\n"


def _timeline(episodes: list, plans: list) -> str:
    """The surgery episodes' and plans' `<li>`s (few: reversed one by one)."""
    day = _day("j M Y")
    surgery, items = [], []
    for episode in episodes:
        when = day(episode.date) if episode.date else "date not set"
        surgery.append(
            '<li class="mb-1"><span class="badge text-bg-danger">Surgery</span> '
            f'<a href="{_url(_SURGERY, episode.client_id, episode.pk)}">'
            f"{escape(episode.title)}</a>, "
            f"{when} ({escape(str(episode.get_status_display()).lower())})</li>"
        )
    for plan in plans:
        review = f", review {day(plan.review_date)}" if plan.review_date else ""
        items.append(
            '<li class="mb-1"><span class="badge text-bg-success">Plan</span> '
            f'<a href="{_url(_PLAN, plan.client_id, plan.pk)}">from {day(plan.start_date)}</a>'
            f"{review} ({escape(str(plan.get_status_display()).lower())})</li>"
        )
    none = "" if episodes or plans else '<li class="text-secondary">None.</li>'
    return f"{''.join(surgery)}\n      {''.join(items)}\n      {none}"
