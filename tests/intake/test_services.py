import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from clinic import roles
from intake.forms import IntakeData, PainData, Vocabulary
from intake.models import Intake, IntakeAlert, PainReport
from intake.services import (
    IntakeConflictError,
    IntakeNotDraftError,
    intake_create,
    intake_save_draft,
    intake_submit,
)
from tests.factories import intake_answers, submitted_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(client_record, receptionist):
    return intake_create(request=None, actor=receptionist, client=client_record)


def test_roles_get_intake_permissions_and_only_clinicians_review():
    def perms(role):
        group = Group.objects.get(name=role)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    for role in roles.ROLES:
        assert {"intake.add_intake", "intake.change_intake", "intake.view_intake"} <= perms(role)
        assert "intake.add_onlineintakelink" in perms(role)
    assert "intake.review_intake" not in perms(roles.RECEPTIONIST)
    assert "intake.add_amendment" not in perms(roles.RECEPTIONIST)
    for role in (roles.THERAPIST, roles.CLINIC_ADMIN):
        assert {"intake.review_intake", "intake.add_amendment"} <= perms(role)


def test_a_draft_keeps_raw_state_without_nul_or_unknown_fields(draft, receptionist):
    saved = intake_save_draft(
        request=None,
        actor=receptionist,
        intake=draft,
        data={"goals": ["Walk\x00ing", "\ud800x"], "is_staff": ["1"], "version": ["1"]},
        version=1,
    )
    assert saved.draft == {"goals": ["Walking", "?x"]}
    assert saved.version == 2


def test_a_stale_version_raises_a_conflict_and_writes_nothing(draft, receptionist):
    intake_save_draft(
        request=None, actor=receptionist, intake=draft, data={"goals": "a"}, version=1
    )
    with pytest.raises(IntakeConflictError):
        intake_save_draft(
            request=None, actor=receptionist, intake=draft, data={"goals": "b"}, version=1
        )
    draft.refresh_from_db()
    assert draft.draft == {"goals": ["a"]}


def test_a_submitted_intake_refuses_drafts(client_record, receptionist):
    intake = submitted_intake(client=client_record, actor=receptionist)
    with pytest.raises(IntakeNotDraftError):
        intake_save_draft(
            request=None, actor=receptionist, intake=intake, data={}, version=intake.version
        )


def _data(**overrides) -> IntakeData:
    values = {
        "main_complaint": "Calf pain",
        "onset_duration": "2 weeks",
        "pain": (PainData(zone="calf", side="left", intensity=6),),
        "answers": intake_answers(),
        "consent_name": "Maria Lopez",
    }
    values.update(overrides)
    return IntakeData(**values)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {"clot-history": "yes", "calf-swelling-redness-warmth": "yes"},
            [("calf-swelling-redness-warmth", "refer"), ("clot-history", "refer")],
        ),
        ({"clot-history": "yes"}, [("clot-history", "caution")]),
        ({"varicose-veins": "unsure"}, [("varicose-veins", "local")]),
        ({}, []),
    ],
)
def test_alerts_follow_the_combination_rules(draft, receptionist, answers, expected):
    intake_submit(
        request=None,
        actor=receptionist,
        intake=draft,
        data=_data(answers=intake_answers(**answers)),
        version=draft.version,
    )
    assert list(IntakeAlert.objects.filter(intake=draft).values_list("flag", "level")) == expected


def test_a_failed_submit_leaves_no_partial_rows(draft, receptionist):
    # Two reports for the same zone and side break a database constraint mid-way.
    pain = (PainData("calf", "left", 6), PainData("calf", "left", 3))
    with pytest.raises(Exception, match="painreport_one_per_zone_side"):
        intake_submit(
            request=None, actor=receptionist, intake=draft, data=_data(pain=pain), version=1
        )
    draft.refresh_from_db()
    assert draft.is_draft
    assert not PainReport.objects.exists()


def test_submit_demands_every_red_flag_answer(draft, receptionist):
    answers = intake_answers()
    answers.pop("pregnancy")
    with pytest.raises(ValidationError):
        intake_submit(
            request=None, actor=receptionist, intake=draft, data=_data(answers=answers), version=1
        )
    assert Intake.objects.get().is_draft


def test_vocabulary_lists_every_zone_factor_and_red_flag():
    vocabulary = Vocabulary.load()
    assert len(vocabulary.zones) == 42
    assert len(vocabulary.red_flags) == 15
    assert "running" in vocabulary.factors


def test_a_junk_editor_id_is_cleaned_not_stored(draft, receptionist):
    saved = intake_save_draft(
        request=None, actor=receptionist, intake=draft, data={}, version=1, editor="a\x00b<c>"
    )
    assert saved.draft_editor == "abc"
