"""Registering clients from a CSV file (issue 9): a report first, then all rows or none."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic import services
from clinic.csv_io import validate_import
from clinic.models import AuditEvent, Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,date_of_birth,phone,email\n"
GOOD = (
    HEADER
    + "Maria,Lopez,14/03/1985,07700 900123,maria@example.com\n"
    + "Tom,O'Neil,1979-11-02,,\n"
    + "Ann,Smith,01/01/1960,'+44 20 7946 0000,\n"
)
BAD = (
    HEADER
    + "Maria,Lopez,14/03/1985,07700 900123,maria@example.com\n"
    + ",Nobody,01/01/1990,,\n"
    + "Tom,Future,01/01/2999,,\n"
    + "Ann,Smith,31/02/1960,call me,not-an-email\n"
)


def upload(text: str | bytes, name: str = "clients.csv") -> dict:
    data = text.encode() if isinstance(text, str) else text
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def confirm_text(response) -> str:
    """The CSV text the report page carries to its confirm step."""
    match = re.search(
        r'<textarea name="csv_text" hidden aria-hidden="true">\n(.*?)</textarea>',
        response.content.decode(),
        re.S,
    )
    assert match, "the report offers no confirm step"
    import html

    return html.unescape(match.group(1))


def test_a_file_with_errors_writes_nothing_and_reports_every_bad_row(as_admin):
    response = as_admin.post("/exports/import/", upload(BAD))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing has been saved" in page
    assert "3 of 4 rows need fixing" in page
    for row in ('<th scope="row">3</th>', '<th scope="row">4</th>', '<th scope="row">5</th>'):
        assert row in page
    assert "Enter the client&#x27;s first name." in page
    assert "The date of birth cannot be in the future." in page
    assert "Enter an email address like name@example.com." in page
    assert "phone" in page.lower()
    assert 'name="csv_text"' not in page
    assert Client.objects.count() == 0


def test_the_report_names_each_problem_of_a_row(db):
    report = validate_import(BAD)

    by_row = {row.number: row.errors for row in report.bad_rows}
    assert sorted(by_row) == [3, 4, 5]
    assert len(by_row[5]) == 3  # date, phone and email
    assert not report.is_valid


def test_a_valid_file_is_reported_then_registered_in_full_on_confirm(as_admin, clinic_admin):
    report = as_admin.post("/exports/import/", upload(GOOD))

    assert report.status_code == 200
    assert "All 3 rows can be registered" in report.content.decode()
    assert Client.objects.count() == 0

    response = as_admin.post("/exports/import/", {"csv_text": confirm_text(report)})

    assert response.status_code == 302
    assert Client.objects.count() == 3
    smith = Client.objects.get(last_name="Smith")
    # Our export's neutralised cells read back as they were.
    assert smith.phone == "+44 20 7946 0000"
    assert Client.objects.get(last_name="Lopez").created_by == clinic_admin
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, client__isnull=False).count()
        == 3
    )
    assert AuditEvent.objects.filter(detail__import="csv", detail__clients=3).exists()


def test_a_file_with_a_byte_order_mark_and_crlf_lines_is_read(as_admin):
    text = "\ufeff" + GOOD.replace("\n", "\r\n")

    response = as_admin.post("/exports/import/", upload(text.encode("utf-8")))

    assert response.status_code == 200
    assert "All 3 rows can be registered" in response.content.decode()


def test_duplicates_are_warnings_not_errors(as_admin):
    existing = ClientFactory(first_name="Maria", last_name="Lopez", date_of_birth="1985-03-14")
    text = GOOD + "maria,LOPEZ,14/03/1985,,\n"

    response = as_admin.post("/exports/import/", upload(text))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Probably already registered: client {existing.pk}" in page
    assert "The same person as row 2." in page
    assert 'name="csv_text"' in page


def test_a_row_failing_at_write_time_rolls_back_every_row(as_admin, monkeypatch):
    report = as_admin.post("/exports/import/", upload(GOOD))
    real_create = services.client_create
    calls = []

    def failing_create(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            from django.core.exceptions import ValidationError

            raise ValidationError("The database refused the row.")
        return real_create(**kwargs)

    monkeypatch.setattr(services, "client_create", failing_create)

    response = as_admin.post("/exports/import/", {"csv_text": confirm_text(report)})

    assert response.status_code == 409
    assert "nothing was registered" in response.content.decode()
    assert len(calls) == 3
    assert Client.objects.count() == 0
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_confirm_checks_the_file_again(as_admin):
    response = as_admin.post("/exports/import/", {"csv_text": BAD})

    assert response.status_code == 400
    assert "nothing was registered" in response.content.decode()
    assert Client.objects.count() == 0


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload(b"x" * (2 * 1024 * 1024 + 1)), "the limit is 2 MB"),
        (upload(GOOD, name="clients.xlsx"), "Upload a .csv file"),
        (upload(GOOD.encode("utf-16")), "not UTF-8 text"),
        (upload("Maria,Lopez,14/03/1985\n"), "The first line must name the columns"),
        (upload("name,surname,born\nMaria,Lopez,1985-03-14\n"), "missing columns: first_name"),
        (upload(HEADER), "has a header but no clients"),
        (upload(""), "The file is empty"),
        (upload(HEADER + "Ann,Lee,01/01/1980,,\n" * 2001), "import at most 2000 at a time"),
        ({}, "Choose a CSV file to upload"),
    ],
)
def test_an_unreadable_file_gets_a_clear_message(as_admin, file, message):
    response = as_admin.post("/exports/import/", file)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Client.objects.count() == 0


def test_a_row_with_a_missing_cell_is_reported(db):
    report = validate_import(HEADER + "Maria,Lopez,14/03/1985\n")

    (row,) = report.bad_rows
    assert "check for a missing or extra comma" in row.errors[0]


@pytest.mark.parametrize("persona", ["as_receptionist", "as_therapist"])
def test_only_clinic_admins_import_clients(persona, request):
    http = request.getfixturevalue(persona)

    assert http.get("/exports/import/").status_code == 403
    assert http.post("/exports/import/", upload(GOOD)).status_code == 403
    assert http.post("/exports/import/", {"csv_text": GOOD}).status_code == 403
    assert Client.objects.count() == 0


def test_anonymous_is_sent_to_login_for_the_import(anonymous):
    response = anonymous.post("/exports/import/", upload(GOOD))

    assert response.status_code == 302
    assert Client.objects.count() == 0


def test_the_import_page_shows_the_upload_form(as_admin):
    response = as_admin.get("/exports/import/")

    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_the_report_reads_the_database_in_bounded_queries(db, django_assert_max_num_queries):
    rows = "".join(f"Client,Number{n},01/01/1980,,\n" for n in range(200))
    with django_assert_max_num_queries(3):
        report = validate_import(HEADER + rows)
    assert report.is_valid


def test_a_file_far_over_the_limit_is_refused_with_its_real_size(as_admin):
    response = as_admin.post("/exports/import/", upload(b"x" * (5 * 1024 * 1024)))

    assert response.status_code == 400
    assert "The file is 5.0 MB; the limit is 2 MB." in response.content.decode()


def test_a_confirm_sent_back_with_cr_lf_line_breaks_is_measured_as_uploaded(as_admin):
    """Browsers send a form's text back with CR LF: a file just under 2 MB with LF line
    breaks must not grow over the limit on its way back (its rows are then checked)."""
    from clinic.csv_io import IMPORT_MAX_BYTES

    line = "Ann,Lee,01/01/1980,,ann@example.com," + "x" * 1100 + "\n"
    lines = (IMPORT_MAX_BYTES - len(HEADER)) // len(line)
    text = HEADER + line * lines
    assert IMPORT_MAX_BYTES - len(line) < len(text) + lines <= IMPORT_MAX_BYTES + lines
    response = as_admin.post("/exports/import/", {"csv_text": text.replace("\n", "\r\n")})
    page = response.content.decode()
    assert "over 2 MB" not in page
    assert "Nothing has been saved" in page or "nothing was registered" in page

    over = HEADER + line * (lines + 2)
    response = as_admin.post("/exports/import/", {"csv_text": over})
    assert "The file is over 2 MB" in response.content.decode()
    assert Client.objects.count() == 0
