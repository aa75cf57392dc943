"""`{% body_map %}`: the body map component, for display and for input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import template
from django.utils.safestring import SafeString

from knowledge.body_map import Mode, build_map
from knowledge.body_map_html import render_display, render_map

register = template.Library()


@register.simple_tag
def body_map(
    marks: Iterable[Mapping[str, object]] | None = None,
    mode: Mode = "display",
    name: str = "zones",
    selected: Iterable[str] | str | None = (),
    id_prefix: str = "bm",
    zone_names: Mapping[str, str] | None = None,
    outlined: Iterable[str] = (),
) -> SafeString:
    """Render the body map.

    `{% body_map marks=pain mode="display" %}` colours the marked zones; `{% body_map
    mode="input" name="pain_zones" selected=form.pain_zones.value id_prefix="intake-bm" %}` renders
    clickable shapes and the checkbox list that is the form field (values "zone:side"). Give each
    map on a page its own `id_prefix`: element ids are built from it.

    The markup is written in Python (`knowledge.body_map_html`), not by a template: a map has
    some 170 shapes and labels, and the template language took 13 to 20 ms a map.
    """
    if mode == "display":
        return render_display(
            marks, zone_names=zone_names, outlined=outlined, name=name, id_prefix=id_prefix
        )
    return render_map(
        build_map(marks, mode=mode, selected=selected, zone_names=zone_names, outlined=outlined),
        name=name,
        id_prefix=id_prefix,
    )


@register.simple_tag(takes_context=True)
def render_body_map(context: template.Context) -> SafeString:
    """The HTML of a map already built with `build_map`: `map`, `name` and `id_prefix` from the
    context (what `includes/body_map.html` is given)."""
    return render_map(
        context["map"], name=context.get("name", ""), id_prefix=context.get("id_prefix", "")
    )
