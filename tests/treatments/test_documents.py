"""Printable documents (intake summary, session note, progress report, referral letters) and
the referral letter form: roles, input, audit, query counts, and letters that never change."""

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from knowledge.models import Muscle
from tests.factories import (
    ClientFactory,
    FindingFactory,
    SessionFactory,
    intake_answers,
    submitted_intake,
)
from tests.treatments.conftest import write_note
from treatments import services
from treatments.documents import letter_findings
from treatments.models import LetterSentError, ReferralLetter

pytestmark = pytest.mark.django_db

NOTE = "Heel pain 6/10, worst first thing."
COMPLAINT = "Sharp heel pain on the first steps of the morning"


@pytest.fixture
def episode(client_record, therapist):
    return services.surgery_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={
            "procedure": "Knee arthroscopy",
            "status": "planned",
            "side": "left",
            "date": timezone.localdate() + timedelta(days=12),
            "surgeon": "Mr B. Okafor",
        },
    )


@pytest.fixture
def letter(client_record, therapist):
    return services.referral_letter_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={
            "recipient_kind": "gp",
            "recipient_name": "Dr A. Patel",
            "recipient_address": "Mill Lane Surgery\nHighbury",
            "reason": "Calf swelling after a long flight: please rule out a clot.",
            "findings": NOTE,
        },
    )


def print_urls(session, intake, letter):
    c = session.client_id
    return [
        reverse("treatments:session_print", args=[c, session.pk]),
        reverse("treatments:progress_report", args=[c]),
        reverse("treatments:letter_create", args=[c]),
        reverse("treatments:letter_detail", args=[c, letter.pk]),
        reverse("intake:summary_print", args=[intake.pk]),
    ]


@pytest.fixture
def documents(client_record, session, therapist, letter):
    write_note(session, therapist)
    intake = submitted_intake(client=client_record, main_complaint=COMPLAINT)
    return {"session": session, "intake": intake, "letter": letter}


# Who may print


def test_therapist_and_clinic_admin_open_every_document(as_therapist, as_admin, documents):
    for http in (as_therapist, as_admin):
        for url in print_urls(**documents):
            response = http.get(url)
            assert response.status_code == 200, url
            assert "no-store" in response["Cache-Control"], url


def test_receptionist_is_refused_every_document_without_seeing_it(as_receptionist, documents):
    for url in print_urls(**documents):
        response = as_receptionist.get(url)
        assert response.status_code == 403, url
        body = response.content.decode()
        assert NOTE not in body and COMPLAINT not in body and "Patel" not in body, url


def test_anonymous_is_sent_to_log_in_for_every_document(anonymous, documents):
    for url in print_urls(**documents):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_another_clients_letter_through_this_clients_url_is_not_found(as_therapist, letter):
    other = ClientFactory()
    url = reverse("treatments:letter_detail", args=[other.pk, letter.pk])
    assert as_therapist.get(url).status_code == 404


def test_reading_each_document_is_audited_with_ids_only(as_therapist, documents):
    for url in print_urls(**documents):
        as_therapist.get(url)
    kinds = set(AuditEvent.objects.filter(action="view").values_list("detail__document", flat=True))
    assert {
        "session-note",
        "progress-report",
        "letter-form",
        "referral-letter",
        "intake-summary",
    } <= kinds
    details = " ".join(str(d) for d in AuditEvent.objects.values_list("detail", flat=True))
    assert NOTE not in details and COMPLAINT not in details


# What they show


def test_the_letterhead_comes_from_the_settings(as_therapist, documents):
    url = reverse("treatments:progress_report", args=[documents["session"].client_id])
    with override_settings(
        CLINIC_NAME="Harbour Remedial Massage", CLINIC_PHONE="01632 960123", CLINIC_ADDRESS=""
    ):
        body = as_therapist.get(url).content.decode()
    assert "Harbour Remedial Massage" in body and "01632 960123" in body


