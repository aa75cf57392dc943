"""Filter, sort and paging parameters take only known values: anything else is refused with a
message or ignored, and never reaches a query unchecked or ends in a server error."""

import pytest
from django.urls import reverse

from clinic.services import client_archive
from tests.factories import ClientFactory, SessionFactory, submitted_intake

pytestmark = pytest.mark.django_db

HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE clinic_client; --",
    "-created_at",
    "client__user__password",
    "x" * 5000,
    "ab\x00cd",
    "9" * 40,
    "-1",
    "2026-02-30",
    "<script>alert(1)</script>",
]

# (persona, url name, url args, parameters read from the address)
PAGES = [
    ("receptionist", "client_list", [], ["q", "archived", "page", "order", "sort"]),
    ("clinic_admin", "client_list", [], ["archived"]),
    ("receptionist", "treatments:schedule_day", [], ["date", "therapist", "order"]),
    ("receptionist", "treatments:schedule_week", [], ["date", "therapist", "order"]),
    ("receptionist", "treatments:session_book", [], ["q", "date", "therapist"]),
    ("therapist", "knowledge:muscle_list", [], ["q", "zone", "region", "factor", "order"]),
    ("therapist", "intake:to_review", [], ["page", "order", "sort"]),
]


@pytest.fixture
def personas(as_receptionist, as_therapist, as_admin):
    return {"receptionist": as_receptionist, "therapist": as_therapist, "clinic_admin": as_admin}


@pytest.fixture
def records(therapist):
    client = ClientFactory(last_name="Hostilewood")
    submitted_intake(client=client)
    session = SessionFactory(client=client, therapist=therapist)
    return {"client": client, "session": session}


def _assert_answered(response, label):
    assert response.status_code in (200, 400), (label, response.status_code)
    if response.status_code == 400:
        assert b"invalid-feedback" in response.content or b"alert" in response.content, label


@pytest.mark.parametrize(("persona", "name", "args", "params"), PAGES)
def test_hostile_values_in_each_parameter_are_refused_or_ignored(
    personas, records, persona, name, args, params
):
    http = personas[persona]
    url = reverse(name, args=args)
    for param in params:
        for value in HOSTILE:
            _assert_answered(http.get(url, {param: value}), f"{name}?{param}={value[:30]!r}")
        # All at once, and twice over.
        _assert_answered(http.get(url, dict.fromkeys(params, HOSTILE[1])), name)
        _assert_answered(http.get(f"{url}?{param}=1&{param}=x&{param}=%00"), name)


def test_the_audit_screen_refuses_or_ignores_hostile_filters(as_admin, records):
    url = reverse("audit_list")
    for param in ("client", "staff", "action", "date_from", "date_to", "page", "order"):
        for value in HOSTILE:
            _assert_answered(as_admin.get(url, {param: value}), f"audit?{param}={value[:30]!r}")


@pytest.mark.parametrize(
    "params",
    [
        {"client": "²"},  # a digit to str.isdigit, not to int()
        {"client": "١٢"},  # Arabic-Indic digits
        {"date_to": "9999-12-31"},  # the day after it does not exist
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
)
def test_the_audit_screen_answers_filters_at_the_edges(as_admin, records, params):
    _assert_answered(as_admin.get(reverse("audit_list"), params), f"audit {params}")


def test_an_unknown_library_filter_value_is_reported_not_applied(as_therapist):
    response = as_therapist.get(reverse("knowledge:muscle_list"), {"zone": "no-such-zone"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body or "valid" in body
    assert "Soleus" in body  # the unfiltered list


def test_an_unknown_region_is_not_applied(as_therapist):
    response = as_therapist.get(reverse("knowledge:muscle_list"), {"region": "' OR 1=1 --"})
    assert response.status_code == 200
    assert "Soleus" in response.content.decode()


def test_a_search_with_a_nul_byte_is_refused_and_lists_nothing_unexpected(as_receptionist, records):
    response = as_receptionist.get(reverse("client_list"), {"q": "Host\x00ile"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()


def test_archived_clients_stay_hidden_from_the_front_desk_whatever_the_flag(
    as_receptionist, clinic_admin, records
):
    client_archive(request=None, actor=clinic_admin, client=records["client"])
    for value in ("1", "on", "true", "True", "yes", "' OR 1=1 --"):
        response = as_receptionist.get(reverse("client_list"), {"archived": value})
        assert "Hostilewood" not in response.content.decode()


def test_a_therapist_filter_for_someone_who_does_not_treat_shows_everyone(
    as_receptionist, receptionist, records
):
    response = as_receptionist.get(
        reverse("treatments:schedule_day"), {"therapist": str(receptionist.pk)}
    )
    assert response.status_code == 200
    assert response.context["chosen"] is None


def test_a_foreign_next_address_is_never_followed(as_therapist, records):
    client = records["client"]
    url = reverse("treatments:measure_create", args=[client.pk, "nprs"])
    data = {"measured_on": "2026-01-05", "score": "4"}
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = as_therapist.post(f"{url}?next={target}", data)
        assert response.status_code in (302, 400)
        if response.status_code == 302:
            assert "evil" not in response["Location"] and "javascript" not in response["Location"]


@pytest.mark.parametrize("value", ["x", "\x00", "9" * 40, "-1", "' OR 1=1 --"])
def test_a_hostile_session_id_in_the_measure_form_is_not_found(as_therapist, records, value):
    url = reverse("treatments:measure_create", args=[records["client"].pk, "nprs"])
    assert as_therapist.get(url, {"session": value}).status_code == 404


@pytest.mark.parametrize("value", ["x", "\x00", "9" * 40, "-1"])
def test_a_hostile_client_id_on_the_booking_page_is_not_found(as_receptionist, value):
    response = as_receptionist.get(reverse("treatments:session_book"), {"client": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["9" * 12, "9" * 40])
def test_a_record_id_beyond_the_database_range_in_the_path_is_not_found(as_therapist, value):
    for url in (
        f"/clients/{value}/",
        f"/clients/{value}/sessions/{value}/",
        f"/clients/{value}/plans/{value}/",
        f"/intakes/{value}/",
        f"/intakes/{value}/suggestions/{value}/map/",
    ):
        assert as_therapist.get(url).status_code == 404, url
