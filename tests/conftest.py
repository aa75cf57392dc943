"""Personas and shared fixtures. Each role is a real user in the group the migration made."""

import os
import time

import pytest
from django.test import Client as HttpClient
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from tests.factories import ClientFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls in browser tests
# happen between its calls, never inside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def reference_data(request):
    """Put back what the data migrations load when a transactional test flushed it.

    Tests that commit (browser tests against a live server) leave an emptied database behind
    them; the roles and the knowledge base are restored before each such test, which is much
    faster than Django's serialized rollback of the whole database.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if not (transactional or "live_server" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.contrib.auth.models import Group

    from clinic.roles import sync_role_permissions
    from knowledge.loader import load_knowledge

    if not Group.objects.exists():
        sync_role_permissions(apps)
        load_knowledge()


@pytest.fixture
def receptionist(db):
    return UserFactory(username="rita", first_name="Rita", role=roles.RECEPTIONIST)


@pytest.fixture
def therapist(db):
    return UserFactory(username="theo", first_name="Theo", role=roles.THERAPIST)


@pytest.fixture
def other_therapist(db):
    return UserFactory(username="olga", first_name="Olga", role=roles.THERAPIST)


@pytest.fixture
def clinic_admin(db):
    return UserFactory(username="ada", first_name="Ada", role=roles.CLINIC_ADMIN)


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


@pytest.fixture
def anonymous():
    return HttpClient()


def totp_device(user) -> TOTPDevice:
    """The user's confirmed authenticator app, made for them when they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the device's app shows now, or the next one when now's was already used."""
    device.refresh_from_db()
    now_step = int((time.time() - device.t0) // device.step) + device.drift
    ahead = 1 if device.last_t >= now_step else 0
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{code:0{device.digits}d}"


def pass_two_factor(http, user) -> HttpClient:
    """Mark a logged-in test client's session as having passed two-factor, as a code would."""
    session = http.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return http


def _logged_in(user):
    from clinic.two_factor import two_factor_required

    http = HttpClient()
    http.force_login(user)
    # Clinic admins must pass two-factor; the personas stand for a login that has.
    if two_factor_required(user):
        pass_two_factor(http, user)
    return http


@pytest.fixture
def as_receptionist(receptionist):
    return _logged_in(receptionist)


@pytest.fixture
def as_therapist(therapist):
    return _logged_in(therapist)


@pytest.fixture
def as_admin(clinic_admin):
    return _logged_in(clinic_admin)


@pytest.fixture
def as_no_role(no_role_user):
    return _logged_in(no_role_user)


@pytest.fixture
def persona(request, receptionist, therapist, clinic_admin):
    """Parametrise with indirect=True and a role name to get a logged-in HTTP client."""
    users = {
        "receptionist": receptionist,
        "therapist": therapist,
        "clinic_admin": clinic_admin,
    }
    return _logged_in(users[request.param])


@pytest.fixture
def client_record(db):
    return ClientFactory(first_name="Maria", last_name="Lopez")
