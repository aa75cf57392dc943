import pytest
from playwright.sync_api import expect

from clinic import roles
from clinic.models import Client
from tests.factories import ClientFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_receptionist_registers_a_client_and_finds_them_by_part_of_the_name(
    live_server, page, login, screenshot
):
    UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)
    ClientFactory.create_batch(5)
    login(page, "rita")
    screenshot(page, "reception-dashboard")

    page.get_by_role("link", name="Register a new client").click()
    page.get_by_label("First name").fill("Hannah")
    page.get_by_label("Last name").fill("Whitfield")
    page.get_by_label("Date of birth").fill("1985-03-14")
    page.get_by_label("Phone", exact=True).fill("07700 900123")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Save client").click()

    # A mistake is explained and nothing typed is lost.
    expect(page.get_by_text("Enter an email address like name@example.com.")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Whitfield")
    screenshot(page, "reception-client-form-error")
    page.get_by_label("Email").fill("hannah@example.com")
    page.get_by_role("button", name="Save client").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Hannah Whitfield")
    expect(page.get_by_text("Hannah Whitfield is registered.")).to_be_visible()
    assert Client.objects.filter(last_name="Whitfield").count() == 1

    page.get_by_role("link", name="Clients").click()
    page.get_by_label("Search clients").fill("whitf")
    results = page.locator("#client-results")
    expect(results.get_by_role("link", name="Whitfield, Hannah")).to_be_visible()
    expect(results.locator("tbody tr")).to_have_count(1)
    screenshot(page, "reception-client-search")

    results.get_by_role("link", name="Whitfield, Hannah").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hannah Whitfield")
