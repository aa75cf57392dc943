from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from intake.models import (
    Amendment,
    Intake,
    IntakeAlert,
    IntakeFactor,
    PainReport,
    RedFlagAnswer,
)
from tests.factories import (
    ClientFactory,
    IntakeFactory,
    intake_answers,
    intake_post,
    submitted_intake,
)
from treatments.models import SurgeryEpisode

pytestmark = pytest.mark.django_db

STAFF = ["receptionist", "therapist", "clinic_admin"]
CLINICAL = ["therapist", "clinic_admin"]
SECRET = "Sciatica-like burning pain"  # clinical text that must not leak to the denied


@pytest.fixture
def draft(client_record, receptionist):
    return IntakeFactory(client=client_record, created_by=receptionist)


@pytest.fixture
def submitted(client_record, receptionist):
    return submitted_intake(
        client=client_record,
        actor=receptionist,
        main_complaint=SECRET,
        answers=intake_answers(**{"anticoagulants": "yes"}),
    )


def no_rows_written(intake: Intake) -> bool:
    return not (
        PainReport.objects.filter(intake=intake).exists()
        or IntakeFactor.objects.filter(intake=intake).exists()
        or RedFlagAnswer.objects.filter(intake=intake).exists()
        or IntakeAlert.objects.filter(intake=intake).exists()
    )


# Starting an intake


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_start_an_intake(persona, client_record):
    response = persona.post(reverse("intake:start", args=[client_record.pk]))
    intake = Intake.objects.get(client=client_record)
    assert response.status_code == 302
    assert response.url == reverse("intake:edit", args=[intake.pk])
    assert intake.is_draft
    assert AuditEvent.objects.filter(client=client_record, action="create").exists()


