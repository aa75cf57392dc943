"""Two-factor login (TOTP): clinic admins always, all staff with KNOTWORK_REQUIRE_2FA=1."""

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import demo
from tests.conftest import totp_code, totp_device

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def _password_login(username: str, password: str = PASSWORD) -> HttpClient:
    http = HttpClient()
    response = http.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return http


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_admin_without_an_app_is_sent_to_set_one_up(clinic_admin):
    http = _password_login("ada")
    response = http.get(reverse("client_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))
    page = http.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert 'id="totp-secret"' in html
    assert "<script>" not in html.split("<main", 1)[1]
    assert "style=" not in html


def test_admin_confirms_set_up_with_a_correct_code_and_reaches_admin_pages(clinic_admin):
    http = _password_login("ada")
    http.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=clinic_admin)
    assert not device.confirmed
    response = http.post(
        reverse("two_factor_setup"), {"code": totp_code(device), "next": reverse("client_list")}
    )
    assert response.status_code == 302
    assert response.url == reverse("client_list")
    device.refresh_from_db()
    assert device.confirmed
    assert http.get(reverse("client_list")).status_code == 200
    assert http.get(reverse("admin:index")).status_code == 200


def test_admin_with_an_app_is_asked_for_a_code_after_the_password(clinic_admin):
    device = totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.get(reverse("admin:index"))
    assert response.url.startswith(reverse("two_factor_verify"))
    assert http.get(reverse("client_list")).url.startswith(reverse("two_factor_verify"))
    response = http.post(
        reverse("two_factor_verify"), {"code": totp_code(device), "next": reverse("admin:index")}
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert http.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message(clinic_admin):
    device = totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.post(reverse("two_factor_verify"), {"code": _wrong(totp_code(device))})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert http.get(reverse("client_list")).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_repeated_wrong_codes_pause_even_the_right_one(clinic_admin, settings):
    # A pause of a minute, not one second: on a loaded machine a second can pass between posts.
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device = totp_device(clinic_admin)
    http = _password_login("ada")
    http.post(reverse("two_factor_verify"), {"code": _wrong(totp_code(device))})
    response = http.post(reverse("two_factor_verify"), {"code": totp_code(device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert http.get(reverse("client_list")).status_code == 302


def test_a_code_that_is_not_six_digits_is_explained(clinic_admin):
    totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.post(reverse("two_factor_verify"), {"code": "12ab"})
    assert "Enter the 6 digits" in response.content.decode()


@pytest.mark.parametrize("step", ["two_factor_verify", "two_factor_setup"])
def test_a_code_form_sent_empty_asks_for_the_code(clinic_admin, step):
    if step == "two_factor_verify":
        totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.post(reverse(step), {})
    assert response.status_code == 400
    assert "Enter the 6-digit code" in response.content.decode()


def test_a_wrong_code_does_not_confirm_set_up(clinic_admin):
    http = _password_login("ada")
    http.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=clinic_admin)
    response = http.post(reverse("two_factor_setup"), {"code": _wrong(totp_code(device))})
    assert response.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed


def test_a_user_with_an_app_cannot_set_up_another_before_the_code(clinic_admin):
    totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.get(reverse("two_factor_setup"))
    assert response.url.startswith(reverse("two_factor_verify"))
    assert TOTPDevice.objects.filter(user=clinic_admin).count() == 1


def test_an_unverified_admin_can_still_log_out(clinic_admin):
    http = _password_login("ada")
    assert http.post(reverse("logout")).status_code == 302
    assert http.get(reverse("dashboard")).url.startswith(reverse("login"))


def test_htmx_requests_before_the_code_are_sent_to_it(clinic_admin):
    totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.get(reverse("client_list"), HTTP_HX_REQUEST="true")
    # A 200 htmx reads (a 302 the browser would follow, and swap the page into the fragment).
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('two_factor_verify')}?next=%2Fclients%2F"


def test_the_verified_login_gets_a_new_session_key(clinic_admin):
    device = totp_device(clinic_admin)
    http = _password_login("ada")
    before = http.cookies["sessionid"].value
    http.post(reverse("two_factor_verify"), {"code": totp_code(device)})
    assert http.cookies["sessionid"].value != before


def test_an_offsite_next_is_ignored(clinic_admin):
    device = totp_device(clinic_admin)
    http = _password_login("ada")
    response = http.post(
        reverse("two_factor_verify"), {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("dashboard")


def test_therapists_need_no_code_by_default(therapist):
    http = _password_login("theo")
    assert http.get(reverse("client_list")).status_code == 200


@override_settings(REQUIRE_2FA=True)
def test_with_the_setting_on_therapists_and_receptionists_need_a_code(therapist, receptionist):
    for username in ("theo", "rita"):
        http = _password_login(username)
        response = http.get(reverse("client_list"))
        assert response.url.startswith(reverse("two_factor_setup"))
    device = totp_device(therapist)
    http = _password_login("theo")
    assert http.get(reverse("client_list")).url.startswith(reverse("two_factor_verify"))
    http.post(reverse("two_factor_verify"), {"code": totp_code(device)})
    assert http.get(reverse("client_list")).status_code == 200


def test_the_admin_persona_passed_two_factor(as_admin):
    assert as_admin.get(reverse("client_list")).status_code == 200


def test_the_demo_admin_gets_an_authenticator_whose_key_is_printed(capsys):
    demo.seed_staff()
    device = demo.demo_device("admin")
    assert device is not None and device.confirmed
    call_command("seed_demo", logins=True)
    out = capsys.readouterr().out
    assert "admin also needs a 6-digit code" in out
    call_command("seed_demo", code="admin")
    code = capsys.readouterr().out.strip()
    assert code.isdigit() and len(code) == 6
    http = _password_login("admin", demo.DEMO_PASSWORD)
    response = http.post(reverse("two_factor_verify"), {"code": code})
    assert response.status_code == 302
    assert http.get(reverse("client_list")).status_code == 200
