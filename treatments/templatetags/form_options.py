"""`{% options field %}`: a choice field's `<option>` elements, for hand-written `<select>`s.

The session note's rows each carry a muscle and a trigger-point list of up to ~200 choices; the
template loop that wrote them compared every option with the field's value, which took most of
the page's time. Here each distinct choice list is escaped once per process and only the
selected option changes per field. Same markup as the loop it replaces:
`<option value="v"[ selected]>label</option>`, selected when `str(value) == str(field.value())`.
"""

from functools import lru_cache
from html import escape as html_escape

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template
from django.forms import BoundField, Select, Textarea
from django.forms.utils import pretty_name
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from treatments.schedule_html import columns_html

register = template.Library()

_SELECTED = " selected"


@register.simple_tag
def options(field: BoundField) -> SafeString:
    return mark_safe(  # noqa: S308 (escaped in _options)
        _selected(*_options(tuple(field.field.choices)), field.value())
    )


def _selected(html: str, offsets: dict[str, int], value) -> str:
    """The options of `_options` with the one of `value` selected, if any."""
    at = offsets.get(str(value))
    return html if at is None else html[:at] + _SELECTED + html[at:]


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
        kind = _kind(field.name, field.field)
        cells.append(
            _cell(
                box=conditional_escape(field.id_for_label),
                name=conditional_escape(field.html_name),
                label=conditional_escape(field.label),
                number=number,
                kind=kind,
                value=field.value(),
                options=options(field) if kind == "select" else "",
                errors=field.errors,
            )
        )
    return mark_safe("".join(cells))  # noqa: S308 (every value is escaped)


def _kind(name: str, field) -> str:
    if getattr(field.widget, "input_type", None) == "checkbox":
        return "checkbox"
    return "minutes" if name == "minutes" else "select"


def _cell(*, box, name, label, number, kind, value, options, errors) -> str:
    """One `<td>` of `row_cells`; `box`, `name`, `label` and `options` escaped already."""
    invalid = " is-invalid" if errors else ""
    if kind == "checkbox":
        checked = " checked" if value else ""
        control = (
            '<div class="form-check"><input type="checkbox" class="form-check-input"'
            f' name="{name}" id="{box}"{checked}></div>'
        )
    elif kind == "minutes":
        control = (
            f'<input class="form-control form-control-sm{invalid}" type="number" min="1"'
            f' max="240" name="{name}" id="{box}"'
            f' value="{"" if value is None else conditional_escape(value)}">'
        )
    else:
        control = (
            f'<select class="form-select form-select-sm{invalid}" name="{name}"'
            f' id="{box}">{options}</select>'
        )
    shown = "".join(
        f'<div class="invalid-feedback d-block">{conditional_escape(error)}</div>'
        for error in errors
    )
    return (
        "<td>\n"
        f'  <label class="visually-hidden" for="{box}">{label} (row {number})</label>\n'
        f"  {control}\n"
        f"  {shown}\n"
        "</td>\n"
    )


@register.simple_tag
def table_rows(formset) -> SafeString:
    """The `<tr>`s of the session note's findings or treatments table, each row's `row_cells`.

    An unbound formset (the form as it opens) is written from its initial rows without building
    its forms: a form deep-copies its fields and their choices, ~0.4 ms a row, to show what the
    rows' dicts and the form class's fields already say. The same markup as `row_cells` of
    each form (a test compares them); a bound formset (re-shown with errors) goes through it.
    """
    if formset.is_bound or formset.auto_id != "id_%s" or not hasattr(formset.form, "row_choices"):
        rows = [row_cells(form, number) for number, form in enumerate(formset, 1)]
    else:
        rows = _initial_rows(formset)
    return mark_safe("".join(f"<tr>\n{cells}</tr>\n" for cells in rows))  # noqa: S308


def _initial_rows(formset) -> list[str]:
    """`row_cells` of each form an unbound formset would build, from `formset.initial`."""
    form_class = formset.form
    choices = form_class.row_choices(**formset.get_form_kwargs(None))
    columns = []
    for name, field in form_class.base_fields.items():
        kind = _kind(name, field)
        label = conditional_escape(pretty_name(name) if field.label is None else field.label)
        listed = _options(tuple(choices.get(name, field.choices))) if kind == "select" else None
        columns.append((name, field, kind, label, listed))
    initial = formset.initial or ()
    rows = []
    for index in range(formset.total_form_count()):
        values = initial[index] if index < len(initial) else {}
        prefix = conditional_escape(formset.add_prefix(index))
        cells = []
        for name, field, kind, label, listed in columns:
            value = values.get(name, field.initial)
            if callable(value):
                value = value()
            value = field.prepare_value(value)
            cells.append(
                _cell(
                    box=f"id_{prefix}-{name}",
                    name=f"{prefix}-{name}",
                    label=label,
                    number=index + 1,
                    kind=kind,
                    value=value,
                    options=_selected(*listed, value) if listed else "",
                    errors=(),
                )
            )
        rows.append("".join(cells))
    return rows


@register.simple_tag
def management_form(formset) -> SafeString:
    """`{{ formset.management_form }}`: for an unbound formset its four hidden inputs written
    directly (the management form's own form and five templates took ~0.5 ms)."""
    if formset.is_bound or formset.auto_id != "id_%s":
        return formset.management_form
    prefix = conditional_escape(formset.prefix)
    counts = {
        "TOTAL_FORMS": formset.total_form_count(),
        "INITIAL_FORMS": formset.initial_form_count(),
        "MIN_NUM_FORMS": formset.min_num,
        "MAX_NUM_FORMS": formset.max_num,
    }
    return mark_safe(  # noqa: S308 (the prefix escaped, the values integers)
        "".join(
            f'<input type="hidden" name="{prefix}-{name}" value="{value}" id="id_{prefix}-{name}">'
            for name, value in counts.items()
        )
    )


@register.simple_tag
def therapist_options(therapists, chosen) -> SafeString:
    """The schedule's therapist filter: an option per therapist (60 on the bench), the chosen
    one selected, each named by full name or else username."""
    chosen_pk = chosen.pk if chosen else None
    # html.escape is what Django's escape calls, without its lazy-string wrapper (~3 µs a
    # call); ids and names are plain values, never markup.
    return mark_safe(  # noqa: S308 (names escaped)
        "".join(
            f'<option value="{t.pk:d}"{_SELECTED if t.pk == chosen_pk else ""}>'
            f"{html_escape(t.get_full_name() or t.username)}</option>"
            for t in therapists
        )
    )


@register.simple_tag(takes_context=True)
def schedule_columns(context, columns) -> SafeString:
    """The day schedule's columns of sessions (treatments/schedule_html.py), with the view's
    `can_read_notes` and `can_change` and the page's CSRF token."""
    return mark_safe(  # noqa: S308 (every value escaped in columns_html)
        columns_html(
            columns,
            can_read_notes=context["can_read_notes"],
            can_change=context["can_change"],
            csrf_input=CsrfTokenNode().render(context),
            next_path=context["request"].get_full_path(),
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
    listed = _options(tuple(field.field.choices))
    html = _selected(*listed, "" if value is None else value)
    return f'<select name="{name}"{shown}>{html}</select>'
