"""A client's request for their records: one ZIP of the FHIR record and the printable documents,
for clinic admins only, recorded in the audit log."""

import io
import json
import re
import zipfile

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from clinic.models import AuditEvent
from tests.factories import FindingFactory, SessionFactory, submitted_intake
from tests.treatments.conftest import write_note
from treatments import services

pytestmark = pytest.mark.django_db

COMPLAINT = "Burning arch pain after the marathon"
NOTE = "Arch tender, worse on the left"


def add_sessions(client, therapist, count: int, *, signed: bool = True):
    sessions = []
    for _ in range(count):
        session = SessionFactory(client=client, therapist=therapist)
        write_note(session, therapist, subjective=NOTE)
        FindingFactory(session=session)
        if signed:
            session = services.session_sign(
                request=None, actor=therapist, session=session, version=session.version
            )
            services.addendum_add(
                request=None, actor=therapist, session=session, reason="Detail", text="Added."
            )
        sessions.append(session)
    return sessions


@pytest.fixture
def record(client_record, therapist):
    intake = submitted_intake(client=client_record, main_complaint=COMPLAINT)
    sessions = add_sessions(client_record, therapist, 2)
    draft = SessionFactory(client=client_record, therapist=therapist)
    write_note(draft, therapist)
    episode = services.surgery_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={"procedure": "Plantar fascia release", "status": "planned"},
    )
    letter = services.referral_letter_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={"recipient_kind": "surgeon", "recipient_name": "Ms C. Ruiz", "reason": "Pre-op."},
        surgery_episode=episode,
    )
    services.measure_record(
        request=None,
        actor=therapist,
        client=client_record,
        kind="nprs",
        answers={"score": 4},
        measured_on=sessions[0].local_start.date(),
        session=sessions[0],
    )
    return {
        "client": client_record,
        "intake": intake,
        "sessions": sessions,
        "draft": draft,
        "letter": letter,
    }


def url_for(client) -> str:
    return reverse("client_access_request", args=[client.pk])


def open_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="client-record-')
    assert "no-store" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_clinic_admin_gets_the_whole_record_as_one_zip(as_admin, record):
    archive = open_zip(as_admin.post(url_for(record["client"])))
    names = set(archive.namelist())
    intake, letter, draft = record["intake"], record["letter"], record["draft"]
    expected = {
        "README.txt",
        "index.html",
        "record.fhir.json",
        "progress-report.html",
        *(f"session-note-{s.local_start:%Y-%m-%d}-{s.pk}.html" for s in record["sessions"]),
        f"session-note-{draft.local_start:%Y-%m-%d}-{draft.pk}.html",
        f"intake-summary-{intake.submitted_at.astimezone():%Y-%m-%d}-{intake.pk}.html",
    }
    assert expected <= names
    assert any(n.startswith("letter-") and n.endswith(f"-{letter.pk}.html") for n in names)
    assert len(names) == len(expected) + 1


def test_the_fhir_json_parses_and_validates(as_admin, record):
    archive = open_zip(as_admin.post(url_for(record["client"])))
    bundle = json.loads(archive.read("record.fhir.json"))
    assert bundle["resourceType"] == "Bundle"
    Bundle.model_validate(bundle)


def test_the_documents_are_self_contained_html(as_admin, record):
    archive = open_zip(as_admin.post(url_for(record["client"])))
    for name in archive.namelist():
        if not name.endswith(".html"):
            continue
        html = archive.read(name).decode()
        assert "<style>" in html, name
        assert "<link" not in html and "<script" not in html, name
        assert not re.search(r'(href|src)="(/|https?:)', html), name
        assert 'class="doc-toolbar' not in html, name


def test_the_documents_hold_the_record(as_admin, record):
    archive = open_zip(as_admin.post(url_for(record["client"])))
    text = {n: archive.read(n).decode() for n in archive.namelist()}
    intake_file = next(n for n in text if n.startswith("intake-summary-"))
    assert COMPLAINT in text[intake_file] and 'class="bm-svg"' in text[intake_file]
    signed = [n for n in text if n.startswith("session-note-") and "Signed by" in text[n]]
    assert len(signed) == 2 and all("Added." in text[n] and NOTE in text[n] for n in signed)
    draft = f"session-note-{record['draft'].local_start:%Y-%m-%d}-{record['draft'].pk}.html"
    assert "DRAFT: not signed." in text[draft]
    assert "<svg" in text["progress-report.html"]
    letter = next(n for n in text if n.startswith("letter-"))
    assert "Dear Ms C. Ruiz," in text[letter]
    for name in set(text) - {"index.html", "README.txt"}:
        assert f'href="{name}"' in text["index.html"] and name in text["README.txt"], name


def test_the_request_is_recorded_in_the_audit_log(as_admin, record, clinic_admin):
    as_admin.post(url_for(record["client"]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_REQUEST)
    assert event.actor == clinic_admin and event.client == record["client"]
    assert event.detail == {"files": 9, "intakes": 1, "session_notes": 3, "letters": 1}
    assert event.get_action_display() == "Record given to the client"


@pytest.mark.parametrize("persona", ["receptionist", "therapist"], indirect=True)
def test_only_clinic_admins_may_give_a_client_their_record(persona, record):
    response = persona.post(url_for(record["client"]))
    assert response.status_code == 403
    assert COMPLAINT not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REQUEST).exists()


def test_the_client_page_offers_the_download_to_clinic_admins_only(as_admin, as_therapist, record):
    url = url_for(record["client"])
    assert f'action="{url}"' in as_admin.get(record["client"].get_absolute_url()).content.decode()
    assert url not in as_therapist.get(record["client"].get_absolute_url()).content.decode()


def test_anonymous_is_sent_to_log_in(anonymous, record):
    response = anonymous.post(url_for(record["client"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_is_a_post_only_action(as_admin, record):
    assert as_admin.get(url_for(record["client"])).status_code == 405


def test_an_archived_clients_record_can_still_be_given(as_admin, record, clinic_admin):
    from clinic.services import client_archive

    client_archive(request=None, actor=clinic_admin, client=record["client"])
    assert "record.fhir.json" in open_zip(as_admin.post(url_for(record["client"]))).namelist()


def test_the_zip_is_built_in_a_fixed_number_of_queries(
    as_admin, record, therapist, django_assert_max_num_queries
):
    url = url_for(record["client"])
    with django_assert_max_num_queries(60) as few:
        as_admin.post(url)
    add_sessions(record["client"], therapist, 12)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = as_admin.post(url)
    assert len(open_zip(response).namelist()) == 9 + 12
    assert len(many.captured_queries) == len(few.captured_queries)
