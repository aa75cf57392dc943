from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

STAFF = ["receptionist", "therapist", "clinic_admin"]

VALID = {
    "first_name": "Hannah",
    "last_name": "Whitfield",
    "preferred_name": "Annie",
    "date_of_birth": "1985-03-14",
    "phone": "07700 900123",
    "email": "Hannah.W@example.com",
    "address": "4 Mill Road\nBath",
    "emergency_contact_name": "Sam Whitfield",
    "emergency_contact_phone": "07700 900456",
    "gp_details": "Dr Obi, Riverside Surgery",
}


# Client list and search


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_search_clients(persona, client_record):
    response = persona.get(reverse("client_list"), {"q": "lop"})
    assert response.status_code == 200
    assert "Maria" in response.content.decode()


def test_anonymous_is_sent_to_login_from_client_list(anonymous, client_record):
    response = anonymous.get(reverse("client_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_without_a_role_cannot_list_clients(as_no_role, client_record):
    response = as_no_role.get(reverse("client_list"))
    assert response.status_code == 403
    assert "Maria" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("whit", ["Whitfield"]),
        ("ann whit", ["Whitfield"]),
        ("WHITFIELD", ["Whitfield"]),
        ("14/03/1985", ["Whitfield"]),
        ("1985-03-14", ["Whitfield"]),
        ("900123", ["Whitfield"]),
        ("07700 900 123", ["Whitfield"]),
        ("hannah.w@", ["Whitfield"]),
        ("zzz", []),
    ],
)
def test_search_finds_clients_by_name_phone_email_or_birth_date(as_receptionist, query, expected):
    ClientFactory(
        first_name="Hannah",
        last_name="Whitfield",
        preferred_name="Annie",
        date_of_birth=date(1985, 3, 14),
        phone="07700 900123",
        phone_digits="07700900123",
        email="hannah.w@example.com",
    )
    ClientFactory(
        first_name="Peter",
        last_name="Grant",
        date_of_birth=date(1970, 1, 2),
        phone="01234 555666",
        phone_digits="01234555666",
        email="pg@example.com",
    )
    found = list(Client.objects.search(query).values_list("last_name", flat=True))
    assert found == expected


