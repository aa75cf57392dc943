"""The FHIR R4 export of a client's record (issue 9)."""

import base64
import json

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle

from clinic.fhir import NPRS_CODING, client_bundle
from clinic.models import AuditEvent, Client
from tests.factories import ClientFactory, SessionFactory, intake_answers, submitted_intake

pytestmark = pytest.mark.django_db

ENCOUNTER_STATUSES = {"planned", "finished", "cancelled"}


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(value) -> list[str]:
    """Every `reference` anywhere in a resource."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(references(item))
    return found


@pytest.fixture
def demo_client():
    """The demo's heel-pain client: intake, eight signed sessions, NPRS, PSFS and LEFS."""
    from clinic.demo import seed

    seed(clients=10)
    client = Client.objects.active().order_by("id").first()
    submitted_intake(
        client=client,
        pain={"plantar-heel:left": 7, "calf:left": 4},
        factors=("running",),
        answers=intake_answers(**{"calf-swelling-redness-warmth": "unsure"}),
    )
    return client


def test_the_demo_clients_bundle_validates_as_fhir_r4(demo_client):
    bundle = client_bundle(demo_client)

    parsed = Bundle.model_validate(bundle)

    assert parsed.type == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
        "Encounter",
        "Observation",
        "Procedure",
        "Condition",
        "DocumentReference",
    } <= kinds
    # The JSON a file would hold parses to the same valid Bundle.
    Bundle.model_validate_json(json.dumps(bundle))


def test_every_reference_resolves_within_the_bundle(demo_client):
    bundle = client_bundle(demo_client)

    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    assert all(url.startswith("urn:uuid:") for url in urls)
    dangling = set(references(bundle["entry"])) - set(urls)
    assert dangling == set()


def test_the_same_record_gets_the_same_ids_in_every_export(demo_client):
    first = [e["fullUrl"] for e in client_bundle(demo_client)["entry"]]
    second = [e["fullUrl"] for e in client_bundle(demo_client)["entry"]]
    assert first == second


def test_pain_scores_carry_the_nprs_loinc_code(demo_client):
    bundle = client_bundle(demo_client)

    pain = [
        obs
        for obs in resources(bundle, "Observation")
        if obs["code"]["text"] in ("Pain before treatment", "Pain after treatment")
    ]
    assert pain
    for obs in pain:
        assert obs["code"]["coding"] == [NPRS_CODING]
        assert NPRS_CODING["code"] == "72514-3"
        assert 0 <= obs["valueInteger"] <= 10
        assert obs["encounter"]["reference"].startswith("urn:uuid:")
    measures = {obs["code"]["text"] for obs in resources(bundle, "Observation")}
    assert {"NPRS (pain, 0 to 10)", "PSFS (patient-specific function)"} <= measures or (
        "LEFS (lower extremity function)" in measures
    )


def test_lefs_keeps_its_twenty_item_ratings(demo_client):
    bundle = client_bundle(demo_client)

    lefs = [o for o in resources(bundle, "Observation") if o["code"]["text"].startswith("LEFS")]
    assert lefs
    for obs in lefs:
        assert len(obs["component"]) == 20
        assert obs["valueQuantity"]["value"] == sum(c["valueInteger"] for c in obs["component"])


def test_treatment_given_is_a_procedure_of_its_encounter(demo_client):
    bundle = client_bundle(demo_client)

    encounters = {
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"
    }
    procedures = resources(bundle, "Procedure")
    assert procedures
    assert all(p["encounter"]["reference"] in encounters for p in procedures)
    assert all(p["status"] == "completed" for p in procedures)


def test_trigger_point_findings_are_exam_observations_of_their_encounter(demo_client):
    bundle = client_bundle(demo_client)

    findings = [
        o for o in resources(bundle, "Observation") if o["code"]["text"].startswith("Trigger point")
    ]
    assert findings
    assert {f["valueCodeableConcept"]["coding"][0]["code"] for f in findings} <= {
        "active",
        "latent",
        "resolved",
    }
    assert all(f["encounter"]["reference"].startswith("urn:uuid:") for f in findings)


