"""The database refuses what must never happen: changes to signed notes, double bookings."""

from datetime import date, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from knowledge.models import Muscle
from tests.factories import FindingFactory, SessionFactory
from treatments.models import Addendum, Finding, Session, SurgeryNote, surgery_phase

pytestmark = pytest.mark.django_db


def _sql(statement: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_sql_update_of_a_signed_notes_content_is_refused(signed_session):
    with pytest.raises(DatabaseError, match="signed"):
        _sql(
            "UPDATE treatments_session SET subjective = 'changed' WHERE id = %s",
            [signed_session.pk],
        )
    signed_session.refresh_from_db()
    assert signed_session.subjective.startswith("Heel pain")


@pytest.mark.parametrize(
    "assignment",
    [
        "pain_before = 1",
        "signed_at = NULL, signed_by_id = NULL",
        "starts_at = starts_at + interval '1 day', ends_at = ends_at + interval '1 day'",
        "status = 'cancelled', cancel_reason = 'x'",
    ],
)
def test_sql_cannot_unsign_move_or_rescore_a_signed_session(signed_session, assignment):
    with pytest.raises(DatabaseError):
        _sql(f"UPDATE treatments_session SET {assignment} WHERE id = %s", [signed_session.pk])  # noqa: S608


def test_sql_delete_of_a_signed_session_is_refused(signed_session):
    with pytest.raises(DatabaseError, match="signed"):
        _sql("DELETE FROM treatments_session WHERE id = %s", [signed_session.pk])
    assert Session.objects.filter(pk=signed_session.pk).exists()


def test_orm_bulk_update_of_signed_sessions_is_refused(signed_session):
    with pytest.raises(DatabaseError), transaction.atomic():
        Session.objects.filter(pk=signed_session.pk).update(assessment="rewritten")


def test_an_unsigned_note_can_still_be_changed_by_sql(session):
    _sql("UPDATE treatments_session SET subjective = 'draft' WHERE id = %s", [session.pk])
    session.refresh_from_db()
    assert session.subjective == "draft"


def test_findings_of_a_signed_session_cannot_be_added_changed_or_removed(session, therapist):
    finding = FindingFactory(session=session)
    from treatments import services

    services.session_note_save(
        request=None,
        actor=therapist,
        session=session,
        version=session.version,
        data={"subjective": "ok"},
        findings=[{"muscle": finding.muscle, "side": "left", "state": "active", "tenderness": 2}],
        treatments=[],
    )
    services.session_sign(request=None, actor=therapist, session=session, version=session.version)
    kept = Finding.objects.get(session=session)
    with pytest.raises(DatabaseError):
        _sql("UPDATE treatments_finding SET state = 'resolved' WHERE id = %s", [kept.pk])
    with pytest.raises(DatabaseError):
        _sql("DELETE FROM treatments_finding WHERE id = %s", [kept.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        Finding.objects.create(
            session=session, muscle=Muscle.objects.get(slug="gastrocnemius"), side="left",
            state="latent",
        )  # fmt: skip
    with pytest.raises(DatabaseError):
        _sql("DELETE FROM treatments_treatmentgiven WHERE session_id = %s", [session.pk])
        _sql(
            "INSERT INTO treatments_treatmentgiven (session_id, technique, side, pressure, "
            "position) VALUES (%s, 'heat', '', '', 0)",
            [session.pk],
        )


def test_a_finding_cannot_be_moved_onto_a_signed_session(signed_session, therapist):
    other = SessionFactory(client=signed_session.client, therapist=therapist)
    finding = FindingFactory(session=other)
    with pytest.raises(DatabaseError):
        _sql(
            "UPDATE treatments_finding SET session_id = %s WHERE id = %s",
            [signed_session.pk, finding.pk],
        )


def test_addenda_are_append_only(signed_session, therapist):
    addendum = Addendum.objects.create(
        session=signed_session, author=therapist, reason="Typo", text="Left, not right."
    )
    with pytest.raises(DatabaseError):
        _sql("UPDATE treatments_addendum SET text = 'x' WHERE id = %s", [addendum.pk])
    with pytest.raises(DatabaseError):
        _sql("DELETE FROM treatments_addendum WHERE id = %s", [addendum.pk])


def test_the_database_refuses_a_double_booking_even_without_the_service(therapist, client_record):
    first = SessionFactory(therapist=therapist)
    with pytest.raises(IntegrityError, match="session_no_double_booking"), transaction.atomic():
        SessionFactory(
            therapist=therapist,
            starts_at=first.starts_at + timedelta(minutes=30),
            ends_at=first.ends_at + timedelta(minutes=30),
        )


def test_a_cancelled_session_frees_its_slot(therapist):
    first = SessionFactory(therapist=therapist, status="cancelled", cancel_reason="Unwell")
    SessionFactory(therapist=therapist, starts_at=first.starts_at, ends_at=first.ends_at)


def test_back_to_back_sessions_do_not_clash(therapist):
    first = SessionFactory(therapist=therapist)
    SessionFactory(
        therapist=therapist, starts_at=first.ends_at, ends_at=first.ends_at + timedelta(hours=1)
    )


def test_only_the_sessions_therapist_can_be_its_signer_in_the_database(session, other_therapist):
    with (
        pytest.raises(IntegrityError, match="session_signed_by_own_therapist"),
        transaction.atomic(),
    ):
        Session.objects.filter(pk=session.pk).update(
            signed_by=other_therapist, signed_at=session.starts_at, status="completed"
        )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 19), "pre-op, 12 days before"),
        (date(2026, 11, 30), "pre-op, 1 day before"),
        (date(2026, 12, 1), "day of surgery"),
        (date(2026, 12, 4), "post-op day 3"),
        (date(2026, 12, 8), "post-op week 1"),
        (date(2026, 12, 16), "post-op week 3"),
    ],
)
def test_surgery_phase_reads_as_a_clinician_says_it(day, expected):
    assert surgery_phase(date(2026, 12, 1), day) == expected