def test_htmx_search_returns_only_the_result_rows(as_receptionist, client_record):
    response = as_receptionist.get(reverse("client_list"), {"q": "mar"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Maria" in body
    assert "<nav" not in body


def test_archived_clients_are_hidden_from_the_list_unless_an_admin_asks(
    as_receptionist, as_admin, clinic_admin
):
    ClientFactory(last_name="Archer", archived_at=timezone.now(), archived_by=clinic_admin)
    assert "Archer" not in as_receptionist.get(reverse("client_list")).content.decode()
    assert (
        "Archer"
        not in as_receptionist.get(reverse("client_list"), {"archived": "on"}).content.decode()
    )
    assert "Archer" in as_admin.get(reverse("client_list"), {"archived": "on"}).content.decode()


def test_client_list_query_count_does_not_grow_with_clients(
    as_receptionist, django_assert_max_num_queries
):
    ClientFactory.create_batch(3)
    with django_assert_max_num_queries(8) as few:
        as_receptionist.get(reverse("client_list"))
    ClientFactory.create_batch(60)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = as_receptionist.get(reverse("client_list"))
    assert response.content.decode().count("<tr") == 51  # header and a page of 50
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_overlong_search_gets_a_message_not_an_error(as_receptionist):
    response = as_receptionist.get(reverse("client_list"), {"q": "x" * 300})
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()


def test_a_search_with_a_nul_character_gets_a_message(as_receptionist):
    response = as_receptionist.get(reverse("client_list"), {"q": "ab\x00c"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()


# Registering a client


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_register_a_client(persona):
    response = persona.post(reverse("client_create"), VALID)
    client = Client.objects.get(last_name="Whitfield")
    assert response.status_code == 302
    assert response.url == client.get_absolute_url()
    assert client.email == "hannah.w@example.com"
    assert client.phone_digits == "07700900123"
    assert AuditEvent.objects.filter(client=client, action="create").exists()


def test_anonymous_cannot_register_a_client(anonymous):
    response = anonymous.post(reverse("client_create"), VALID)
    assert response.status_code == 302
    assert not Client.objects.exists()


def test_staff_without_a_role_cannot_register_a_client(as_no_role):
    assert as_no_role.get(reverse("client_create")).status_code == 403
    assert as_no_role.post(reverse("client_create"), VALID).status_code == 403
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter the client&#x27;s first name."),
        ("last_name", "   ", "Enter the client&#x27;s last name."),
        ("first_name", "1234", "The first name must contain letters."),
        ("date_of_birth", "", "Enter the date of birth."),
        ("date_of_birth", "31/02/1990", "Enter the date of birth as day/month/year"),
        ("date_of_birth", "1850-01-01", "over 120; check the year"),
        ("email", "not-an-email", "Enter an email address like name@example.com."),
        ("phone", "call me", "digits, spaces and + ( ) - only"),
        ("phone", "123", "between 6 and 15 digits"),
        ("first_name", "A" * 101, "at most 100 characters"),
        ("last_name", "Nul\x00l", "Null characters are not allowed"),
    ],
)
def test_invalid_client_input_is_explained_and_kept(as_receptionist, field, value, message):
    data = {**VALID, field: value}
    response = as_receptionist.post(reverse("client_create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert not Client.objects.exists()
    # What was typed in the other fields is still there.
    assert 'value="07700 900456"' in body
    assert "Riverside Surgery" in body


def test_a_birth_date_in_the_future_is_refused(as_receptionist):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = as_receptionist.post(reverse("client_create"), {**VALID, "date_of_birth": tomorrow})
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not Client.objects.exists()


def test_a_likely_duplicate_is_a_warning_the_receptionist_can_override(as_receptionist):
    ClientFactory(first_name="Hannah", last_name="Whitfield", date_of_birth=date(1985, 3, 14))
    first = as_receptionist.post(reverse("client_create"), VALID)
    assert first.status_code == 400
    assert "already registered" in first.content.decode()
    assert Client.objects.count() == 1

    second = as_receptionist.post(
        reverse("client_create"), {**VALID, "confirm_not_duplicate": "on"}
    )
    assert second.status_code == 302
    assert Client.objects.count() == 2


# The client's page


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_opening_a_client_record_is_audited(persona, client_record):
    response = persona.get(client_record.get_absolute_url())
    assert response.status_code == 200
    assert "Maria Lopez" in response.content.decode()
    event = AuditEvent.objects.get(client=client_record, action="view")
    assert event.object_id == str(client_record.pk)
    assert event.ip_address == "127.0.0.1"


def test_anonymous_cannot_open_a_client_record(anonymous, client_record):
    response = anonymous.get(client_record.get_absolute_url())
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_staff_without_a_role_cannot_open_a_client_record(as_no_role, client_record):
    response = as_no_role.get(client_record.get_absolute_url())
    assert response.status_code == 403
    assert "Lopez" not in response.content.decode()


def test_an_unknown_client_id_is_not_found(as_receptionist):
    assert as_receptionist.get(reverse("client_detail", args=[999999])).status_code == 404


def test_client_page_query_count_is_bounded(
    as_therapist, client_record, django_assert_max_num_queries
):
    # The page carries the client's intakes, plans, sessions and surgery: one query each.
    with django_assert_max_num_queries(20):
        as_therapist.get(client_record.get_absolute_url())


# Editing


@pytest.mark.parametrize("persona", STAFF, indirect=True)
def test_every_staff_role_can_edit_contact_details(persona, client_record):
    data = {**VALID, "first_name": "Maria", "last_name": "Lopez", "phone": "01632 960001",
            "version": client_record.version}  # fmt: skip
    assert persona.get(reverse("client_update", args=[client_record.pk])).status_code == 200
    response = persona.post(reverse("client_update", args=[client_record.pk]), data)
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.phone == "01632 960001"
    event = AuditEvent.objects.get(client=client_record, action="update")
    assert "phone" in event.detail["fields"]


def test_anonymous_cannot_edit_a_client(anonymous, client_record):
    response = anonymous.post(reverse("client_update", args=[client_record.pk]), VALID)
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.last_name == "Lopez"


def test_staff_without_a_role_cannot_edit_a_client(as_no_role, client_record):
    response = as_no_role.post(reverse("client_update", args=[client_record.pk]), VALID)
    assert response.status_code == 403
    client_record.refresh_from_db()
    assert client_record.last_name == "Lopez"


def test_invalid_edit_changes_nothing_and_keeps_the_input(as_receptionist, client_record):
    data = {**VALID, "first_name": "Maria", "last_name": "Lopez", "email": "broken@",
            "version": client_record.version}  # fmt: skip
    response = as_receptionist.post(reverse("client_update", args=[client_record.pk]), data)
    assert response.status_code == 400
    assert 'value="broken@"' in response.content.decode()
    client_record.refresh_from_db()
    assert client_record.email == "maria.lopez@example.com"
    assert not AuditEvent.objects.filter(action="update").exists()


# Archiving


def test_clinic_admin_archives_and_restores_a_client(as_admin, client_record, clinic_admin):
    response = as_admin.post(reverse("client_archive", args=[client_record.pk]))
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.is_archived
    assert client_record.archived_by == clinic_admin
    assert Client.objects.filter(pk=client_record.pk).exists()

    as_admin.post(reverse("client_restore", args=[client_record.pk]))
    client_record.refresh_from_db()
    assert not client_record.is_archived
    actions = set(AuditEvent.objects.filter(client=client_record).values_list("action", flat=True))
    assert {"archive", "restore"} <= actions


@pytest.mark.parametrize("persona", ["receptionist", "therapist"], indirect=True)
def test_only_clinic_admins_archive_clients(persona, client_record):
    response = persona.post(reverse("client_archive", args=[client_record.pk]))
    assert response.status_code == 403
    client_record.refresh_from_db()
    assert not client_record.is_archived


def test_anonymous_cannot_archive(anonymous, client_record):
    response = anonymous.post(reverse("client_archive", args=[client_record.pk]))
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert not client_record.is_archived


def test_archive_needs_a_post(as_admin, client_record):
    assert as_admin.get(reverse("client_archive", args=[client_record.pk])).status_code == 405


def test_an_archived_client_is_hidden_from_other_roles_and_read_only(
    as_receptionist, as_admin, client_record, clinic_admin
):
    client_record.archived_at = timezone.now()
    client_record.archived_by = clinic_admin
    client_record.save()
    assert as_receptionist.get(client_record.get_absolute_url()).status_code == 404
    assert as_admin.get(client_record.get_absolute_url()).status_code == 200
    edit = as_admin.post(reverse("client_update", args=[client_record.pk]), VALID)
    assert edit.status_code == 403


def test_a_client_cannot_be_deleted_while_audit_events_refer_to_it(as_admin, client_record):
    from django.db.models import ProtectedError

    as_admin.get(client_record.get_absolute_url())
    with pytest.raises(ProtectedError):
        client_record.delete()


def test_an_archived_clients_page_names_who_archived_it(as_admin, clinic_admin):
    clinic_admin.first_name, clinic_admin.last_name = "Ada", "Admin"
    clinic_admin.save()
    archived = ClientFactory(archived_at=timezone.now(), archived_by=clinic_admin)
    response = as_admin.get(reverse("client_detail", args=[archived.pk]))
    assert response.status_code == 200
    assert "by Ada Admin. The record is read-only" in response.content.decode()


@pytest.mark.parametrize("pk", [2**63, 10**30])
def test_a_client_id_too_large_for_the_database_is_not_found(as_admin, pk):
    assert as_admin.get(f"/clients/{pk}/").status_code == 404
