"""`{% options field %}`: a choice field's `<option>` elements, for hand-written `<select>`s.

The session note's rows each carry a muscle and a trigger-point list of up to ~200 choices; a
template loop comparing every option with the field's value would take most of the page's time.
Here each distinct choice list is escaped once per process and only the selected option changes
per field. The markup is a `{% for %}` loop's over the choices:
`<option value="v"[ selected]>label</option>`, selected when `str(value) == str(field.value())`.
"""

from functools import lru_cache
from html import escape as html_escape
from string import Formatter

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template
from django.forms import BaseForm, BoundField, HiddenInput, Select, Textarea
from django.forms.utils import pretty_name
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from clinic.markup import csrf_input, text_escape, url_for
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
        head = f'<option value="{text_escape(value)}"'
        offsets.setdefault(str(value), length + len(head))
        part = f"{head}>{text_escape(label)}</option>"
        parts.append(part)
        length += len(part)
    return "".join(parts), offsets


@register.simple_tag
def row_cells(form, number: int) -> SafeString:
    """The `<td>`s of one row of the session note's findings or treatments table.

    Per field: a visually hidden label naming the row, the control (a checkbox, the minutes'
    number input, or a select with `options`), and the field's errors, written here as through
    the template language each field costs a dozen attribute lookups.
    """
    cells = []
    for field in form:
        kind = _kind(field.name, field.field)
        cells.append(
            _cell(
                box=text_escape(field.id_for_label),
                name=text_escape(field.html_name),
                label=text_escape(field.label),
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
            f' value="{"" if value is None else text_escape(value)}">'
        )
    else:
        control = (
            f'<select class="form-select form-select-sm{invalid}" name="{name}"'
            f' id="{box}">{options}</select>'
        )
    shown = "".join(
        f'<div class="invalid-feedback d-block">{text_escape(error)}</div>' for error in errors
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
        return mark_safe("".join(f"<tr>\n{cells}</tr>\n" for cells in rows))  # noqa: S308
    return mark_safe("".join(_initial_rows(formset)))  # noqa: S308 (escaped in _initial_rows)


def _initial_rows(formset) -> list[str]:
    """The pieces of the `<tr>`s of `row_cells` of each form an unbound formset would build,
    from `formset.initial`.

    Each column's cell is written by `_cell` once, with `{p}` (the row's prefix), `{n}` (its
    number), `{o}` (its options) and `{v}` (the minutes) in place of the row's own, and cut at
    those marks; a row only puts its own values between the cuts. A long option list goes
    into the pieces as it is (cut where its selected option is): its characters are copied
    once, when the pieces are joined, rather than into a cell, a row and a table in turn."""
    form_class = formset.form
    choices = form_class.row_choices(**formset.get_form_kwargs(None))
    columns = []
    for name, field in form_class.base_fields.items():
        kind = _kind(name, field)
        label = text_escape(pretty_name(name) if field.label is None else field.label)
        listed = _options(tuple(choices.get(name, field.choices))) if kind == "select" else None
        unchecked, checked = _cell_cuts(name, kind, label)
        columns.append((name, field, kind, listed, unchecked, checked))
    initial = formset.initial or ()
    pieces = []
    for index in range(formset.total_form_count()):
        values = initial[index] if index < len(initial) else {}
        row = {"p": text_escape(formset.add_prefix(index)), "n": str(index + 1)}
        pieces.append("<tr>\n")
        for name, field, kind, listed, unchecked, checked in columns:
            value = values.get(name, field.initial)
            if callable(value):
                value = value()
            value = field.prepare_value(value)
            if listed:
                html, offsets = listed
                at = offsets.get(str(value))
                row["o"] = (html,) if at is None else (html[:at], _SELECTED, html[at:])
            else:
                row["v"] = "" if value is None else text_escape(value)
            for text, mark in checked if kind == "checkbox" and value else unchecked:
                pieces.append(text)
                if mark == "o":
                    pieces += row["o"]
                elif mark:
                    pieces.append(row[mark])
        pieces.append("</tr>\n")
    return pieces


@lru_cache(maxsize=64)
def _cell_cuts(name: str, kind: str, label: str) -> tuple[tuple, tuple]:
    """The cuts of a column's cell (`_initial_rows`), unchecked and checked (the same but for
    a checkbox), made once a process; `label` escaped already."""
    return tuple(
        tuple(
            (literal, mark)
            for literal, mark, _, _ in Formatter().parse(
                _cell(
                    box=f"id_{{p}}-{_braces(name)}",
                    name=f"{{p}}-{_braces(name)}",
                    label=_braces(label),
                    number="{n}",
                    kind=kind,
                    value=value,
                    options="{o}",
                    errors=(),
                )
            )
        )
        for value in (None if kind == "checkbox" else "{v}", True)
    )


def _braces(text: str) -> str:
    """`text` as it stands, inside a `str.format` string."""
    return text.replace("{", "{{").replace("}", "}}")


@register.simple_tag
def management_form(formset) -> SafeString:
    """`{{ formset.management_form }}`: for an unbound formset its four hidden inputs written
    directly (the management form's own form and five templates take ~0.5 ms)."""
    if formset.is_bound or formset.auto_id != "id_%s":
        return formset.management_form
    prefix = text_escape(formset.prefix)
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
            csrf_input=csrf_input(context.get("csrf_token")),
            next_path=context["request"].get_full_path(),
        )
    )


