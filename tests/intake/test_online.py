import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from intake.models import Intake, OnlineIntakeLink
from intake.services import hash_token, online_link_create
from tests.factories import ClientFactory, intake_answers, intake_post

pytestmark = pytest.mark.django_db

STAFF = ["receptionist", "therapist", "clinic_admin"]


@pytest.fixture
def client_with_email(db):
    return ClientFactory(
        first_name="Hannah",
        last_name="Whitfield",
        email="hannah@example.com",
        phone="07700 900123",
    )


@pytest.fixture
def link(client_with_email, receptionist):
    return online_link_create(request=None, actor=receptionist, client=client_with_email)


def online_url(token: str) -> str:
    return reverse("intake:online", args=[token])


# Creating links


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_create_a_link_shown_once_to_copy(persona, client_with_email):
    response = persona.post(reverse("intake:link_create", args=[client_with_email.pk]), {"days": 7})
    body = response.content.decode()
    assert response.status_code == 200
    saved = OnlineIntakeLink.objects.get(client=client_with_email)
    token = body.split("/i/")[1].split("/")[0]
    assert saved.token_hash == hash_token(token)
    assert token not in str(saved.__dict__)  # only the hash is stored
    assert abs(saved.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(object_type="intake.onlineintakelink")
    assert token not in str(event.detail)


def test_the_link_is_emailed_when_email_is_configured(as_receptionist, client_with_email):
    url = reverse("intake:link_create", args=[client_with_email.pk])
    page = as_receptionist.get(url).content.decode()
    assert "Email the link to hannah@example.com" in page
    response = as_receptionist.post(url, {"days": 3, "send_email": "on"})
    assert response.status_code == 200
    assert "has been emailed to hannah@example.com" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hannah@example.com"]
    assert "/i/" in message.body and "Hello Hannah" in message.body
    assert OnlineIntakeLink.objects.get().emailed_to == "hannah@example.com"


@override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
def test_without_email_configured_the_link_is_only_shown(as_receptionist, client_with_email):
    url = reverse("intake:link_create", args=[client_with_email.pk])
    assert "Email sending is not set up" in as_receptionist.get(url).content.decode()
    response = as_receptionist.post(url, {"days": 7, "send_email": "on"})
    assert "has been emailed" not in response.content.decode()
    assert OnlineIntakeLink.objects.get().emailed_to == ""


@pytest.mark.parametrize(
    ("days", "message"),
    [("0", "at least 1 day"), ("31", "at most 30 days"), ("x", "whole number"), ("", "how many")],
)
def test_a_bad_validity_gets_a_message(as_receptionist, client_with_email, days, message):
    response = as_receptionist.post(
        reverse("intake:link_create", args=[client_with_email.pk]), {"days": days}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OnlineIntakeLink.objects.exists()


def test_anonymous_cannot_create_a_link(anonymous, client_with_email):
    response = anonymous.post(reverse("intake:link_create", args=[client_with_email.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not OnlineIntakeLink.objects.exists()


def test_staff_without_a_role_cannot_create_a_link(as_no_role, client_with_email):
    response = as_no_role.post(
        reverse("intake:link_create", args=[client_with_email.pk]), {"days": 7}
    )
    assert response.status_code == 403
    assert "Hannah" not in response.content.decode()
    assert not OnlineIntakeLink.objects.exists()


# Using a link


def test_the_client_opens_the_link_without_an_account_and_sees_only_their_first_name(
    anonymous, link
):
    response = anonymous.get(online_url(link.token))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hello Hannah" in body
    for private in ("Whitfield", "hannah@example.com", "07700", "Clients</a>"):
        assert private not in body
    assert 'name="rf__fever-unwell"' in body
    assert "no-store" in response["Cache-Control"]
    intake = Intake.objects.get()
    assert (intake.source, intake.status, intake.created_by) == ("online", "draft", None)
    assert link.link.__class__.objects.get().intake == intake


def test_the_client_submits_and_the_link_is_used_up(anonymous, link):
    anonymous.get(online_url(link.token))
    intake = Intake.objects.get()
    post = intake_post(version=intake.version, answers=intake_answers(**{"fever-unwell": "yes"}))
    response = anonymous.post(online_url(link.token), post)
    assert response.status_code == 302
    assert response.url == reverse("intake:online_done")
    intake.refresh_from_db()
    assert intake.status == "submitted"
    assert intake.submitted_by is None
    assert intake.alerts.get().level == "refer"
    saved = OnlineIntakeLink.objects.get()
    assert saved.used_at is not None
    event = AuditEvent.objects.get(action="submit")
    assert event.actor is None and event.detail["online"] is True

    again = anonymous.get(online_url(link.token))
    body = again.content.decode()
    assert again.status_code == 410
    assert "already been used" in body
    assert "Hannah" not in body
    assert anonymous.post(online_url(link.token), post).status_code == 410


def test_a_submitted_online_intake_lands_in_the_to_review_list(anonymous, as_therapist, link):
    anonymous.get(online_url(link.token))
    intake = Intake.objects.get()
    anonymous.post(online_url(link.token), intake_post(version=intake.version))
    body = as_therapist.get(reverse("intake:to_review")).content.decode()
    assert "Whitfield" in body and "Online</span>" in body


def test_an_expired_link_is_refused_and_reveals_nothing(anonymous, link):
    OnlineIntakeLink.objects.update(
        created_at=timezone.now() - timedelta(days=9), expires_at=timezone.now() - timedelta(days=2)
    )
    response = anonymous.get(online_url(link.token))
    body = response.content.decode()
    assert response.status_code == 410
    assert "This link has expired" in body
    assert "Hannah" not in body
    assert not Intake.objects.exists()


@pytest.mark.parametrize("change", ["altered", "short", "odd"])
def test_an_altered_link_is_refused_and_reveals_nothing(anonymous, link, change):
    token = {
        "altered": link.token[:-1] + ("A" if link.token[-1] != "A" else "B"),
        "short": link.token[:10],
        "odd": link.token[:-2] + "%00",
    }[change]
    response = anonymous.get(f"/i/{token}/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "This link is not valid" in body
    assert "Hannah" not in body
    assert not Intake.objects.exists()


def test_online_autosave_keeps_the_draft_and_a_used_link_refuses_it(anonymous, link):
    anonymous.get(online_url(link.token))
    intake = Intake.objects.get()
    autosave = reverse("intake:online_autosave", args=[link.token])
    response = anonymous.post(autosave, {"version": intake.version, "goals": "Dancing"})
    assert "Draft saved" in response.content.decode()
    intake.refresh_from_db()
    assert intake.draft["goals"] == ["Dancing"]
    OnlineIntakeLink.objects.update(used_at=timezone.now())
    response = anonymous.post(autosave, {"version": intake.version, "goals": "Changed"})
    assert "this link can no longer be used" in response.content.decode()
    intake.refresh_from_db()
    assert intake.draft["goals"] == ["Dancing"]


def test_online_bad_input_gets_a_message_in_the_clients_words(anonymous, link):
    anonymous.get(online_url(link.token))
    intake = Intake.objects.get()
    post = intake_post(version=intake.version, main_complaint="", consent_name="")
    post["pain__anterior-knee__left__intensity"] = "15"
    response = anonymous.post(online_url(link.token), post)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Describe the problem" in body
    assert "Type your full name" in body
    assert "10 is the highest" in body
    assert not OnlineIntakeLink.objects.get().used_at


def test_the_online_form_needs_a_csrf_token(link):
    from django.test import Client as HttpClient

    strict = HttpClient(enforce_csrf_checks=True)
    strict.get(online_url(link.token))
    intake = Intake.objects.get()
    response = strict.post(online_url(link.token), intake_post(version=intake.version))
    assert response.status_code == 403
    intake.refresh_from_db()
    assert intake.is_draft


def test_tokens_never_reach_the_log(anonymous, link, caplog):
    with caplog.at_level(logging.INFO):
        anonymous.get(f"/i/{link.token[:-3]}xyz/")  # a 404, which Django logs
        anonymous.post(online_url(link.token), {"version": "x", "main_complaint": "\x00"})
    assert caplog.records, "expected the 404 to be logged"
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert link.token[:20] not in text
    assert "/i/[token]" in text
