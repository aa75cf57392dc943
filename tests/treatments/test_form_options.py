"""`{% row_cells %}`: the session note's table rows, as the template loops wrote them."""

import re

import pytest
from django.template import Context, Template

from treatments.forms import FindingForm, FindingFormSet, TreatmentForm, TreatmentFormSet

CHOICES = {
    "muscles": [("gastrocnemius", "Gastrocnemius"), ("soleus", "Soleus")],
    "points": [("1", "Gastrocnemius: medial"), ("2", "Soleus: <deep>")],
    "point_owner": {"1": "gastrocnemius", "2": "soleus"},
}

# The loops of templates/treatments/session_note.html before the tag.
FINDING_LOOP = """{% load form_options %}{% for field in row %}
<td>
  <label class="visually-hidden" for="{{ field.id_for_label }}">{{ field.label }} (row {{ number }})</label>
  {% if field.field.widget.input_type == "checkbox" %}<div class="form-check"><input type="checkbox" class="form-check-input" name="{{ field.html_name }}" id="{{ field.id_for_label }}"{% if field.value %} checked{% endif %}></div>
  {% else %}<select class="form-select form-select-sm{% if field.errors %} is-invalid{% endif %}" name="{{ field.html_name }}" id="{{ field.id_for_label }}">{% options field %}</select>{% endif %}
  {% for e in field.errors %}<div class="invalid-feedback d-block">{{ e }}</div>{% endfor %}
</td>
{% endfor %}"""  # noqa: E501
TREATMENT_LOOP = """{% load form_options %}{% for field in row %}
<td>
  <label class="visually-hidden" for="{{ field.id_for_label }}">{{ field.label }} (row {{ number }})</label>
  {% if field.name == "minutes" %}<input class="form-control form-control-sm{% if field.errors %} is-invalid{% endif %}" type="number" min="1" max="240" name="{{ field.html_name }}" id="{{ field.id_for_label }}" value="{{ field.value|default_if_none:'' }}">
  {% else %}<select class="form-select form-select-sm{% if field.errors %} is-invalid{% endif %}" name="{{ field.html_name }}" id="{{ field.id_for_label }}">{% options field %}</select>{% endif %}
  {% for e in field.errors %}<div class="invalid-feedback d-block">{{ e }}</div>{% endfor %}
</td>
{% endfor %}"""  # noqa: E501


FULL_ROW = {
    "f-2-muscle": "soleus",
    "f-2-trigger_point": "1",
    "f-2-side": "left",
    "f-2-state": "active",
    "f-2-tenderness": "2",
    "f-2-referral_reproduced": "on",
}


def _squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _both(loop: str, form) -> tuple[str, str]:
    context = Context({"row": form, "number": 3})
    tag = Template("{% load form_options %}{% row_cells row number %}").render(context)
    return _squeeze(tag), _squeeze(Template(loop).render(context))


@pytest.mark.parametrize(
    "form",
    [
        FindingForm(prefix="f-2", **CHOICES),
        FindingForm(prefix="f-2", initial={"muscle": "soleus", "side": "left"}, **CHOICES),
        FindingForm(prefix="f-2", data=FULL_ROW, **CHOICES),
        FindingForm(prefix="f-2", data={"f-2-side": "nonsense", "f-2-state": "active"}, **CHOICES),
    ],
)
def test_a_finding_row_is_what_the_loop_wrote(form):
    if form.is_bound:
        form.is_valid()  # errors, as after a POST
    tag, loop = _both(FINDING_LOOP, form)
    assert tag == loop


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"t-0-technique": "stripping", "t-0-muscle": "soleus", "t-0-minutes": "15"},
        {"t-0-muscle": "soleus", "t-0-minutes": "999"},
        {"t-0-technique": "stripping", "t-0-minutes": "a<b"},
    ],
)
def test_a_treatment_row_is_what_the_loop_wrote(data):
    form = TreatmentForm(data, prefix="t-0", **CHOICES)
    if form.is_bound:
        form.is_valid()
    tag, loop = _both(TREATMENT_LOOP, form)
    assert tag == loop


def test_errors_are_shown_under_their_control():
    form = TreatmentForm({"t-0-muscle": "soleus", "t-0-minutes": "999"}, prefix="t-0", **CHOICES)
    assert not form.is_valid()
    tag, _ = _both(TREATMENT_LOOP, form)
    assert "Minutes can be at most 240." in tag
    assert "Choose the technique used." in tag
    assert tag.count("is-invalid") == 2


FINDING_INITIAL = [
    {
        "muscle": "soleus",
        "trigger_point": "2",
        "side": "left",
        "state": "active",
        "tenderness": 2,
        "referral_reproduced": True,
    },
    {"muscle": "gastrocnemius", "side": "both"},
    {"side": "both"},
]
TREATMENT_INITIAL = [
    {"technique": "stripping", "muscle": "soleus", "side": "left", "pressure": "", "minutes": 15},
    {"technique": "heat", "muscle": "", "side": "", "pressure": "", "minutes": None},
    {},
]


def _rows_through_forms(formset) -> str:
    """The template's loop before `{% table_rows %}`: `row_cells` of each form built."""
    return Template(
        "{% load form_options %}{% for row in formset %}<tr>\n"
        "{% row_cells row forloop.counter %}</tr>\n{% endfor %}"
    ).render(Context({"formset": formset}))


@pytest.mark.parametrize(
    ("formset_class", "prefix", "initial"),
    [
        (FindingFormSet, "f", FINDING_INITIAL),
        (FindingFormSet, "f", []),
        (TreatmentFormSet, "t", TREATMENT_INITIAL),
    ],
)
def test_an_unbound_formsets_rows_are_written_as_its_forms_would_write_them(
    formset_class, prefix, initial
):
    def fresh():
        return formset_class(initial=initial, prefix=prefix, form_kwargs=CHOICES)

    written = Template("{% load form_options %}{% table_rows formset %}").render(
        Context({"formset": fresh()})
    )
    assert written == _rows_through_forms(fresh())
    assert written.count("<tr>") == len(initial)


def test_a_bound_formsets_rows_go_through_its_forms_with_their_errors():
    data = {
        "t-TOTAL_FORMS": "1",
        "t-INITIAL_FORMS": "1",
        "t-0-muscle": "soleus",
        "t-0-minutes": "999",
    }
    formset = TreatmentFormSet(data, prefix="t", form_kwargs=CHOICES)
    assert not formset.is_valid()
    written = Template("{% load form_options %}{% table_rows formset %}").render(
        Context({"formset": formset})
    )
    assert written == _rows_through_forms(formset)
    assert "Minutes can be at most 240." in written


@pytest.mark.parametrize("initial", [FINDING_INITIAL, []])
def test_an_unbound_management_form_is_what_django_writes(initial):
    formset = FindingFormSet(initial=initial, prefix="f", form_kwargs=CHOICES)
    written = Template("{% load form_options %}{% management_form formset %}").render(
        Context({"formset": formset})
    )
    assert written == str(FindingFormSet(initial=initial, prefix="f").management_form)
    assert f'value="{len(initial)}"' in written


def test_a_bound_management_form_is_djangos():
    data = {"f-TOTAL_FORMS": "2", "f-INITIAL_FORMS": "0"}
    formset = FindingFormSet(data, prefix="f", form_kwargs=CHOICES)
    written = Template("{% load form_options %}{% management_form formset %}").render(
        Context({"formset": formset})
    )
    assert written == str(formset.management_form)
