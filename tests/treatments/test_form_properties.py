"""Property tests of the treatments forms, through their views.

Whatever is posted to booking, moving, cancelling, plans, notes (with their findings and
treatments formsets), addenda, surgery episodes and notes, and the outcome measures: never a
server error; invalid input is shown again with a message and writes nothing; valid input is
saved normalised.
"""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import SessionFactory
from tests.hostile_input import (
    ANYTHING,
    FORM_PROPERTIES,
    FREE_TEXT,
    TIME_TEXT,
    assert_refused_with_a_message,
    field_values,
    posted,
    rolled_back,
    row_counts,
    words,
)
from treatments.measures import LEFS_ITEMS, PSFS_MAX_ACTIVITIES
from treatments.models import (
    Addendum,
    Finding,
    OutcomeMeasure,
    PlanMuscle,
    ReferralLetter,
    Session,
    SurgeryEpisode,
    SurgeryNote,
    TreatmentGiven,
    TreatmentPlan,
)

pytestmark = pytest.mark.django_db

SOON = st.integers(-70, 400).map(lambda n: (timezone.localdate() + timedelta(days=n)).isoformat())
RECENT = st.integers(-400, 3).map(lambda n: (timezone.localdate() + timedelta(days=n)).isoformat())
HOURS = st.integers(0, 23).map(lambda h: f"{h:02d}:00")
MINUTES = st.sampled_from(["30", "45", "60", "75", "90", "120"])
SIDES = st.sampled_from(["left", "right", "both", ""])
MUSCLES = st.sampled_from(["soleus", "gastrocnemius", "piriformis", "no-such-muscle", ""])


def _booking_post(therapist):
    return field_values(
        date=SOON,
        start_time=st.one_of(HOURS, TIME_TEXT),
        minutes=MINUTES,
        therapist=st.just(str(therapist.pk)),
    )


def _assert_booked_as_posted(session: Session, post: dict) -> None:
    day = datetime.fromisoformat(post["date"]).date()
    start = datetime.strptime(post["start_time"], "%H:%M").time()
    assert session.starts_at == timezone.make_aware(datetime.combine(day, start))
    assert session.ends_at - session.starts_at == timedelta(minutes=int(post["minutes"]))


@FORM_PROPERTIES
@given(data=st.data())
def test_booking_saves_valid_times_and_refuses_the_rest(
    as_receptionist, client_record, therapist, data
):
    post = data.draw(_booking_post(therapist))
    with rolled_back():
        before = row_counts(Session)
        response = posted(
            as_receptionist,
            reverse("treatments:session_book"),
            {**post, "client": client_record.pk},
        )
        if response.status_code == 302:
            _assert_booked_as_posted(Session.objects.get(client=client_record), post)
        else:
            assert_refused_with_a_message(response, before, Session)


@pytest.fixture
def planned(client_record, therapist):
    """A session tomorrow at 09:00 that can be moved or cancelled."""
    start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(9)))
    return SessionFactory(
        client=client_record,
        therapist=therapist,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )


@FORM_PROPERTIES
@given(data=st.data())
def test_moving_a_session_saves_valid_times_and_refuses_the_rest(
    as_receptionist, planned, therapist, data
):
    post = data.draw(_booking_post(therapist))
    current = planned.updated_at.isoformat()
    post["loaded_at"] = data.draw(st.one_of(st.just(current), st.just(current), ANYTHING))
    url = reverse("treatments:session_move", args=[planned.client_id, planned.pk])
    with rolled_back():
        before = row_counts(Session)
        response = posted(as_receptionist, url, post)
        moved = Session.objects.get(pk=planned.pk)
        if response.status_code == 302:
            _assert_booked_as_posted(moved, post)
            assert post["loaded_at"] == current
        else:
            if response.status_code != 409:
                assert_refused_with_a_message(response, before, Session)
            assert (moved.starts_at, moved.ends_at) == (planned.starts_at, planned.ends_at)


@FORM_PROPERTIES
@given(
    post=field_values(
        reason=st.sampled_from(["Client unwell", "Other", "Clinic closed"]),
        detail=FREE_TEXT,
    )
)
def test_cancelling_keeps_a_tidy_reason_or_refuses_with_a_message(as_receptionist, planned, post):
    url = reverse("treatments:session_cancel", args=[planned.client_id, planned.pk])
    with rolled_back():
        before = row_counts(Session)
        response = posted(as_receptionist, url, post)
        session = Session.objects.get(pk=planned.pk)
        if response.status_code == 302:
            detail = words(post.get("detail", ""))
            assert session.status == "cancelled"
            expected = detail if post["reason"] == "Other" else post["reason"]
            if detail and post["reason"] != "Other":
                expected = f"{post['reason']}: {detail}"
            assert session.cancel_reason == expected
        else:
            assert_refused_with_a_message(response, before, Session)
            assert session.status == "planned"


