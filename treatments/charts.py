"""Line charts as SVG, drawn on the server: no script, prints as it shows.

Each chart states its numbers in a data table beside it (the template's job); the SVG carries a
<title> and <desc> for screen readers and a <title> per point for a hover tooltip.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.safestring import SafeString, mark_safe

from clinic.markup import text_escape

PALETTE = ("#1f4e5f", "#d9822b", "#3a8d5c", "#8e44ad", "#c0392b", "#2c7fb8", "#7f6a00")
MARKER_COLOURS = {"surgery": "#c0392b", "review": "#6c757d", "plan": "#3a8d5c"}


@dataclass
class Series:
    name: str
    points: list[tuple[date, float]]
    colour: str = ""
    dashed: bool = False


@dataclass
class Marker:
    day: date
    label: str
    kind: str = "review"


@dataclass
class Chart:
    title: str
    series: list[Series]
    y_max: float
    y_step: float
    markers: list[Marker] = field(default_factory=list)
    y_label: str = ""
    lower_is_better: bool = False

    @property
    def has_data(self) -> bool:
        return any(s.points for s in self.series)


def _fmt(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


@functools.lru_cache(maxsize=4096)
def _long_day(day: date) -> str:
    """A tooltip's date, "07 Mar 2026" (strftime, as before: the process's locale)."""
    return f"{day:%d %b %Y}"


@functools.lru_cache(maxsize=4096)
def _tick_day(day: date) -> str:
    """An x tick's date, "7 Mar" (strftime, some 5 µs a call: the process's locale)."""
    return f"{day.day} {day:%b}"


@functools.lru_cache(maxsize=64)
def _grid(y_max: float, y_step: float, y_label: str, width: int, height: int) -> str:
    """The horizontal grid lines, y-axis numbers and label: the same for every chart of a
    scale, so written once per process."""
    left, right, top, bottom = _MARGINS
    plot_w, plot_h = width - left - right, height - top - bottom
    out = []
    value = 0.0
    while value <= y_max + 1e-9:
        gy = round(top + plot_h * (1 - value / y_max), 1)
        out.append(
            f'<line x1="{left}" y1="{gy}" x2="{left + plot_w}" y2="{gy}" stroke="#dee2e6" '
            f'stroke-width="1"/>'
            f'<text x="{left - 6}" y="{gy + 4}" text-anchor="end" fill="#495057">'
            f"{_fmt(value)}</text>"
        )
        value += y_step
    if y_label:
        out.append(
            f'<text x="12" y="{top + plot_h / 2}" transform="rotate(-90 12 {top + plot_h / 2})" '
            f'text-anchor="middle" fill="#495057">{text_escape(y_label)}</text>'
        )
    return "".join(out)


_MARGINS = (44, 16, 34, 34)  # left, right, top, bottom


def render(chart: Chart, *, width: int = 680, height: int = 260) -> SafeString:
    left, right, top, bottom = _MARGINS
    plot_w, plot_h = width - left - right, height - top - bottom
    # The first and last day: each series' points are (day, value), so their least and
    # greatest begin with their first and last day.
    days = [m.day for m in chart.markers]
    for series in chart.series:
        if series.points:
            days += (min(series.points)[0], max(series.points)[0])
    if not days:
        return mark_safe("")
    first, last = min(days), max(days)
    if (last - first).days < 6:
        first, last = first - timedelta(days=3), last + timedelta(days=3)
    span = max((last - first).days, 1)
    y_max = chart.y_max
    # A chart of a hundred sessions places the same days and values many times: each
    # coordinate is computed once (the same arithmetic as before, so the same numbers).
    xs: dict[date, float] = {}
    placed_x: dict[date, tuple[str, str, str]] = {}  # x, the circle's start, " on <date>"
    ys: dict[float, tuple[str, str]] = {}  # y, the value as shown

    def x(day: date) -> float:
        if day not in xs:
            xs[day] = round(left + plot_w * (day - first).days / span, 1)
        return xs[day]

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="{{id}}-t {{id}}-d" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="{{id}}-t">{text_escape(chart.title)}</title>',
        f'<desc id="{{id}}-d">{text_escape(_describe(chart))}</desc>',
        # Grid and y axis.
        _grid(y_max, chart.y_step, chart.y_label, width, height),
    ]
    # X ticks: about six evenly spaced dates.
    ticks = 6 if span >= 6 else span
    for index in range(ticks + 1):
        day = first + timedelta(days=round(span * index / ticks))
        tx = x(day)
        # The last date ends at its tick: centred, it would run out of the drawing.
        anchor = "end" if index == ticks else "middle"
        out.append(
            f'<line x1="{tx}" y1="{top + plot_h}" x2="{tx}" y2="{top + plot_h + 4}" '
            f'stroke="#495057"/>'
            f'<text x="{tx}" y="{top + plot_h + 17}" text-anchor="{anchor}" fill="#495057">'
            f"{_tick_day(day)}</text>"
        )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="#495057"/>'
    )
    # Markers: surgery and plan reviews, as labelled vertical lines.
    for marker in chart.markers:
        mx = x(marker.day)
        colour = MARKER_COLOURS.get(marker.kind, "#6c757d")
        # Labels near the right edge run leftwards so they stay inside the chart.
        right_side = mx > left + plot_w * 0.6
        label_x, anchor = (mx - 3, "end") if right_side else (mx + 3, "start")
        out.append(
            f'<g class="chart-marker chart-marker-{text_escape(marker.kind)}">'
            f"<title>{text_escape(marker.label)}, {_long_day(marker.day)}</title>"
            f'<line x1="{mx}" y1="{top - 4}" x2="{mx}" y2="{top + plot_h}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{label_x}" y="{top + 8}" fill="{colour}" font-size="10" '
            f'text-anchor="{anchor}">'
            f"{text_escape(marker.label)}</text></g>"
        )
    # Series.
    legend_x = left
    for index, series in enumerate(chart.series):
        colour = series.colour or PALETTE[index % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if series.dashed else ""
        name = text_escape(series.name)
        points = sorted(series.points)
        # Each day's x and its tooltip date, once per day; each value's y and its text, once
        # per value: a point is then pieces joined, not a string formatted.
        head = f'" r="3.5" fill="{colour}"><title>{name}: '
        pairs, circles = [], []
        for day, val in points:
            placed = placed_x.get(day)
            if placed is None:  # "%.1f": what round(…, 1) then str() give, in one step
                at = "%.1f" % (left + plot_w * (day - first).days / span)
                placed = placed_x[day] = (at, f'<circle cx="{at}" cy="', f" on {_long_day(day)}")
            high = ys.get(val)
            if high is None:
                at = "%.1f" % (top + plot_h * (1 - val / y_max))
                high = ys[val] = (at, _fmt(val))
            pairs.append(f"{placed[0]},{high[0]}")
            circles += (placed[1], high[0], head, high[1], placed[2], "</title></circle>")
        if len(points) > 1:
            out.append(
                f'<polyline points="{" ".join(pairs)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        out.append("".join(circles))
        out.append(
            f'<line x1="{legend_x}" y1="14" x2="{legend_x + 18}" y2="14" stroke="{colour}" '
            f'stroke-width="2"{dash}/><circle cx="{legend_x + 9}" cy="14" r="3" fill="{colour}"/>'
            f'<text x="{legend_x + 23}" y="18" fill="#212529">{name}</text>'
        )
        legend_x += 32 + 6.5 * len(series.name)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 (every text above is escaped)


def _describe(chart: Chart) -> str:
    parts = []
    for series in chart.series:
        points = series.points
        if points:
            low, high = min(points), max(points)
            parts.append(
                f"{series.name}: from {_fmt(low[1])} on {_long_day(low[0])} "
                f"to {_fmt(high[1])} on {_long_day(high[0])}"
            )
    return "; ".join(parts) or "No data yet"


def render_with_id(chart: Chart, chart_id: str, **kwargs) -> SafeString:
    svg = render(chart, **kwargs)
    return mark_safe(svg.replace("{id}", text_escape(chart_id)))  # noqa: S308 (id is a slug)