@register.simple_tag
def plain_field(field: BoundField) -> SafeString:
    """crispy-forms' Bootstrap 5 markup for an optional text area or select without errors
    (the session note's SOAP, pain and home-care fields): a `mb-3` wrapper, the label, the
    widget with crispy's classes, the help text (which Django's `aria-describedby` names).
    crispy's template takes ~1.5 ms a field; a required field, one with errors or any other
    widget still goes through `as_crispy_field`, so its asterisk and error markup stay its own.
    """
    widget = field.field.widget
    if field.errors or field.field.required or type(widget) not in _PLAIN_CLASSES:
        return as_crispy_field(field)
    return mark_safe(_plain_markup(field))  # noqa: S308 (escaped in _plain_markup)


def _plain_markup(field: BoundField) -> str:
    box = text_escape(field.auto_id)
    control = _control(field, field.field.widget)
    label = f'<label for="{box}" class="form-label">{text_escape(field.label)}</label>'
    help_text = (
        f'<div id="{box}_helptext" class="form-text">{text_escape(field.help_text)}</div>'
        if field.help_text
        else ""
    )
    return f'<div id="div_{box}" class="mb-3">{label}{control}{help_text}</div>'


def unbound_plain_field(form, name: str, language: str | None = None) -> str:
    """`plain_field(form[name])` of an unbound form that leaves its fields as its class declares
    them (no `__init__` of its own): the markup around the value is the same on every request,
    written once a process (~30 µs a field, where Django's attributes and escaping cost ~150).
    A field changed on the form after it was made (its label, help text, widget's attributes…)
    no longer matches that markup and goes through `plain_field`.
    `language` is the active one (`get_language()`), if the caller has it."""
    form_class = type(form)
    field = form.fields[name]
    if (
        form.is_bound
        or form_class.__init__ is not BaseForm.__init__
        or field.required
        or type(field.widget) not in _PLAIN_CLASSES
    ):
        return plain_field(form[name])
    language = get_language() if language is None else language
    head, tail, drawn_from = _plain_parts(form_class, name, form.prefix, form.auto_id, language)
    if _markup_inputs(field) != drawn_from:
        return plain_field(form[name])
    value = field.prepare_value(form.get_initial_for_field(field, name))
    if isinstance(field.widget, Textarea):
        return f"{head}{'' if value is None or value == '' else text_escape(value)}{tail}"
    html, offsets = _options(tuple(field.choices))
    return f"{head}{_selected(html, offsets, '' if value is None else value)}{tail}"


_VALUE = "\x00value\x00"


@lru_cache(maxsize=64)
def _plain_parts(form_class, name: str, prefix, auto_id, language) -> tuple[str, str, tuple]:
    """`_plain_markup` of `form_class`'s field `name` unbound, split where its value (a text
    area's text or a select's options) goes, and the field's `_markup_inputs` it was written
    from; `language` (the active one) for the labels."""
    field = form_class(prefix=prefix, auto_id=auto_id, initial={name: _VALUE})[name]
    if isinstance(field.field.widget, Textarea):
        head, found, tail = _plain_markup(field).partition(_VALUE)
    else:
        start = f'<select name="{text_escape(field.html_name)}"'
        markup = _plain_markup(field)
        opened = markup.index(">", markup.index(start)) + 1
        closed = markup.index("</select>", opened)
        head, found, tail = markup[:opened], True, markup[closed:]
    assert found, name
    return head, tail, _markup_inputs(field.field)


