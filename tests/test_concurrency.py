"""Optimistic concurrency on contact details and surgery episodes: a stale save never overwrites.

Intake drafts, session notes and plans have their own conflict tests in their apps' tests.
"""

import html
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, Client
from clinic.services import EditConflict, client_update
from tests.factories import SessionFactory, aware
from treatments import services
from treatments.models import Session, SurgeryEpisode

pytestmark = pytest.mark.django_db


def _client_post(client: Client, **changes) -> dict:
    data = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "preferred_name": client.preferred_name,
        "date_of_birth": client.date_of_birth.isoformat(),
        "phone": client.phone,
        "email": client.email,
        "address": client.address,
        "emergency_contact_name": client.emergency_contact_name,
        "emergency_contact_phone": client.emergency_contact_phone,
        "gp_details": client.gp_details,
        "version": client.version,
    }
    return {**data, **changes}


def _posted_version(body: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', body).group(1))


def _updates() -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count()


# Contact details


def test_the_edit_form_carries_the_version_it_was_loaded_at(as_receptionist, client_record):
    Client.objects.filter(pk=client_record.pk).update(version=4)
    response = as_receptionist.get(reverse("client_update", args=[client_record.pk]))
    assert _posted_version(response.content.decode()) == 4


def test_a_save_from_a_current_form_is_kept_and_moves_the_version_on(
    as_receptionist, client_record
):
    url = reverse("client_update", args=[client_record.pk])
    response = as_receptionist.post(url, _client_post(client_record, phone="01632 960001"))
    assert response.status_code == 302
    saved = Client.objects.get(pk=client_record.pk)
    assert saved.phone == "01632 960001"
    assert saved.phone_digits == "01632960001"
    assert saved.version == client_record.version + 1


def test_a_second_stale_save_of_contact_details_gets_a_conflict_and_keeps_its_text(
    as_receptionist, as_therapist, client_record
):
    url = reverse("client_update", args=[client_record.pk])
    loaded = _client_post(client_record)
    first = as_therapist.post(url, {**loaded, "phone": "01632 960001", "address": "1 First St"})
    assert first.status_code == 302
    before = _updates()

    stale = as_receptionist.post(url, {**loaded, "address": "22 Rita's Road\nBath"})
    body = stale.content.decode()
    assert stale.status_code == 409
    assert "Someone else saved these contact details while you were editing" in body
    assert "22 Rita&#x27;s Road" in body  # what this user typed is kept in the form
    assert "01632 960001" in body and "1 First St" in body  # and what was saved is shown
    saved = Client.objects.get(pk=client_record.pk)
    assert (saved.phone, saved.address) == ("01632 960001", "1 First St")
    assert _updates() == before

    # Saving again, having seen the other version, replaces it on purpose.
    again = as_receptionist.post(
        url, {**loaded, "address": "22 Rita's Road\nBath", "version": _posted_version(body)}
    )
    assert again.status_code == 302
    assert Client.objects.get(pk=client_record.pk).address == "22 Rita's Road\nBath"


def test_a_stale_form_that_changes_nothing_saved_since_is_not_a_conflict(
    as_receptionist, client_record
):
    url = reverse("client_update", args=[client_record.pk])
    loaded = _client_post(client_record)
    Client.objects.filter(pk=client_record.pk).update(version=9)
    assert as_receptionist.post(url, loaded).status_code == 302
    assert Client.objects.get(pk=client_record.pk).version == 9


def test_a_contact_form_without_its_version_is_refused_and_writes_nothing(
    as_receptionist, client_record
):
    url = reverse("client_update", args=[client_record.pk])
    for version in ("", "abc", "0"):
        data = _client_post(client_record, phone="01632 960001", version=version)
        response = as_receptionist.post(url, data)
        assert response.status_code == 400
        assert "This form is out of date" in response.content.decode()
    assert Client.objects.get(pk=client_record.pk).phone == client_record.phone


def test_the_service_refuses_a_stale_version_and_writes_nothing(client_record, receptionist):
    events = client_record.events.count()
    with pytest.raises(EditConflict) as caught:
        client_update(
            request=None,
            actor=receptionist,
            client=client_record,
            version=client_record.version - 1 or 99,
            data={"phone": "01632 960001"},
        )
    assert caught.value.current.pk == client_record.pk
    assert Client.objects.get(pk=client_record.pk).phone != "01632 960001"
    assert client_record.events.count() == events
    assert _updates() == 0


# Surgery episodes


@pytest.fixture
def episode(client_record, therapist):
    return services.surgery_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={"procedure": "Left knee arthroscopy", "side": "left", "status": "planned"},
    )


