"""A clinic admin imports clients from a spreadsheet: the report first, then all rows at once."""

import pytest
from playwright.sync_api import expect

from clinic import roles
from clinic.models import Client
from tests.factories import ClientFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

BAD = (
    "first_name,last_name,date_of_birth,phone,email\n"
    "Maria,Lopez,14/03/1985,07700 900123,maria@example.com\n"
    ",Okafor,02/07/1990,07700 900456,\n"
    "Tom,Brennan,01/01/2999,,tom@example.com\n"
    "Ann,Smith,31/02/1960,call me,not-an-email\n"
)
GOOD = (
    "first_name,last_name,date_of_birth,phone,email\n"
    "Maria,Lopez,14/03/1985,07700 900123,maria@example.com\n"
    "Grace,Okafor,02/07/1990,07700 900456,\n"
    "Tom,Brennan,01/01/1979,,tom@example.com\n"
)


def test_clinic_admin_sees_every_bad_row_then_imports_a_corrected_file(
    live_server, page, login, screenshot, tmp_path
):
    UserFactory(username="ada", first_name="Ada", role=roles.CLINIC_ADMIN)
    ClientFactory(first_name="Maria", last_name="Lopez", date_of_birth="1985-03-14")
    login(page, "ada")

    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports and import")
    screenshot(page, "exports-page")
    page.get_by_role("link", name="Import clients from CSV").click()

    bad = tmp_path / "clients.csv"
    bad.write_text(BAD, encoding="utf-8")
    page.get_by_label("CSV file of clients").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_text("Nothing has been saved.")).to_be_visible()
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(3)
    expect(page.get_by_text("The date of birth cannot be in the future.")).to_be_visible()
    expect(page.get_by_role("button", name="Register")).to_have_count(0)
    screenshot(page, "import-validation-report")
    assert Client.objects.count() == 1

    good = tmp_path / "clients-fixed.csv"
    good.write_text(GOOD, encoding="utf-8")
    page.get_by_label("CSV file of clients").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_text("All 3 rows can be registered.")).to_be_visible()
    expect(page.locator("#import-warnings")).to_contain_text("Probably already registered")
    screenshot(page, "import-ready-to-confirm")
    page.get_by_role("button", name="Register 3 clients").click()

    expect(page.get_by_text("3 clients registered from the file.")).to_be_visible()
    assert Client.objects.count() == 4
    assert Client.objects.filter(last_name="Okafor", first_name="Grace").exists()
