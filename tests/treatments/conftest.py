"""Shared fixtures for the treatments tests: a client with a signed and an unsigned session."""

import pytest

from tests.factories import SessionFactory
from treatments import services


@pytest.fixture
def session(client_record, therapist):
    """An unsigned session of Maria Lopez with Theo, yesterday."""
    return SessionFactory(client=client_record, therapist=therapist)


def write_note(session, actor, **data):
    data = {"subjective": "Heel pain 6/10, worst first thing.", "pain_before": 6, **data}
    return services.session_note_save(
        request=None,
        actor=actor,
        session=session,
        version=session.version,
        data=data,
        findings=[],
        treatments=[],
    )


@pytest.fixture
def signed_session(session, therapist):
    write_note(session, therapist)
    return services.session_sign(
        request=None, actor=therapist, session=session, version=session.version
    )
