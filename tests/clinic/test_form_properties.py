"""Property tests of the client forms and the login form, through their views.

Whatever is posted: never a server error; invalid input is shown again with a message and
writes nothing; valid input is saved normalised.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.models import AuditEvent, Client, digits_only
from tests.conftest import totp_code, totp_device
from tests.hostile_input import (
    DATE_TEXT,
    FORM_PROPERTIES,
    FREE_TEXT,
    TEXT,
    assert_refused_with_a_message,
    field_values,
    posted,
    rolled_back,
    row_counts,
    words,
)

pytestmark = pytest.mark.django_db

NAME = st.sampled_from(["Ann", "  Mary  Jane ", "O'Neil", "Zoë", "Lee-Smith", "<b>Bo</b>"])
PHONE = st.sampled_from(["07700 900123", "+44 (0)1632  960001", ""])
EMAIL = st.sampled_from(["Ann.Lee@Example.com ", "a@b.co", ""])
CLIENT_POST = field_values(
    first_name=NAME,
    last_name=NAME,
    preferred_name=NAME,
    date_of_birth=st.sampled_from(["1985-03-14", "14/03/1985", "2001-12-31"]),
    phone=PHONE,
    email=EMAIL,
    address=FREE_TEXT,
    emergency_contact_name=NAME,
    emergency_contact_phone=PHONE,
    gp_details=FREE_TEXT,
    confirm_not_duplicate=st.sampled_from(["on", ""]),
)


def _assert_saved_normalised(client: Client, post: dict) -> None:
    assert client.first_name == words(post["first_name"])
    assert client.last_name == words(post["last_name"])
    assert client.preferred_name == words(post.get("preferred_name", ""))
    assert client.email == post.get("email", "").strip().lower()
    assert client.phone == words(post.get("phone", ""))
    assert client.phone_digits == digits_only(client.phone)
    assert "\x00" not in client.address + client.gp_details


@FORM_PROPERTIES
@given(post=CLIENT_POST)
def test_registering_a_client_saves_valid_input_normalised_and_refuses_the_rest(
    as_receptionist, post
):
    with rolled_back():
        before = row_counts(Client)
        response = posted(as_receptionist, reverse("client_create"), post)
        if response.status_code == 302:
            client = Client.objects.latest("id")
            assert Client.objects.count() == before[Client._meta.label] + 1
            _assert_saved_normalised(client, post)
            assert AuditEvent.objects.filter(action="create", client=client).exists()
        else:
            assert_refused_with_a_message(response, before, Client)


@FORM_PROPERTIES
@given(post=CLIENT_POST, version=st.one_of(st.just("current"), TEXT))
def test_editing_contact_details_saves_valid_input_and_refuses_the_rest(
    as_therapist, client_record, post, version
):
    url = reverse("client_update", args=[client_record.pk])
    with rolled_back():
        current = str(client_record.version)
        data = {**post, "version": current if version == "current" else version}
        before = row_counts(Client)
        saved_before = Client.objects.values().get(pk=client_record.pk)
        response = posted(as_therapist, url, data)
        assert response.status_code in (302, 400, 409)
        after = Client.objects.get(pk=client_record.pk)
        if response.status_code == 302:
            _assert_saved_normalised(after, data)
            assert after.version in (client_record.version, client_record.version + 1)
        else:
            if response.status_code == 400:
                assert_refused_with_a_message(response, before, Client)
            assert Client.objects.values().get(pk=client_record.pk) == saved_before


@FORM_PROPERTIES
@given(
    query=st.one_of(TEXT, DATE_TEXT, st.sampled_from(["lop", "07700", "@example", "14/03/1985"])),
    archived=st.sampled_from(["", "on", "1", "\x00", "yes please"]),
    page=st.one_of(st.sampled_from(["", "1", "2", "last", "-1", "0"]), TEXT),
    htmx=st.booleans(),
)
def test_the_client_search_answers_any_query_and_never_lists_archived_clients_to_reception(
    as_receptionist, client_record, clinic_admin, query, archived, page, htmx
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with rolled_back():
        Client.objects.filter(pk=client_record.pk).update(
            last_name="Archivedperson", archived_at=timezone.now(), archived_by=clinic_admin
        )
        response = as_receptionist.get(
            reverse("client_list"), {"q": query, "archived": archived, "page": page}, **headers
        )
        assert response.status_code == 200
        assert "Archivedperson" not in response.content.decode()


LIMIT = django_settings.AXES_FAILURE_LIMIT
PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's


@settings(FORM_PROPERTIES, max_examples=12)  # each example is up to 8 logins
@given(
    attempts=st.lists(
        st.fixed_dictionaries(
            {},
            optional={"username": st.one_of(st.just("rita"), TEXT), "password": TEXT},
        ),
        min_size=1,
        max_size=LIMIT + 2,
    )
)
def test_the_login_form_refuses_any_wrong_input_and_keeps_its_lockout(receptionist, attempts):
    """Wrong posts never log in nor fail; the lockout counts only the real username's failures."""
    with rolled_back():
        AccessAttempt.objects.all().delete()
        http = HttpClient()
        failures_for_rita = 0
        for attempt in attempts:
            response = http.post(reverse("login"), attempt)
            assert response.status_code in (200, 429)
            assert "_auth_user_id" not in http.session
            if attempt.get("username") == "rita" and attempt.get("password"):
                failures_for_rita += 1
            if response.status_code == 200:
                assert "Log in" in response.content.decode()
        right = http.post(reverse("login"), {"username": "rita", "password": PASSWORD})
        if failures_for_rita >= LIMIT:
            assert right.status_code == 429
            assert "_auth_user_id" not in http.session
        else:
            assert right.status_code == 302
            assert http.session["_auth_user_id"] == str(receptionist.pk)


@FORM_PROPERTIES
@given(
    params=field_values(
        client=st.one_of(st.sampled_from(["Lopez", "1", "99999999999999999999"]), TEXT),
        staff=st.one_of(st.integers(-1, 10**6).map(str), TEXT),
        action=st.sampled_from(["", "view", "update", "delete", "export"]),
        date_from=st.one_of(DATE_TEXT, st.just("")),
        date_to=st.one_of(DATE_TEXT, st.just("")),
        page=st.one_of(st.sampled_from(["1", "2", "last", "0"]), TEXT),
    )
)
def test_the_audit_screen_answers_any_filter_with_results_or_a_message(as_admin, params):
    response = as_admin.get(reverse("audit_list"), params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert_refused_with_a_message(response, row_counts())


@settings(FORM_PROPERTIES, max_examples=12)  # a login each
@given(code=st.one_of(TEXT, st.integers(0, 999_999).map(lambda n: f"{n:06d}")))
def test_a_wrong_two_factor_code_is_refused_with_a_message_and_never_verifies(clinic_admin, code):
    device = totp_device(clinic_admin)
    if code == totp_code(device):
        return  # the one right code: not what this property is about
    http = HttpClient()
    http.force_login(clinic_admin)
    response = posted(http, reverse("two_factor_verify"), {"code": code})
    assert response.status_code == 400
    assert_refused_with_a_message(response, row_counts())
    assert "otp_device_id" not in http.session
