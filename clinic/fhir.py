"""One client's record as a FHIR R4 `Bundle` (type `collection`), for another system or a client.

`client_bundle(client)` reads the record in a fixed number of queries, whatever its size, and
returns plain JSON-ready dicts. Entries have `urn:uuid:` full URLs derived from the row they stand
for (stable across exports), and every reference points at an entry of the same Bundle.

What goes in: the Patient; the therapists who saw them (Practitioner); the intake questionnaire
and one QuestionnaireResponse per submitted intake; a Condition per pain report and per red-flag
alert; an Encounter per session (cancelled and missed sessions as cancelled, without notes); the
signed notes' SOAP text (DocumentReference); pain before and after a session and the outcome
measures (Observation); the treatment given (Procedure). Drafts and unsigned notes are not sent:
they are not yet part of the record.
"""

from __future__ import annotations

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


def client_bundle(client: Client) -> dict:
    """The client's record as a FHIR R4 Bundle of type `collection`, as a JSON-ready dict."""
    from treatments.models import Session

    builder = _Builder(client)
    builder.patient()
    sessions = (
        Session.objects.filter(client=client)
        .select_related("therapist")
        .order_by("starts_at", "id")
    )
    builder.encounters(sessions)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(timezone.now())},
        "type": "collection",
        "timestamp": instant(timezone.now()),
        "entry": builder.entries,
    }