def test_surgery_notes_are_append_only(client_record, therapist):
    from treatments.models import SurgeryEpisode

    episode = SurgeryEpisode.objects.create(
        client=client_record, procedure="Knee arthroscopy", status="planned"
    )
    note = SurgeryNote.objects.create(episode=episode, text="Pre-op check", author=therapist)
    with pytest.raises(DatabaseError):
        _sql("UPDATE treatments_surgerynote SET text = 'x' WHERE id = %s", [note.pk])
    assert note.phase == "surgery date not set"


def test_history_is_kept_for_note_changes(session, therapist):
    from treatments.models import Session as S

    _sql("UPDATE treatments_session SET subjective = 'first' WHERE id = %s", [session.pk])
    _sql("UPDATE treatments_session SET subjective = 'second' WHERE id = %s", [session.pk])
    events = S.pgh_event_model.objects.filter(pgh_obj_id=session.pk).order_by("pgh_id")
    assert [e.subjective for e in events][-2:] == ["first", "second"]


def test_a_finding_takes_its_sessions_client_whatever_it_is_given():
    session = SessionFactory()
    other = SessionFactory()
    finding = FindingFactory(session=session, client=other.client)
    assert Finding.objects.values_list("client_id", flat=True).get(pk=finding.pk) == (
        session.client_id
    )
    Finding.objects.filter(pk=finding.pk).update(session=other)
    assert Finding.objects.values_list("client_id", flat=True).get(pk=finding.pk) == (
        other.client_id
    )


def test_a_session_cannot_be_moved_to_another_client():
    finding = FindingFactory()
    session, other = finding.session, SessionFactory()
    with pytest.raises(DatabaseError, match="cannot be moved to another client"):
        _sql(
            "UPDATE treatments_session SET client_id = %s WHERE id = %s",
            [other.client_id, session.pk],
        )
    assert Finding.objects.values_list("client_id", flat=True).get(pk=finding.pk) == (
        session.client_id
    )
    session.pain_before = 4
    session.save()  # any other change still saves
