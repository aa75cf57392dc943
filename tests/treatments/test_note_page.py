"""The session note form as the template wrote it, now written by `{% note_heading %}` and
`{% note_fields %}` (treatments/templatetags/form_options.py).

tests/treatments/reference_session_note.html is the page's template before those tags; each
request here renders it with the view's own context next to the page, and the two must be the
same markup, whitespace between tags aside.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from django.template import Context, Template, engines
from django.urls import reverse
from django.utils.safestring import mark_safe

from knowledge.models import Muscle
from tests.factories import SessionFactory, UserFactory, aware
from tests.treatments.conftest import write_note
from treatments import services, views
from treatments.forms import NormalChoices, NoteForm
from treatments.templatetags.form_options import (
    hidden_input,
    plain_field,
    unbound_plain_field,
)

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).with_name("reference_session_note.html").read_text()
TRICKY = 'Calf <b>tight</b> & "sore", Tom\'s {note} {{ x }}'
CSRF = re.compile(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"')


def _squeeze(html: str) -> str:
    html = CSRF.sub(r'\1""', html)  # a new token each rendering
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.fixture
def pages(monkeypatch):
    """Each page the note view renders, with the reference template's rendering of its
    context: a list of (page, reference) pairs."""
    rendered = []
    reference = engines["django"].from_string(REFERENCE)
    real_render = views.render

    def render_both(request, template_name, context, status=200):
        response = real_render(request, template_name, context, status=status)
        rendered.append(
            (_squeeze(response.content.decode()), _squeeze(reference.render(context, request)))
        )
        return response

    monkeypatch.setattr(views, "render", render_both)
    return rendered


def _url(session):
    return reverse("treatments:session_note", args=[session.client_id, session.pk])


def _fill(session, therapist):
    """A plan with two target muscles, and a note with text to escape, a finding on a trigger
    point and a treatment."""
    soleus = Muscle.objects.get(slug="soleus")
    services.plan_create(
        request=None,
        actor=therapist,
        client=session.client,
        data={},
        muscles=[soleus, Muscle.objects.get(slug="gastrocnemius")],
    )
    point = soleus.trigger_points.order_by("position").first()
    services.session_note_save(
        request=None,
        actor=therapist,
        session=session,
        version=session.version,
        data={
            "subjective": TRICKY,
            "objective": "<script>alert(1)</script>",
            "assessment": "",
            "plan": "Line one\nLine two",
            "pain_before": 7,
            "pain_after": 0,
            "home_care": TRICKY,
        },
        findings=[
            {
                "muscle": soleus,
                "trigger_point": point,
                "side": "left",
                "state": "active",
                "tenderness": 3,
                "referral_reproduced": True,
            }
        ],
        treatments=[
            {
                "technique": "stripping",
                "muscle": soleus,
                "side": "left",
                "pressure": "",
                "minutes": 12,
            }
        ],
    )
    session.refresh_from_db()


def test_an_empty_notes_form_is_what_the_template_wrote(as_therapist, session, pages):
    response = as_therapist.get(_url(session))
    assert response.status_code == 200
    ((page, reference),) = pages
    assert page == reference
    assert 'name="version" value="1" id="id_version"' in page


def test_a_filled_notes_form_is_what_the_template_wrote(as_therapist, therapist, session, pages):
    _fill(session, therapist)
    response = as_therapist.get(_url(session))
    assert response.status_code == 200
    ((page, reference),) = pages
    assert page == reference
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "Tom&#x27;s {note} {{ x }}" in page
    assert '<option value="7" selected>7</option>' in page
    assert page.count(" selected>") >= 8  # pains, finding row, plan rows, treatment


def test_the_heading_names_the_therapist_by_username_without_a_full_name(
    as_admin, client_record, pages
):
    unnamed = UserFactory(username="t<9>", first_name="", last_name="", role="Therapist")
    session = SessionFactory(
        client=client_record,
        therapist=unnamed,
        starts_at=aware(date(2026, 3, 2), 9, 5),
        ends_at=aware(date(2026, 3, 2), 9, 50),
    )
    assert as_admin.get(_url(session)).status_code == 200
    ((page, reference),) = pages
    assert page == reference
    assert "Note: Maria Lopez, 2 March 2026 09:05</h1>" in page
    assert "45 minutes with t&lt;9&gt;." in page


def test_a_post_with_errors_is_shown_again_as_the_template_wrote_it(
    as_therapist, therapist, session, pages
):
    _fill(session, therapist)
    data = {
        "version": "a<b",
        "subjective": "x" * 8001,
        "objective": TRICKY,
        "pain_before": "11",
        "f-TOTAL_FORMS": "2",
        "f-INITIAL_FORMS": "0",
        "f-0-muscle": "soleus",
        "f-0-side": "left",
        "f-0-tenderness": "2",
        "f-1-state": "active",
        "f-1-side": "both",
        "t-TOTAL_FORMS": "1",
        "t-INITIAL_FORMS": "0",
        "t-0-muscle": "soleus",
        "t-0-minutes": "999",
    }
    response = as_therapist.post(_url(session), data)
    assert response.status_code == 400
    ((page, reference),) = pages
    assert page == reference
    assert "Please correct the items marked below." in page
    assert 'name="version" value="a&lt;b"' in page
    assert "Minutes can be at most 240." in page
    assert "Choose active, latent or resolved for this muscle." in page


def test_a_conflicting_save_is_shown_as_the_template_wrote_it(
    as_therapist, as_admin, therapist, session, pages
):
    _fill(session, therapist)
    stale = {
        "version": session.version,
        "subjective": "Mine",
        "f-TOTAL_FORMS": "0",
        "f-INITIAL_FORMS": "0",
        "t-TOTAL_FORMS": "0",
        "t-INITIAL_FORMS": "0",
    }
    assert as_admin.post(_url(session), {**stale, "subjective": "Theirs"}).status_code == 302
    response = as_therapist.post(_url(session), stale)
    assert response.status_code == 409
    page, reference = pages[-1]
    assert page == reference
    assert "Someone else saved this note while you were editing" in page
    assert f'name="version" value="{session.version + 1}"' in page


def test_a_signed_note_is_not_shown_as_a_form(as_therapist, signed_session, pages):
    response = as_therapist.get(_url(signed_session))
    assert response.status_code == 302
    assert response.url == signed_session.get_absolute_url()
    assert pages == []


# The writers one by one.

HEADING = """{% include "treatments/_client_header.html" with crumb="Session note" %}
<h1 class="mb-1">Note: {{ client.full_name }}, {{ session.local_start|date:"j F Y" }} {{ session.local_start|time:"H:i" }}</h1>
<p class="text-secondary">{{ session.length_minutes }} minutes with {{ session.therapist.get_full_name|default:session.therapist.username }}. Save as often as you like; sign from the note page when it is complete.</p>"""  # noqa: E501


@pytest.mark.parametrize("with_perms", [True, False])
def test_the_heading_is_what_the_include_and_template_wrote(session, therapist, with_perms):
    from clinic.context_processors import FastPermWrapper

    session.client.first_name = "Ann <&>"
    context = {"client": session.client, "session": session}
    if with_perms:
        context["perms"] = FastPermWrapper(therapist)
    tag = Template("{% load form_options %}{% note_heading %}").render(Context(context))
    template = Template(HEADING).render(Context(context))
    assert _squeeze(tag) == _squeeze(template)
    assert ("Progress" in tag) is with_perms
    assert "Ann &lt;&amp;&gt;" in tag


@pytest.mark.parametrize(
    "form",
    [
        NoteForm(),
        NoteForm(initial={"version": 12}),
        NoteForm({"version": "3"}),
        NoteForm({"version": 'x"<y'}),
        NoteForm({}),
        NoteForm(initial={"version": 4}, prefix="n", auto_id="box_%s"),
    ],
)
def test_the_hidden_version_is_what_django_writes(form):
    form.is_valid()
    assert hidden_input(form["version"]) == str(form["version"])


INITIALS = [
    {},
    {"subjective": TRICKY, "plan": "", "pain_before": 0, "pain_after": 10, "home_care": "a\nb"},
    {"objective": None, "pain_before": None, "pain_after": "3", "assessment": "&amp;"},
]


@pytest.mark.parametrize("initial", INITIALS)
@pytest.mark.parametrize("name", ["subjective", "objective", "assessment", "plan",
                                  "pain_before", "pain_after", "home_care"])  # fmt: skip
@pytest.mark.parametrize("options", [{}, {"prefix": "n", "auto_id": "box_%s"}])
def test_an_unbound_fields_markup_written_once_is_plain_fields(initial, name, options):
    form = NoteForm(initial=initial, **options)
    assert unbound_plain_field(form, name) == plain_field(
        NoteForm(initial=initial, **options)[name]
    )


def test_a_bound_field_is_written_through_plain_field_with_its_errors():
    form = NoteForm({"version": "1", "subjective": "x" * 8001, "pain_before": "99"})
    assert not form.is_valid()
    for name in ("subjective", "pain_before", "objective"):
        assert unbound_plain_field(form, name) == plain_field(form[name])
    assert "is-invalid" in unbound_plain_field(form, "subjective")


def test_a_form_that_sets_its_own_fields_is_written_through_plain_field():
    class Shorter(NoteForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["plan"].help_text = "Only this form's <help>."

    form = Shorter(initial={"plan": "Walk"})
    written = unbound_plain_field(form, "plan")
    assert written == plain_field(form["plan"])
    assert "Only this form&#x27;s &lt;help&gt;." in written


def _help(field):
    field.help_text = "This form's <own> help."


def _label(field):
    field.label = mark_safe("<b>Bold</b> label")


def _disabled(field):
    field.disabled = True


def _rows(field):
    field.widget.attrs["rows"] = 9


@pytest.mark.parametrize("change", [_help, _label, _disabled, _rows])
@pytest.mark.parametrize("name", ["subjective", "plan", "pain_before"])
def test_a_field_changed_on_the_form_is_written_as_changed(change, name):
    unbound_plain_field(NoteForm(), name)  # the class's markup, written once, first
    form = NoteForm(initial={name: "3"})
    change(form.fields[name])
    written = unbound_plain_field(form, name)
    expected = NoteForm(initial={name: "3"})
    change(expected.fields[name])
    assert written == plain_field(expected[name])
    assert written != unbound_plain_field(NoteForm(initial={name: "3"}), name)


def test_a_field_made_required_on_the_form_goes_through_crispy():
    form = NoteForm()
    form.fields["plan"].required = True
    assert unbound_plain_field(form, "plan") == plain_field(form["plan"])
    assert "asteriskField" in unbound_plain_field(form, "plan")


def test_normal_choices_are_shared_by_each_forms_copy_of_its_fields():
    first, second = NoteForm(), NoteForm()
    assert isinstance(first.fields["pain_before"].choices, NormalChoices)
    assert first.fields["pain_before"].choices is second.fields["pain_before"].choices
    assert first.fields["pain_before"] is not second.fields["pain_before"]
    with pytest.raises(AttributeError):  # shared, so not to be changed by any form
        first.fields["pain_before"].choices.pairs.append(("11", "11"))
    assert NoteForm({"version": "1", "pain_before": "10"}).is_valid()
    assert not NoteForm({"version": "1", "pain_before": "11"}).is_valid()


def test_a_note_written_by_the_service_shows_in_its_form(as_therapist, therapist, session):
    write_note(session, therapist, subjective=TRICKY)
    body = as_therapist.get(_url(session)).content.decode()
    assert "Calf &lt;b&gt;tight&lt;/b&gt; &amp; &quot;sore&quot;" in body


def test_row_values_that_look_like_the_cells_marks_are_written_as_they_are():
    from tests.treatments.test_form_options import CHOICES, _rows_through_forms
    from treatments.forms import TreatmentFormSet

    initial = [{"technique": "{o}", "muscle": "{p}", "minutes": "<{v}>"}, {"minutes": "{n}"}]

    def fresh():
        return TreatmentFormSet(initial=initial, prefix="t", form_kwargs=CHOICES)

    written = Template("{% load form_options %}{% table_rows formset %}").render(
        Context({"formset": fresh()})
    )
    assert written == _rows_through_forms(fresh())
    assert 'value="&lt;{v}&gt;"' in written
    assert 'value="{n}"' in written