def test_an_intake_amendment_is_a_document_related_to_the_response(demo_client, therapist):
    from intake.models import Amendment

    intake = demo_client.intakes.get()
    Amendment.objects.create(intake=intake, author=therapist, text="Pain is worse on stairs.")

    bundle = client_bundle(demo_client)

    Bundle.model_validate(bundle)
    (amendment,) = [
        d for d in resources(bundle, "DocumentReference") if d["type"]["text"].startswith("Amend")
    ]
    (response,) = [
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert amendment["context"]["related"] == [{"reference": response}]
    text = base64.b64decode(amendment["content"][0]["attachment"]["data"]).decode()
    assert text == "Pain is worse on stairs."


def test_signed_notes_carry_their_soap_text(demo_client):
    bundle = client_bundle(demo_client)

    notes = resources(bundle, "DocumentReference")
    assert notes
    text = base64.b64decode(notes[0]["content"][0]["attachment"]["data"]).decode()
    assert text.startswith("Subjective:\n")
    assert "Assessment:" in text


def test_intake_answers_and_complaints_are_exported(db):
    client = ClientFactory()
    submitted_intake(
        client=client,
        pain={"calf:left": 7, "anterior-knee:right": 3},
        factors=("running",),
        answers=None,
    )

    bundle = client_bundle(client)

    Bundle.model_validate(bundle)
    (response,) = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    pains = [item for item in response["item"] if item["linkId"] == "pain"]
    assert len(pains) == 2
    conditions = resources(bundle, "Condition")
    calf = next(c for c in conditions if c["code"]["text"] == "Pain: Calf, left")
    # The calf has a checked SNOMED CT code; the front of the knee has none.
    assert {"system": "http://snomed.info/sct", "code": "53840002"}.items() <= calf["bodySite"][0][
        "coding"
    ][0].items()
    # The side is a SNOMED CT laterality on a BodyStructure the Condition points to.
    (link,) = calf["bodySite"][0]["extension"]
    assert link["url"] == "http://hl7.org/fhir/StructureDefinition/bodySite"
    structure = next(
        e["resource"]
        for e in bundle["entry"]
        if e["fullUrl"] == link["valueReference"]["reference"]
    )
    assert structure["resourceType"] == "BodyStructure"
    assert structure["locationQualifier"][0]["coding"][0]["code"] == "7771000"
    scores = {
        o["code"]["text"]: o["valueInteger"]
        for o in resources(bundle, "Observation")
        if o["code"]["coding"] == [NPRS_CODING]
    }
    assert scores == {
        "Pain at intake: Calf, left": 7,
        "Pain at intake: Front of the knee (kneecap), right": 3,
    }
    knee = next(c for c in conditions if "knee" in c["code"]["text"].lower())
    assert all(
        coding["system"] != "http://snomed.info/sct" for coding in knee["bodySite"][0]["coding"]
    )


def test_a_red_flag_alert_becomes_a_condition(db):
    client = ClientFactory()
    intake = submitted_intake(
        client=client, answers=intake_answers(**{"calf-swelling-redness-warmth": "yes"})
    )
    assert intake.alerts.exists()

    bundle = client_bundle(client)

    flags = [c for c in resources(bundle, "Condition") if c["code"]["text"].startswith("Red flag")]
    assert len(flags) == intake.alerts.count()
    Bundle.model_validate(bundle)


def test_cancelled_and_missed_sessions_are_cancelled_encounters_without_notes():
    client = ClientFactory()
    SessionFactory(client=client)
    SessionFactory(client=client, status="cancelled", cancel_reason="Unwell")
    SessionFactory(client=client, status="no-show")

    bundle = client_bundle(client)

    Bundle.model_validate(bundle)
    statuses = sorted(e["status"] for e in resources(bundle, "Encounter"))
    assert statuses == ["cancelled", "cancelled", "planned"]
    assert set(statuses) <= ENCOUNTER_STATUSES
    assert resources(bundle, "DocumentReference") == []


def test_a_client_with_no_intake_has_no_questionnaire():
    client = ClientFactory()

    bundle = client_bundle(client)

    Bundle.model_validate(bundle)
    assert resources(bundle, "Questionnaire") == []
    (patient,) = resources(bundle, "Patient")
    assert patient["birthDate"] == client.date_of_birth.isoformat()


def test_the_export_reads_a_bounded_number_of_queries(demo_client, django_assert_max_num_queries):
    for _ in range(30):
        SessionFactory(client=demo_client)
    # 14 today: the intake and its rows, the vocabulary, sessions and their rows, measures.
    with django_assert_max_num_queries(16):
        client_bundle(demo_client)


# The command


def test_export_fhir_writes_the_bundle_to_stdout_and_audits_it(demo_client, capsys):
    call_command("export_fhir", str(demo_client.pk))

    bundle = json.loads(capsys.readouterr().out)
    Bundle.model_validate(bundle)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, client=demo_client)
    assert event.detail["format"] == "fhir"
    assert event.actor is None


