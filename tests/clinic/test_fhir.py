"""The FHIR R4 export of a client's record (issue 9)."""

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinic.fhir import client_bundle
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_client_with_sessions_exports_a_valid_r4_collection_bundle():
    client = ClientFactory()
    SessionFactory(client=client)
    SessionFactory(client=client, status="cancelled", cancel_reason="Unwell")

    bundle = client_bundle(client)

    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    assert len(resources(bundle, "Patient")) == 1
    statuses = sorted(e["status"] for e in resources(bundle, "Encounter"))
    assert statuses == ["cancelled", "planned"]
