"""One client's record as a FHIR R4 `Bundle` (type `collection`), for another system or a client.

`client_bundle(client)` reads the record in a fixed number of queries, whatever its size, and
returns plain JSON-ready dicts. Entries have `urn:uuid:` full URLs derived from the row they stand
for (stable across exports), and every reference points at an entry of the same Bundle.

What goes in: the Patient; the therapists who saw them (Practitioner); the intake questionnaire
and one QuestionnaireResponse per submitted intake; a Condition per pain report and per red-flag
alert; an Encounter per session (cancelled and missed sessions as cancelled, without notes); the
signed notes' SOAP text and their addenda, and intake amendments (DocumentReference); pain
scores (the intake's per place, before and after a session), trigger-point findings and the
outcome measures (Observation); the treatment given (Procedure); a pain report's side as a
BodyStructure. Drafts and unsigned notes are not sent: they are not yet part of the record.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.utils import timezone

from clinic.models import Client

# Knotwork's own identifiers and code systems. Codes from public terminologies are used only
# where they were checked (LOINC, SNOMED CT); the rest are named in these systems.
KNOTWORK = "https://knotwork.example/fhir"
CLIENT_ID_SYSTEM = f"{KNOTWORK}/client-id"
STAFF_ID_SYSTEM = f"{KNOTWORK}/staff-id"
SESSION_ID_SYSTEM = f"{KNOTWORK}/session-id"
INTAKE_ID_SYSTEM = f"{KNOTWORK}/intake-id"
ZONE_SYSTEM = f"{KNOTWORK}/CodeSystem/body-zone"
SIDE_SYSTEM = f"{KNOTWORK}/CodeSystem/side"
FACTOR_SYSTEM = f"{KNOTWORK}/CodeSystem/factor"
RED_FLAG_SYSTEM = f"{KNOTWORK}/CodeSystem/red-flag"
RED_FLAG_LEVEL_SYSTEM = f"{KNOTWORK}/CodeSystem/red-flag-level"
ANSWER_SYSTEM = f"{KNOTWORK}/CodeSystem/answer"
CHOICE_SYSTEM = f"{KNOTWORK}/CodeSystem/intake-choice"
MEASURE_SYSTEM = f"{KNOTWORK}/CodeSystem/outcome-measure"
LEFS_ITEM_SYSTEM = f"{KNOTWORK}/CodeSystem/lefs-item"
TECHNIQUE_SYSTEM = f"{KNOTWORK}/CodeSystem/technique"
MUSCLE_SYSTEM = f"{KNOTWORK}/CodeSystem/muscle"
FINDING_SYSTEM = f"{KNOTWORK}/CodeSystem/finding"
FINDING_STATE_SYSTEM = f"{KNOTWORK}/CodeSystem/trigger-point-state"
QUESTIONNAIRE_URL = f"{KNOTWORK}/Questionnaire/intake"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# Checked: LOINC 72514-3 is "Pain severity - 0-10 verbal numeric rating [Score] - Reported".
NPRS_CODING = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
# Checked: SNOMED CT 22253000 "Pain (finding)"; laterality qualifiers 7771000 Left and
# 24028007 Right. "Both" sides is left as text: for a midline zone (the sacrum) "bilateral"
# would say more than the client did.
PAIN_CODING = {"system": SNOMED, "code": "22253000", "display": "Pain"}
LATERALITY = {
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
}
BODY_SITE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/bodySite"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

ENCOUNTER_CLASS = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "AMB",
    "display": "ambulatory",
}
# Knotwork's session statuses as FHIR Encounter statuses. A no-show never took place: sent as
# cancelled, like a cancelled booking.
ENCOUNTER_STATUS = {
    "planned": "planned",
    "completed": "finished",
    "cancelled": "cancelled",
    "no-show": "cancelled",
}

_NAMESPACE = uuid.UUID("6f1d2a8e-2c4b-4b53-9d0a-6a3b9b3f2c10")


def full_url(kind: str, pk: Any) -> str:
    """A stable `urn:uuid:` for a row: the same record gets the same id in every export."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{pk}')}"