PLAN_POST = field_values(
    goals=FREE_TEXT,
    planned_sessions=st.integers(1, 52).map(str),
    frequency=st.sampled_from(["weekly", "fortnightly", "monthly"]),
    start_date=RECENT,
    review_date=st.one_of(SOON, st.just("")),
    status=st.sampled_from(["active", "completed", "stopped"]),
)


def _plan_post(data, **extra) -> dict:
    post = data.draw(PLAN_POST)
    known = st.sampled_from(["soleus", "piriformis", "plantaris"])
    muscles = data.draw(st.lists(known, max_size=3))
    muscles += data.draw(st.lists(st.sampled_from(["no-such-muscle", ""]), max_size=1))
    return {**post, "muscles": muscles, **extra}


def _assert_plan_as_posted(plan: TreatmentPlan, post: dict) -> None:
    assert plan.goals == post.get("goals", "").strip()
    assert plan.planned_sessions == int(post["planned_sessions"])
    assert plan.frequency == post["frequency"]
    wanted = {slug for slug in post["muscles"] if slug}
    assert set(plan.plan_muscles.values_list("muscle__slug", flat=True)) == wanted


@FORM_PROPERTIES
@given(data=st.data())
def test_a_new_plan_saves_valid_input_and_refuses_the_rest(as_therapist, client_record, data):
    post = _plan_post(data)
    with rolled_back():
        before = row_counts(TreatmentPlan, PlanMuscle)
        response = posted(
            as_therapist, reverse("treatments:plan_create", args=[client_record.pk]), post
        )
        if response.status_code == 302:
            _assert_plan_as_posted(TreatmentPlan.objects.get(client=client_record), post)
        else:
            assert_refused_with_a_message(response, before, TreatmentPlan, PlanMuscle)


@FORM_PROPERTIES
@given(data=st.data())
def test_editing_a_plan_saves_valid_input_and_refuses_the_rest(
    as_therapist, client_record, therapist, data
):
    plan = TreatmentPlan.objects.filter(client=client_record).first()
    if plan is None:
        plan = TreatmentPlan.objects.create(
            client=client_record, therapist=therapist, created_by=therapist, goals="Walk the dog"
        )
    post = _plan_post(data, version=data.draw(st.one_of(st.just(str(plan.version)), ANYTHING)))
    url = reverse("treatments:plan_update", args=[client_record.pk, plan.pk])
    with rolled_back():
        before = row_counts(TreatmentPlan, PlanMuscle)
        response = posted(as_therapist, url, post)
        assert response.status_code in (302, 400, 409)
        saved = TreatmentPlan.objects.get(pk=plan.pk)
        if response.status_code == 302:
            _assert_plan_as_posted(saved, post)
            assert saved.version == plan.version + 1
        elif response.status_code == 400:
            assert_refused_with_a_message(response, before, TreatmentPlan, PlanMuscle)
        if response.status_code != 302:
            assert (saved.version, saved.goals) == (plan.version, plan.goals)


