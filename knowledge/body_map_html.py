"""The body map's HTML, written in Python from what `build_map` returns.

This is the markup `templates/includes/body_map.html` used to produce, element for element. A
map holds some 90 shapes and 80 labels, each with a dozen attributes: through the template
language that cost 13 ms a display map and 20 ms an input map, the largest part of the intake
review and the intake form. Here it is string joining, and the parts that never change for a
given view and element-id prefix (the title, the body outline and its landmarks, the "Left" and
"Right" markers, the label text and leader lines) are escaped and joined once per process.

Every value from outside (zone names, the element-id prefix, the field name) is escaped as the
template's autoescaping did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge.body_map import (
    _DEEP_HATCH,
    CHART_LABEL_LAYOUT,
    LEVELS,
    SILHOUETTES,
    VIEW_BY_KEY,
    VIEWS,
    ZONE_SHAPES,
    BodyMap,
    MapShape,
    MapView,
    _fmt,
    _map_shape,
    _markers,
    _normalise_marks,
    _normalise_selected,
    _pain_scale,
    zone_display_name,
)
from knowledge.body_map import _legend as _legend_items
from knowledge.body_map import _summary as _summary_items


def render_map(body_map: BodyMap, *, name: str = "zones", id_prefix: str = "bm") -> SafeString:
    """The body map component's HTML: its stylesheet, script, drawings, legend and, in input
    mode, the checkbox list that is the form field."""
    mode = body_map["mode"]
    prefix = escape(id_prefix)
    is_input = mode == "input"
    parts = [
        _assets(),
        f'<div class="bm bm--{escape(mode)}" id="{prefix}" data-body-map'
        f' data-name="{escape(name)}">\n',
    ]
    if is_input:
        parts.append(
            f'  <p class="bm-hint" id="{prefix}-hint">Tap or click each area that hurts, or tick'
            " it in the list below the drawing.</p>\n"
        )
    parts.append('  <div class="bm-views">\n')
    for view in body_map["views"]:
        parts.append(_view_head(view["key"], id_prefix, is_input))
        parts.append('        <g class="bm-zones">\n')
        hatch = _hatch(view["key"])
        for shape in view["shapes"]:
            parts.append(_shape(shape, is_input, hatch))
        parts.append("        </g>\n")
        parts.append(_labels(view))
        parts.append(_view_tail(view["key"]))
    parts.append("  </div>\n")
    parts.append(_legend(body_map))
    if is_input:
        parts.append(_choices(body_map, name, prefix))
    else:
        parts.append(_summary(body_map))
    parts.append("</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


def render_display(
    marks: Iterable[Mapping[str, object]] | None = None,
    *,
    zone_names: Mapping[str, str] | None = None,
    outlined: Iterable[str] = (),
    name: str = "zones",
    id_prefix: str = "bm",
) -> SafeString:
    """`render_map(build_map(marks, mode="display", ...))`, the same HTML, without building the
    map's ~170 dicts.

    Only a shape's classes and title change from map to map, with its mark, its zone's name and
    whether it is outlined: each shape's markup is kept per process for each of those it has
    been drawn with (a shape has at most fourteen marks). A label's markup is kept marked and
    unmarked; the legend per set of levels shown.
    """
    state = _normalise_marks(marks)
    circled = _normalise_selected(outlined)
    named = zone_names.get if zone_names else _no_name
    prefix = escape(id_prefix)
    parts = [
        _assets(),
        f'<div class="bm bm--display" id="{prefix}" data-body-map data-name="{escape(name)}">\n',
        '  <div class="bm-views">\n',
    ]
    for view in VIEWS:
        parts.append(_view_head(view.key, id_prefix, False))
        parts.append('        <g class="bm-zones">\n')
        marked = set()
        for key in _VIEW_SHAPES[view.key]:
            slug, side = key
            mark = state.get(key)
            if mark is None:
                parts.append(_display_shape(slug, side, named(slug), None, None, key in circled))
                continue
            marked.add(slug)
            parts.append(
                _display_shape(
                    slug, side, named(slug), mark["level"], mark["intensity"], key in circled
                )
            )
        parts.append("        </g>\n")
        parts.append('        <g class="bm-labels" aria-hidden="true">\n')
        for zone, plain, highlighted in _label_markup(view.key):
            parts.append(highlighted if zone in marked else plain)
        parts.append("        </g>\n")
        parts.append(_view_tail(view.key))
    parts.append("  </div>\n")
    used = frozenset(mark["level"] for mark in state.values()) or frozenset(LEVELS)
    parts.append(_display_legend(used, bool(circled)))
    parts.append(_summary({"summary": _summary_items(state, zone_names)}))  # type: ignore[typeddict-item]
    parts.append("</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


# Per view, its shapes in drawing order (build_map's), as (zone, side).
_VIEW_SHAPES: dict[str, tuple[tuple[str, str], ...]] = {
    view.key: tuple(
        (slug, shape.side)
        for slug, shapes in ZONE_SHAPES.items()
        for shape in shapes
        if shape.view == view.key
    )
    for view in VIEWS
}


def _no_name(slug: str) -> None:
    return None


@lru_cache(maxsize=4096)
def _display_shape(
    slug: str, side: str, given: str | None, level: str | None, intensity: int | None, circled: bool
) -> str:
    """One shape of a display map, as build_map and render_map would write it; `given` is the
    zone's name from `zone_names`, if any."""
    name = given or zone_display_name(slug)
    shape = next(s for s in ZONE_SHAPES[slug] if s.side == side)
    state = {} if level is None else {(slug, side): {"level": level, "intensity": intensity}}
    drawn = _map_shape(slug, name, shape, state, set(), "display")
    if circled:
        drawn["classes"] += " bm-zone--outlined"
        drawn["title"] += " (where the client hurts)"
    return _shape(drawn, False, _hatch(shape.view))