def test_export_fhir_writes_to_a_file(tmp_path):
    client = ClientFactory()
    target = tmp_path / "record.json"

    call_command("export_fhir", str(client.pk), "--output", str(target))

    Bundle.model_validate_json(target.read_text())


def test_export_fhir_refuses_an_unknown_client():
    with pytest.raises(CommandError, match="No client with id 999999"):
        call_command("export_fhir", "999999")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_export_fhir_refuses_an_id_that_is_not_a_number():
    with pytest.raises(CommandError):
        call_command("export_fhir", "abc")


# The download


def test_a_clinic_admin_downloads_the_bundle_as_an_attachment(as_admin, clinic_admin):
    client = ClientFactory()

    response = as_admin.get(f"/clients/{client.pk}/export/fhir/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    Bundle.model_validate_json(response.content)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, client=client)
    assert event.actor == clinic_admin


@pytest.mark.parametrize("persona", ["as_receptionist", "as_therapist"])
def test_receptionists_and_therapists_cannot_download_the_bundle(persona, request):
    client = ClientFactory()
    http = request.getfixturevalue(persona)

    response = http.get(f"/clients/{client.pk}/export/fhir/")

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_an_archived_clients_record_downloads_as_an_inactive_patient(as_admin, clinic_admin):
    from clinic.services import client_archive

    client = ClientFactory()
    client_archive(request=None, actor=clinic_admin, client=client)

    response = as_admin.get(f"/clients/{client.pk}/export/fhir/")

    assert response.status_code == 200
    (patient,) = resources(json.loads(response.content), "Patient")
    assert patient["active"] is False


def test_anonymous_is_sent_to_login_for_the_bundle(anonymous):
    client = ClientFactory()

    response = anonymous.get(f"/clients/{client.pk}/export/fhir/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_unknown_client_download_is_a_404(as_admin):
    assert as_admin.get("/clients/999999/export/fhir/").status_code == 404


def test_the_client_page_links_the_download_for_clinic_admins_only(as_admin, as_therapist):
    client = ClientFactory()
    url = f"/clients/{client.pk}/export/fhir/"

    assert url in as_admin.get(f"/clients/{client.pk}/").content.decode()
    assert url not in as_therapist.get(f"/clients/{client.pk}/").content.decode()


# The SNOMED CT codes of the body-map zones


def test_checked_zones_carry_their_snomed_code_and_the_others_none(db):
    from knowledge.models import Zone

    codes = dict(Zone.objects.exclude(snomed_code="").values_list("slug", "snomed_code"))
    assert codes["calf"] == "53840002"
    assert codes["low-back"] == "37822005"
    assert "anterior-knee" not in codes
    assert len(codes) == 13


@pytest.mark.parametrize(
    ("code", "term", "field"),
    [
        ("53840002", "", "snomed_display"),
        ("", "Calf", "snomed_code"),
        ("calf", "Calf", "snomed_code"),
    ],
)
def test_an_admin_cannot_save_half_a_snomed_mapping(db, code, term, field):
    from django.core.exceptions import ValidationError

    from knowledge.models import Zone

    zone = Zone.objects.get(slug="medial-calf")
    zone.snomed_code, zone.snomed_display = code, term
    with pytest.raises(ValidationError) as error:
        zone.full_clean()
    assert field in error.value.message_dict