def _markup_inputs(field) -> tuple:
    """What of a form's field `_plain_markup` writes around the value (the choices and value
    aside). A form's field is a copy of its class's: the label and help text are the same
    objects, so comparing two of these is mostly a check of identity (the attributes a dict of
    two or three items)."""
    widget = field.widget
    return (
        type(field),
        type(widget),
        field.label,
        field.help_text,
        field.disabled,
        field.required,
        widget.attrs,
    )


_PLAIN_CLASSES = {Textarea: "textarea form-control", Select: "select form-select"}


def _control(field: BoundField, widget) -> str:
    """What `field.as_widget(attrs={"class": …})` writes for a text area or a single select,
    without its two templates: the attributes as Django builds them (widget's own, crispy's
    class, `aria-describedby`, id), each escaped as `attrs.html` does."""
    shown = _widget_attrs(field, widget, {"class": _PLAIN_CLASSES[type(widget)]})
    name = text_escape(field.html_name)
    value = field.value()
    if isinstance(widget, Textarea):
        text = "" if value is None or value == "" else text_escape(value)
        return f'<textarea name="{name}"{shown}>\n{text}</textarea>'
    listed = _options(tuple(field.field.choices))
    html = _selected(*listed, "" if value is None else value)
    return f'<select name="{name}"{shown}>{html}</select>'


