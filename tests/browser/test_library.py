import pytest
from playwright.sync_api import expect

from clinic import roles
from knowledge.models import Muscle, Referral
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_therapist_reads_a_muscle_page_with_its_referral_map(live_server, page, login, screenshot):
    UserFactory(username="theo", first_name="Theo", role=roles.THERAPIST)
    login(page, "theo")
    page.get_by_role("link", name="Library").click()
    page.get_by_label("Refers to").select_option("plantar-heel")
    expect(page.locator("#muscle-results").get_by_role("link", name="Soleus")).to_be_visible()
    page.locator("#muscle-results").get_by_role("link", name="Soleus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Soleus")

    # Essential zones strong, spillover light, on the right views.
    heel = page.locator('#muscle-bm path[data-zone="plantar-heel"]').first
    assert "essential" in (heel.get_attribute("class") or "")
    screenshot(page, "library-muscle-soleus")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "library-muscle-soleus-phone")


def test_the_map_draws_every_zone_on_its_view(live_server, page, login, screenshot):
    UserFactory(username="theo", first_name="Theo", role=roles.THERAPIST)
    login(page, "theo")
    page.goto(f"{live_server.url}/library/zones/plantar-heel/")
    for view in ("front", "back", "sole"):
        expect(page.locator(f"#zone-bm .bm-view--{view} svg")).to_be_visible()
    box = page.locator("#zone-bm").bounding_box()
    assert box and box["width"] > 300
    screenshot(page, "library-zone-plantar-heel")


def test_admin_changes_a_referral_and_the_library_map_follows(live_server, page, login, screenshot):
    UserFactory(username="ada", first_name="Ada", role=roles.CLINIC_ADMIN)
    login(page, "ada")
    muscle = Muscle.objects.get(slug="popliteus")
    page.goto(f"{live_server.url}/admin/knowledge/muscle/{muscle.pk}/change/")
    essential = page.locator("#id_trigger_points-0-essential_zones")
    essential.select_option(["posterior-knee", "medial-calf"])
    screenshot(page, "admin-muscle-popliteus")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert Referral.objects.filter(
        trigger_point__muscle=muscle, zone__slug="medial-calf", kind="essential"
    ).exists()

    page.goto(f"{live_server.url}/library/muscles/popliteus/")
    calf = page.locator('#muscle-bm path[data-zone="medial-calf"]').first
    assert "essential" in (calf.get_attribute("class") or "")

    # Taking every essential zone away is refused, with the reason.
    page.goto(f"{live_server.url}/admin/knowledge/muscle/{muscle.pk}/change/")
    page.locator("#id_trigger_points-0-essential_zones").select_option([])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("needs at least one essential referral zone")).to_be_visible()
    screenshot(page, "admin-muscle-refused")