def instant(value) -> str | None:
    """An aware datetime as a FHIR dateTime/instant (ISO 8601 with its offset)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _clean(resource: dict) -> dict:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    cleaned = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _clean(value)
        elif isinstance(value, list):
            value = [_clean(item) if isinstance(item, dict) else item for item in value]
            value = [item for item in value if item not in ("", None, {}, [])]
        if value in ("", None, {}, []):
            continue
        cleaned[key] = value
    return cleaned


class _Builder:
    """Collects the Bundle's entries; one instance per export."""

    def __init__(self, client: Client):
        self.client = client
        self.entries: list[dict] = []
        self.patient_ref = {"reference": full_url("client", client.pk)}
        self.practitioners: dict[int, dict] = {}
        self.intake_ids: set[int] = set()

    def add(self, kind: str, pk: Any, resource: dict) -> dict:
        url = full_url(kind, pk)
        self.entries.append({"fullUrl": url, "resource": _clean(resource)})
        return {"reference": url}

    def practitioner(self, user) -> dict | None:
        """A reference to the staff member's Practitioner entry, made on first use."""
        if user is None:
            return None
        if user.pk not in self.practitioners:
            name = {"family": user.last_name, "given": [user.first_name] if user.first_name else []}
            display = user.get_full_name() or user.get_username()
            self.practitioners[user.pk] = self.add(
                "staff",
                user.pk,
                {
                    "resourceType": "Practitioner",
                    "identifier": [{"system": STAFF_ID_SYSTEM, "value": str(user.pk)}],
                    "name": [name if user.last_name else {"text": display}],
                },
            ) | {"display": display}
        return self.practitioners[user.pk]

    # Patient

    def patient(self) -> None:
        client = self.client
        names = [{"use": "official", "family": client.last_name, "given": [client.first_name]}]
        if client.preferred_name and client.preferred_name != client.first_name:
            names.append(
                {"use": "usual", "family": client.last_name, "given": [client.preferred_name]}
            )
        telecom = []
        if client.phone:
            telecom.append({"system": "phone", "value": client.phone})
        if client.email:
            telecom.append({"system": "email", "value": client.email})
        contacts = []
        if client.emergency_contact_name or client.emergency_contact_phone:
            contacts.append(
                {
                    "relationship": [{"text": "Emergency contact"}],
                    "name": {"text": client.emergency_contact_name},
                    "telecom": [{"system": "phone", "value": client.emergency_contact_phone}]
                    if client.emergency_contact_phone
                    else [],
                }
            )
        self.add(
            "client",
            client.pk,
            {
                "resourceType": "Patient",
                "identifier": [{"system": CLIENT_ID_SYSTEM, "value": str(client.pk)}],
                "active": not client.is_archived,
                "name": names,
                "telecom": telecom,
                "birthDate": client.date_of_birth.isoformat(),
                "address": [{"text": client.address}] if client.address else [],
                "contact": contacts,
                # The GP is free text in Knotwork: a reference by name only.
                "generalPractitioner": [{"display": client.gp_details[:300]}]
                if client.gp_details
                else [],
            },
        )

    # Sessions

    def encounters(self, sessions) -> None:
        for session in sessions:
            cancelled = ENCOUNTER_STATUS[session.status] == "cancelled"
            participant = self.practitioner(session.therapist)
            self.add(
                "session",
                session.pk,
                {
                    "resourceType": "Encounter",
                    "identifier": [{"system": SESSION_ID_SYSTEM, "value": str(session.pk)}],
                    "status": ENCOUNTER_STATUS[session.status],
                    "class": ENCOUNTER_CLASS,
                    "type": [{"text": "Remedial massage session"}],
                    "subject": self.patient_ref,
                    "participant": [{"individual": participant}],
                    "period": {
                        "start": instant(session.starts_at),
                        "end": instant(session.ends_at),
                    },
                    "length": None
                    if cancelled
                    else {
                        "value": session.length_minutes,
                        "unit": "min",
                        "system": "http://unitsofmeasure.org",
                        "code": "min",
                    },
                },
            )

    # Coding helpers

    @staticmethod
    def zone_concept(zone, side: str = "") -> dict:
        """A body-map zone as a bodySite: SNOMED CT where a checked code exists, and its side.

        FHIR R4 has no laterality on a bodySite CodeableConcept: the side is in its text.
        """
        codings = []
        if zone.snomed_code:
            codings.append(
                {"system": SNOMED, "code": zone.snomed_code, "display": zone.snomed_display}
            )
        codings.append({"system": ZONE_SYSTEM, "code": zone.slug, "display": zone.name})
        text = zone.name if side in ("", "both") else f"{zone.name}, {side}"
        return {"coding": codings, "text": text}

    def body_site(self, report) -> dict:
        """A pain report's site; a left or right side also as a BodyStructure whose
        `locationQualifier` holds the SNOMED CT laterality (R4 has no laterality on a
        CodeableConcept), linked through the core `bodySite` extension."""
        site = self.zone_concept(report.zone, report.side)
        if report.side not in ("left", "right"):
            return site
        structure = self.add(
            "pain-site",
            report.pk,
            {
                "resourceType": "BodyStructure",
                "active": True,
                "location": self.zone_concept(report.zone),
                "locationQualifier": [
                    {"coding": [LATERALITY[report.side]], "text": report.get_side_display()}
                ],
                "description": site["text"],
                "patient": self.patient_ref,
            },
        )
        return site | {"extension": [{"url": BODY_SITE_EXTENSION, "valueReference": structure}]}

    # Intake

    def questionnaire(self) -> None:
        """Knotwork's intake questionnaire, with the zones, factors and red flags it offers."""
        from intake.models import Answer, PainPattern, PainQuality, Side, SurgeryAnswer, WorseAt
        from knowledge.models import Factor, FactorKind, RedFlag, Zone

        def options(system: str, choices) -> list[dict]:
            return [
                {"valueCoding": {"system": system, "code": value, "display": label}}
                for value, label in choices
            ]

        zones = [(z.slug, z.name) for z in Zone.objects.order_by("position", "slug")]
        factors = list(Factor.objects.order_by("position", "slug"))
        factor_groups = []
        for kind, label in FactorKind.choices:
            of_kind = [(f.slug, f.name) for f in factors if f.kind == kind]
            factor_groups.append(
                {
                    "linkId": f"factors.{kind}",
                    "text": label,
                    "type": "choice",
                    "repeats": True,
                    "answerOption": options(FACTOR_SYSTEM, of_kind),
                    "item": [
                        {
                            "linkId": f"factors.{kind}.detail",
                            "text": "When it happened, or what exactly",
                            "type": "string",
                        }
                    ],
                }
            )
            factor_groups.append(
                {"linkId": f"factors.{kind}.other", "text": f"{label}: other", "type": "string"}
            )
        red_flags = [
            {
                "linkId": f"red-flag.{flag.slug}",
                "code": [{"system": RED_FLAG_SYSTEM, "code": flag.slug}],
                "text": flag.question,
                "type": "choice",
                "answerOption": options(ANSWER_SYSTEM, Answer.choices),
            }
            for flag in RedFlag.objects.order_by("position", "slug")
        ]
        self.add(
            "questionnaire",
            "intake",
            {
                "resourceType": "Questionnaire",
                "url": QUESTIONNAIRE_URL,
                "name": "KnotworkIntake",
                "title": "Knotwork intake form",
                "status": "active",
                "subjectType": ["Patient"],
                "item": [
                    {"linkId": "main-complaint", "text": "Main complaint", "type": "text"},
                    {"linkId": "onset-date", "text": "Pain started on", "type": "date"},
                    {"linkId": "onset-duration", "text": "Pain for how long", "type": "string"},
                    {"linkId": "goals", "text": "Wants to get back to", "type": "text"},
                    {
                        "linkId": "pain",
                        "text": "Where it hurts",
                        "type": "group",
                        "repeats": True,
                        "item": [
                            {
                                "linkId": "pain.zone",
                                "text": "Zone",
                                "type": "choice",
                                "required": True,
                                "answerOption": options(ZONE_SYSTEM, zones),
                            },
                            {
                                "linkId": "pain.side",
                                "text": "Side",
                                "type": "choice",
                                "answerOption": options(SIDE_SYSTEM, Side.choices),
                            },
                            {
                                "linkId": "pain.intensity",
                                "text": "Intensity (0 none to 10 worst)",
                                "type": "integer",
                                "code": [NPRS_CODING],
                            },
                            {
                                "linkId": "pain.qualities",
                                "text": "What it feels like",
                                "type": "choice",
                                "repeats": True,
                                "answerOption": options(CHOICE_SYSTEM, PainQuality.choices),
                            },
                            {
                                "linkId": "pain.pattern",
                                "text": "Constant or comes and goes",
                                "type": "choice",
                                "answerOption": options(CHOICE_SYSTEM, PainPattern.choices),
                            },
                            {
                                "linkId": "pain.worse-at",
                                "text": "Worse",
                                "type": "choice",
                                "repeats": True,
                                "answerOption": options(CHOICE_SYSTEM, WorseAt.choices),
                            },
                        ],
                    },
                    {
                        "linkId": "factors",
                        "text": "Activities, footwear, history, diagnoses and symptoms",
                        "type": "group",
                        "item": factor_groups,
                    },
                    {
                        "linkId": "surgery",
                        "text": "Surgery",
                        "type": "group",
                        "item": [
                            {
                                "linkId": "surgery.status",
                                "text": "Surgery",
                                "type": "choice",
                                "answerOption": options(CHOICE_SYSTEM, SurgeryAnswer.choices),
                            },
                            {"linkId": "surgery.procedure", "text": "Procedure", "type": "string"},
                            {
                                "linkId": "surgery.side",
                                "text": "Side",
                                "type": "choice",
                                "answerOption": options(SIDE_SYSTEM, Side.choices),
                            },
                            {"linkId": "surgery.date", "text": "Date", "type": "date"},
                        ],
                    },
                    {"linkId": "medications", "text": "Medications", "type": "text"},
                    {
                        "linkId": "red-flags",
                        "text": "Safety questions",
                        "type": "group",
                        "item": red_flags,
                    },
                    {"linkId": "consent-name", "text": "Consent given by", "type": "string"},
                ],
            },
        )

    def intake(self, intake) -> None:
        """A submitted intake: its QuestionnaireResponse and a Condition per complaint and alert."""
        from intake.models import Answer, PainPattern, PainQuality, Side, SurgeryAnswer, WorseAt
        from knowledge.models import FactorKind

        def coding(system: str, choices, value: str) -> dict:
            return {
                "valueCoding": {"system": system, "code": value, "display": choices(value).label}
            }

        def item(link_id: str, text: str, answers: list[dict], children=None) -> dict | None:
            answers = [a for a in answers if a]
            if not answers:
                return None
            return {"linkId": link_id, "text": text, "answer": answers, "item": children or []}

        reports = list(intake.pain_reports.all())
        pain_items = []
        for report in reports:
            pain_items.append(
                {
                    "linkId": "pain",
                    "text": "Where it hurts",
                    "item": [
                        item(
                            "pain.zone",
                            "Zone",
                            [
                                {
                                    "valueCoding": {
                                        "system": ZONE_SYSTEM,
                                        "code": report.zone.slug,
                                        "display": report.zone.name,
                                    }
                                }
                            ],
                        ),
                        item("pain.side", "Side", [coding(SIDE_SYSTEM, Side, report.side)]),
                        item(
                            "pain.intensity",
                            "Intensity (0 none to 10 worst)",
                            [{"valueInteger": report.intensity}],
                        ),
                        item(
                            "pain.qualities",
                            "What it feels like",
                            [coding(CHOICE_SYSTEM, PainQuality, q) for q in report.qualities],
                        ),
                        item(
                            "pain.pattern",
                            "Constant or comes and goes",
                            [coding(CHOICE_SYSTEM, PainPattern, report.pattern)]
                            if report.pattern
                            else [],
                        ),
                        item(
                            "pain.worse-at",
                            "Worse",
                            [coding(CHOICE_SYSTEM, WorseAt, w) for w in report.worse_at],
                        ),
                    ],
                }
            )
        factor_items = []
        chosen = list(intake.factors.all())
        other = intake.other_factors or {}
        for kind, label in FactorKind.choices:
            answers = []
            for chosen_factor in chosen:
                if chosen_factor.factor.kind != kind:
                    continue
                detail = item(
                    f"factors.{kind}.detail",
                    "When it happened, or what exactly",
                    [{"valueString": chosen_factor.detail}] if chosen_factor.detail else [],
                )
                answers.append(
                    {
                        "valueCoding": {
                            "system": FACTOR_SYSTEM,
                            "code": chosen_factor.factor.slug,
                            "display": chosen_factor.factor.name,
                        },
                        "item": [detail] if detail else [],
                    }
                )
            factor_items.append(item(f"factors.{kind}", label, answers))
            text = str(other.get(kind) or "").strip()
            factor_items.append(
                item(
                    f"factors.{kind}.other",
                    f"{label}: other",
                    [{"valueString": text}] if text else [],
                )
            )
        surgery_items = [
            item(
                "surgery.status", "Surgery", [coding(CHOICE_SYSTEM, SurgeryAnswer, intake.surgery)]
            ),
        ]
        if intake.surgery != SurgeryAnswer.NONE:
            surgery_items += [
                item(
                    "surgery.procedure",
                    "Procedure",
                    [{"valueString": intake.surgery_procedure}] if intake.surgery_procedure else [],
                ),
                item(
                    "surgery.side",
                    "Side",
                    [coding(SIDE_SYSTEM, Side, intake.surgery_side)] if intake.surgery_side else [],
                ),
                item(
                    "surgery.date",
                    "Date",
                    [{"valueDate": intake.surgery_date.isoformat()}] if intake.surgery_date else [],
                ),
            ]
        flag_items = [
            item(
                f"red-flag.{answer.red_flag.slug}",
                answer.red_flag.question,
                [coding(ANSWER_SYSTEM, Answer, answer.answer)],
            )
            for answer in intake.red_flag_answers.all()
        ]

        def text_item(link_id: str, text: str, value: str, kind: str = "valueString"):
            return item(link_id, text, [{kind: value}] if value else [])

        items = [
            text_item("main-complaint", "Main complaint", intake.main_complaint),
            text_item(
                "onset-date",
                "Pain started on",
                intake.onset_date.isoformat() if intake.onset_date else "",
                "valueDate",
            ),
            text_item("onset-duration", "Pain for how long", intake.onset_duration),
            text_item("goals", "Wants to get back to", intake.goals),
            *pain_items,
            {
                "linkId": "factors",
                "text": "Activities, footwear, history, diagnoses and symptoms",
                "item": [i for i in factor_items if i],
            },
            {"linkId": "surgery", "text": "Surgery", "item": [i for i in surgery_items if i]},
            text_item("medications", "Medications", intake.medications),
            {
                "linkId": "red-flags",
                "text": "Safety questions",
                "item": [i for i in flag_items if i],
            },
            text_item("consent-name", "Consent given by", intake.consent_name),
        ]
        author = self.practitioner(intake.submitted_by) if intake.submitted_by else self.patient_ref
        response = self.add(
            "intake",
            intake.pk,
            {
                "resourceType": "QuestionnaireResponse",
                "identifier": {"system": INTAKE_ID_SYSTEM, "value": str(intake.pk)},
                "questionnaire": QUESTIONNAIRE_URL,
                "status": "completed",
                "subject": self.patient_ref,
                "authored": instant(intake.submitted_at),
                "author": author,
                "source": self.patient_ref,
                "item": [i for i in items if i and (i.get("answer") or i.get("item"))],
            },
        )
        recorded = instant(intake.submitted_at)
        onset = intake.onset_date.isoformat() if intake.onset_date else None
        for report in reports:
            details = [f"Intensity {report.intensity}/10"]
            if report.quality_labels:
                details.append(report.quality_labels)
            if report.pattern:
                details.append(report.get_pattern_display().lower())
            if report.worse_labels:
                details.append(f"worse {report.worse_labels}")
            site = self.body_site(report)
            complaint = self.add(
                "pain-report",
                report.pk,
                {
                    "resourceType": "Condition",
                    "clinicalStatus": _concept(CONDITION_CLINICAL, "active", "Active"),
                    "verificationStatus": _concept(
                        CONDITION_VERIFICATION, "unconfirmed", "Unconfirmed"
                    ),
                    "category": [
                        _concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")
                    ],
                    "code": {"coding": [PAIN_CODING], "text": f"Pain: {site['text']}"},
                    "bodySite": [site],
                    "subject": self.patient_ref,
                    "onsetDateTime": onset,
                    "onsetString": None if onset else intake.onset_duration,
                    "recordedDate": recorded,
                    "asserter": self.patient_ref,
                    "evidence": [{"detail": [response]}],
                    "note": [{"text": "; ".join(details)}],
                },
            )
            # The intensity the client gave for this place, as a pain score of its own.
            self.add(
                "pain-report-score",
                report.pk,
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
                    "code": {"coding": [NPRS_CODING], "text": f"Pain at intake: {site['text']}"},
                    "subject": self.patient_ref,
                    "effectiveDateTime": recorded,
                    "performer": [self.patient_ref],
                    "valueInteger": report.intensity,
                    "bodySite": site,
                    "derivedFrom": [response],
                    "focus": [complaint],
                },
            )
        for amendment in intake.amendments.all():
            self.add(
                "amendment",
                amendment.pk,
                _document(
                    patient=self.patient_ref,
                    author=self.practitioner(amendment.author),
                    when=amendment.created_at,
                    kind="Amendment to an intake",
                    title="Amendment to the intake",
                    text=amendment.text,
                    context={"related": [response]},
                ),
            )
        for alert in intake.alerts.all():
            self.add(
                "intake-alert",
                alert.pk,
                {
                    "resourceType": "Condition",
                    "clinicalStatus": _concept(CONDITION_CLINICAL, "active", "Active"),
                    "verificationStatus": _concept(
                        CONDITION_VERIFICATION,
                        "unconfirmed" if alert.unsure else "provisional",
                        "Unconfirmed" if alert.unsure else "Provisional",
                    ),
                    "category": [
                        _concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"),
                        _concept(RED_FLAG_LEVEL_SYSTEM, alert.level, alert.get_level_display()),
                    ],
                    "code": {
                        "coding": [{"system": RED_FLAG_SYSTEM, "code": alert.flag}],
                        "text": f"Red flag: {alert.flag_label}",
                    },
                    "subject": self.patient_ref,
                    "recordedDate": recorded,
                    "asserter": self.patient_ref,
                    "evidence": [{"detail": [response]}],
                    "note": [{"text": alert.message}],
                },
            )

    # Treatment

    def signed_session(self, session) -> None:
        """What a signed note holds: SOAP text, pain before and after, treatment given."""
        encounter = {"reference": full_url("session", session.pk)}
        performer = self.practitioner(session.therapist)
        for label, value, when in (
            ("Pain before treatment", session.pain_before, session.starts_at),
            ("Pain after treatment", session.pain_after, session.ends_at),
        ):
            if value is None:
                continue
            self.add(
                f"session-{label}",
                session.pk,
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
                    "code": {"coding": [NPRS_CODING], "text": label},
                    "subject": self.patient_ref,
                    "encounter": encounter,
                    "effectiveDateTime": instant(when),
                    "performer": [performer],
                    "valueInteger": value,
                },
            )
        self.findings(session, encounter, performer)
        period = {"start": instant(session.starts_at), "end": instant(session.ends_at)}
        for treatment in session.treatments.all():
            site = []
            if treatment.muscle_id:
                side = "" if treatment.side in ("", "both") else f", {treatment.side}"
                site = [
                    {
                        "coding": [
                            {
                                "system": MUSCLE_SYSTEM,
                                "code": treatment.muscle.slug,
                                "display": treatment.muscle.name,
                            }
                        ],
                        "text": f"{treatment.muscle.name}{side}",
                    }
                ]
            notes = []
            if treatment.pressure:
                notes.append(f"{treatment.get_pressure_display()} pressure")
            if treatment.minutes:
                notes.append(f"{treatment.minutes} min")
            self.add(
                "treatment",
                treatment.pk,
                {
                    "resourceType": "Procedure",
                    "status": "completed",
                    "code": {
                        "coding": [
                            {
                                "system": TECHNIQUE_SYSTEM,
                                "code": treatment.technique,
                                "display": treatment.get_technique_display(),
                            }
                        ],
                        "text": treatment.get_technique_display(),
                    },
                    "subject": self.patient_ref,
                    "encounter": encounter,
                    "performedPeriod": period,
                    "performer": [{"actor": performer}],
                    "bodySite": site,
                    "note": [{"text": ", ".join(notes)}] if notes else [],
                },
            )
        sections = [
            ("Subjective", session.subjective),
            ("Objective", session.objective),
            ("Assessment", session.assessment),
            ("Plan", session.plan),
            ("Home care given", session.home_care),
        ]
        note = self.add(
            "session-note",
            session.pk,
            _document(
                patient=self.patient_ref,
                author=performer,
                when=session.signed_at,
                kind="Session note (SOAP)",
                title=f"Session note, {timezone.localtime(session.starts_at):%d %b %Y}",
                text="\n\n".join(f"{head}:\n{body}" for head, body in sections if body),
                context={"encounter": [encounter]},
            ),
        )
        for addendum in session.addenda.all():
            self.add(
                "addendum",
                addendum.pk,
                _document(
                    patient=self.patient_ref,
                    author=self.practitioner(addendum.author),
                    when=addendum.created_at,
                    kind="Addendum to a session note",
                    title=f"Addendum: {addendum.reason}",
                    text=addendum.text,
                    context={"encounter": [encounter]},
                )
                | {"relatesTo": [{"code": "appends", "target": note}]},
            )

    def findings(self, session, encounter: dict, performer: dict) -> None:
        """Trigger points the therapist found: muscle, side, state, tenderness."""
        for finding in session.findings.all():
            place = finding.place
            components = [
                {
                    "code": {"text": "Tenderness (0 none to 3 jump sign)"},
                    "valueInteger": finding.tenderness,
                }
                if finding.tenderness is not None
                else None,
                {
                    "code": {"text": "Referred pain reproduced"},
                    "valueBoolean": finding.referral_reproduced,
                },
            ]
            self.add(
                "finding",
                finding.pk,
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "category": [_concept(OBSERVATION_CATEGORY, "exam", "Exam")],
                    "code": {
                        "coding": [
                            {
                                "system": FINDING_SYSTEM,
                                "code": "trigger-point",
                                "display": "Myofascial trigger point",
                            }
                        ],
                        "text": f"Trigger point: {place}",
                    },
                    "subject": self.patient_ref,
                    "encounter": encounter,
                    "effectiveDateTime": instant(session.starts_at),
                    "performer": [performer],
                    "valueCodeableConcept": _concept(
                        FINDING_STATE_SYSTEM, finding.state, finding.get_state_display()
                    ),
                    "bodySite": {
                        "coding": [
                            {
                                "system": MUSCLE_SYSTEM,
                                "code": finding.muscle.slug,
                                "display": finding.muscle.name,
                            }
                        ],
                        "text": place,
                    },
                    "component": [c for c in components if c],
                },
            )

    def measure(self, measure) -> None:
        from treatments.measures import LEFS_ITEMS, MEASURES

        info = MEASURES[measure.kind]
        if measure.kind == "nprs":
            code = {"coding": [NPRS_CODING], "text": "NPRS (pain, 0 to 10)"}
            value = {"valueInteger": int(measure.score)}
        else:
            code = {
                "coding": [
                    {
                        "system": MEASURE_SYSTEM,
                        "code": measure.kind,
                        "display": measure.get_kind_display(),
                    }
                ],
                "text": measure.get_kind_display(),
            }
            value = {
                "valueQuantity": {
                    "value": float(measure.score),
                    "unit": f"score{info.unit}",
                    "system": UCUM,
                    "code": "{score}",
                }
            }
        components = []
        if measure.kind == "psfs":
            for row in (measure.answers or {}).get("activities", []):
                components.append(
                    {"code": {"text": row["activity"]}, "valueInteger": int(row["score"])}
                )
        elif measure.kind == "lefs":
            for number, (label, rating) in enumerate(
                zip(LEFS_ITEMS, (measure.answers or {}).get("items", []), strict=False), start=1
            ):
                components.append(
                    {
                        "code": {
                            "coding": [
                                {"system": LEFS_ITEM_SYSTEM, "code": str(number), "display": label}
                            ]
                        },
                        "valueInteger": int(rating),
                    }
                )
        self.add(
            "measure",
            measure.pk,
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
                "code": code,
                "subject": self.patient_ref,
                "encounter": {"reference": full_url("session", measure.session_id)}
                if measure.session_id
                else None,
                "derivedFrom": [{"reference": full_url("intake", measure.intake_id)}]
                if measure.intake_id and measure.intake_id in self.intake_ids
                else [],
                "effectiveDateTime": measure.measured_on.isoformat(),
                "issued": instant(measure.recorded_at),
                "performer": [self.practitioner(measure.recorded_by)],
                "bodySite": self.zone_concept(measure.zone) if measure.zone_id else None,
                **value,
                "component": components,
            },
        )


