"""Each printable document printed by Chromium as the clinic's browser would: A4 pages under
print media, saved as PDF and screenshotted into var/screenshots/ for a person to look at."""

import re
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic import demo
from clinic.models import Client
from intake.models import Intake
from tests.browser.conftest import SCREENSHOTS
from treatments import services
from treatments.models import Session, SurgeryEpisode

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

A4_POINTS = (595, 842)
# The width inside print.css's A4 margins (178 mm) in CSS pixels: the print screenshots are
# taken at it, so they show the lines as the page breaks them.
PRINTED_WIDTH = 673


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size in points of each page of a PDF Chromium wrote (its page objects are plain)."""
    boxes = re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[\s*([\d. ]+)\]", pdf, re.DOTALL)
    return [tuple(float(n) for n in box.split()[2:4]) for box in boxes]


def print_document(page, url: str, name: str, screenshot) -> list[tuple[float, float]]:
    page.emulate_media(media="screen")
    page.goto(url)
    expect(page.locator("main.sheet")).to_be_visible()
    screenshot(page, f"documents-{name}-screen")
    page.emulate_media(media="print")
    expect(page.locator(".doc-toolbar")).to_be_hidden()
    page.set_viewport_size({"width": PRINTED_WIDTH, "height": 900})
    screenshot(page, f"documents-{name}-print")
    page.set_viewport_size({"width": 1280, "height": 900})
    pdf = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / f"documents-{name}.pdf").write_bytes(pdf)
    pages = pdf_pages(pdf)
    assert pages and all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in pages)
    return pages


@pytest.fixture
def demo_record(settings):
    """The demo clinic: the heel-pain client's eight signed sessions, surgery and measures."""
    settings.CLINIC_ADDRESS = "14 Harbour Street, Bristol BS1 4RN"
    settings.CLINIC_PHONE = "0117 496 0123"
    settings.CLINIC_EMAIL = "reception@clinic.example"
    demo.seed(clients=12)
    heel = Client.objects.active().order_by("id").first()
    therapist = Session.objects.filter(client=heel).first().therapist
    sessions = list(
        Session.objects.filter(client=heel, signed_at__isnull=False).order_by("starts_at")
    )
    services.addendum_add(
        request=None,
        actor=therapist,
        session=sessions[-1],
        reason="Side recorded wrongly",
        text="The quadratus plantae finding was on the right foot, as the intake says.",
    )
    episode = SurgeryEpisode.objects.get(client=heel)
    letter = services.referral_letter_create(
        request=None,
        actor=therapist,
        client=heel,
        data={
            "recipient_kind": "surgeon",
            "recipient_name": "Mr K. Okafor",
            "recipient_address": "Orthopaedic Department\nSouthmead Hospital\nBristol BS10 5NB",
            "reason": (
                "Post-operative update after your knee arthroscopy: soft-tissue treatment of the "
                "calf and foot resumed two weeks after surgery, as you advised."
            ),
            "findings": (
                "Heel pain down from 7 to 2 over eight weekly sessions.\n\n"
                "Soleus and quadratus plantae trigger points now latent; knee flexion 110 "
                "degrees at day 15. No concerns at the knee."
            ),
        },
        surgery_episode=episode,
    )
    draft = services.session_book(
        request=None,
        actor=therapist,
        client=heel,
        therapist=therapist,
        starts_at=sessions[-1].starts_at + timedelta(days=1, hours=5),
        minutes=60,
    )
    services.session_note_save(
        request=None,
        actor=therapist,
        session=draft,
        version=draft.version,
        data={"subjective": "Heel pain 2/10.", "pain_before": 2},
        findings=[],
        treatments=[],
    )
    alerts_intake = Intake.objects.filter(alerts__isnull=False).order_by("id").first()
    return {
        "heel": heel,
        "signed": sessions[-1],
        "draft": draft,
        "letter": letter,
        "intake": alerts_intake,
    }