@lru_cache(maxsize=8)
def _label_markup(key: str) -> tuple[tuple[str, str, str], ...]:
    """Per chart label of a view: its zone, and its markup unmarked and marked."""
    return tuple(
        (
            label.zone,
            f'{before}"bm-label"{after}',
            f'{before}"bm-label bm-label--marked"{after}',
        )
        for label, (before, after) in zip(CHART_LABEL_LAYOUT[key], _label_parts(key), strict=True)
    )


@lru_cache(maxsize=32)
def _display_legend(levels: frozenset[str], outlined: bool) -> str:
    return _legend(
        {
            "mode": "display",
            "legend": _legend_items("display", set(levels), outlined=outlined),
            "pain_scale": _pain_scale() if "pain" in levels else [],
        }  # type: ignore[typeddict-item]
    )


@lru_cache(maxsize=1)
def _assets() -> str:
    """The stylesheet and script, found once per process (see `_static_changed`)."""
    css = escape(static("css/body_map.css"))
    js = escape(static("js/body_map.js"))
    return f'<link rel="stylesheet" href="{css}">\n<script src="{js}" defer></script>\n'


def _static_changed(*, setting: str, **kwargs) -> None:
    if setting in ("STATIC_URL", "STORAGES", "STATIC_ROOT"):
        _assets.cache_clear()


setting_changed.connect(_static_changed)


