"""The navigation bar and `perms` in templates, from the permission set read once a request."""

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser, Permission
from django.urls import reverse

from clinic.context_processors import FastPermWrapper
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAMES = ["clinic.view_client", "clinic.view_auditevent", "intake.review_intake", "no.such_perm"]
APPS = ["clinic", "intake", "treatments", "knowledge", "auth", "nosuchapp"]


@pytest.fixture
def people(receptionist, therapist, clinic_admin, no_role_user):
    inactive = UserFactory(username="gone", role="Therapist")
    inactive.is_active = False
    inactive.save()
    superuser = UserFactory(username="root")
    superuser.is_superuser = True
    superuser.save()
    return [receptionist, therapist, clinic_admin, no_role_user, inactive, superuser]


def _fresh(user):
    """The user as a new request loads it (no permission cache)."""
    return type(user).objects.get(pk=user.pk) if user.pk else user


def test_perms_answers_as_djangos_perm_wrapper_for_everyone(people):
    every = [
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    ] + NAMES
    for user in [*people, AnonymousUser()]:
        fast, django = FastPermWrapper(_fresh(user)), PermWrapper(_fresh(user))
        for name in every:
            app, codename = name.split(".")
            assert fast[app][codename] == django[app][codename], (user, name)
            assert (name in fast) == (name in django), (user, name)
        for app in APPS:
            assert bool(fast[app]) == bool(django[app]), (user, app)
            assert (app in fast) == (app in django), (user, app)


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("receptionist", ["Clients", "Schedule"], ["To review", "Audit log", "Exports", "Admin"]),
        ("therapist", ["Clients", "Schedule", "Library", "To review"], ["Audit log", "Admin"]),
        ("clinic_admin", ["Clients", "Schedule", "Audit log", "Exports", "Admin"], []),
    ],
    indirect=["persona"],
)
def test_the_bar_shows_each_role_its_links(persona, shown, hidden):
    page = persona.get(reverse("dashboard")).content.decode()
    for label in shown:
        assert f"{label}</a></li>" in page
    for label in hidden:
        assert f">{label}</a></li>" not in page


@pytest.mark.parametrize(
    ("url", "active"),
    [
        ("/clients/", "Clients"),
        ("/schedule/", "Schedule"),
        ("/schedule/week/", "Schedule"),
        ("/library/", "Library"),
        ("/intakes/to-review/", "To review"),
        ("/audit/", "Audit log"),
        ("/exports/", "Exports"),
    ],
)
def test_the_pages_section_is_the_active_link(as_admin, url, active):
    page = as_admin.get(url).content.decode()
    assert page.count('class="nav-link active"') == 1
    assert 'class="nav-link active" href="' in page
    assert f'">{active}</a></li>' in page.split('class="nav-link active"', 1)[1].split("\n")[0]


def test_the_dashboard_has_no_active_link(as_admin):
    assert "nav-link active" not in as_admin.get(reverse("dashboard")).content.decode()


def test_the_bars_fixed_links_are_the_reversed_urls(as_admin):
    from django.template import Context, Template

    rendered = Template("{% load layout %}{% fixed_url 'dashboard' %} {% fixed_url 'logout' %}")
    assert rendered.render(Context()) == f"{reverse('dashboard')} {reverse('logout')}"
    page = as_admin.get(reverse("client_list")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}"' in page
