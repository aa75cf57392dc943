import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from clinic.services import staff_deactivate

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def _login(http, username, password):
    return http.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_pause_the_login_even_with_the_right_one(anonymous, receptionist):
    for _ in range(5):
        _login(anonymous, "rita", "wrong-password")
    response = _login(anonymous, "rita", PASSWORD)
    assert response.status_code == 429
    assert "Login paused" in response.content.decode()
    assert anonymous.get(reverse("dashboard")).status_code == 302


def test_a_successful_login_resets_the_failure_count(anonymous, receptionist):
    for _ in range(4):
        _login(anonymous, "rita", "wrong-password")
    assert _login(anonymous, "rita", PASSWORD).status_code == 302
    anonymous.post(reverse("logout"))
    for _ in range(4):
        _login(anonymous, "rita", "wrong-password")
    assert _login(anonymous, "rita", PASSWORD).status_code == 302


def test_the_lockout_is_per_username(anonymous, receptionist, therapist):
    for _ in range(5):
        _login(anonymous, "rita", "wrong-password")
    assert _login(anonymous, "theo", PASSWORD).status_code == 302


def _age_session(http, **seconds_ago):
    session = http.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_thirty_minutes_without_activity_end_the_login(as_receptionist):
    assert as_receptionist.get(reverse("dashboard")).status_code == 200
    _age_session(as_receptionist, knotwork_seen=31 * 60)
    response = as_receptionist.get(reverse("client_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert as_receptionist.get(reverse("dashboard")).status_code == 302


def test_activity_keeps_the_login_alive(as_receptionist):
    as_receptionist.get(reverse("dashboard"))
    _age_session(as_receptionist, knotwork_seen=29 * 60)
    assert as_receptionist.get(reverse("client_list")).status_code == 200


def test_a_login_ends_after_twelve_hours_even_when_active(as_receptionist):
    as_receptionist.get(reverse("dashboard"))
    _age_session(as_receptionist, knotwork_started=12 * 3600 + 60, knotwork_seen=10)
    assert as_receptionist.get(reverse("client_list")).status_code == 302


def test_htmx_requests_after_a_timeout_are_sent_to_login(as_receptionist):
    as_receptionist.get(reverse("dashboard"))
    _age_session(as_receptionist, knotwork_seen=31 * 60)
    response = as_receptionist.get(reverse("client_list"), HTTP_HX_REQUEST="true")
    # A 200 htmx reads (a 302 the browser would follow, and swap the page into the fragment).
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=%2Fclients%2F"


def test_an_htmx_post_after_a_timeout_comes_back_to_the_page_shown(as_receptionist):
    """An autosave's URL takes only a POST: after logging in, the person returns to the page."""
    as_receptionist.get(reverse("dashboard"))
    _age_session(as_receptionist, knotwork_seen=31 * 60)
    response = as_receptionist.post(
        "/intakes/1/autosave/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/intakes/1/edit/?step=2",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=%2Fintakes%2F1%2Fedit%2F%3Fstep%3D2"


def test_pages_for_logged_in_staff_are_never_cached(as_therapist, client_record):
    response = as_therapist.get(client_record.get_absolute_url())
    assert "no-store" in response["Cache-Control"]


def test_every_page_carries_a_content_security_policy_without_inline_script(anonymous):
    policy = anonymous.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


# Passwords an admin sets


@pytest.fixture
def as_superuser(db):
    from tests.conftest import pass_two_factor
    from tests.factories import UserFactory

    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    http = HttpClient()
    http.force_login(boss)
    return pass_two_factor(http, boss)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw", "too short"),
        ("password1234", "too common"),
        ("123456789012", "entirely numeric"),
    ],
)
def test_an_admin_cannot_set_a_short_or_common_password(as_superuser, therapist, password, reason):
    url = reverse("admin:auth_user_password_change", args=[therapist.pk])
    response = as_superuser.post(
        url, {"password1": password, "password2": password, "usable_password": "true"}
    )
    assert response.status_code == 200
    assert reason in response.content.decode()
    therapist.refresh_from_db()
    assert therapist.check_password(PASSWORD)


def test_an_admin_can_set_a_long_uncommon_password(as_superuser, therapist):
    url = reverse("admin:auth_user_password_change", args=[therapist.pk])
    password = "heel-spur-walnut-lantern"
    response = as_superuser.post(
        url, {"password1": password, "password2": password, "usable_password": "true"}
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.check_password(password)


# Sessions: a new one at login, none left after logout or deactivation


def test_logging_in_starts_a_new_session(anonymous, receptionist):
    anonymous.get(reverse("login"))
    session = anonymous.session
    session["before_login"] = True
    session.save()
    before = session.session_key
    assert _login(anonymous, "rita", PASSWORD).status_code == 302
    after = anonymous.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def _with_session_key(key: str) -> HttpClient:
    http = HttpClient()
    http.cookies["sessionid"] = key
    return http


def test_after_logout_the_old_session_key_no_longer_authenticates(anonymous, receptionist):
    _login(anonymous, "rita", PASSWORD)
    old_key = anonymous.cookies["sessionid"].value
    assert _with_session_key(old_key).get(reverse("client_list")).status_code == 200
    anonymous.post(reverse("logout"))
    assert not Session.objects.filter(session_key=old_key).exists()
    assert _with_session_key(old_key).get(reverse("client_list")).status_code == 302


def test_deactivating_staff_deletes_their_sessions(anonymous, receptionist, therapist):
    _login(anonymous, "rita", PASSWORD)
    rita_key = anonymous.cookies["sessionid"].value
    other = HttpClient()
    _login(other, "theo", PASSWORD)
    theo_key = other.cookies["sessionid"].value

    staff_deactivate(actor=None, user=receptionist)

    receptionist.refresh_from_db()
    assert not receptionist.is_active
    assert not Session.objects.filter(session_key=rita_key).exists()
    assert Session.objects.filter(session_key=theo_key).exists()
    assert _with_session_key(rita_key).get(reverse("client_list")).status_code == 302
    assert _login(HttpClient(), "rita", PASSWORD).status_code == 200


def test_unticking_active_in_the_admin_ends_that_users_logins(as_superuser, receptionist):
    rita = HttpClient()
    _login(rita, "rita", PASSWORD)
    rita_key = rita.cookies["sessionid"].value
    url = reverse("admin:auth_user_change", args=[receptionist.pk])
    form = as_superuser.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "username": "rita",
            "groups": [group.pk for group in receptionist.groups.all()],
            "user_permissions": [],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": receptionist.date_joined.strftime("%d/%m/%Y"),
            "date_joined_1": receptionist.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("is_active", None)
    data.pop("password", None)
    data = {key: value for key, value in data.items() if value is not False}
    response = as_superuser.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    receptionist.refresh_from_db()
    assert not receptionist.is_active
    assert not Session.objects.filter(session_key=rita_key).exists()


def test_the_admin_action_deactivates_staff_and_ends_their_logins(as_superuser, therapist):
    theo = HttpClient()
    _login(theo, "theo", PASSWORD)
    theo_key = theo.cookies["sessionid"].value
    response = as_superuser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [therapist.pk]},
    )
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert not therapist.is_active
    assert not Session.objects.filter(session_key=theo_key).exists()


# Headers under production settings (KNOTWORK_HTTPS=1)

_HTTPS = {
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 60 * 60 * 24 * 365,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


@override_settings(**_HTTPS)
def test_https_settings_send_every_protective_header(receptionist):
    http = HttpClient()
    assert http.get(reverse("login")).status_code == 301  # plain HTTP goes to HTTPS
    page = http.get(reverse("login"), secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.cookies["csrftoken"]["secure"]
    assert page.cookies["csrftoken"]["samesite"] == "Lax"
    response = http.post(reverse("login"), {"username": "rita", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["secure"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    staff_page = http.get(reverse("client_list"), secure=True)
    assert "no-store" in staff_page["Cache-Control"]
