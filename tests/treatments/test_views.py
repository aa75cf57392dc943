"""Every treatments page for every role: allowed, denied without clinical data, or login."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from knowledge.models import Muscle
from tests.factories import ClientFactory, FindingFactory, SessionFactory, UserFactory, aware
from tests.treatments.conftest import write_note
from treatments import services
from treatments.models import Addendum, OutcomeMeasure, Session, SurgeryEpisode, TreatmentPlan

pytestmark = pytest.mark.django_db

SECRET = "Heel pain 6/10, worst first thing."


@pytest.fixture
def records(session, therapist):
    """A client with a plan, a surgery episode and a written note with a finding."""
    client = session.client
    plan = services.plan_create(
        request=None,
        actor=therapist,
        client=client,
        data={"goals": "Walk the dog"},
        muscles=[Muscle.objects.get(slug="soleus")],
    )
    episode = SurgeryEpisode.objects.create(
        client=client, procedure="Knee arthroscopy", status="planned", created_by=therapist
    )
    write_note(session, therapist)
    FindingFactory(session=session)
    return {"client": client, "session": session, "plan": plan, "episode": episode}


def clinical_urls(r):
    c, s = r["client"].pk, r["session"].pk
    return [
        reverse("treatments:session_detail", args=[c, s]),
        reverse("treatments:session_note", args=[c, s]),
        reverse("treatments:plan_detail", args=[c, r["plan"].pk]),
        reverse("treatments:plan_update", args=[c, r["plan"].pk]),
        reverse("treatments:plan_create", args=[c]),
        reverse("treatments:surgery_detail", args=[c, r["episode"].pk]),
        reverse("treatments:surgery_update", args=[c, r["episode"].pk]),
        reverse("treatments:surgery_create", args=[c]),
        reverse("treatments:measure_create", args=[c, "lefs"]),
        reverse("treatments:progress", args=[c]),
    ]


def schedule_urls(r):
    c, s = r["client"].pk, r["session"].pk
    return [
        reverse("treatments:schedule_day"),
        reverse("treatments:schedule_week"),
        reverse("treatments:session_book") + f"?client={c}",
        reverse("treatments:session_move", args=[c, s]),
        reverse("treatments:session_cancel", args=[c, s]),
    ]


@pytest.mark.parametrize("persona", ["therapist", "clinic_admin"], indirect=True)
def test_clinicians_open_every_treatments_page(persona, records):
    for url in clinical_urls(records) + schedule_urls(records):
        response = persona.get(url)
        assert response.status_code == 200, url
    body = persona.get(clinical_urls(records)[0]).content.decode()
    assert SECRET in body
    assert "Soleus" in body


def test_receptionist_sees_the_schedule_and_booking_pages(as_receptionist, records):
    for url in schedule_urls(records):
        response = as_receptionist.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode()


def test_receptionist_never_reads_notes_plans_surgery_measures_or_progress(
    as_receptionist, records
):
    for url in clinical_urls(records):
        response = as_receptionist.get(url)
        assert response.status_code == 403, url
        body = response.content.decode()
        for private in (SECRET, "Walk the dog", "Knee arthroscopy", "Soleus"):
            assert private not in body, url


def test_receptionist_client_page_shows_bookings_only(as_receptionist, records):
    body = as_receptionist.get(records["client"].get_absolute_url()).content.decode()
    assert "Book a session" in body
    assert "Walk the dog" not in body
    assert "Knee arthroscopy" not in body
    assert reverse("treatments:progress", args=[records["client"].pk]) not in body


def test_therapist_client_page_shows_plans_surgery_and_progress(as_therapist, records):
    body = as_therapist.get(records["client"].get_absolute_url()).content.decode()
    assert "Knee arthroscopy" in body
    assert "Soleus" in body
    assert reverse("treatments:progress", args=[records["client"].pk]) in body


def test_staff_without_a_role_get_403_everywhere(as_no_role, records):
    for url in clinical_urls(records) + schedule_urls(records):
        assert as_no_role.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(anonymous, records):
    for url in clinical_urls(records) + schedule_urls(records):
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_a_record_reached_through_another_client_is_404(as_therapist, records):
    other = ClientFactory()
    c = other.pk
    for url in [
        reverse("treatments:session_detail", args=[c, records["session"].pk]),
        reverse("treatments:plan_detail", args=[c, records["plan"].pk]),
        reverse("treatments:surgery_detail", args=[c, records["episode"].pk]),
        reverse("treatments:session_move", args=[c, records["session"].pk]),
    ]:
        response = as_therapist.get(url)
        assert response.status_code == 404, url
        assert SECRET not in response.content.decode()


def test_reading_a_note_is_audited_with_ids_only(as_therapist, records):
    as_therapist.get(records["session"].get_absolute_url())
    event = AuditEvent.objects.filter(action="view", object_type="treatments.session").get()
    assert event.object_id == str(records["session"].pk)
    assert SECRET not in str(event.detail)


# Booking


def test_receptionist_books_a_session(as_receptionist, client_record, therapist):
    day = timezone.localdate() + timedelta(days=1)
    response = as_receptionist.post(
        reverse("treatments:session_book"),
        {
            "client": client_record.pk,
            "date": day.isoformat(),
            "start_time": "14:30",
            "minutes": "45",
            "therapist": therapist.pk,
        },
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.local_start.hour == 14 and session.length_minutes == 45


def test_booking_with_missing_fields_explains_and_writes_nothing(as_receptionist, client_record):
    response = as_receptionist.post(
        reverse("treatments:session_book"), {"client": client_record.pk, "start_time": "25:00"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter the date of the session." in body
    assert "Enter the time as hours:minutes" in body
    assert "Choose the therapist." in body
    assert not Session.objects.exists()


def test_double_booking_in_the_form_names_the_clash_and_keeps_the_input(
    as_receptionist, client_record
):
    tom = UserFactory(username="tom", first_name="Tom", last_name="Hartley", role="Therapist")
    day = timezone.localdate() + timedelta(days=2)
    SessionFactory(therapist=tom, starts_at=aware(day, 10), ends_at=aware(day, 11))
    response = as_receptionist.post(
        reverse("treatments:session_book"),
        {
            "client": client_record.pk,
            "date": day.isoformat(),
            "start_time": "10:30",
            "minutes": "60",
            "therapist": tom.pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert f"Tom Hartley already has a session 10:00\u201311:00 on {day:%A} {day.day}" in body
    assert 'value="10:30"' in body
    assert Session.objects.count() == 1


def test_client_search_on_the_booking_page(as_receptionist, client_record):
    response = as_receptionist.get(
        reverse("treatments:session_book"), {"q": "lopez"}, HTTP_HX_REQUEST="true"
    )
    assert "Maria Lopez" in response.content.decode()
    assert "<nav" not in response.content.decode()


def test_receptionist_moves_and_cancels_a_session(as_receptionist, client_record, therapist):
    day = timezone.localdate() + timedelta(days=4)
    session = SessionFactory(
        client=client_record, therapist=therapist, starts_at=aware(day, 9), ends_at=aware(day, 10)
    )
    url = reverse("treatments:session_move", args=[client_record.pk, session.pk])
    response = as_receptionist.post(
        url,
        {"date": day.isoformat(), "start_time": "15:00", "minutes": "60",
         "therapist": therapist.pk, "loaded_at": session.updated_at.isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    assert Session.objects.get(pk=session.pk).local_start.hour == 15
    cancel = reverse("treatments:session_cancel", args=[client_record.pk, session.pk])
    response = as_receptionist.post(cancel, {"reason": "Other", "detail": ""})
    assert response.status_code == 400
    assert "Say why the session is cancelled." in response.content.decode()
    as_receptionist.post(cancel, {"reason": "Client unwell"})
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "Client unwell")


def test_no_show_only_once_the_time_has_come(as_receptionist, session):
    url = reverse("treatments:session_no_show", args=[session.client_id, session.pk])
    as_receptionist.post(url)
    assert Session.objects.get(pk=session.pk).status == "no-show"


# Notes


def _note_post(session, **overrides):
    data = {
        "version": session.version,
        "subjective": "Better this week.",
        "objective": "Soleus taut band.",
        "assessment": "Improving",
        "plan": "Weekly",
        "pain_before": "5",
        "pain_after": "2",
        "home_care": "Stretch the calf",
        "f-TOTAL_FORMS": "1",
        "f-INITIAL_FORMS": "0",
        "f-0-muscle": "soleus",
        "f-0-trigger_point": "",
        "f-0-side": "left",
        "f-0-state": "latent",
        "f-0-tenderness": "1",
        "t-TOTAL_FORMS": "1",
        "t-INITIAL_FORMS": "0",
        "t-0-technique": "ischemic-compression",
        "t-0-muscle": "soleus",
        "t-0-side": "left",
        "t-0-pressure": "firm",
        "t-0-minutes": "8",
    }
    data.update(overrides)
    return data


def test_therapist_writes_a_note_with_findings_and_treatment(as_therapist, session):
    url = reverse("treatments:session_note", args=[session.client_id, session.pk])
    response = as_therapist.post(url, _note_post(session))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.pain_after == 2
    assert session.findings.get().state == "latent"
    assert session.treatments.get().minutes == 8


def test_the_note_form_prefills_home_care_from_the_plan_muscles(as_therapist, therapist, session):
    services.plan_create(
        request=None,
        actor=therapist,
        client=session.client,
        data={},
        muscles=[Muscle.objects.get(slug="soleus")],
    )
    body = as_therapist.get(
        reverse("treatments:session_note", args=[session.client_id, session.pk])
    ).content.decode()
    advice = Muscle.objects.get(slug="soleus").self_care.strip()
    assert advice.split("\n")[0][:40] in body.replace("&#x27;", "'")


def test_invalid_note_rows_show_errors_and_save_nothing(as_therapist, session):
    url = reverse("treatments:session_note", args=[session.client_id, session.pk])
    response = as_therapist.post(
        url,
        _note_post(session, **{"f-0-state": "", "f-0-tenderness": "2", "t-0-technique": "",
                               "t-0-minutes": "500"}),
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose active, latent or resolved for this muscle." in body
    assert "Minutes can be at most 240." in body
    assert "Better this week." in body
    assert Session.objects.get(pk=session.pk).subjective == ""


def test_second_save_of_a_stale_note_gets_a_conflict_and_keeps_its_text(
    as_therapist, as_admin, session
):
    url = reverse("treatments:session_note", args=[session.client_id, session.pk])
    loaded = _note_post(session)
    as_admin.post(url, _note_post(session, subjective="The admin's version"))
    response = as_therapist.post(url, {**loaded, "subjective": "Theo's own words"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this note while you were editing" in body
    assert "Theo&#x27;s own words" in body
    assert "The admin&#x27;s version" in body
    assert Session.objects.get(pk=session.pk).subjective == "The admin's version"
    # Saving again, having seen the other version, replaces it on purpose.
    again = as_therapist.post(url, {**loaded, "version": session.version + 1,
                                    "subjective": "Theo's own words"})  # fmt: skip
    assert again.status_code == 302
    assert Session.objects.get(pk=session.pk).subjective == "Theo's own words"


def test_only_the_sessions_therapist_can_sign(as_admin, as_therapist, records):
    s = records["session"]
    url = reverse("treatments:session_sign", args=[s.client_id, s.pk])
    response = as_admin.post(url, {"version": s.version})
    assert response.status_code == 403
    assert not Session.objects.get(pk=s.pk).is_signed
    as_therapist.post(url, {"version": s.version})
    assert Session.objects.get(pk=s.pk).is_signed


def test_other_therapist_cannot_sign(other_therapist, records):
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(other_therapist)
    s = records["session"]
    http.post(reverse("treatments:session_sign", args=[s.client_id, s.pk]), {"version": s.version})
    assert not Session.objects.get(pk=s.pk).is_signed


def test_receptionist_cannot_write_or_sign_notes(as_receptionist, session):
    note = reverse("treatments:session_note", args=[session.client_id, session.pk])
    sign = reverse("treatments:session_sign", args=[session.client_id, session.pk])
    assert as_receptionist.post(note, _note_post(session)).status_code == 403
    assert as_receptionist.post(sign, {"version": 1}).status_code == 403
    assert Session.objects.get(pk=session.pk).subjective == ""


def test_a_signed_note_cannot_be_changed_through_the_app(as_therapist, signed_session):
    url = reverse("treatments:session_note", args=[signed_session.client_id, signed_session.pk])
    response = as_therapist.post(url, _note_post(signed_session, subjective="rewritten"))
    assert response.status_code == 302
    assert Session.objects.get(pk=signed_session.pk).subjective == SECRET


def test_addendum_form_needs_a_reason_and_text(as_admin, signed_session):
    url = reverse("treatments:addendum_create", args=[signed_session.client_id, signed_session.pk])
    response = as_admin.post(url, {"reason": "", "text": "Left heel"})
    assert response.status_code == 400
    assert "Say why you are adding to the signed note." in response.content.decode()
    as_admin.post(url, {"reason": "Side was wrong", "text": "Left heel, not right."})
    assert Addendum.objects.get().reason == "Side was wrong"


def test_receptionist_cannot_add_an_addendum(as_receptionist, signed_session):
    url = reverse("treatments:addendum_create", args=[signed_session.client_id, signed_session.pk])
    assert as_receptionist.post(url, {"reason": "x", "text": "y"}).status_code == 403
    assert not Addendum.objects.exists()


# Plans, add to plan, surgery, measures


def test_add_to_plan_endpoint(as_therapist, client_record):
    url = reverse("treatments:plan_add_muscle", args=[client_record.pk])
    response = as_therapist.post(url, {"muscle": "soleus"})
    plan = TreatmentPlan.objects.get(client=client_record)
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    as_therapist.post(url, {"muscle": "gastrocnemius", "next": "/clients/"})
    assert plan.plan_muscles.count() == 2
    assert as_therapist.post(url, {"muscle": "no-such-muscle"}).status_code == 404
    assert as_therapist.get(url).status_code == 405


def test_add_to_plan_refuses_another_clients_intake_and_reception(
    as_therapist, as_receptionist, client_record
):
    from tests.factories import IntakeFactory

    other_intake = IntakeFactory()
    url = reverse("treatments:plan_add_muscle", args=[client_record.pk])
    assert (
        as_therapist.post(url, {"muscle": "soleus", "intake": other_intake.pk}).status_code == 404
    )
    assert as_receptionist.post(url, {"muscle": "soleus"}).status_code == 403
    assert not TreatmentPlan.objects.exists()


def test_plan_form_errors_are_explained(as_therapist, client_record):
    url = reverse("treatments:plan_create", args=[client_record.pk])
    today = timezone.localdate()
    response = as_therapist.post(
        url,
        {"goals": "x", "planned_sessions": "0", "frequency": "weekly",
         "start_date": today.isoformat(), "review_date": (today - timedelta(days=1)).isoformat(),
         "muscles": ["soleus"]},
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 400
    assert "Plan between 1 and 52 sessions." in body
    assert "The review date cannot be before the start date." in body
    assert not TreatmentPlan.objects.exists()


def test_surgery_done_needs_a_past_date(as_therapist, client_record):
    url = reverse("treatments:surgery_create", args=[client_record.pk])
    response = as_therapist.post(url, {"procedure": "Knee arthroscopy", "status": "done"})
    assert "Enter the date of a surgery that is done." in response.content.decode()
    assert not SurgeryEpisode.objects.exists()


def test_surgery_note_shows_its_phase(as_therapist, therapist, client_record):
    episode = SurgeryEpisode.objects.create(
        client=client_record,
        procedure="Knee arthroscopy",
        status="done",
        date=timezone.localdate() - timedelta(days=16),
    )
    url = reverse("treatments:surgery_note_create", args=[client_record.pk, episode.pk])
    as_therapist.post(url, {"noted_on": timezone.localdate().isoformat(), "text": "Walking well"})
    body = as_therapist.get(episode.get_absolute_url()).content.decode()
    assert "post-op week 3" in body


def test_lefs_form_scores_and_marks_the_change(as_therapist, client_record):
    url = reverse("treatments:measure_create", args=[client_record.pk, "lefs"])
    base = {"measured_on": timezone.localdate().isoformat()}
    response = as_therapist.post(url, {**base, **{f"item_{i}": "2" for i in range(20)}})
    assert response.status_code == 302
    as_therapist.post(url, {**base, **{f"item_{i}": "3" for i in range(20)}})
    assert [m.score for m in OutcomeMeasure.objects.order_by("id")] == [40, 60]
    body = as_therapist.get(reverse("treatments:progress", args=[client_record.pk])).content
    assert "meaningful change" in body.decode()


def test_lefs_form_with_a_missing_rating_names_it(as_therapist, client_record):
    url = reverse("treatments:measure_create", args=[client_record.pk, "lefs"])
    data = {f"item_{i}": "2" for i in range(19)}
    response = as_therapist.post(url, {"measured_on": timezone.localdate().isoformat(), **data})
    assert response.status_code == 400
    assert "Rate “Rolling over in bed” from 0 to 4." in response.content.decode()
    assert not OutcomeMeasure.objects.exists()


def test_psfs_form_needs_a_rating_for_each_activity(as_therapist, client_record):
    url = reverse("treatments:measure_create", args=[client_record.pk, "psfs"])
    response = as_therapist.post(
        url, {"measured_on": timezone.localdate().isoformat(), "activity_0": "Stairs"}
    )
    assert "Rate “Stairs” from 0 to 10." in response.content.decode()


# Dashboard


def test_dashboard_lists_unsigned_notes_over_two_days_and_plans_due(as_therapist, therapist):
    old = SessionFactory(
        therapist=therapist,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=1),
    )
    yesterday = timezone.now() - timedelta(days=1)
    recent = SessionFactory(
        therapist=therapist, starts_at=yesterday, ends_at=yesterday + timedelta(hours=1)
    )
    plan = services.plan_create(
        request=None,
        actor=therapist,
        client=ClientFactory(first_name="Dora", last_name="Duepa"),
        data={"start_date": timezone.localdate() - timedelta(days=50),
              "review_date": timezone.localdate()},
    )  # fmt: skip
    body = as_therapist.get(reverse("dashboard")).content.decode()
    assert old.get_absolute_url() in body
    assert recent.get_absolute_url() not in body.split('id="unsigned-notes"')[1]
    assert plan.get_absolute_url() in body


def test_receptionist_dashboard_shows_todays_sessions_without_notes(as_receptionist, therapist):
    now = timezone.now()
    SessionFactory(therapist=therapist, starts_at=now, ends_at=now + timedelta(hours=1))
    body = as_receptionist.get(reverse("dashboard")).content.decode()
    assert "Today's sessions" in body
    assert "Unsigned notes" not in body


# Query counts


@pytest.fixture
def busy_client(therapist):
    """A client with 50 sessions with findings, measures, a plan and surgery."""
    client = ClientFactory()
    services.plan_create(
        request=None,
        actor=therapist,
        client=client,
        data={"review_date": timezone.localdate() + timedelta(days=30),
              "start_date": timezone.localdate() - timedelta(days=60)},
        muscles=[Muscle.objects.get(slug="soleus")],
    )  # fmt: skip
    SurgeryEpisode.objects.create(
        client=client, procedure="Knee", status="done", date=timezone.localdate()
    )
    muscles = list(Muscle.objects.order_by("id")[:3])
    for n in range(50):
        start = timezone.now() - timedelta(days=50 - n)
        s = SessionFactory(
            client=client, therapist=therapist, starts_at=start,
            ends_at=start + timedelta(hours=1), pain_before=7 - n % 5, pain_after=3,
        )  # fmt: skip
        for muscle in muscles:
            FindingFactory(session=s, muscle=muscle, state=["active", "latent", "resolved"][n % 3])
        if n % 10 == 0:
            services.measure_record(
                request=None, actor=therapist, client=client, kind="lefs",
                answers={"items": [n % 5] * 20}, measured_on=start.date(), session=s,
            )  # fmt: skip
    return client


def _count(http, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_progress_page_queries_do_not_grow_with_sessions(
    as_therapist, busy_client, django_assert_max_num_queries
):
    url = reverse("treatments:progress", args=[busy_client.pk])
    many = _count(as_therapist, url, django_assert_max_num_queries, 25)
    small = ClientFactory()
    SessionFactory(client=small, pain_before=5)
    few = _count(
        as_therapist,
        reverse("treatments:progress", args=[small.pk]),
        django_assert_max_num_queries,
        25,
    )
    assert many == few


def test_client_page_queries_are_bounded_with_50_sessions(
    as_therapist, as_receptionist, busy_client, django_assert_max_num_queries
):
    url = busy_client.get_absolute_url()
    _count(as_therapist, url, django_assert_max_num_queries, 30)
    _count(as_receptionist, url, django_assert_max_num_queries, 30)


def test_schedule_queries_do_not_grow_with_sessions(
    as_receptionist, as_therapist, busy_client, therapist, django_assert_max_num_queries
):
    day = timezone.localdate() - timedelta(days=10)
    for url in (
        reverse("treatments:schedule_day") + f"?date={day.isoformat()}",
        reverse("treatments:schedule_week") + f"?date={day.isoformat()}",
    ):
        _count(as_receptionist, url, django_assert_max_num_queries, 12)
        _count(as_therapist, url, django_assert_max_num_queries, 12)
    for n in range(20):
        start = aware(day, 6) + timedelta(minutes=30 * n)
        SessionFactory(
            therapist=UserFactory(role="Therapist"),
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
        )
    _count(
        as_receptionist,
        reverse("treatments:schedule_day") + f"?date={day.isoformat()}",
        django_assert_max_num_queries,
        12,
    )
