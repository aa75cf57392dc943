"""treatments.charts as it drew before it was made faster (28 November 2026), kept to check
that the faster drawing gives the same SVG, byte for byte (tests/treatments/test_progress.py)."""

from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from treatments.charts import MARKER_COLOURS, PALETTE, Chart, _fmt


def render(chart: Chart, *, width: int = 680, height: int = 260) -> SafeString:
    left, right, top, bottom = 44, 16, 34, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    days = [d for s in chart.series for d, _ in s.points] + [m.day for m in chart.markers]
    if not days:
        return mark_safe("")
    first, last = min(days), max(days)
    if (last - first).days < 6:
        first, last = first - timedelta(days=3), last + timedelta(days=3)
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(left + plot_w * (day - first).days / span, 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - value / chart.y_max), 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="{{id}}-t {{id}}-d" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="{{id}}-t">{escape(chart.title)}</title>',
        f'<desc id="{{id}}-d">{escape(_describe(chart))}</desc>',
    ]
    # Grid and y axis.
    value = 0.0
    while value <= chart.y_max + 1e-9:
        gy = y(value)
        out.append(
            f'<line x1="{left}" y1="{gy}" x2="{left + plot_w}" y2="{gy}" stroke="#dee2e6" '
            f'stroke-width="1"/>'
            f'<text x="{left - 6}" y="{gy + 4}" text-anchor="end" fill="#495057">'
            f"{_fmt(value)}</text>"
        )
        value += chart.y_step
    if chart.y_label:
        out.append(
            f'<text x="12" y="{top + plot_h / 2}" transform="rotate(-90 12 {top + plot_h / 2})" '
            f'text-anchor="middle" fill="#495057">{escape(chart.y_label)}</text>'
        )
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
            f"{day.day} {day:%b}</text>"
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
            f'<g class="chart-marker chart-marker-{escape(marker.kind)}">'
            f"<title>{escape(marker.label)}, {marker.day:%d %b %Y}</title>"
            f'<line x1="{mx}" y1="{top - 4}" x2="{mx}" y2="{top + plot_h}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{label_x}" y="{top + 8}" fill="{colour}" font-size="10" '
            f'text-anchor="{anchor}">'
            f"{escape(marker.label)}</text></g>"
        )
    # Series.
    legend_x = left
    for index, series in enumerate(chart.series):
        colour = series.colour or PALETTE[index % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if series.dashed else ""
        points = sorted(series.points)
        if len(points) > 1:
            coords = " ".join(f"{x(d)},{y(v)}" for d, v in points)
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"'
                f"{dash}/>"
            )
        for day, val in points:
            out.append(
                f'<circle cx="{x(day)}" cy="{y(val)}" r="3.5" fill="{colour}">'
                f"<title>{escape(series.name)}: {_fmt(val)} on {day:%d %b %Y}</title></circle>"
            )
        out.append(
            f'<line x1="{legend_x}" y1="14" x2="{legend_x + 18}" y2="14" stroke="{colour}" '
            f'stroke-width="2"{dash}/><circle cx="{legend_x + 9}" cy="14" r="3" fill="{colour}"/>'
            f'<text x="{legend_x + 23}" y="18" fill="#212529">{escape(series.name)}</text>'
        )
        legend_x += 32 + 6.5 * len(series.name)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 (every text above is escaped)


def _describe(chart: Chart) -> str:
    parts = []
    for series in chart.series:
        points = sorted(series.points)
        if points:
            parts.append(
                f"{series.name}: from {_fmt(points[0][1])} on {points[0][0]:%d %b %Y} "
                f"to {_fmt(points[-1][1])} on {points[-1][0]:%d %b %Y}"
            )
    return "; ".join(parts) or "No data yet"


def render_with_id(chart: Chart, chart_id: str, **kwargs) -> SafeString:
    svg = render(chart, **kwargs)
    return mark_safe(svg.replace("{id}", escape(chart_id)))  # noqa: S308 (id is a slug)