def test_an_unsigned_note_prints_as_a_draft(as_therapist, documents):
    session = documents["session"]
    body = as_therapist.get(
        reverse("treatments:session_print", args=[session.client_id, session.pk])
    ).content.decode()
    assert "DRAFT: not signed." in body and "is-draft" in body
    assert NOTE in body


def test_a_signed_note_prints_its_signer_time_and_addenda(as_therapist, therapist, documents):
    session = documents["session"]
    services.session_sign(request=None, actor=therapist, session=session, version=session.version)
    services.addendum_add(
        request=None,
        actor=therapist,
        session=session,
        reason="Wrong side",
        text="The finding was on the right calf.",
    )
    body = as_therapist.get(
        reverse("treatments:session_print", args=[session.client_id, session.pk])
    ).content.decode()
    assert "DRAFT" not in body
    assert f"Signed by {therapist.get_full_name()}" in body
    assert "reason: Wrong side" in body and "The finding was on the right calf." in body


def test_intake_summary_shows_the_body_map_answers_and_alerts(as_therapist, client_record):
    intake = submitted_intake(
        client=client_record,
        main_complaint=COMPLAINT,
        answers=intake_answers(**{"calf-swelling-redness-warmth": "yes"}),
    )
    body = as_therapist.get(reverse("intake:summary_print", args=[intake.pk])).content.decode()
    assert 'class="bm-svg"' in body and "bm-zone--pain" in body
    assert COMPLAINT in body
    assert "doc-alert--refer" in body
    assert "Screening answers" in body


def test_a_draft_intake_has_no_summary_yet(as_therapist, client_record, therapist):
    from tests.factories import IntakeFactory

    draft = IntakeFactory(client=client_record, created_by=therapist)
    response = as_therapist.get(reverse("intake:summary_print", args=[draft.pk]))
    assert response.status_code == 302


def test_progress_report_draws_the_charts_on_the_server(as_therapist, documents, therapist):
    session = documents["session"]
    services.measure_record(
        request=None,
        actor=therapist,
        client=session.client,
        kind="nprs",
        answers={"score": 5},
        measured_on=timezone.localdate(),
        session=session,
    )
    body = as_therapist.get(
        reverse("treatments:progress_report", args=[session.client_id])
    ).content.decode()
    assert "<svg" in body and "Outcome measures" in body and "NPRS" in body


# Query counts


def test_session_note_with_many_addenda_prints_in_a_fixed_number_of_queries(
    as_therapist, therapist, documents, django_assert_max_num_queries
):
    session = documents["session"]
    for muscle in Muscle.objects.order_by("slug")[:8]:
        FindingFactory(session=session, muscle=muscle)
    services.session_sign(request=None, actor=therapist, session=session, version=session.version)
    for n in range(25):
        services.addendum_add(
            request=None, actor=therapist, session=session, reason=f"Fix {n}", text="More."
        )
    url = reverse("treatments:session_print", args=[session.client_id, session.pk])
    with django_assert_max_num_queries(14):
        response = as_therapist.get(url)
    assert response.content.decode().count("doc-addendum-head") == 25


def test_progress_report_of_many_sessions_prints_in_a_fixed_number_of_queries(
    as_therapist, therapist, client_record, django_assert_max_num_queries
):
    soleus = Muscle.objects.get(slug="soleus")
    for n in range(40):
        session = SessionFactory(client=client_record, therapist=therapist)
        write_note(session, therapist, pain_before=7 - n % 5)
        FindingFactory(session=session, muscle=soleus, state="latent" if n > 20 else "active")
    url = reverse("treatments:progress_report", args=[client_record.pk])
    with django_assert_max_num_queries(16):
        response = as_therapist.get(url)
    assert response.status_code == 200
    assert "30 earlier ones are in the full record" in response.content.decode()


# The letter form


