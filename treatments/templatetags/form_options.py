"""`{% options field %}`: a choice field's `<option>` elements, for hand-written `<select>`s.

The session note's rows each carry a muscle and a trigger-point list of up to ~200 choices; the
template loop that wrote them compared every option with the field's value, which took most of
the page's time. Here each distinct choice list is escaped once per process and only the
selected option changes per field. Same markup as the loop it replaces:
`<option value="v"[ selected]>label</option>`, selected when `str(value) == str(field.value())`.
"""

from functools import lru_cache

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template
from django.forms import BoundField, Select, Textarea
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


@register.simple_tag
def row_cells(form, number: int) -> SafeString:
    """The `<td>`s of one row of the session note's findings or treatments table.

    Per field: a visually hidden label naming the row, the control (a checkbox, the minutes'
    number input, or a select with `options`), and the field's errors. The template loop it
    replaces looked up a dozen attributes per field through the template language.
    """
    cells = []
    for field in form:
        box = conditional_escape(field.id_for_label)
        name = conditional_escape(field.html_name)
        errors = field.errors
        invalid = " is-invalid" if errors else ""
        if getattr(field.field.widget, "input_type", None) == "checkbox":
            checked = " checked" if field.value() else ""
            control = (
                '<div class="form-check"><input type="checkbox" class="form-check-input"'
                f' name="{name}" id="{box}"{checked}></div>'
            )
        elif field.name == "minutes":
            value = field.value()
            control = (
                f'<input class="form-control form-control-sm{invalid}" type="number" min="1"'
                f' max="240" name="{name}" id="{box}"'
                f' value="{"" if value is None else conditional_escape(value)}">'
            )
        else:
            control = (
                f'<select class="form-select form-select-sm{invalid}" name="{name}"'
                f' id="{box}">{options(field)}</select>'
            )
        shown = "".join(
            f'<div class="invalid-feedback d-block">{conditional_escape(error)}</div>'
            for error in errors
        )
        cells.append(
            "<td>\n"
            f'  <label class="visually-hidden" for="{box}">{conditional_escape(field.label)}'
            f" (row {number})</label>\n"
            f"  {control}\n"
            f"  {shown}\n"
            "</td>\n"
        )
    return mark_safe("".join(cells))  # noqa: S308 (every value is escaped above)


@register.simple_tag
def therapist_options(therapists, chosen) -> SafeString:
    """The schedule's therapist filter: an option per therapist (60 on the bench), the chosen
    one selected, each named by full name or else username."""
    chosen_pk = chosen.pk if chosen else None
    return mark_safe(  # noqa: S308 (names escaped)
        "".join(
            f'<option value="{conditional_escape(t.pk)}"{_SELECTED if t.pk == chosen_pk else ""}>'
            f"{conditional_escape(t.get_full_name() or t.username)}</option>"
            for t in therapists
        )
    )


@register.simple_tag
def plain_field(field: BoundField) -> SafeString:
    """crispy-forms' Bootstrap 5 markup for an optional text area or select without errors
    (the session note's SOAP, pain and home-care fields): a `mb-3` wrapper, the label, the
    widget with crispy's classes, the help text (which Django's `aria-describedby` names).
    crispy's template took ~1.5 ms a field; a required field, one with errors or any other
    widget still goes through `as_crispy_field`, so its asterisk and error markup stay its own.
    """
    widget = field.field.widget
    if field.errors or field.field.required or type(widget) not in _PLAIN_CLASSES:
        return as_crispy_field(field)
    box = conditional_escape(field.auto_id)
    control = _control(field, widget)
    label = f'<label for="{box}" class="form-label">{conditional_escape(field.label)}</label>'
    help_text = (
        f'<div id="{box}_helptext" class="form-text">{conditional_escape(field.help_text)}</div>'
        if field.help_text
        else ""
    )
    return mark_safe(  # noqa: S308 (label, help and the control's values escaped)
        f'<div id="div_{box}" class="mb-3">{label}{control}{help_text}</div>'
    )


_PLAIN_CLASSES = {Textarea: "textarea form-control", Select: "select form-select"}


def _control(field: BoundField, widget) -> str:
    """What `field.as_widget(attrs={"class": …})` writes for a text area or a single select,
    without its two templates: the attributes as Django builds them (widget's own, crispy's
    class, `aria-describedby`, id), each escaped as `attrs.html` does."""
    attrs = field.build_widget_attrs({"class": _PLAIN_CLASSES[type(widget)]}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    shown = "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )
    name = conditional_escape(field.html_name)
    value = field.value()
    if isinstance(widget, Textarea):
        text = "" if value is None or value == "" else conditional_escape(value)
        return f'<textarea name="{name}"{shown}>\n{text}</textarea>'
    html, offsets = _options(tuple(field.field.choices))
    at = offsets.get("" if value is None else str(value))
    if at is not None:
        html = html[:at] + _SELECTED + html[at:]
    return f'<select name="{name}"{shown}>{html}</select>'
