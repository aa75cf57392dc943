"""CSV exports of clients and sessions for clinic admins (issue 9), formula cells neutralised."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.csv_io import neutralise, restore
from clinic.models import AuditEvent
from tests.factories import ClientFactory, SessionFactory, aware

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ann O'Neil", "Ann O'Neil"),
        ("", ""),
        (None, ""),
        (7, 7),
        (True, "yes"),
    ],
)
def test_text_that_could_start_a_formula_is_neutralised(value, cell):
    assert neutralise(value) == cell


def test_a_neutralised_cell_reads_back_as_it_was():
    for text in ("=1+1", "+44 20", "-x", "@a", "plain", "'quoted"):
        assert restore(str(neutralise(text))) == text


def test_a_clinic_admin_downloads_every_client_as_csv(as_admin, clinic_admin):
    ClientFactory(first_name="=cmd|' /C calc'!A0", last_name="Smith", phone="+44 7700 900123")
    ClientFactory(last_name="Jones")

    response = as_admin.get("/exports/clients.csv")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="knotwork-clients-')
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert len(rows) == 2
    smith = next(row for row in rows if row["last_name"] == "Smith")
    assert smith["first_name"] == "'=cmd|' /C calc'!A0"
    assert smith["phone"] == "'+44 7700 900123"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, actor=clinic_admin, detail__export="clients"
    ).exists()


def test_the_clients_export_reads_in_bounded_queries(as_admin, django_assert_max_num_queries):
    ClientFactory.create_batch(60)
    with django_assert_max_num_queries(12):
        response = as_admin.get("/exports/clients.csv")
        rows = read_csv(response)
    assert len(rows) == 60


def test_sessions_export_covers_the_date_range_with_pain_and_signed(as_admin):
    today = timezone.localdate()
    inside = SessionFactory(
        starts_at=aware(today - timedelta(days=3), 9),
        ends_at=aware(today - timedelta(days=3), 10),
        pain_before=6,
        pain_after=3,
        status="completed",
    )
    SessionFactory(
        starts_at=aware(today - timedelta(days=40), 9),
        ends_at=aware(today - timedelta(days=40), 10),
    )

    response = as_admin.get(
        "/exports/sessions.csv",
        {"date_from": (today - timedelta(days=7)).isoformat(), "date_to": today.isoformat()},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (row,) = read_csv(response)
    assert row["date"] == inside.local_start.date().isoformat()
    assert row["start"] == "09:00"
    assert row["client_id"] == str(inside.client_id)
    assert row["status"] == "Completed"
    assert (row["pain_before"], row["pain_after"], row["signed"]) == ("6", "3", "no")
    assert AuditEvent.objects.filter(detail__export="sessions").exists()


def test_sessions_export_reads_in_bounded_queries(as_admin, django_assert_max_num_queries):
    client = ClientFactory()
    for _ in range(40):
        SessionFactory(client=client)
    with django_assert_max_num_queries(12):
        rows = read_csv(as_admin.get("/exports/sessions.csv"))
    assert len(rows) == 40


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"date_from": "yesterday", "date_to": "2026-03-01"},
        {"date_from": "2026-03-10"},
        {"date_from": "1990-01-01", "date_to": "2026-01-01"},
    ],
)
def test_a_bad_date_range_is_answered_with_the_form_and_its_errors(as_admin, params):
    response = as_admin.get("/exports/sessions.csv", params)

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize("url", ["/exports/", "/exports/clients.csv", "/exports/sessions.csv"])
@pytest.mark.parametrize("persona", ["as_receptionist", "as_therapist"])
def test_only_clinic_admins_reach_the_exports(url, persona, request):
    response = request.getfixturevalue(persona).get(url)

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize("url", ["/exports/", "/exports/clients.csv", "/exports/sessions.csv"])
def test_anonymous_is_sent_to_login_for_the_exports(anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_exports_page_offers_both_downloads_and_the_import(as_admin):
    response = as_admin.get("/exports/")

    assert response.status_code == 200
    page = response.content.decode()
    for url in ("/exports/clients.csv", "/exports/sessions.csv", "/exports/import/"):
        assert url in page
    assert page.count("<h1") == 1
    # The sessions range starts at the last 30 days.
    assert f'value="{timezone.localdate().isoformat()}"' in page


@pytest.mark.parametrize(
    "value",
    ["' OR '1'='1", "x" * 5000, "ab\x00cd", "9" * 40, "-1", "2026-02-30", "<script>x</script>"],
)
@pytest.mark.parametrize("param", ["date_from", "date_to"])
def test_hostile_range_values_are_refused_with_a_message(as_admin, param, value):
    params = {"date_from": "2026-03-01", "date_to": "2026-03-31", param: value}

    response = as_admin.get("/exports/sessions.csv", params)

    assert response.status_code == 400
    assert b"invalid-feedback" in response.content
    assert b"<script>x</script>" not in response.content