def test_letter_form_is_prefilled_from_the_record(as_therapist, documents):
    client = documents["session"].client
    client.gp_details = "Dr A. Patel, Mill Lane Surgery"
    client.save()
    response = as_therapist.get(reverse("treatments:letter_create", args=[client.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert COMPLAINT in body
    assert 'value="Dr A. Patel, Mill Lane Surgery"' in body
    kinds = re.findall(r'name="recipient_kind" value="(\w*)"[^>]*?( checked)?>', body)
    assert kinds == [("gp", " checked"), ("surgeon", ""), ("other", "")]


def test_letter_form_from_a_surgery_is_to_the_surgeon(as_therapist, client_record, episode):
    url = reverse("treatments:letter_create", args=[client_record.pk])
    body = as_therapist.get(f"{url}?episode={episode.pk}").content.decode()
    assert 'value="Mr B. Okafor"' in body
    assert "Surgery: Knee arthroscopy (left)" in body
    assert "pre-op, 12 days before" in body


def test_saving_a_letter_keeps_it_and_audits_it(as_therapist, client_record, episode):
    url = reverse("treatments:letter_create", args=[client_record.pk])
    response = as_therapist.post(
        url,
        {
            "recipient_kind": "surgeon",
            "recipient_name": "Mr B. Okafor",
            "recipient_address": "Royal Infirmary",
            "surgery_episode": episode.pk,
            "reason": "Pre-operative summary of soft-tissue treatment.",
            "findings": "Active soleus trigger points.",
        },
    )
    letter = ReferralLetter.objects.get()
    assert response.status_code == 302 and response["Location"] == letter.get_absolute_url()
    assert letter.surgery_episode == episode and letter.author.username == "theo"
    event = AuditEvent.objects.get(action="create", object_type="treatments.referralletter")
    assert event.detail == {"recipient_kind": "surgeon", "episode": episode.pk}
    body = as_therapist.get(letter.get_absolute_url()).content.decode()
    assert "Dear Mr B. Okafor," in body and "Pre-operative letter" in body
    assert "pre-op, 12 days before" in body


def test_a_letter_without_recipient_or_reason_is_refused_and_nothing_saved(
    as_therapist, client_record
):
    url = reverse("treatments:letter_create", args=[client_record.pk])
    response = as_therapist.post(url, {"recipient_kind": "gp", "recipient_name": " "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter the name of the person the letter is to." in body
    assert "Say why you are writing" in body
    assert not ReferralLetter.objects.exists()


def test_another_clients_surgery_cannot_be_named_in_a_letter(
    as_therapist, client_record, therapist
):
    other = services.surgery_create(
        request=None,
        actor=therapist,
        client=ClientFactory(),
        data={"procedure": "Bunionectomy", "status": "planned"},
    )
    url = reverse("treatments:letter_create", args=[client_record.pk])
    assert as_therapist.get(f"{url}?episode={other.pk}").status_code == 404
    response = as_therapist.post(
        url,
        {
            "recipient_kind": "surgeon",
            "recipient_name": "Mr X",
            "reason": "Why",
            "surgery_episode": other.pk,
        },
    )
    assert response.status_code == 400
    assert "Choose one of this client&#x27;s surgeries." in response.content.decode()
    assert not ReferralLetter.objects.exists()


def test_receptionist_cannot_write_a_letter(as_receptionist, client_record):
    url = reverse("treatments:letter_create", args=[client_record.pk])
    response = as_receptionist.post(
        url, {"recipient_kind": "gp", "recipient_name": "Dr X", "reason": "Y"}
    )
    assert response.status_code == 403
    assert not ReferralLetter.objects.exists()


def test_no_letter_about_an_archived_client(as_admin, client_record, clinic_admin):
    from clinic.services import client_archive

    client_archive(request=None, actor=clinic_admin, client=client_record)
    url = reverse("treatments:letter_create", args=[client_record.pk])
    assert as_admin.get(url).status_code == 403


# A letter never changes


def test_a_saved_letter_cannot_be_changed_by_the_app(letter):
    letter.reason = "Something else"
    with pytest.raises(LetterSentError):
        letter.save()
    letter.refresh_from_db()
    assert letter.reason.startswith("Calf swelling")


def test_a_saved_letter_cannot_be_changed_or_deleted_in_the_database(letter):
    with pytest.raises(DatabaseError), transaction.atomic():
        ReferralLetter.objects.filter(pk=letter.pk).update(reason="Rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        ReferralLetter.objects.filter(pk=letter.pk).delete()
    assert ReferralLetter.objects.get(pk=letter.pk).reason.startswith("Calf swelling")


def test_letter_findings_name_the_active_trigger_points_and_the_last_assessment(
    client_record, therapist
):
    session = SessionFactory(client=client_record, therapist=therapist)
    write_note(session, therapist, assessment="Soleus the main driver.")
    services.session_sign(request=None, actor=therapist, session=session, version=session.version)
    FindingFactory(session=SessionFactory(client=client_record, therapist=therapist))
    # Two hours after, with a colleague: a blank assessment, so the earlier one is quoted.
    later = SessionFactory(client=client_record, starts_at=session.starts_at + timedelta(hours=2))
    write_note(later, later.therapist, assessment=" \u00a0\n ")  # a no-break space too
    services.session_sign(request=None, actor=later.therapist, session=later, version=later.version)
    text = letter_findings(client_record)
    assert "Treated with trigger point therapy in 2 sessions from" in text
    assert "Trigger points still active at the last check: Soleus, left." in text
    day = f"{timezone.localtime(session.starts_at):%-d %B %Y}"
    assert f"Assessment at the session of {day}: Soleus the main driver." in text


# Links


def test_client_page_lists_letters_and_document_links_for_clinical_staff(
    as_therapist, as_receptionist, letter
):
    url = letter.client.get_absolute_url()
    body = as_therapist.get(url).content.decode()
    assert letter.get_absolute_url() in body
    assert reverse("treatments:letter_create", args=[letter.client_id]) in body
    assert reverse("client_access_request", args=[letter.client_id]) not in body
    front_desk = as_receptionist.get(url).content.decode()
    assert letter.get_absolute_url() not in front_desk and "Patel" not in front_desk


def test_surgery_page_offers_a_letter_to_the_surgeon_and_lists_those_sent(
    as_therapist, therapist, episode
):
    letter = services.referral_letter_create(
        request=None,
        actor=therapist,
        client=episode.client,
        data={"recipient_kind": "surgeon", "recipient_name": "Mr B. Okafor", "reason": "Pre-op."},
        surgery_episode=episode,
    )
    body = as_therapist.get(episode.get_absolute_url()).content.decode()
    url = reverse("treatments:letter_create", args=[episode.client_id])
    assert f"{url}?episode={episode.pk}" in body
    assert letter.get_absolute_url() in body


def test_progress_report_holds_the_plans_and_the_surgery_notes(
    as_therapist, therapist, client_record, episode
):
    services.plan_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={"goals": "Kneel in the garden again"},
        muscles=[Muscle.objects.get(slug="soleus")],
    )
    services.surgery_note_add(
        request=None,
        actor=therapist,
        episode=episode,
        noted_on=timezone.localdate(),
        text="No deep pressure behind the knee before the operation.",
    )
    body = as_therapist.get(
        reverse("treatments:progress_report", args=[client_record.pk])
    ).content.decode()
    assert "Kneel in the garden again" in body and "Target muscles: Soleus." in body
    assert "No deep pressure behind the knee before the operation." in body
    assert "pre-op, 12 days before" in body


def test_intake_summary_lists_the_suggestions_kept_at_review(as_therapist, client_record):
    from intake.suggestions import intake_suggestions_store

    intake = submitted_intake(client=client_record, pain={"plantar-heel:left": 7})
    ranked = intake_suggestions_store(request=None, actor=None, intake=intake)
    body = as_therapist.get(reverse("intake:summary_print", args=[intake.pk])).content.decode()
    assert "Suggested trigger points at review" in body
    assert ranked[0]["name"] in body


@pytest.mark.parametrize("value", ["x", "\x00", "9" * 40, "-1", "' OR 1=1 --"])
def test_a_hostile_surgery_id_in_the_letter_form_is_not_found(as_therapist, client_record, value):
    url = reverse("treatments:letter_create", args=[client_record.pk])
    assert as_therapist.get(url, {"episode": value}).status_code == 404