def test_anonymous_cannot_start_an_intake(anonymous, client_record):
    response = anonymous.post(reverse("intake:start", args=[client_record.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Intake.objects.exists()


def test_staff_without_a_role_cannot_start_an_intake(as_no_role, client_record):
    response = as_no_role.post(reverse("intake:start", args=[client_record.pk]))
    assert response.status_code == 403
    assert not Intake.objects.exists()


def test_an_intake_cannot_be_started_for_an_archived_client(as_admin, clinic_admin):
    client = ClientFactory(archived_at=timezone.now(), archived_by=clinic_admin)
    response = as_admin.post(reverse("intake:start", args=[client.pk]))
    assert response.status_code == 403
    assert not Intake.objects.exists()


def test_starting_an_intake_needs_a_post(as_receptionist, client_record):
    assert as_receptionist.get(reverse("intake:start", args=[client_record.pk])).status_code == 405


# The form page


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_open_a_draft(persona, draft):
    response = persona.get(reverse("intake:edit", args=[draft.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h1") == 1
    assert 'name="pain_zones"' in body  # the body map's checkbox list
    assert 'name="rf__calf-swelling-redness-warmth"' in body
    assert AuditEvent.objects.filter(action="view", object_id=str(draft.pk)).exists()


def test_anonymous_is_sent_to_login_from_the_form(anonymous, draft):
    response = anonymous.get(reverse("intake:edit", args=[draft.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_without_a_role_cannot_open_the_form(as_no_role, draft):
    draft.draft = {"main_complaint": [SECRET]}
    draft.save()
    response = as_no_role.get(reverse("intake:edit", args=[draft.pk]))
    assert response.status_code == 403
    assert SECRET not in response.content.decode()


def test_an_unknown_intake_is_not_found(as_receptionist):
    assert as_receptionist.get(reverse("intake:edit", args=[999999])).status_code == 404


def test_an_archived_clients_intake_is_hidden_from_a_receptionist(
    as_receptionist, submitted, clinic_admin
):
    client = submitted.client
    client.archived_at, client.archived_by = timezone.now(), clinic_admin
    client.save()
    response = as_receptionist.get(reverse("intake:detail", args=[submitted.pk]))
    assert response.status_code == 404
    assert SECRET not in response.content.decode()


def test_a_submitted_intake_is_not_edited_in_place(as_receptionist, submitted):
    response = as_receptionist.get(reverse("intake:edit", args=[submitted.pk]))
    assert response.status_code == 302
    assert response.url == submitted.get_absolute_url()
    post = intake_post(version=submitted.version, main_complaint="changed")
    as_receptionist.post(reverse("intake:edit", args=[submitted.pk]), post)
    submitted.refresh_from_db()
    assert submitted.main_complaint == SECRET


# Saving and submitting


def test_save_draft_keeps_everything_typed_and_writes_no_rows(as_receptionist, draft):
    post = intake_post(version=draft.version, action="save", main_complaint="Heel pain")
    response = as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_draft
    assert draft.draft["main_complaint"] == ["Heel pain"]
    assert draft.draft["pain_zones"] == ["anterior-knee:left"]
    assert draft.version == 2
    assert no_rows_written(draft)
    page = as_receptionist.get(reverse("intake:edit", args=[draft.pk])).content.decode()
    assert "Heel pain" in page
    assert 'value="anterior-knee:left" id="intake-bm-anterior-knee-left" checked' in page


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_submit_an_intake(persona, draft):
    post = intake_post(
        version=draft.version,
        pain={"calf:left": 7, "sacrum:both": 3},
        factors=("running", "fall"),
        **{"factor_detail__fall": "March 2025", "other__activity": "Rock climbing"},
    )
    response = persona.post(reverse("intake:edit", args=[draft.pk]), post)
    assert response.status_code == 302
    assert response.url == draft.get_absolute_url()
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert draft.submitted_at and draft.consent_at
    assert draft.consent_name == "Maria Lopez"
    assert draft.draft == {}
    assert sorted(draft.pain_reports.values_list("zone__slug", "side", "intensity")) == [
        ("calf", "left", 7),
        ("sacrum", "both", 3),
    ]
    assert dict(draft.factors.values_list("factor__slug", "detail")) == {
        "running": "",
        "fall": "March 2025",
    }
    assert draft.other_factors == {"activity": "Rock climbing"}
    assert draft.red_flag_answers.count() == len(intake_answers())
    assert AuditEvent.objects.filter(action="submit", object_id=str(draft.pk)).exists()


def test_submitting_shows_red_flag_alerts_at_once(as_receptionist, draft):
    answers = intake_answers(
        **{"calf-swelling-redness-warmth": "yes", "recent-surgery-immobilisation": "yes"}
    )
    post = intake_post(version=draft.version, answers=answers)
    response = as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "red-flag alert" in body
    assert "possible deep vein thrombosis" in body
    levels = list(draft.alerts.values_list("flag", "level"))
    assert ("recent-surgery-immobilisation", "refer") in levels
    assert ("calf-swelling-redness-warmth", "refer") in levels
    # And on the client's page, for every role.
    page = as_receptionist.get(draft.client.get_absolute_url()).content.decode()
    assert 'id="client-alerts"' in page
    assert "possible deep vein thrombosis" in page


def test_a_not_sure_answer_raises_its_alert_marked_as_such(as_receptionist, draft):
    post = intake_post(version=draft.version, answers=intake_answers(anticoagulants="unsure"))
    as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post)
    alert = IntakeAlert.objects.get(intake=draft)
    assert (alert.flag, alert.level, alert.unsure) == ("anticoagulants", "caution", True)


def test_surgery_answers_become_a_surgery_episode(as_receptionist, draft):
    later = timezone.localdate() + timedelta(days=30)
    post = intake_post(
        version=draft.version,
        surgery="planned",
        surgery_procedure="Left knee replacement",
        surgery_side="left",
        surgery_date=later.isoformat(),
    )
    assert as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post).status_code == 302
    episode = SurgeryEpisode.objects.get(source_intake=draft)
    assert (episode.client, episode.procedure, episode.side, episode.date, episode.status) == (
        draft.client,
        "Left knee replacement",
        "left",
        later,
        "planned",
    )


def test_submitting_an_incomplete_intake_names_each_missing_answer(as_receptionist, draft):
    post = intake_post(version=draft.version, answers={}, consent_name="", main_complaint="")
    post["pain__anterior-knee__left__intensity"] = ""
    response = as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Describe the main complaint" in body
    assert "Answer this question: Yes, No or Not sure." in body  # at each question
    assert "15 questions not answered yet" in body  # and once in the list at the top
    assert "Give the pain for Front of the knee (kneecap), left" in body
    assert "Type the client" in body
    draft.refresh_from_db()
    assert draft.is_draft
    assert no_rows_written(draft)
    # What was typed is kept, in the page and in the draft.
    assert "Running 5 km again" in body
    assert draft.draft["goals"] == ["Running 5 km again"]


BAD_INPUT = [
    ({"pain__anterior-knee__left__intensity": "11"}, "10 is the highest"),
    ({"pain__anterior-knee__left__intensity": "-1"}, "0 is the lowest"),
    ({"pain__anterior-knee__left__intensity": "six"}, "as a whole number from 0 to 10"),
    ({"onset_date": "2999-01-01"}, "cannot have started in the future"),
    ({"onset_date": "31/02/2024"}, "Enter the date as day/month/year"),
    (
        {"pain_zones": ["anterior-knee:left", "anterior-knee:left"]},
        "is marked more than once",
    ),
    ({"pain_zones": ["anterior-knee:left", "kneee:left"]}, "is not an area on the body map"),
    ({"factors": ["running", "jogging"]}, "is not one of the listed items"),
    ({"rf__fever-unwell": "maybe"}, "Choose Yes, No or Not sure."),
    ({"main_complaint": "x" * 2001}, "Keep this to 2000 characters or fewer; it has 2001."),
    ({"goals": "Walk\x00ing"}, "Remove the invisible control character"),
    ({"surgery": "done", "surgery_date": "2999-01-01"}, "cannot have a date in the future"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_INPUT)
def test_bad_input_gets_a_message_and_nothing_typed_is_lost(as_receptionist, draft, bad, message):
    post = intake_post(version=draft.version, medications="Ibuprofen 200 mg")
    post.update(bad)
    if bad.get("surgery") == "done":
        post["surgery_procedure"] = "Bunion removal"
    response = as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert 'id="form-errors"' in body
    assert "Ibuprofen 200 mg" in body
    draft.refresh_from_db()
    assert draft.is_draft
    assert draft.draft["medications"] == ["Ibuprofen 200 mg"]
    assert no_rows_written(draft)


def test_a_draft_save_with_bad_input_is_kept_and_says_what_to_fix(as_receptionist, draft):
    post = intake_post(version=draft.version, action="save", onset_date="2999-01-01")
    response = as_receptionist.post(reverse("intake:edit", args=[draft.pk]), post)
    assert response.status_code == 200
    assert "cannot have started in the future" in response.content.decode()
    draft.refresh_from_db()
    assert draft.draft["onset_date"] == ["2999-01-01"]


# Stale drafts


def test_a_stale_save_gets_a_conflict_and_overwrites_nothing(as_receptionist, as_therapist, draft):
    first = intake_post(version=1, action="save", main_complaint="From tab one", editor="tab-one")
    as_receptionist.post(reverse("intake:edit", args=[draft.pk]), first)
    stale = intake_post(version=1, action="save", main_complaint="From tab two", editor="tab-two")
    response = as_therapist.post(reverse("intake:edit", args=[draft.pk]), stale)
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this draft" in body
    assert "Main complaint" in body  # named as differing
    assert "From tab two" in body  # what they typed, shown to re-apply
    draft.refresh_from_db()
    assert draft.draft["main_complaint"] == ["From tab one"]
    # Saving again from the conflict page is a deliberate choice, and then it is kept.
    assert 'name="version" value="2"' in body
    again = intake_post(version=2, action="save", main_complaint="From tab two", editor="tab-two")
    assert as_therapist.post(reverse("intake:edit", args=[draft.pk]), again).status_code == 302
    draft.refresh_from_db()
    assert draft.draft["main_complaint"] == ["From tab two"]


def test_a_stale_submit_is_refused_too(as_receptionist, draft):
    as_receptionist.post(
        reverse("intake:edit", args=[draft.pk]),
        intake_post(version=1, action="save", editor="a"),
    )
    response = as_receptionist.post(
        reverse("intake:edit", args=[draft.pk]), intake_post(version=1, editor="b")
    )
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.is_draft and no_rows_written(draft)


def test_the_same_form_may_save_after_its_own_autosave(as_receptionist, draft):
    autosave = intake_post(version=1, editor="tab", main_complaint="typed")
    as_receptionist.post(reverse("intake:autosave", args=[draft.pk]), autosave)
    # The page still says version 1 (the autosave's new version crossed the submit in flight).
    response = as_receptionist.post(
        reverse("intake:edit", args=[draft.pk]), intake_post(version=1, editor="tab")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"


# Autosave


def test_autosave_answers_a_status_line_and_the_new_version(as_receptionist, draft):
    post = intake_post(version=1, editor="tab", main_complaint="Autosaved")
    response = as_receptionist.post(
        reverse("intake:autosave", args=[draft.pk]), post, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Draft saved" in body
    assert 'name="version" value="2"' in body
    assert 'id="pain-details"' in body  # the areas changed, so their rows come along
    assert "<nav" not in body
    draft.refresh_from_db()
    assert draft.draft["main_complaint"] == ["Autosaved"]
    event = AuditEvent.objects.filter(action="update", object_id=str(draft.pk)).get()
    assert event.detail["autosave"] is True
    assert "Autosaved" not in str(event.detail)


def test_autosave_from_a_stale_tab_says_so_and_keeps_the_saved_draft(as_receptionist, draft):
    as_receptionist.post(
        reverse("intake:autosave", args=[draft.pk]),
        intake_post(version=1, editor="one", main_complaint="one"),
    )
    response = as_receptionist.post(
        reverse("intake:autosave", args=[draft.pk]),
        intake_post(version=1, editor="two", main_complaint="two"),
    )
    assert "Not saved: this draft was changed in another tab" in response.content.decode()
    draft.refresh_from_db()
    assert draft.draft["main_complaint"] == ["one"]


def test_anonymous_cannot_autosave(anonymous, draft):
    response = anonymous.post(reverse("intake:autosave", args=[draft.pk]), {"version": "1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 1


def test_staff_without_a_role_cannot_autosave(as_no_role, draft):
    response = as_no_role.post(reverse("intake:autosave", args=[draft.pk]), {"version": "1"})
    assert response.status_code == 403


# Reading a submitted intake


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_sees_a_submitted_intake_and_its_alerts(persona, submitted):
    response = persona.get(reverse("intake:detail", args=[submitted.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert SECRET in body
    assert "No deep pressure" in body  # the anticoagulants alert, with what to do
    assert body.count("<h1") == 1
    assert AuditEvent.objects.filter(action="view", object_id=str(submitted.pk)).exists()


def test_a_receptionist_sees_no_review_or_suggestions(as_receptionist, submitted):
    body = as_receptionist.get(reverse("intake:detail", args=[submitted.pk])).content.decode()
    assert reverse("intake:review", args=[submitted.pk]) not in body
    assert "Suggested trigger points" not in body


def test_anonymous_is_sent_to_login_from_an_intake(anonymous, submitted):
    response = anonymous.get(reverse("intake:detail", args=[submitted.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_without_a_role_cannot_read_an_intake(as_no_role, submitted):
    response = as_no_role.get(reverse("intake:detail", args=[submitted.pk]))
    assert response.status_code == 403
    assert SECRET not in response.content.decode()


def test_client_page_lists_the_clients_intakes(as_receptionist, submitted, draft):
    body = as_receptionist.get(submitted.client.get_absolute_url()).content.decode()
    assert 'id="client-intakes"' in body
    assert reverse("intake:edit", args=[draft.pk]) in body
    assert submitted.get_absolute_url() in body
    assert "Start an intake" in body and "Send online link" in body


def test_client_page_query_count_does_not_grow_with_intakes(
    as_receptionist, client_record, receptionist, django_assert_max_num_queries
):
    submitted_intake(client=client_record, actor=receptionist)
    with django_assert_max_num_queries(20) as few:
        as_receptionist.get(client_record.get_absolute_url())
    for _ in range(5):
        submitted_intake(client=client_record, actor=receptionist)
    with django_assert_max_num_queries(len(few.captured_queries)):
        as_receptionist.get(client_record.get_absolute_url())


# Review


@pytest.mark.parametrize("persona", CLINICAL, indirect=True)
def test_therapists_and_admins_can_review(persona, submitted):
    response = persona.get(reverse("intake:review", args=[submitted.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h1") == 1
    assert "Suggested trigger points" in body
    assert 'class="bm bm--display"' in body  # the pain drawn on the body map
    assert "bm-zone--pain" in body
    assert "No deep pressure" in body
    assert AuditEvent.objects.filter(
        action="view", object_id=str(submitted.pk), detail__review=True
    ).exists()


def test_a_receptionist_cannot_open_the_review(as_receptionist, submitted):
    response = as_receptionist.get(reverse("intake:review", args=[submitted.pk]))
    assert response.status_code == 403
    assert SECRET not in response.content.decode()


def test_anonymous_is_sent_to_login_from_the_review(anonymous, submitted):
    response = anonymous.get(reverse("intake:review", args=[submitted.pk]))
    assert response.status_code == 302


@pytest.mark.parametrize("persona", CLINICAL, indirect=True)
def test_mark_reviewed_records_who_and_when(persona, submitted):
    response = persona.post(reverse("intake:mark_reviewed", args=[submitted.pk]))
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "reviewed"
    assert submitted.reviewed_by is not None and submitted.reviewed_at is not None
    assert AuditEvent.objects.filter(
        action="update", object_id=str(submitted.pk), detail__reviewed=True
    ).exists()


def test_a_receptionist_cannot_mark_reviewed(as_receptionist, submitted):
    response = as_receptionist.post(reverse("intake:mark_reviewed", args=[submitted.pk]))
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_a_draft_cannot_be_marked_reviewed(as_therapist, draft):
    as_therapist.post(reverse("intake:mark_reviewed", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.is_draft


def test_review_query_count_does_not_grow_with_answers(
    as_therapist, client_record, receptionist, django_assert_max_num_queries
):
    small = submitted_intake(client=client_record, actor=receptionist)
    with django_assert_max_num_queries(30) as few:
        as_therapist.get(reverse("intake:review", args=[small.pk]))
    big = submitted_intake(
        client=client_record,
        actor=receptionist,
        pain={f"{zone}:left": 5 for zone in ("calf", "shin", "medial-knee", "lateral-knee")}
        | {"anterior-knee:right": 4, "sacrum:both": 2},
        factors=("running", "fall", "high-heels", "night-cramps", "sciatica", "excess-weight"),
        answers=intake_answers(
            anticoagulants="yes", pregnancy="unsure", **{"varicose-veins": "yes"}
        ),
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        as_therapist.get(reverse("intake:review", args=[big.pk]))


# Amendments


@pytest.mark.parametrize("persona", CLINICAL, indirect=True)
def test_therapists_and_admins_add_amendments(persona, submitted):
    response = persona.post(
        reverse("intake:amend", args=[submitted.pk]), {"text": "Pain is on the right, not left."}
    )
    assert response.status_code == 302
    amendment = Amendment.objects.get(intake=submitted)
    assert amendment.text == "Pain is on the right, not left."
    assert AuditEvent.objects.filter(action="create", object_type="intake.amendment").exists()


def test_a_receptionist_cannot_add_an_amendment(as_receptionist, submitted):
    response = as_receptionist.post(reverse("intake:amend", args=[submitted.pk]), {"text": "x"})
    assert response.status_code == 403
    assert not Amendment.objects.exists()


def test_an_empty_amendment_gets_a_message(as_therapist, submitted):
    response = as_therapist.post(reverse("intake:amend", args=[submitted.pk]), {"text": "  "})
    assert response.status_code == 400
    assert "Write the amendment before adding it." in response.content.decode()
    assert not Amendment.objects.exists()


# To review


@pytest.mark.parametrize("persona", CLINICAL, indirect=True)
def test_to_review_lists_submitted_unreviewed_intakes(persona, submitted, client_record):
    online = submitted_intake(client=ClientFactory(last_name="Onlineton"), online=True)
    reviewed = submitted_intake(client=ClientFactory(last_name="Doneson"))
    reviewed.status, reviewed.reviewed_by = "reviewed", reviewed.submitted_by
    reviewed.reviewed_at = timezone.now()
    reviewed.save()
    IntakeFactory(client=ClientFactory(last_name="Draftley"))
    body = persona.get(reverse("intake:to_review")).content.decode()
    assert "Lopez" in body and "Onlineton" in body
    assert "Doneson" not in body and "Draftley" not in body
    assert "Online</span>" in body
    assert reverse("intake:review", args=[online.pk]) in body


def test_a_receptionist_has_no_to_review_list(as_receptionist, submitted):
    assert as_receptionist.get(reverse("intake:to_review")).status_code == 403
    assert "To review" not in as_receptionist.get(reverse("dashboard")).content.decode()


def test_anonymous_is_sent_to_login_from_to_review(anonymous):
    response = anonymous.get(reverse("intake:to_review"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_to_review_and_dashboard_query_counts_do_not_grow(
    as_therapist, receptionist, django_assert_max_num_queries
):
    submitted_intake(actor=receptionist, answers=intake_answers(anticoagulants="yes"))
    # Each request clears the connection's query log: count before the next one.
    with django_assert_max_num_queries(12) as few:
        as_therapist.get(reverse("intake:to_review"))
    list_queries = len(few.captured_queries)
    with django_assert_max_num_queries(20) as few_dash:
        as_therapist.get(reverse("dashboard"))
    dash_queries = len(few_dash.captured_queries)
    for index in range(8):
        submitted_intake(
            actor=receptionist,
            online=index % 2 == 0,
            answers=intake_answers(anticoagulants="yes", pregnancy="yes"),
        )
    with django_assert_max_num_queries(list_queries):
        body = as_therapist.get(reverse("intake:to_review")).content.decode()
    assert body.count("<tr") == 10
    with django_assert_max_num_queries(dash_queries):
        body = as_therapist.get(reverse("dashboard")).content.decode()
    assert "Intakes to review" in body


def test_the_intake_form_query_count_does_not_grow_with_pain_areas(
    as_receptionist, draft, django_assert_max_num_queries
):
    as_receptionist.post(
        reverse("intake:edit", args=[draft.pk]), intake_post(version=1, action="save")
    )
    with django_assert_max_num_queries(20) as few:
        as_receptionist.get(reverse("intake:edit", args=[draft.pk]))
    form_queries = len(few.captured_queries)  # the next request clears the query log
    draft.refresh_from_db()
    many = {
        f"{zone}:{side}": 5 for zone in ("calf", "shin", "achilles") for side in ("left", "right")
    }
    as_receptionist.post(
        reverse("intake:edit", args=[draft.pk]),
        intake_post(version=draft.version, action="save", pain=many, factors=("running", "fall")),
    )
    with django_assert_max_num_queries(form_queries):
        body = as_receptionist.get(reverse("intake:edit", args=[draft.pk])).content.decode()
    assert body.count('class="pain-row') == 6