def test_each_document_prints_as_clean_a4_pages(live_server, page, login, screenshot, demo_record):
    login(page, "therapist", demo.DEMO_PASSWORD)
    heel, signed, draft = demo_record["heel"], demo_record["signed"], demo_record["draft"]
    base = live_server.url

    pages = print_document(
        page,
        base + reverse("intake:summary_print", args=[demo_record["intake"].pk]),
        "intake-summary",
        screenshot,
    )
    expect(page.locator(".bm-svg").first).to_be_visible()
    expect(page.locator(".doc-alert").first).to_be_visible()
    assert 1 <= len(pages) <= 3

    pages = print_document(
        page,
        base + reverse("treatments:session_print", args=[heel.pk, signed.pk]),
        "session-note",
        screenshot,
    )
    expect(page.get_by_text("Side recorded wrongly")).to_be_visible()
    assert 1 <= len(pages) <= 2

    pages = print_document(
        page,
        base + reverse("treatments:session_print", args=[heel.pk, draft.pk]),
        "session-note-draft",
        screenshot,
    )
    expect(page.locator(".doc-status--draft")).to_contain_text("DRAFT: not signed.")
    assert len(pages) == 1

    pages = print_document(
        page,
        base + reverse("treatments:progress_report", args=[heel.pk]),
        "progress-report",
        screenshot,
    )
    expect(page.locator(".doc-chart svg")).to_have_count(4)
    assert 2 <= len(pages) <= 5

    pages = print_document(
        page, base + demo_record["letter"].get_absolute_url(), "referral-letter", screenshot
    )
    expect(page.get_by_text("Dear Mr K. Okafor,")).to_be_visible()
    assert len(pages) == 1


def test_a_therapist_writes_a_letter_to_the_gp_from_the_client_page(
    live_server, page, login, screenshot, demo_record
):
    heel = demo_record["heel"]
    login(page, "therapist", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}{heel.get_absolute_url()}")
    page.get_by_role("link", name="Write a letter").click()
    expect(page.get_by_label("Findings and summary")).to_contain_text("Presenting complaint")
    page.get_by_label("GP or family doctor").check()
    page.get_by_label("Recipient's name").fill("Dr S. Patel")
    page.get_by_label("Practice and address").fill("Mill Lane Surgery\nBristol BS6 7AA")
    page.get_by_label("Reason for referral").fill(
        "Heel pain much improved; please consider a podiatry referral for orthotics."
    )
    screenshot(page, "documents-letter-form")
    page.get_by_role("button", name="Save the letter").click()
    expect(page.get_by_role("status")).to_contain_text("Letter to Dr S. Patel saved")
    expect(page.get_by_text("Dear Dr S. Patel,")).to_be_visible()
    page.emulate_media(media="print")
    screenshot(page, "documents-gp-letter-print")
    pdf = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / "documents-gp-letter.pdf").write_bytes(pdf)
    assert len(pdf_pages(pdf)) == 1
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}{heel.get_absolute_url()}")
    expect(page.locator("#client-letters li")).to_have_count(2)
    page.locator("#documents-heading").scroll_into_view_if_needed()
    screenshot(page, "documents-client-page-letters")


def test_a_clinic_admin_gives_a_client_their_record_that_opens_offline(
    live_server, page, login, screenshot, demo_record, tmp_path
):
    heel = demo_record["heel"]
    login(page, "admin", demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}{heel.get_absolute_url()}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the client's whole record").click()
    archive = tmp_path / "record.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as files:
        files.extractall(tmp_path / "record")
        names = files.namelist()
    assert "record.fhir.json" in names and len(names) > 10
    # Opened from the disk with the network cut off: everything it shows is in the file.
    page.context.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
    page.goto((tmp_path / "record" / "index.html").as_uri())
    expect(page.get_by_role("heading", name="Your record")).to_be_visible()
    screenshot(page, "documents-access-request-index")
    note = next(n for n in sorted(names) if n.startswith("session-note-"))
    page.get_by_role("link", name=note).click()
    expect(page.locator(".letterhead")).to_have_css("border-bottom-style", "solid")
    page.emulate_media(media="print")
    screenshot(page, "documents-access-request-session-note")
