from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinic.models import AuditEvent
from knowledge.models import Muscle
from tests.factories import ClientFactory, SessionFactory, UserFactory, aware
from tests.treatments.conftest import write_note
from treatments import services
from treatments.models import PlanMuscle, Session, TreatmentPlan

pytestmark = pytest.mark.django_db


def _book(actor, client, therapist, starts_at, minutes=60):
    return services.session_book(
        request=None,
        actor=actor,
        client=client,
        therapist=therapist,
        starts_at=starts_at,
        minutes=minutes,
    )


def test_booking_writes_the_session_and_an_audit_event(receptionist, therapist, client_record):
    start = aware(timezone.localdate() + timedelta(days=1), 10)
    session = _book(receptionist, client_record, therapist, start)
    assert session.length_minutes == 60
    assert session.booked_by == receptionist
    assert AuditEvent.objects.filter(
        action="create", object_type="treatments.session", object_id=str(session.pk)
    ).exists()


def test_a_session_across_the_clock_change_lasts_as_long_as_booked(
    receptionist, therapist, client_record
):
    # Europe/London goes from 01:00 GMT to 02:00 BST on 28 March 2027: a two-hour session from
    # midnight ends at 03:00 on the clock, two hours later, not at 02:00 after one.
    spring = date(2027, 3, 28)
    session = _book(receptionist, client_record, therapist, aware(spring, 0), minutes=120)
    session.refresh_from_db()
    assert session.ends_at - session.starts_at == timedelta(hours=2)
    assert session.length_minutes == 120
    assert f"{session.local_end:%H:%M}" == "03:00"
    moved = services.session_move(
        request=None,
        actor=receptionist,
        session=session,
        therapist=therapist,
        starts_at=aware(spring, 0, 30),
        minutes=90,
    )
    moved.refresh_from_db()
    assert moved.ends_at - moved.starts_at == timedelta(minutes=90)


def test_double_booking_names_the_therapist_and_the_clashing_time(receptionist, client_record):
    tom = UserFactory(username="tom", first_name="Tom", last_name="Hartley", role="Therapist")
    day = timezone.localdate() + timedelta(days=3)
    _book(receptionist, client_record, tom, aware(day, 10))
    with pytest.raises(ValidationError) as caught:
        _book(receptionist, ClientFactory(), tom, aware(day, 10, 30))
    message = caught.value.message_dict["start_time"][0]
    assert message.startswith(
        f"Tom Hartley already has a session 10:00\u201311:00 on {day:%A} {day.day} {day:%B}."
    )
    assert Session.objects.count() == 1


def test_double_booking_raced_past_the_check_still_gets_the_message(
    receptionist, client_record, monkeypatch
):
    tom = UserFactory(username="tom", first_name="Tom", last_name="Hartley", role="Therapist")
    day = timezone.localdate() + timedelta(days=3)
    _book(receptionist, client_record, tom, aware(day, 10))
    calls = []
    real = services._find_clash

    def blind_first(**kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "_find_clash", blind_first)
    with pytest.raises(ValidationError, match="Tom Hartley already has a session"):
        _book(receptionist, ClientFactory(), tom, aware(day, 10, 30))


def test_moving_onto_another_booking_is_refused(receptionist, therapist, client_record):
    day = timezone.localdate() + timedelta(days=2)
    _book(receptionist, client_record, therapist, aware(day, 9))
    second = _book(receptionist, ClientFactory(), therapist, aware(day, 11))
    with pytest.raises(ValidationError, match="already has a session 09:00"):
        services.session_move(
            request=None,
            actor=receptionist,
            session=second,
            therapist=therapist,
            starts_at=aware(day, 9, 15),
            minutes=60,
        )
    services.session_move(
        request=None,
        actor=receptionist,
        session=second,
        therapist=therapist,
        starts_at=aware(day, 10),
        minutes=60,
    )
    assert Session.objects.get(pk=second.pk).local_start.hour == 10


def test_a_stale_note_save_raises_a_conflict_and_writes_nothing(session, therapist, clinic_admin):
    loaded_version = session.version
    write_note(Session.objects.get(pk=session.pk), clinic_admin, subjective="Admin's words")
    stale = Session.objects.get(pk=session.pk)
    with pytest.raises(services.EditConflict) as caught:
        services.session_note_save(
            request=None,
            actor=therapist,
            session=stale,
            version=loaded_version,
            data={"subjective": "Theo's words"},
            findings=[],
            treatments=[],
        )
    assert caught.value.current.subjective == "Admin's words"
    assert Session.objects.get(pk=session.pk).subjective == "Admin's words"


