"""`{% options field %}`: a choice field's `<option>` elements, for hand-written `<select>`s.

The session note's rows each carry a muscle and a trigger-point list of up to ~200 choices; the
template loop that wrote them compared every option with the field's value, which took most of
the page's time. Here each distinct choice list is escaped once per process and only the
selected option changes per field. Same markup as the loop it replaces:
`<option value="v"[ selected]>label</option>`, selected when `str(value) == str(field.value())`.
"""

from functools import lru_cache

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_SELECTED = " selected"


@register.simple_tag
def options(field: BoundField) -> SafeString:
    html, offsets = _options(tuple(field.field.choices))
    at = offsets.get(str(field.value()))
    if at is None:
        return mark_safe(html)  # noqa: S308 (escaped in _options)
    return mark_safe(html[:at] + _SELECTED + html[at:])  # noqa: S308 (escaped in _options)


@lru_cache(maxsize=128)
def _options(choices: tuple) -> tuple[str, dict[str, int]]:
    """The options' markup with nothing selected, and where " selected" goes for each value
    (the first option of a value, as the loop selected every option with that value)."""
    parts: list[str] = []
    offsets: dict[str, int] = {}
    length = 0
    for value, label in choices:
        head = f'<option value="{conditional_escape(value)}"'
        offsets.setdefault(str(value), length + len(head))
        part = f"{head}>{conditional_escape(label)}</option>"
        parts.append(part)
        length += len(part)
    return "".join(parts), offsets
