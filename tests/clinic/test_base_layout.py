"""base.html: what its Python-written parts draw is what the template they replaced drew
(tests/clinic/base_reference.html), for every kind of user, token and message."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _unmask_cipher_token
from django.template import TemplateSyntaxError, engines
from django.templatetags.static import static
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.safestring import mark_safe

from clinic.templatetags.layout import _masked
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFERENCE = engines["django"].from_string(
    (__import__("pathlib").Path(__file__).parent / "base_reference.html").read_text()
)
BLOCKS = (
    "{% block title %}Jo <Smith>{% endblock %}"
    '{% block extra_head %}<link rel="stylesheet" href="/x.css">{% endblock %}'
    "{% block content %}<h1>Page</h1>{% endblock %}"
    "{% block extra_js %}<script src='/y.js'></script>{% endblock %}"
)
NO_NAV = "{% block nav_items %}{% endblock %}"


def _pages(blocks=BLOCKS):
    engine = engines["django"]
    return (
        engine.from_string('{% extends "base.html" %}' + blocks),
        engine.from_string("{% extends reference %}" + blocks),
    )


def _request(user, path="/clients/", added=()):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.resolver_match = resolve(path)
    for level, text in added:
        messages.add_message(request, level, text)
    return request


def _both(user, *, context=None, added=(), blocks=BLOCKS, path="/clients/"):
    """The page through base.html and through the reference, each on a request of its own."""
    new, old = _pages(blocks)
    drawn = []
    for template in (new, old):
        request = _request(user, path, added)
        html = template.render({"reference": REFERENCE.template, **(context or {})}, request)
        drawn.append((html, request._messages))
    return drawn


EVERY_LEVEL = [
    (messages.DEBUG, "debug note"),
    (messages.INFO, "Saved."),
    (messages.SUCCESS, "Booked <Tuesday> & more"),
    (messages.WARNING, "Check the date"),
    (messages.ERROR, "Could not save"),
    (messages.SUCCESS, mark_safe("<b>already safe</b>")),
    (25, "a level with no tag"),
]


@pytest.fixture
def people(therapist, receptionist, clinic_admin, no_role_user):
    nameless = UserFactory(username="o'brien<x>", first_name="", last_name="")
    odd = UserFactory(username="odd", first_name="Zoë & <Co>", last_name="O'Neil")
    return [therapist, receptionist, clinic_admin, no_role_user, nameless, odd]


@pytest.mark.parametrize("token", ["Tok3n", "NOTPROVIDED", ""])
@pytest.mark.parametrize("added", [(), EVERY_LEVEL])
def test_the_page_is_drawn_as_the_template_drew_it_for_every_user(people, token, added):
    for user in [*people, AnonymousUser()]:
        (new, new_messages), (old, old_messages) = _both(
            user, context={"csrf_token": token}, added=added
        )
        assert new == old, user
        assert new_messages.used == old_messages.used == bool(added)


def test_a_page_without_the_bar_draws_no_links(therapist):
    (new, _), (old, _) = _both(therapist, context={"csrf_token": "t"}, blocks=BLOCKS + NO_NAV)
    assert new == old
    assert 'class="nav-link' not in new


def test_the_active_section_and_a_role_set_by_the_view_are_drawn_as_before(clinic_admin):
    (new, _), (old, _) = _both(
        clinic_admin, context={"csrf_token": "t", "role": "Guest <b>"}, path="/audit/"
    )
    assert new == old
    assert "Guest &lt;b&gt;" in new


def test_without_a_request_the_page_has_no_bar_and_no_token():
    new, old = _pages()
    context = {"reference": REFERENCE.template}
    assert new.render(context) == old.render(context)
    assert 'hx-headers=\'{"X-CSRFToken": ""}\'' in new.render(context)


def test_one_token_serves_htmx_and_the_logout_form_and_matches_the_cookie(as_therapist):
    response = as_therapist.get(reverse("client_list"))
    html = response.content.decode()
    header = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert header == field
    secret = response.cookies["csrftoken"].value
    assert _unmask_cipher_token(header) == secret


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'(?:"X-CSRFToken": |name="csrfmiddlewaretoken" value=)"([^"]+)"', html))


def test_a_masked_token_unmasks_to_its_secret_and_is_new_each_time():
    secret = "a" * 16 + "Z9" * 8
    tokens = {_masked(secret) for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == 64
        assert _unmask_cipher_token(token) == secret
    for not_a_secret in (None, "", "short", "!" * 32, "a" * 64):
        assert _masked(not_a_secret) is None


def test_the_bar_the_logout_form_and_a_form_of_the_page_share_one_token(therapist):
    secret = "s3cret" * 5 + "xy"
    request = _request(therapist)
    request.META["CSRF_COOKIE"] = secret
    page = engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}<form>{% csrf_token %}</form>{% endblock %}'
    )
    html = page.render({}, request)
    (token,) = _tokens(html)
    assert html.count(token) == 3
    assert _unmask_cipher_token(token) == secret
    # As get_token: the cookie goes out again, its expiry renewed.
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_a_first_visit_gets_a_token_of_a_new_cookie():
    response = HttpClient().get(reverse("login"))
    (token,) = _tokens(response.content.decode())
    assert _unmask_cipher_token(token) == response.cookies["csrftoken"].value


def test_the_logout_form_posts_with_the_pages_token(therapist):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(therapist)
    html = http.get(reverse("client_list")).content.decode()
    (token,) = _tokens(html)
    assert http.post(reverse("logout"), {}).status_code == 403
    response = http.post(reverse("logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert http.get(reverse("client_list")).status_code == 302  # to the login page


def test_an_htmx_post_with_the_header_token_passes_the_csrf_check(therapist):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(therapist)
    (token,) = _tokens(http.get(reverse("client_list")).content.decode())
    assert http.post(reverse("logout"), HTTP_X_CSRFTOKEN=token).status_code == 302


def test_a_message_shows_on_the_next_page_only(as_admin, client_record):
    archive = reverse("client_archive", args=[client_record.pk])
    shown = as_admin.post(archive, follow=True).content.decode()
    assert 'class="alert alert-success alert-dismissible fade show"' in shown
    assert f"{client_record.full_name} is archived." in shown
    again = as_admin.get(reverse("client_detail", args=[client_record.pk])).content.decode()
    assert "is archived. The record is kept." not in again
    assert "alert-dismissible" not in again


def _fixed(inner: str):
    return engines["django"].from_string("{% load layout %}{% fixed %}" + inner + "{% endfixed %}")


@pytest.mark.parametrize(
    ("inner", "named"),
    [
        ("{{ user }}", "{{ user }}"),
        ("{% block x %}{% endblock %}", "{% block x %}"),
        ("{% csrf_token %}", "{% csrf_token %}"),
        ("{% main_nav %}", "{% main_nav %}"),
        ('{% now "Y" %}', '{% now "Y" %}'),
        ("{% asset name %}", "{% asset name %}"),
        ("{% asset 'css/app.css'|upper %}", "{% asset 'css/app.css'|upper %}"),
        ("{% asset 'css/app.css' as path %}", "{% asset 'css/app.css' as path %}"),
        ("{% fixed_url name %}", "{% fixed_url name %}"),
        ("{% if user %}x{% endif %}", "{% if user %}"),
        ("{% fixed %}x{% endfixed %}", "{% fixed %}"),
    ],
)
def test_fixed_markup_refuses_anything_that_may_change_between_requests(inner, named):
    with pytest.raises(TemplateSyntaxError) as refused:
        _fixed("<p>" + inner + "</p>")
    assert f"not {named}." in str(refused.value)


def test_fixed_markup_holds_text_and_assets_and_urls_of_literal_arguments():
    page = _fixed(
        """<a href="{% fixed_url 'dashboard' %}"><img src="{% asset "favicon.svg" %}"></a>"""
    )
    drawn = page.render({"name": "other.svg"})
    assert drawn == f'<a href="{reverse("dashboard")}"><img src="{static("favicon.svg")}"></a>'


def test_a_csrf_token_in_a_page_is_each_requests_own(therapist):
    page = engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}<form>{% csrf_token %}</form>{% endblock %}'
    )
    first = _tokens(page.render({}, _request(therapist)))
    second = _tokens(page.render({}, _request(therapist)))
    assert len(first) == len(second) == 1
    assert first != second