@lru_cache(maxsize=64)
def _view_head(key: str, id_prefix: str, is_input: bool) -> str:
    """Everything of a view's drawing before its zone shapes: the same on every request."""
    view = VIEW_BY_KEY[key]
    silhouette = SILHOUETTES[view.key]
    ref = f"{escape(id_prefix)}-{view.key}"
    role = 'role="group"' if is_input else 'role="img"'
    described = f' aria-describedby="{escape(id_prefix)}-hint"' if is_input else ""
    defs = "".join(
        f'<path id="{ref}-body-{number}" d="{escape(d)}"/>'
        for number, d in enumerate(silhouette.paths, 1)
    )
    uses = "".join(
        f'<use href="#{ref}-body-{number}"/>' for number in range(1, len(silhouette.paths) + 1)
    )
    clip, clipped = "", ""
    if silhouette.outline_from is not None:
        below = _fmt(silhouette.outline_from)
        clip = (
            f'<clipPath id="{ref}-below-waist"><rect x="0" y="{below}" width="{view.width}"'
            f' height="{view.height}"/></clipPath>'
        )
        clipped = f' clip-path="url(#{ref}-below-waist)"'
    details = "".join(f'<path class="bm-body-detail" d="{escape(d)}"/>' for d in silhouette.details)
    return (
        f'    <figure class="bm-view bm-view--{view.key}">\n'
        f'      <svg class="bm-svg" viewBox="{view.view_box}" width="100%"'
        ' preserveAspectRatio="xMidYMin meet"\n'
        f'           xmlns="http://www.w3.org/2000/svg" {role}\n'
        f'           aria-labelledby="{ref}-title"{described}>\n'
        f'        <title id="{ref}-title">Body map, {escape(view.title.lower())} view</title>\n'
        f'        <text class="bm-view-title" x="{_fmt(view.cx)}" y="20" text-anchor="middle"'
        f' aria-hidden="true">{escape(view.title)}</text>\n'
        '        <g class="bm-body" aria-hidden="true">\n'
        f"          <defs>\n            {defs}\n            {clip}\n          </defs>\n"
        f'          <g class="bm-body-outline"{clipped}>\n            {uses}\n          </g>\n'
        f'          <g class="bm-body-fill">\n            {uses}\n          </g>\n'
        f"          {details}\n"
        "        </g>\n"
    )


@lru_cache(maxsize=4)
def _hatch(key: str) -> str:
    d = _DEEP_HATCH if key == "front" else ""
    return f'\n          <path class="bm-hatch" d="{escape(d)}" aria-hidden="true"/>'


def _shape(shape: MapShape, is_input: bool, hatch: str) -> str:
    extra = ""
    if is_input:
        checked = "true" if shape["selected"] else "false"
        extra = (
            f' tabindex="0" role="checkbox" aria-checked="{checked}"'
            f' aria-label="{escape(shape["name"])}"'
        )
    return (
        f'          <path class="{escape(shape["classes"])}" d="{_escaped(shape["d"])}"'
        f' data-zone="{escape(shape["zone"])}" data-side="{escape(shape["side"])}"{extra}>'
        f"<title>{escape(shape['title'])}</title></path>"
        f"{hatch if shape['deep'] else ''}\n"
    )


@lru_cache(maxsize=256)
def _escaped(text: str) -> str:
    """Shape outlines are the same long strings on every request: escape each once."""
    return escape(text)


@lru_cache(maxsize=8)
def _label_parts(key: str) -> tuple[tuple[str, str], ...]:
    """Per label of a view: its markup before and after the class attribute."""
    parts = []
    for label in CHART_LABEL_LAYOUT[key]:  # type: ignore[index]
        x1, y1, x2, y2 = (_fmt(v) for v in label.line)
        parts.append(
            (
                "          <g class=",
                f' data-zone="{escape(label.zone)}">\n'
                f'            <line class="bm-leader" x1="{x1}" y1="{y1}" x2="{x2}"'
                f' y2="{y2}"/>\n'
                f'            <circle class="bm-leader-dot" cx="{x2}" cy="{y2}" r="1.8"/>\n'
                f'            <text x="{_fmt(label.x)}" y="{_fmt(label.y)}" dy="0.35em"'
                f' text-anchor="{label.anchor}">{escape(label.text)}</text>\n'
                "          </g>\n",
            )
        )
    return tuple(parts)


def _labels(view: MapView) -> str:
    """The chart labels; a label's class says whether its zone is marked."""
    parts = ['        <g class="bm-labels" aria-hidden="true">\n']
    for label, (before, after) in zip(view["labels"], _label_parts(view["key"]), strict=True):
        parts.append(f'{before}"{escape(label["classes"])}"{after}')
    parts.append("        </g>\n")
    return "".join(parts)


