"""A therapist's day, and the schedule at the front desk, as a person sees them."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic import roles
from tests.factories import ClientFactory, SessionFactory, UserFactory, aware, submitted_intake
from treatments.models import Addendum, OutcomeMeasure, Session, TreatmentPlan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_therapists_day_from_intake_review_to_progress(live_server, page, login, screenshot):
    UserFactory(username="tom", first_name="Tom", last_name="Hartley", role=roles.THERAPIST)
    client = ClientFactory(first_name="Grace", last_name="Hughes")
    intake = submitted_intake(
        client=client,
        pain={"plantar-heel:left": 7, "calf:left": 4},
        factors=("prolonged-standing", "first-steps-pain"),
    )
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "tom")
    screenshot(page, "treatments-01-dashboard")

    # Review the intake and plan from its suggestions.
    page.goto(f"{live_server.url}/intakes/{intake.pk}/review/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hughes")
    first = page.locator("#suggestion-0")
    muscle_name = first.locator("a.fw-semibold").inner_text()
    first.get_by_role("button", name="Add to plan").click()
    expect(page.get_by_text(f"Started a treatment plan with {muscle_name}.")).to_be_visible()
    page.locator("#suggestion-1").get_by_role("button", name="Add to plan").click()
    expect(page.get_by_text(re.compile("Added .* to the treatment plan."))).to_be_visible()
    screenshot(page, "treatments-02-review-add-to-plan")
    plan = TreatmentPlan.objects.get(client=client)
    assert plan.plan_muscles.count() == 2
    assert plan.plan_muscles.first().source == "suggestion"

    # Fill in the plan's goals and schedule.
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    page.get_by_role("link", name="Edit plan").click()
    page.get_by_label("Goals").fill("Walk the dog for 30 minutes without heel pain.")
    page.get_by_label("Number of sessions").fill("6")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Treatment plan saved.")).to_be_visible()
    expect(page.locator("#plan-muscles li")).to_have_count(2)
    screenshot(page, "treatments-03-plan")

    # Book yesterday's session (so it can be signed), from the plan page.
    page.get_by_role("link", name="Book a session").click()
    yesterday = timezone.localdate() - timedelta(days=1)
    page.get_by_label("Date").fill(yesterday.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Therapist").select_option(label="Tom Hartley")
    page.get_by_role("button", name="Book session").click()
    expect(page.get_by_text(re.compile("Booked Grace Hughes with Tom Hartley"))).to_be_visible()
    session = Session.objects.get(client=client)

    # Log the session: SOAP, a finding for the first target muscle, treatment, pain.
    page.goto(f"{live_server.url}{session.get_absolute_url()}")
    page.get_by_role("link", name="Write note").click()
    expect(page.get_by_label("Home care given")).not_to_be_empty()
    page.get_by_label("Subjective", exact=True).fill(
        "Left heel pain 7/10 on first steps; eases by midday."
    )
    page.get_by_label("Objective", exact=True).fill(
        "Taut band in the muscle listed below; jump sign."
    )
    page.get_by_label("Assessment", exact=True).fill("Referred heel pain from trigger points.")
    page.get_by_label("Plan for next time", exact=True).fill("Weekly; start calf stretches.")
    page.get_by_label("Pain before (0 to 10)").select_option("7")
    page.get_by_label("Pain after (0 to 10)").select_option("4")
    page.locator("#id_f-0-side").select_option("left")
    page.locator("#id_f-0-state").select_option("active")
    page.locator("#id_f-0-tenderness").select_option("3")
    page.locator("#id_f-0-referral_reproduced").check()
    page.locator("#id_t-0-technique").select_option("ischemic-compression")
    page.locator("#id_t-0-pressure").select_option("firm")
    page.locator("#id_t-0-minutes").fill("8")
    screenshot(page, "treatments-04-note-form")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Note saved.")).to_be_visible()
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    expect(page.get_by_role("link", name="Edit note")).to_have_count(0)
    screenshot(page, "treatments-05-signed-note")

    # A correction is an addendum.
    page.locator("#id_reason").fill("Pressure tolerance not recorded")
    page.locator("#id_text").fill("Tolerated firm pressure well; no bruising.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_text("Addendum added to the signed note.")).to_be_visible()
    screenshot(page, "treatments-06-addendum")
    assert Addendum.objects.filter(session=session).count() == 1

    # Record a LEFS with the session.
    page.get_by_role("button", name="Record a measure").click()
    page.get_by_role("link", name="LEFS").click()
    for index in range(20):
        page.locator(f"input[name=item_{index}][value='{2 if index % 3 else 3}']").check()
    screenshot(page, "treatments-07-lefs")
    page.get_by_role("button", name="Save LEFS").click()
    expect(page.get_by_text(re.compile(r"LEFS recorded: \d+/80"))).to_be_visible()
    assert OutcomeMeasure.objects.get(client=client).session == session

    # The progress page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress: Grace Hughes")
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "treatments-08-progress")


def test_reception_books_moves_and_meets_a_double_booking(live_server, page, login, screenshot):
    UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)
    tom = UserFactory(username="tom", first_name="Tom", last_name="Hartley", role=roles.THERAPIST)
    UserFactory(username="priya", first_name="Priya", last_name="Raman", role=roles.THERAPIST)
    ClientFactory(first_name="Grace", last_name="Hughes")
    day = timezone.localdate() + timedelta(days=1)
    busy = ClientFactory(first_name="Jack", last_name="Nowak")
    SessionFactory(client=busy, therapist=tom, starts_at=aware(day, 10), ends_at=aware(day, 11))
    login(page, "rita")
    page.get_by_role("link", name="Schedule", exact=True).click()
    page.get_by_role("link", name="Book a session").click()
    page.get_by_label("Find the client").fill("hugh")
    page.get_by_role("link", name="Book for Grace").click()
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Therapist").select_option(label="Tom Hartley")
    page.get_by_role("button", name="Book session").click()
    expect(page.get_by_text(re.compile("Tom Hartley already has a session 10:00"))).to_be_visible()
    expect(page.get_by_label("Start time")).to_have_value("10:30")
    screenshot(page, "treatments-reception-double-booking")
    page.get_by_label("Therapist").select_option(label="Priya Raman")
    page.get_by_role("button", name="Book session").click()
    expect(page.get_by_text(re.compile("Booked Grace Hughes with Priya Raman"))).to_be_visible()
    screenshot(page, "treatments-reception-day")
    page.get_by_role("link", name="Week", exact=True).click()
    screenshot(page, "treatments-reception-week")
    # Reception sees no notes: there is no note link on the schedule.
    page.get_by_role("link", name="Day", exact=True).click()
    expect(page.get_by_role("link", name="Open note")).to_have_count(0)
    page.get_by_role("link", name="Move").first.click()
    page.get_by_label("Start time").fill("14:00")
    page.get_by_role("button", name="Move session").click()
    expect(page.get_by_text(re.compile("Moved .* at 14:00"))).to_be_visible()


def test_the_demo_progress_page_tells_the_story(live_server, page, login, screenshot):
    from clinic.demo import seed
    from treatments.models import TreatmentPlan as Plan

    seed(clients=12)
    heel = Plan.objects.filter(goals__startswith="Walk the dog").get().client
    login(page, "therapist", "knotwork-demo-2026")
    screenshot(page, "treatments-demo-dashboard")
    expect(page.locator("#unsigned-notes li")).to_have_count(1)
    page.goto(f"{live_server.url}/clients/{heel.pk}/progress/")
    expect(page.get_by_text(re.compile("Pain before treatment down from 7 to 3"))).to_be_visible()
    screenshot(page, "treatments-demo-progress")
    page.goto(f"{live_server.url}{heel.get_absolute_url()}")
    screenshot(page, "treatments-demo-client")
    page.goto(f"{live_server.url}/schedule/")
    screenshot(page, "treatments-demo-schedule")
    surgery = heel.surgery_episodes.get()
    page.goto(f"{live_server.url}{surgery.get_absolute_url()}")
    expect(page.get_by_text("pre-op, 12 days before")).to_be_visible()
    screenshot(page, "treatments-demo-surgery")
