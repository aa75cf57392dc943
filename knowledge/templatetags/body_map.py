"""`{% body_map %}`: the body map component, for display and for input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from knowledge.body_map import Mode, build_map

register = template.Library()


@register.inclusion_tag("includes/body_map.html")
def body_map(
    marks: Iterable[Mapping[str, object]] | None = None,
    mode: Mode = "display",
    name: str = "zones",
    selected: Iterable[str] | str | None = (),
    id_prefix: str = "bm",
    zone_names: Mapping[str, str] | None = None,
    outlined: Iterable[str] = (),
) -> dict[str, Any]:
    """Render the body map.

    `{% body_map marks=pain mode="display" %}` colours the marked zones; `{% body_map
    mode="input" name="pain_zones" selected=form.pain_zones.value id_prefix="intake-bm" %}` renders
    clickable shapes and the checkbox list that is the form field (values "zone:side"). Give each
    map on a page its own `id_prefix`: element ids are built from it.
    """
    return {
        "map": build_map(
            marks, mode=mode, selected=selected, zone_names=zone_names, outlined=outlined
        ),
        "name": name,
        "id_prefix": id_prefix,
    }
