import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic import roles
from intake.models import Intake
from intake.services import online_link_create
from knowledge.models import RedFlag
from tests.factories import ClientFactory, UserFactory, intake_answers, submitted_intake

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def answer_red_flags(page, answers: dict[str, str]) -> None:
    """Click Yes, No or Not sure for each question, as a person would."""
    index = {"yes": 0, "no": 1, "unsure": 2}
    for slug in RedFlag.objects.order_by("position").values_list("slug", flat=True):
        page.locator(f'label[for="id_rf__{slug}_{index[answers.get(slug, "no")]}"]').click()


def test_receptionist_enters_an_intake_on_the_body_map_and_sees_the_red_flag_alert(
    live_server, page, login, screenshot
):
    UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)
    client = ClientFactory(first_name="Maria", last_name="Lopez")
    login(page, "rita")
    page.goto(f"{live_server.url}{client.get_absolute_url()}")
    page.get_by_role("button", name="Start an intake").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Intake: Maria Lopez")

    page.get_by_label("Main complaint").fill("Aching left calf and knee since a long flight")
    page.get_by_label("Or, roughly how long ago").fill("about 2 weeks")
    page.get_by_label("What they want to get back to doing").fill("Walking the dog")

    # Click zones on the drawing; their detail rows arrive with the autosave.
    body_map = page.locator("#intake-bm")
    body_map.locator('.bm-zones [data-zone="calf"][data-side="left"]').click()
    body_map.locator('.bm-zones [data-zone="anterior-knee"][data-side="left"]').click()
    expect(body_map.get_by_role("checkbox", name="Left", exact=True).first).to_be_attached()
    calf = page.locator("#pain-details").get_by_role("heading", name="Calf, left")
    expect(calf).to_be_visible()
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(page.locator("#pain-details .pain-row")).to_have_count(2)
    page.locator('[name="pain__calf__left__intensity"]').fill("7")
    page.locator('label[for="id_pain__calf__left__qualities_0"]').click()  # aching
    page.locator('[name="pain__anterior-knee__left__intensity"]').fill("4")

    page.get_by_label("A fall", exact=True).check()
    page.get_by_label("Running or jogging", exact=True).check()
    answer_red_flags(
        page,
        {"calf-swelling-redness-warmth": "yes", "recent-surgery-immobilisation": "yes"},
    )
    page.get_by_label("Full name, typed as a signature").fill("Maria Lopez")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    screenshot(page, "intake-form-filled")

    page.get_by_role("button", name="Submit intake").click()
    expect(page.get_by_text("Intake submitted.")).to_be_visible()
    alerts = page.get_by_role("region", name="Red-flag alerts")
    expect(alerts).to_contain_text("possible deep vein thrombosis")
    expect(alerts.locator(".red-flag-alert--refer").first).to_be_visible()
    screenshot(page, "intake-submitted-alerts")

    intake = Intake.objects.get(client=client)
    assert intake.status == "submitted"
    assert sorted(intake.pain_reports.values_list("zone__slug", "side", "intensity")) == [
        ("anterior-knee", "left", 4),
        ("calf", "left", 7),
    ]
    page.get_by_role("link", name="Maria Lopez").first.click()
    expect(page.locator("#client-alerts")).to_contain_text("possible deep vein thrombosis")
    screenshot(page, "intake-client-page-alerts")


def test_a_mistake_on_submit_is_shown_at_the_field_and_nothing_is_lost(
    live_server, page, login, screenshot
):
    UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)
    client = ClientFactory(first_name="Sam", last_name="Okafor")
    login(page, "rita")
    page.goto(f"{live_server.url}{client.get_absolute_url()}")
    page.get_by_role("button", name="Start an intake").click()
    page.get_by_label("Main complaint").fill("Heel pain first thing in the morning")
    page.get_by_label("Pain started on").fill("2099-01-01")
    page.get_by_role("button", name="Submit intake").click()

    expect(page.locator("#form-errors")).to_be_visible()
    # Listed at the top, and said again at the field.
    expect(page.locator("#form-errors")).to_contain_text("Mark at least one area that hurts")
    expect(page.locator("#id_onset_date-error")).to_have_text(
        "The pain cannot have started in the future; check the date."
    )
    expect(page.get_by_label("Main complaint")).to_have_value(
        "Heel pain first thing in the morning"
    )
    screenshot(page, "intake-form-errors")


def test_client_completes_an_online_intake_on_a_phone_and_the_link_works_once(
    live_server, phone_page, screenshot
):
    rita = UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)
    client = ClientFactory(first_name="Hannah", last_name="Whitfield")
    new = online_link_create(request=None, actor=rita, client=client)
    url = f"{live_server.url}{reverse('intake:online', args=[new.token])}"
    page = phone_page

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello Hannah")
    expect(page.locator("body")).not_to_contain_text("Whitfield")
    expect(page.locator("nav")).to_have_count(0)
    screenshot(page, "online-intake-phone-start", full_page=False)

    page.get_by_label("What is the problem?").fill("Pain under my heel when I get up")
    page.get_by_label("Or, roughly how long ago").fill("6 weeks")
    # On a phone the areas are tapped on the drawing.
    page.locator('#intake-bm .bm-zones [data-zone="plantar-heel"][data-side="right"]').tap()
    expect(
        page.locator("#pain-details").get_by_role("heading", name=re.compile("right"))
    ).to_be_visible()
    page.locator('[name="pain__plantar-heel__right__intensity"]').fill("6")
    page.get_by_label("Plantar fasciitis").check()
    answer_red_flags(page, {"diabetes-neuropathy": "unsure"})
    page.get_by_label("Your full name, typed as your signature").fill("Hannah Whitfield")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    screenshot(page, "online-intake-phone-filled")

    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers have been sent"
    )
    screenshot(page, "online-intake-phone-done", full_page=False)
    intake = Intake.objects.get(client=client)
    assert (intake.status, intake.source) == ("submitted", "online")
    assert intake.alerts.get().flag == "diabetes-neuropathy"

    # The same link, a second time: refused, and nothing about the client shown.
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has already been used")
    expect(page.locator("body")).not_to_contain_text("Hannah")
    screenshot(page, "online-intake-phone-used", full_page=False)


def test_therapist_reviews_an_intake_from_the_to_review_list(live_server, page, login, screenshot):
    UserFactory(username="theo", first_name="Theo", role=roles.THERAPIST)
    client = ClientFactory(first_name="Grace", last_name="Hughes")
    submitted_intake(
        client=client,
        pain={"calf:left": 7, "posterior-knee:left": 5, "plantar-heel:right": 3},
        factors=("running", "high-heels", "night-cramps"),
        answers=intake_answers(anticoagulants="yes", **{"varicose-veins": "unsure"}),
    )
    submitted_intake(client=ClientFactory(last_name="Nowak"), online=True)
    login(page, "theo")
    page.get_by_role("link", name="To review").click()
    expect(page.locator("#to-review tbody tr")).to_have_count(2)
    screenshot(page, "intake-to-review")

    page.get_by_role("row", name=re.compile("Hughes")).get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review intake: Grace Hughes")
    expect(page.get_by_text("No deep pressure")).to_be_visible()
    screenshot(page, "intake-review")
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text("Intake marked reviewed.")).to_be_visible()
    expect(page.get_by_text(re.compile("Reviewed .* by Theo"))).to_be_visible()
