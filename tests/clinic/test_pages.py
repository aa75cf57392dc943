import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_is_public_and_has_one_heading(anonymous):
    response = anonymous.get(reverse("login"))
    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1


def test_a_wrong_password_gets_a_message(anonymous, receptionist):
    response = anonymous.post(reverse("login"), {"username": "rita", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_login_then_logout(anonymous, receptionist):
    response = anonymous.post(
        reverse("login"), {"username": "rita", "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert anonymous.get(reverse("dashboard")).status_code == 200
    anonymous.post(reverse("logout"))
    assert anonymous.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize("persona", ["receptionist", "therapist", "clinic_admin"], indirect=True)
def test_dashboard_greets_every_role(persona, client_record):
    response = persona.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "Find a client" in response.content.decode()


def test_dashboard_sends_anonymous_to_login(anonymous):
    response = anonymous.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_without_a_role_is_told_so(as_no_role):
    body = as_no_role.get(reverse("dashboard")).content.decode()
    assert "has no role yet" in body
    assert "Find a client" not in body


def test_navigation_fits_the_role(as_receptionist, as_admin):
    assert "Admin</a>" not in as_receptionist.get(reverse("dashboard")).content.decode()
    assert "Admin</a>" in as_admin.get(reverse("dashboard")).content.decode()


def test_not_found_page_reveals_nothing(as_receptionist):
    response = as_receptionist.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "urlpatterns" not in body and "Traceback" not in body


def test_server_error_page_reveals_nothing(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_static_assets_are_served_by_the_app(anonymous):
    for path in ("/static/bootstrap/css/bootstrap.min.css", "/static/django_htmx/htmx-2.min.js"):
        response = anonymous.get(path)
        assert response.status_code == 200, path


def test_seed_demo_creates_one_login_per_role_and_clients_and_runs_twice():
    from django.contrib.auth.models import User

    from clinic.models import Client

    call_command("seed_demo")
    call_command("seed_demo")
    assert Client.objects.count() == 30
    roles = {user.groups.get().name for user in User.objects.all()}
    assert roles == {"Receptionist", "Therapist", "Clinic admin"}


def test_healthz_reports_the_database(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_says_when_the_database_is_unreachable(anonymous, monkeypatch):
    from django.db import DatabaseError

    from clinic import views

    class Broken:
        def cursor(self):
            raise DatabaseError("down")

    monkeypatch.setattr(views, "connection", Broken())
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