def _widget_attrs(field: BoundField, widget, attrs: dict) -> str:
    """The attributes `field.as_widget(attrs=attrs)` writes, as Django builds them (the
    widget's own, `attrs`, `required`, `aria-describedby`…, the id), each escaped as
    `django/forms/widgets/attrs.html` does."""
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    return "".join(
        f" {text_escape(name)}" if value is True else f' {text_escape(name)}="{text_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def hidden_input(field: BoundField) -> str:
    """`{{ field }}` of a hidden input (the note's version) without Django's three widget
    templates (~0.5 ms); any other widget, or one with extras, goes through Django."""
    widget = field.field.widget
    if type(widget) is not HiddenInput or field.field.localize or field.field.show_hidden_initial:
        return str(field)
    value = widget.format_value(field.value())
    shown = "" if value is None else f' value="{text_escape(value)}"'
    attrs = _widget_attrs(field, widget, {})
    return f'<input type="hidden" name="{text_escape(field.html_name)}"{shown}{attrs}>'


# The session note's page (templates/treatments/session_note.html) around its rows: the
# breadcrumb, heading, fields, tables and buttons, written here as through the template
# language they take some forty nodes, two includes and Django's widget templates, about half
# of the page's time; tests/treatments/test_note_page.py compares them with a reference
# template (tests/treatments/reference_session_note.html).


@register.simple_tag(takes_context=True)
def note_heading(context) -> SafeString:
    """The note form's breadcrumb (treatments/_client_header.html, crumb "Session note"), its
    `<h1>` (the client, the session's day and time) and the line under it."""
    client, session = context["client"], context["session"]
    perms = context.get("perms")
    progress = (
        '\n  <li class="breadcrumb-item"><a href="'
        f'{text_escape(url_for("treatments:progress", client.pk))}">Progress</a></li>'
        if perms is not None and "treatments.view_clinical_notes" in perms
        else ""
    )
    start = session.local_start
    therapist = session.therapist
    return mark_safe(  # noqa: S308 (every value escaped)
        '<nav aria-label="breadcrumb" class="no-print"><ol class="breadcrumb mb-1">\n'
        '  <li class="breadcrumb-item"><a href="'
        f'{text_escape(url_for("client_detail", client.pk))}">'
        f"{text_escape(client.full_name)}</a></li>{progress}\n"
        '  <li class="breadcrumb-item active" aria-current="page">Session note</li>\n'
        "</ol></nav>\n"
        # |date:"j F Y" and |time:"H:i"
        f'<h1 class="mb-1">Note: {text_escape(client.full_name)}, {start.day}'
        f" {text_escape(MONTHS[start.month])} {start.year:04d}"
        f" {start.hour:02d}:{start.minute:02d}</h1>\n"
        f'<p class="text-secondary">{session.length_minutes:d} minutes with '
        f"{text_escape(therapist.get_full_name() or therapist.username)}."
        " Save as often as you like; sign from the note page when it is complete.</p>"
    )


_NOTE_FIELDS = """{version}
  {errors}
  <div class="row g-4">
    <div class="col-lg-7">
      <section class="card mb-3" aria-labelledby="soap-h"><div class="card-body">
        <h2 class="h5" id="soap-h">Subjective, objective, assessment, plan</h2>
        {subjective}
        {objective}
        {assessment}
        {plan}
      </div></section>
    </div>
    <div class="col-lg-5">
      <section class="card mb-3" aria-labelledby="pain-h"><div class="card-body">
        <h2 class="h5" id="pain-h">Pain</h2>
        <div class="row g-2">
          <div class="col-6">{pain_before}</div>
          <div class="col-6">{pain_after}</div>
        </div>
      </div></section>
      <section class="card mb-3" aria-labelledby="home-h"><div class="card-body">
        <h2 class="h5" id="home-h">Home care</h2>
        {home_care}
      </div></section>
    </div>
  </div>
  <section class="card mb-3" aria-labelledby="findings-h"><div class="card-body">
    <h2 class="h5" id="findings-h">Findings per muscle</h2>
    <p class="small text-secondary">The plan's target muscles are listed; choose a state for each one you examined. Rows left “Not examined” are not saved.</p>
    {finding_management}
    {finding_errors}
    <div class="table-responsive">
    <table class="table table-sm findings-table align-top">
      <thead><tr><th scope="col">Muscle</th><th scope="col">Trigger point</th><th scope="col">Side</th><th scope="col">State</th><th scope="col">Tenderness</th><th scope="col">Referral reproduced</th></tr></thead>
      <tbody>
      {finding_rows}
      </tbody>
    </table>
    </div>
  </div></section>
  <section class="card mb-3" aria-labelledby="treat-h"><div class="card-body">
    <h2 class="h5" id="treat-h">Treatment given</h2>
    {treatment_management}
    <div class="table-responsive">
    <table class="table table-sm treatments-table align-top">
      <thead><tr><th scope="col">Technique</th><th scope="col">Muscle</th><th scope="col">Side</th><th scope="col">Pressure</th><th scope="col">Minutes</th></tr></thead>
      <tbody>
      {treatment_rows}
      </tbody>
    </table>
    </div>
  </div></section>
  <div class="d-flex gap-2">
    <button class="btn btn-knot" type="submit">Save note</button>
    <a class="btn btn-outline-secondary" href="{back}">Back without saving</a>
  </div>"""  # noqa: E501


_PLAIN_NOTE_FIELDS = (
    "subjective", "objective", "assessment", "plan", "pain_before", "pain_after", "home_care"
)  # fmt: skip


@register.simple_tag
def note_fields(form, findings, treatments, finding_errors, session) -> SafeString:
    """Everything of the note form after its CSRF token: the hidden version, the form's own
    errors, the SOAP, pain and home-care fields (`plain_field`), the findings and treatments
    tables (`management_form`, `table_rows`) and the buttons."""
    language = get_language()  # the active one, asked once (~3 µs)
    return mark_safe(  # noqa: S308 (every value escaped by its writer)
        _NOTE_FIELDS.format(
            version=hidden_input(form["version"]),
            errors="".join(
                f'<div class="alert alert-danger">{text_escape(error)}</div>'
                for error in form.non_field_errors()
            ),
            **{name: unbound_plain_field(form, name, language) for name in _PLAIN_NOTE_FIELDS},
            finding_management=management_form(findings),
            finding_errors="".join(
                f'<div class="text-danger small">{text_escape(error)}</div>'
                for error in finding_errors
            ),
            finding_rows=table_rows(findings),
            treatment_management=management_form(treatments),
            treatment_rows=table_rows(treatments),
            back=text_escape(url_for("treatments:session_detail", session.client_id, session.pk)),
        )
    )