def _row_post(prefix: str, index: int, fields: dict) -> st.SearchStrategy:
    return field_values(**fields).map(
        lambda row: {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    )


FINDING_FIELDS = {
    "muscle": MUSCLES,
    "trigger_point": st.sampled_from(["", "1", "999999", "x"]),
    "side": SIDES,
    "state": st.sampled_from(["active", "latent", "resolved", "", "gone"]),
    "tenderness": st.sampled_from(["", "0", "2", "3", "4"]),
    "referral_reproduced": st.sampled_from(["on", ""]),
}
TREATMENT_FIELDS = {
    "technique": st.sampled_from(["stretch", "ischemic-compression", "", "magic"]),
    "muscle": MUSCLES,
    "side": SIDES,
    "pressure": st.sampled_from(["light", "deep", "", "crushing"]),
    "minutes": st.integers(1, 240).map(str),
}
NOTE_TEXT = st.one_of(st.sampled_from(["Better this week.", "  Calf  tight \n"]), FREE_TEXT)


@FORM_PROPERTIES
@given(data=st.data())
def test_a_session_note_with_its_findings_and_treatments_is_saved_whole_or_not_at_all(
    as_therapist, session, data
):
    post = data.draw(
        field_values(
            subjective=NOTE_TEXT,
            objective=NOTE_TEXT,
            assessment=NOTE_TEXT,
            plan=NOTE_TEXT,
            home_care=NOTE_TEXT,
            pain_before=st.sampled_from(["", "0", "5", "10", "11"]),
            pain_after=st.sampled_from(["", "3", "-1"]),
        )
    )
    findings = data.draw(st.integers(0, 3))
    treatments = data.draw(st.integers(0, 2))
    for index in range(findings):
        post.update(data.draw(_row_post("f", index, FINDING_FIELDS)))
    for index in range(treatments):
        post.update(data.draw(_row_post("t", index, TREATMENT_FIELDS)))
    management = data.draw(st.sampled_from(["right", "right", "missing", "hostile"]))
    if management != "missing":
        post.update({"f-INITIAL_FORMS": "0", "t-INITIAL_FORMS": "0"})
        post["f-TOTAL_FORMS"] = str(findings) if management == "right" else data.draw(ANYTHING)
        post["t-TOTAL_FORMS"] = str(treatments) if management == "right" else data.draw(ANYTHING)
    post["version"] = data.draw(st.one_of(st.just(str(session.version)), ANYTHING))
    url = reverse("treatments:session_note", args=[session.client_id, session.pk])
    with rolled_back():
        before = row_counts(Session, Finding, TreatmentGiven)
        response = posted(as_therapist, url, post)
        assert response.status_code in (302, 400, 409)
        saved = Session.objects.get(pk=session.pk)
        if response.status_code == 302:
            assert saved.version == session.version + 1
            assert saved.subjective == post.get("subjective", "").strip()
            assert "\x00" not in saved.subjective + saved.home_care
        else:
            if response.status_code == 400:
                assert_refused_with_a_message(response, before, Session, Finding, TreatmentGiven)
            assert (saved.version, saved.subjective) == (session.version, session.subjective)


@FORM_PROPERTIES
@given(post=field_values(reason=FREE_TEXT, text=FREE_TEXT))
def test_an_addendum_is_added_trimmed_or_refused_with_a_message(as_therapist, signed_session, post):
    url = reverse("treatments:addendum_create", args=[signed_session.client_id, signed_session.pk])
    with rolled_back():
        before = row_counts(Addendum)
        response = posted(as_therapist, url, post)
        if response.status_code == 302:
            addendum = Addendum.objects.get(session=signed_session)
            assert (addendum.reason, addendum.text) == (
                post["reason"].strip(),
                post["text"].strip(),
            )
            assert addendum.reason and addendum.text
        else:
            assert_refused_with_a_message(response, before, Addendum)


EPISODE_POST = field_values(
    procedure=st.one_of(st.just("Left knee arthroscopy"), FREE_TEXT),
    side=SIDES,
    date=st.one_of(RECENT, st.just("")),
    status=st.sampled_from(["planned", "done"]),
    surgeon=FREE_TEXT,
    clearance=FREE_TEXT,
)


def _assert_episode_as_posted(episode: SurgeryEpisode, post: dict) -> None:
    assert episode.procedure == post["procedure"].strip()
    assert episode.status == post["status"]
    assert episode.surgeon == post.get("surgeon", "").strip()
    if episode.status == "done":
        assert episode.date is not None and episode.date <= timezone.localdate()


@FORM_PROPERTIES
@given(post=EPISODE_POST)
def test_a_new_surgery_episode_saves_valid_input_and_refuses_the_rest(
    as_therapist, client_record, post
):
    url = reverse("treatments:surgery_create", args=[client_record.pk])
    with rolled_back():
        before = row_counts(SurgeryEpisode)
        response = posted(as_therapist, url, post)
        if response.status_code == 302:
            _assert_episode_as_posted(SurgeryEpisode.objects.get(client=client_record), post)
        else:
            assert_refused_with_a_message(response, before, SurgeryEpisode)


@pytest.fixture
def episode(client_record, therapist):
    return SurgeryEpisode.objects.create(
        client=client_record, procedure="Hip replacement", status="planned", created_by=therapist
    )


@FORM_PROPERTIES
@given(post=EPISODE_POST, version=st.one_of(st.just("current"), ANYTHING))
def test_editing_a_surgery_episode_saves_valid_input_and_refuses_the_rest(
    as_therapist, episode, post, version
):
    post = {**post, "version": str(episode.version) if version == "current" else version}
    url = reverse("treatments:surgery_update", args=[episode.client_id, episode.pk])
    with rolled_back():
        before = row_counts(SurgeryEpisode)
        response = posted(as_therapist, url, post)
        assert response.status_code in (302, 400, 409)
        saved = SurgeryEpisode.objects.get(pk=episode.pk)
        if response.status_code == 302:
            _assert_episode_as_posted(saved, post)
        else:
            if response.status_code == 400:
                assert_refused_with_a_message(response, before, SurgeryEpisode)
            assert (saved.version, saved.procedure) == (episode.version, episode.procedure)


@FORM_PROPERTIES
@given(post=field_values(noted_on=RECENT, text=FREE_TEXT))
def test_a_surgery_note_is_added_trimmed_or_refused_with_a_message(as_therapist, episode, post):
    url = reverse("treatments:surgery_note_create", args=[episode.client_id, episode.pk])
    with rolled_back():
        before = row_counts(SurgeryNote)
        response = posted(as_therapist, url, post)
        if response.status_code == 302:
            note = SurgeryNote.objects.get(episode=episode)
            assert note.text == post["text"].strip() and note.text
        else:
            assert_refused_with_a_message(response, before, SurgeryNote)


def _measure_post(kind: str) -> st.SearchStrategy:
    past = st.integers(-400, 0).map(lambda n: (timezone.localdate() + timedelta(n)).isoformat())
    fields = {"measured_on": past}
    if kind == "nprs":
        fields["score"] = st.integers(0, 10).map(str)
        fields["zone"] = st.sampled_from(["", "calf", "plantar-heel"])
    elif kind == "psfs":
        for index in range(PSFS_MAX_ACTIVITIES):
            fields[f"activity_{index}"] = st.sampled_from([" Climbing  stairs ", "Running", ""])
            fields[f"score_{index}"] = st.integers(0, 10).map(str)
    else:
        for index in range(len(LEFS_ITEMS)):
            fields[f"item_{index}"] = st.sampled_from(["0", "1", "2", "3", "4"])
    return field_values(**fields)


@FORM_PROPERTIES
@given(data=st.data(), kind=st.sampled_from(["nprs", "psfs", "lefs"]))
def test_an_outcome_measure_is_scored_from_valid_answers_or_refused_with_a_message(
    as_therapist, client_record, data, kind
):
    post = data.draw(_measure_post(kind))
    url = reverse("treatments:measure_create", args=[client_record.pk, kind])
    with rolled_back():
        before = row_counts(OutcomeMeasure)
        response = posted(as_therapist, url, post)
        if response.status_code == 302:
            measure = OutcomeMeasure.objects.get(client=client_record)
            if kind == "nprs":
                assert measure.score == int(post["score"])
            elif kind == "psfs":
                activities = measure.answers["activities"]
                assert activities and all(row["activity"] == words(row["activity"])
                                          for row in activities)  # fmt: skip
                scores = [row["score"] for row in activities]
                assert float(measure.score) == pytest.approx(sum(scores) / len(scores), abs=0.05)
            else:
                total = sum(int(post[f"item_{i}"]) for i in range(len(LEFS_ITEMS)))
                assert measure.score == total
        else:
            assert_refused_with_a_message(response, before, OutcomeMeasure)


@FORM_PROPERTIES
@given(
    post=field_values(
        recipient_kind=st.sampled_from(["gp", "surgeon", "other", "lawyer"]),
        recipient_name=st.one_of(st.just("Dr A. Patel"), FREE_TEXT),
        recipient_address=FREE_TEXT,
        surgery_episode=st.sampled_from(["", "0", "x"]),
        reason=FREE_TEXT,
        findings=FREE_TEXT,
    )
)
def test_a_referral_letter_is_written_from_valid_input_or_refused_with_a_message(
    as_therapist, client_record, post
):
    url = reverse("treatments:letter_create", args=[client_record.pk])
    with rolled_back():
        before = row_counts(ReferralLetter)
        response = posted(as_therapist, url, post)
        if response.status_code == 302:
            letter = ReferralLetter.objects.get(client=client_record)
            assert letter.recipient_name == post["recipient_name"].strip()
            assert letter.reason == post["reason"].strip()
        else:
            assert_refused_with_a_message(response, before, ReferralLetter)