def _episode_post(episode: SurgeryEpisode, **changes) -> dict:
    data = {
        "procedure": episode.procedure,
        "side": episode.side,
        "date": episode.date.isoformat() if episode.date else "",
        "status": episode.status,
        "surgeon": episode.surgeon,
        "clearance": episode.clearance,
        "version": episode.version,
    }
    return {**data, **changes}


def test_a_surgery_save_from_a_current_form_is_kept(as_therapist, episode):
    url = reverse("treatments:surgery_update", args=[episode.client_id, episode.pk])
    assert _posted_version(as_therapist.get(url).content.decode()) == episode.version
    response = as_therapist.post(url, _episode_post(episode, surgeon="Ms Okafor"))
    assert response.status_code == 302
    saved = SurgeryEpisode.objects.get(pk=episode.pk)
    assert saved.surgeon == "Ms Okafor"
    assert saved.version == episode.version + 1


def test_a_second_stale_save_of_a_surgery_episode_gets_a_conflict_and_keeps_its_text(
    as_therapist, as_admin, episode
):
    url = reverse("treatments:surgery_update", args=[episode.client_id, episode.pk])
    loaded = _episode_post(episode)
    assert as_admin.post(url, {**loaded, "clearance": "Cleared by Dr Obi"}).status_code == 302
    before = _updates()

    stale = as_therapist.post(url, {**loaded, "surgeon": "Theo's note: Mr Hale"})
    body = stale.content.decode()
    assert stale.status_code == 409
    assert "Someone else saved this surgery episode while you were editing" in body
    assert "Theo&#x27;s note: Mr Hale" in body
    assert "Cleared by Dr Obi" in body
    saved = SurgeryEpisode.objects.get(pk=episode.pk)
    assert (saved.surgeon, saved.clearance) == ("", "Cleared by Dr Obi")
    assert _updates() == before

    again = as_therapist.post(
        url, {**loaded, "surgeon": "Mr Hale", "version": _posted_version(body)}
    )
    assert again.status_code == 302
    saved.refresh_from_db()
    # The second save replaces the other version on purpose, after it was shown.
    assert (saved.surgeon, saved.clearance) == ("Mr Hale", "")


def test_a_surgery_form_without_its_version_is_refused(as_therapist, episode):
    url = reverse("treatments:surgery_update", args=[episode.client_id, episode.pk])
    response = as_therapist.post(url, _episode_post(episode, surgeon="Mr Hale", version=""))
    assert response.status_code == 400
    assert "This form is out of date" in response.content.decode()
    assert SurgeryEpisode.objects.get(pk=episode.pk).surgeon == ""


def test_adding_a_surgery_episode_needs_no_version(as_therapist, client_record):
    url = reverse("treatments:surgery_create", args=[client_record.pk])
    response = as_therapist.post(
        url, {"procedure": "Hip replacement", "side": "right", "status": "planned"}
    )
    assert response.status_code == 302
    assert SurgeryEpisode.objects.get(client=client_record).version == 1


def test_a_stale_version_of_a_note_nobody_saved_yet_is_a_conflict_not_an_error(
    as_therapist, client_record, therapist
):
    session = SessionFactory(client=client_record, therapist=therapist)
    url = reverse("treatments:session_note", args=[client_record.pk, session.pk])
    data = {"version": session.version + 5, "subjective": "Mine", "f-TOTAL_FORMS": "0",
            "f-INITIAL_FORMS": "0", "t-TOTAL_FORMS": "0", "t-INITIAL_FORMS": "0"}  # fmt: skip
    response = as_therapist.post(url, data)
    assert response.status_code == 409
    assert "The note changed after this form was opened." in response.content.decode()


