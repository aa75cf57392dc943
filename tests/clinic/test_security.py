import time

import pytest
from django.urls import reverse

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
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_pages_for_logged_in_staff_are_never_cached(as_therapist, client_record):
    response = as_therapist.get(client_record.get_absolute_url())
    assert "no-store" in response["Cache-Control"]


def test_every_page_carries_a_content_security_policy_without_inline_script(anonymous):
    policy = anonymous.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