def _concept(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _document(*, patient, author, when, kind: str, title: str, text: str, context: dict) -> dict:
    """A signed note or an amendment as a DocumentReference holding its plain text."""
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final",
        "type": {"text": kind},
        "subject": patient,
        "date": instant(when),
        "author": [author],
        "authenticator": author,
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "en",
                    "data": base64.b64encode(text.encode()).decode("ascii"),
                    "title": title,
                    "creation": instant(when),
                }
            }
        ],
        "context": context,
    }


def client_bundle(client: Client, *, intakes: list | None = None) -> dict:
    """The client's record as a FHIR R4 Bundle of type `collection`, as a JSON-ready dict.

    Reads a fixed number of queries whatever the number of intakes, sessions and measures.
    `intakes`, when the caller has them already: the client's submitted intakes, oldest first,
    loaded `with_details()`.
    """
    from intake.models import Intake
    from treatments.models import OutcomeMeasure, Session

    builder = _Builder(client)
    builder.patient()
    if intakes is None:
        intakes = list(
            Intake.objects.filter(client=client)
            .submitted()
            .with_details()
            .order_by("submitted_at", "id")
        )
    if intakes:
        builder.questionnaire()
        builder.intake_ids = {intake.pk for intake in intakes}
        for intake in intakes:
            builder.intake(intake)
    sessions = list(Session.objects.filter(client=client).with_note().order_by("starts_at", "id"))
    builder.encounters(sessions)
    for session in sessions:
        if session.is_signed:
            builder.signed_session(session)
    measures = (
        OutcomeMeasure.objects.filter(client=client)
        .select_related("recorded_by", "zone")
        .order_by("measured_on", "id")
    )
    for measure in measures:
        builder.measure(measure)
    now = instant(timezone.now())
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now},
        "type": "collection",
        "timestamp": now,
        "entry": builder.entries,
    }
