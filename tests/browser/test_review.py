import pytest
from playwright.sync_api import expect

from clinic import roles
from tests.factories import ClientFactory, UserFactory, submitted_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_therapist_reviews_ranked_suggestions_drawn_over_the_pain_map(
    live_server, page, login, screenshot
):
    UserFactory(username="theo", first_name="Theo", role=roles.THERAPIST)
    intake = submitted_intake(
        client=ClientFactory(first_name="Maria", last_name="Lopez"),
        pain={"plantar-heel:right": 7, "posterior-heel:right": 4, "calf:right": 3},
        factors=("hill-running-walking", "heel-weight-bearing-pain", "high-heels"),
    )
    login(page, "theo")
    page.goto(f"{live_server.url}/intakes/{intake.pk}/review/")

    suggestions = page.locator(".suggestion")
    expect(suggestions.first).to_contain_text("Soleus")
    expect(suggestions.first).to_contain_text("Essential referral zone: plantar heel")
    assert suggestions.count() >= 3
    overlay = page.locator("#suggestion-map")
    expect(overlay.get_by_role("heading", level=2)).to_contain_text("Soleus")
    assert "bm-zone--outlined" in (
        overlay.locator('path[data-zone="plantar-heel"][data-side="right"]').get_attribute("class")
        or ""
    )
    screenshot(page, "review-suggestions")

    second = suggestions.nth(1)
    name = second.locator("a.fw-semibold").inner_text()
    second.get_by_role("button", name="Show on map").click()
    expect(overlay.get_by_role("heading", level=2)).to_contain_text(name)
    screenshot(page, "review-suggestion-2-on-map")


def test_receptionist_sees_the_alerts_but_no_suggestions(live_server, page, login):
    UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)
    intake = submitted_intake(
        pain={"plantar-heel:right": 7},
        answers=None,
        factors=("heel-weight-bearing-pain",),
    )
    login(page, "rita")
    page.goto(f"{live_server.url}/intakes/{intake.pk}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "Suggested trigger points" not in page.content()
    assert "Soleus" not in page.content()