def test_only_the_sessions_own_therapist_signs(session, other_therapist, clinic_admin):
    write_note(session, session.therapist)
    for someone in (other_therapist, clinic_admin):
        with pytest.raises(PermissionDenied):
            services.session_sign(
                request=None, actor=someone, session=session, version=session.version
            )
    assert not Session.objects.get(pk=session.pk).is_signed


def test_signing_needs_a_note_and_a_session_that_has_happened(therapist, client_record):
    future = SessionFactory(
        therapist=therapist,
        client=client_record,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=1),
    )
    with pytest.raises(ValidationError, match="not started"):
        write_note(future, therapist)
        services.session_sign(request=None, actor=therapist, session=future, version=future.version)
    empty = SessionFactory(therapist=therapist, client=client_record)
    with pytest.raises(ValidationError, match="Write the note"):
        services.session_sign(request=None, actor=therapist, session=empty, version=empty.version)


def test_signing_locks_and_completes_the_session_and_is_audited(signed_session, therapist):
    signed = Session.objects.get(pk=signed_session.pk)
    assert signed.status == "completed"
    assert signed.signed_by == therapist
    assert AuditEvent.objects.filter(action="sign", object_id=str(signed.pk)).exists()
    with pytest.raises(services.NoteSigned):
        write_note(signed, therapist, subjective="changed")


def test_addenda_only_on_signed_notes(session, signed_session, other_therapist):
    addendum = services.addendum_add(
        request=None,
        actor=other_therapist,
        session=signed_session,
        reason="Side recorded wrongly",
        text="Left heel, not right.",
    )
    assert addendum.author == other_therapist
    unsigned = SessionFactory(therapist=session.therapist)
    with pytest.raises(ValidationError):
        services.addendum_add(
            request=None, actor=other_therapist, session=unsigned, reason="x", text="y"
        )


def test_add_to_plan_starts_a_plan_then_adds_without_duplicates(therapist, client_record):
    soleus = Muscle.objects.get(slug="soleus")
    plan, created, added = services.plan_add_muscle(
        request=None, actor=therapist, client=client_record, muscle=soleus
    )
    assert (created, added) == (True, True)
    again = services.plan_add_muscle(
        request=None, actor=therapist, client=client_record, muscle=soleus
    )
    assert again == (plan, False, False)
    services.plan_add_muscle(
        request=None,
        actor=therapist,
        client=client_record,
        muscle=Muscle.objects.get(slug="gastrocnemius"),
    )
    assert PlanMuscle.objects.filter(plan=plan).count() == 2
    assert TreatmentPlan.objects.filter(client=client_record).count() == 1


def test_a_client_has_one_active_plan(therapist, client_record):
    services.plan_create(request=None, actor=therapist, client=client_record, data={})
    with pytest.raises(ValidationError, match="already has an active plan"):
        services.plan_create(request=None, actor=therapist, client=client_record, data={})


def test_a_stale_plan_save_raises_a_conflict(therapist, clinic_admin, client_record):
    plan = services.plan_create(request=None, actor=therapist, client=client_record, data={})
    services.plan_update(
        request=None,
        actor=clinic_admin,
        plan=TreatmentPlan.objects.get(pk=plan.pk),
        version=1,
        data={"goals": "Admin's goals"},
    )
    with pytest.raises(services.EditConflict):
        services.plan_update(
            request=None,
            actor=therapist,
            plan=TreatmentPlan.objects.get(pk=plan.pk),
            version=1,
            data={"goals": "Theo's goals"},
        )
    assert TreatmentPlan.objects.get(pk=plan.pk).goals == "Admin's goals"


def test_moving_or_cancelling_a_signed_session_is_refused(signed_session, receptionist):
    with pytest.raises(ValidationError, match="signed"):
        services.session_cancel(
            request=None, actor=receptionist, session=signed_session, reason="Client cancelled"
        )


def test_measure_record_scores_and_audits_without_clinical_text(therapist, client_record):
    measure = services.measure_record(
        request=None,
        actor=therapist,
        client=client_record,
        kind="psfs",
        answers={"activities": [{"activity": "Walking the dog", "score": 4}]},
        measured_on=timezone.localdate(),
    )
    assert measure.score == 4
    event = AuditEvent.objects.get(object_type="treatments.outcomemeasure")
    assert "Walking" not in str(event.detail)
