"""clinic.markup and the `{% options %}` tag: the same markup the template language wrote."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from clinic import markup
from clinic.markup import date_formatter, url_maker
from treatments.forms import NormalChoices


@pytest.mark.parametrize("fmt", ["j M", "j M Y", "d/m/Y", "D j M Y"])
@pytest.mark.parametrize(
    "value",
    [
        date(2026, 3, 7),
        date(1901, 12, 31),
        datetime(2026, 9, 1, 23, 30, tzinfo=ZoneInfo("Europe/London")),
        None,
    ],
)
def test_dates_are_formatted_as_the_date_filter_does(fmt, value):
    expected = Template("{{ value|date:fmt }}").render(Context({"value": value, "fmt": fmt}))
    assert date_formatter(fmt)(value) == expected


def test_month_names_follow_the_active_language():
    with translation.override("de"):
        assert date_formatter("j M")(date(2026, 3, 7)) == "7 Mär"


def test_a_url_maker_gives_what_reverse_gives():
    url = url_maker("treatments:session_detail", 12)
    for pk in (1, 918, 123456789):
        assert url(pk) == reverse("treatments:session_detail", args=[12, pk])
    assert url_maker("client_detail")(7) == reverse("client_detail", args=[7])


class _Form(forms.Form):
    muscle = forms.ChoiceField(required=False)
    minutes = forms.TypedChoiceField(
        choices=[("", "—"), (10, "10"), (20, "20")], coerce=int, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muscle"].choices = NormalChoices(
            [("", "Choose"), ("gastrocnemius", "Gastrocnemius"), ("soleus", "Soleus <deep>")]
        )


LOOP = (
    '{% for value, label in field.field.choices %}<option value="{{ value }}"'
    '{% if field.value|stringformat:"s" == value|stringformat:"s" %} selected{% endif %}>'
    "{{ label }}</option>{% endfor %}"
)


@pytest.mark.parametrize(
    "form",
    [
        _Form(),
        _Form(initial={"muscle": "soleus", "minutes": 20}),
        _Form(data={"muscle": "gastrocnemius", "minutes": "10"}),
        _Form(data={"muscle": "nonsense", "minutes": ""}),
    ],
)
@pytest.mark.parametrize("name", ["muscle", "minutes"])
def test_the_options_tag_writes_what_the_template_loop_wrote(form, name):
    context = Context({"field": form[name]})
    tag = Template("{% load form_options %}{% options field %}").render(context)
    assert tag == Template(LOOP).render(context)
    assert tag.count("<option") == 3


def test_normal_choices_validate_like_a_list():
    form = _Form(data={"muscle": "soleus"})
    assert form.is_valid()
    assert not _Form(data={"muscle": "nonsense"}).is_valid()
    assert len(form.fields["muscle"].choices) == 3


@pytest.mark.parametrize("token", ["Tok3n", "NOTPROVIDED", "", None, 'a<b"&'])
def test_csrf_input_is_what_the_csrf_token_tag_writes(token):
    tag = Template("{% csrf_token %}").render(Context({"csrf_token": token}))
    assert markup.csrf_input(token) == tag


@pytest.mark.parametrize(
    "value", ["Tom's <b>", mark_safe("<b>safe</b>"), gettext_lazy("Home care"), 3, None]
)
def test_text_escape_is_conditional_escape(value):
    assert markup.text_escape(value) == conditional_escape(value)


def test_render_with_parts_puts_each_part_where_the_template_shows_it(rf):
    request = rf.get("/")
    response = markup.render_with_parts(
        request,
        "treatments/progress.html",
        {"client": None},
        {"content": ["<p>one</p>", "<p>two — ≠</p>"]},
    )
    body = response.content.decode()
    assert "<p>one</p><p>two — ≠</p>" in body
    assert "<!--part" not in body


def test_render_with_parts_refuses_a_part_name_its_markers_cannot_carry(rf):
    with pytest.raises(ValueError, match="Content1"):
        markup.render_with_parts(rf.get("/"), "treatments/progress.html", {}, {"Content1": "x"})