@lru_cache(maxsize=8)
def _view_tail(key: str) -> str:
    markers = "".join(
        f'<text x="{m["x"]}" y="{m["y"]}" text-anchor="middle">{escape(m["text"])}</text>'
        for m in _markers(VIEW_BY_KEY[key])
    )
    return (
        '        <g class="bm-markers" aria-hidden="true">\n'
        f"          {markers}\n"
        "        </g>\n"
        "      </svg>\n"
        "    </figure>\n"
    )


def _swatches(body_map: BodyMap) -> str:
    return "".join(
        '    <span class="bm-legend-item"><svg class="bm-swatch" viewBox="0 0 20 14">'
        f'<rect class="{escape(item["classes"])}" x="1" y="1" width="18" height="12" rx="2"/>'
        f"</svg>{escape(item['label'])}</span>\n"
        for item in body_map["legend"]
    )


def _legend(body_map: BodyMap) -> str:
    parts = ['  <div class="bm-legend" aria-hidden="true">\n', _swatches(body_map)]
    if body_map["mode"] == "display" and body_map["pain_scale"]:
        steps = "".join(
            f'<rect class="{escape(step["classes"])}" x="{number * 10}" y="1" width="10"'
            ' height="12"/>'
            for number, step in enumerate(body_map["pain_scale"])
        )
        parts.append(
            '    <span class="bm-legend-item bm-legend-scale">Pain\n'
            '      <span class="bm-scale-end">0</span>\n'
            f'      <svg class="bm-scale" viewBox="0 0 110 14">{steps}</svg>\n'
            '      <span class="bm-scale-end">10</span>\n'
            "    </span>\n"
        )
    parts.append("  </div>\n")
    return "".join(parts)


def _summary(body_map: BodyMap) -> str:
    if not body_map["summary"]:
        return '  <p class="bm-visually-hidden">No zones marked.</p>\n'
    items = "".join(f"<li>{escape(item['text'])}</li>" for item in body_map["summary"])
    return f'  <ul class="bm-visually-hidden" aria-label="Marked zones">\n    {items}\n  </ul>\n'


def _choices(body_map: BodyMap, name: str, prefix: str) -> str:
    """The checkbox list: the real form field, which works without JavaScript."""
    field = escape(name)
    parts = ['  <div class="bm-choices">\n']
    for fieldset in body_map["fieldsets"]:
        parts.append(
            f'    <fieldset class="bm-area">\n      <legend>{escape(fieldset["legend"])}</legend>\n'
        )
        for row in fieldset["zones"]:
            options = row["options"]
            if len(options) == 1:
                option = options[0]
                box = f"{prefix}-{escape(option['key'])}"
                parts.append(
                    '      <div class="bm-choice">\n'
                    f'        <label class="bm-choice-name" for="{box}">'
                    f"{escape(option['label'])}</label>\n"
                    f'        <span class="bm-side"><input type="checkbox" name="{field}"'
                    f' value="{escape(option["value"])}" id="{box}"'
                    f"{' checked' if option['checked'] else ''}></span>\n"
                    "      </div>\n"
                )
                continue
            heading = f"{prefix}-{escape(row['zone'])}-name"
            parts.append(
                f'      <div class="bm-choice" role="group" aria-labelledby="{heading}">\n'
                f'        <span class="bm-choice-name" id="{heading}">{escape(row["name"])}'
                "</span>\n"
            )
            for option in options:
                box = f"{prefix}-{escape(option['key'])}"
                parts.append(
                    '        <span class="bm-side">\n'
                    f'          <input type="checkbox" name="{field}"'
                    f' value="{escape(option["value"])}" id="{box}"'
                    f"{' checked' if option['checked'] else ''}>\n"
                    f'          <label for="{box}">{escape(option["label"])}</label>\n'
                    "        </span>\n"
                )
            parts.append("      </div>\n")
        parts.append("    </fieldset>\n")
    parts.append("  </div>\n")
    return "".join(parts)