# Moving a booking


def test_a_second_stale_move_of_a_session_gets_a_conflict_and_keeps_its_choice(
    as_receptionist, as_admin, client_record, therapist
):
    day = timezone.localdate() + timedelta(days=3)
    session = SessionFactory(
        client=client_record, therapist=therapist, starts_at=aware(day, 9), ends_at=aware(day, 10)
    )
    url = reverse("treatments:session_move", args=[client_record.pk, session.pk])
    loaded = _posted_loaded_at(as_receptionist.get(url).content.decode())
    move = {"date": day.isoformat(), "minutes": "60", "therapist": therapist.pk}
    first = as_admin.post(url, {**move, "start_time": "11:00", "loaded_at": loaded})
    assert first.status_code == 302

    stale = as_receptionist.post(url, {**move, "start_time": "16:00", "loaded_at": loaded})
    body = stale.content.decode()
    assert stale.status_code == 409
    assert "Someone else changed this booking while you were moving it" in body
    assert "11:00" in body  # the booking as it is now
    assert 'value="16:00"' in body  # the choice typed is kept
    assert Session.objects.get(pk=session.pk).local_start.hour == 11

    again = as_receptionist.post(
        url, {**move, "start_time": "16:00", "loaded_at": _posted_loaded_at(body)}
    )
    assert again.status_code == 302
    assert Session.objects.get(pk=session.pk).local_start.hour == 16


def test_a_move_without_the_time_the_form_was_opened_is_a_conflict(
    as_receptionist, client_record, therapist
):
    day = timezone.localdate() + timedelta(days=3)
    session = SessionFactory(
        client=client_record, therapist=therapist, starts_at=aware(day, 9), ends_at=aware(day, 10)
    )
    url = reverse("treatments:session_move", args=[client_record.pk, session.pk])
    move = {"date": day.isoformat(), "start_time": "12:00", "minutes": "60",
            "therapist": therapist.pk}  # fmt: skip
    for loaded_at in ("", "yesterday", "2026-01-01T10:00:00"):
        assert as_receptionist.post(url, {**move, "loaded_at": loaded_at}).status_code == 409
    assert Session.objects.get(pk=session.pk).local_start.hour == 9


def _posted_loaded_at(body: str) -> str:
    return html.unescape(re.search(r'name="loaded_at" value="([^"]*)"', body).group(1))


def test_a_refused_save_leaves_the_record_showing_what_is_saved(client_record, receptionist):
    saved_phone = client_record.phone
    with pytest.raises(ValidationError):
        client_update(
            request=None,
            actor=receptionist,
            client=client_record,
            version=client_record.version,
            data={"phone": "01632 960001", "email": "not-an-email"},
        )
    assert (client_record.phone, client_record.email) == (
        saved_phone,
        Client.objects.get(pk=client_record.pk).email,
    )

    Client.objects.filter(pk=client_record.pk).update(
        phone="07700 900999", version=F("version") + 1
    )
    with pytest.raises(EditConflict):
        client_update(
            request=None,
            actor=receptionist,
            client=client_record,
            version=client_record.version,
            data={"phone": "01632 960001"},
        )
    assert client_record.phone == "07700 900999"  # someone else's save, not the refused one


def test_a_stale_move_page_shows_the_booking_as_it_is_now(
    as_receptionist, as_admin, client_record, therapist
):
    day = timezone.localdate() + timedelta(days=3)
    session = SessionFactory(
        client=client_record, therapist=therapist, starts_at=aware(day, 9), ends_at=aware(day, 10)
    )
    url = reverse("treatments:session_move", args=[client_record.pk, session.pk])
    loaded = _posted_loaded_at(as_receptionist.get(url).content.decode())
    move = {"date": day.isoformat(), "minutes": "60", "therapist": therapist.pk}
    as_admin.post(url, {**move, "start_time": "11:00", "loaded_at": loaded})

    stale = as_receptionist.post(url, {**move, "start_time": "16:00", "loaded_at": loaded})

    assert stale.status_code == 409
    assert stale.context["session"].local_start.hour == 11
