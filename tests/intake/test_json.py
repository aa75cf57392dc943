import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import Intake
from knowledge.intake_json import parse_intake
from tests.factories import IntakeFactory, intake_answers, submitted_intake

pytestmark = pytest.mark.django_db

STAFF = ["receptionist", "therapist", "clinic_admin"]


# Export


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_a_submitted_intake_exports_in_the_domain_format(persona, client_record, receptionist):
    intake = submitted_intake(
        client=client_record,
        actor=receptionist,
        pain={"anterior-knee:left": 6, "sacrum:both": 2},
        factors=("running", "patellofemoral-pain"),
        answers=intake_answers(anticoagulants="yes", pregnancy="unsure"),
    )
    response = persona.get(reverse("intake:export", args=[intake.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="intake-{intake.pk}.json"'
    data = json.loads(response.content)
    assert data == {
        "pain": [
            {"zone": "sacrum", "side": "both", "intensity": 2},
            {"zone": "anterior-knee", "side": "left", "intensity": 6},
        ],
        "factors": ["running", "patellofemoral-pain"],
        "red_flags": ["anticoagulants", "pregnancy"],
    }
    parse_intake(data)  # it reads back
    assert AuditEvent.objects.filter(action="export", object_id=str(intake.pk)).exists()


def test_a_draft_is_not_exported(as_receptionist, client_record, receptionist):
    draft = IntakeFactory(client=client_record, created_by=receptionist)
    response = as_receptionist.get(reverse("intake:export", args=[draft.pk]))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_anonymous_and_roleless_staff_cannot_export(anonymous, as_no_role, client_record):
    intake = submitted_intake(client=client_record)
    assert anonymous.get(reverse("intake:export", args=[intake.pk])).status_code == 302
    response = as_no_role.get(reverse("intake:export", args=[intake.pk]))
    assert response.status_code == 403
    assert "anterior-knee" not in response.content.decode()


# Import


VALID = {
    "pain": [
        {"zone": "anterior-knee", "side": "left", "intensity": 6},
        {"zone": "calf"},
        {"zone": "sacrum", "side": "left", "intensity": 3},
    ],
    "factors": ["running", "stair-climbing"],
    "red_flags": ["anticoagulants"],
}


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_pasted_json_becomes_a_new_draft_to_complete(persona, client_record):
    response = persona.post(
        reverse("intake:import", args=[client_record.pk]), {"json_text": json.dumps(VALID)}
    )
    intake = Intake.objects.get(client=client_record)
    assert response.status_code == 302
    assert response.url == reverse("intake:edit", args=[intake.pk])
    assert intake.is_draft
    state = intake.draft
    # "both" on a zone drawn with two sides is a left and a right; a midline zone is "both".
    assert state["pain_zones"] == [
        "anterior-knee:left",
        "calf:left",
        "calf:right",
        "sacrum:both",
    ]
    assert state["pain__calf__right__intensity"] == ["5"]
    assert state["pain__sacrum__both__intensity"] == ["3"]
    assert state["factors"] == ["running", "stair-climbing"]
    assert state["rf__anticoagulants"] == ["yes"]
    assert "rf__fever-unwell" not in state  # left for staff to ask
    page = persona.get(response.url).content.decode()
    assert page.count('class="pain-row') == 4


def test_an_uploaded_json_file_is_imported(as_receptionist, client_record):
    upload = SimpleUploadedFile("intake.json", json.dumps(VALID).encode(), "application/json")
    response = as_receptionist.post(
        reverse("intake:import", args=[client_record.pk]), {"json_file": upload}
    )
    assert response.status_code == 302
    assert Intake.objects.filter(client=client_record).count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "malformed JSON"),
        ('{"pain": [{"zone": "kneee", "side": "left"}]}', "closest: medial-knee"),
        ('{"pain": [{"zone": "calf", "intensity": 11}]}', "outside 0-10"),
        (
            '{"pain": [{"zone": "calf", "side": "left"}, {"zone": "calf", "side": "left"}]}',
            "given twice",
        ),
        ('{"factors": ["runing"]}', "closest: running"),
        ("", "Paste the intake JSON"),
    ],
)
def test_bad_json_is_explained_and_nothing_is_written(
    as_receptionist, client_record, text, message
):
    response = as_receptionist.post(
        reverse("intake:import", args=[client_record.pk]), {"json_text": text}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert not Intake.objects.exists()
    if text:
        assert "not json" in body or "calf" in body or "kneee" in body or "runing" in body


def test_anonymous_and_roleless_staff_cannot_import(anonymous, as_no_role, client_record):
    url = reverse("intake:import", args=[client_record.pk])
    assert anonymous.post(url, {"json_text": json.dumps(VALID)}).status_code == 302
    assert as_no_role.post(url, {"json_text": json.dumps(VALID)}).status_code == 403
    assert not Intake.objects.exists()
