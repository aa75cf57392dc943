"""The audit log: the clinic admins' screen, append-only rows, change history and read events."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pghistory.middleware import HistoryMiddleware

from clinic.models import AuditEvent, Client
from tests.factories import ClientFactory, SessionFactory, UserFactory, submitted_intake

pytestmark = pytest.mark.django_db

AUDIT_URL = reverse("audit_list")


def _event(*, actor=None, action=AuditEvent.Action.VIEW, client=None, at=None):
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        client=client,
        object_type="clinic.client" if client else "",
        object_id=str(client.pk) if client else "",
        at=at or timezone.now(),
    )


def _listed(response) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


# The screen: who may see it


def test_clinic_admin_sees_the_audit_log_newest_first(as_admin, therapist, client_record):
    older = _event(actor=therapist, client=client_record, at=timezone.now() - timedelta(days=2))
    newer = _event(actor=therapist, client=client_record, at=timezone.now() - timedelta(days=1))
    response = as_admin.get(AUDIT_URL)
    assert response.status_code == 200
    listed = _listed(response)
    # The admin's own look at the screen is the newest event of all.
    assert listed[0].detail == {"screen": "audit", "filters": []}
    assert listed.index(newer) < listed.index(older)
    content = response.content.decode()
    assert content.count("<h1") == 1
    assert "Maria Lopez" in content
    assert "Theo" in content


@pytest.mark.parametrize("persona", ["receptionist", "therapist"], indirect=True)
def test_staff_other_than_clinic_admins_are_refused_the_audit_log(persona):
    before = AuditEvent.objects.filter(detail__screen="audit").count()
    response = persona.get(AUDIT_URL)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(detail__screen="audit").count() == before


def test_anonymous_visitors_are_sent_to_log_in(anonymous):
    response = anonymous.get(AUDIT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewing_the_audit_log_writes_an_audit_event(as_admin, clinic_admin):
    as_admin.get(AUDIT_URL, {"action": "view", "client": "Lopez"})
    event = AuditEvent.objects.get(detail__screen="audit")
    assert event.actor == clinic_admin
    assert event.action == AuditEvent.Action.VIEW
    assert event.detail["filters"] == ["action", "client"]
    assert event.ip_address == "127.0.0.1"


def test_the_nav_links_to_the_audit_log_for_clinic_admins_only(as_admin, as_therapist):
    assert f'href="{AUDIT_URL}"' in as_admin.get(reverse("dashboard")).content.decode()
    assert f'href="{AUDIT_URL}"' not in as_therapist.get(reverse("dashboard")).content.decode()


# The screen: filters


def test_filter_by_client_name_or_id(as_admin, therapist, client_record):
    other = ClientFactory(first_name="Ben", last_name="Okafor")
    mine = _event(actor=therapist, client=client_record)
    theirs = _event(actor=therapist, client=other)
    by_name = _listed(as_admin.get(AUDIT_URL, {"client": "lope"}))
    assert mine in by_name
    assert theirs not in by_name
    by_id = _listed(as_admin.get(AUDIT_URL, {"client": str(other.pk)}))
    assert by_id == [theirs]


def test_filter_by_staff_member_action_and_dates(as_admin, therapist, receptionist, client_record):
    now = timezone.now()
    wanted = _event(actor=therapist, client=client_record, at=now - timedelta(days=3))
    _event(actor=receptionist, client=client_record, at=now - timedelta(days=3))
    _event(actor=therapist, action="update", client=client_record, at=now - timedelta(days=3))
    _event(actor=therapist, client=client_record, at=now - timedelta(days=10))
    day = timezone.localdate(wanted.at)
    response = as_admin.get(
        AUDIT_URL,
        {
            "staff": therapist.pk,
            "action": "view",
            "date_from": (day - timedelta(days=1)).isoformat(),
            "date_to": day.strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 200
    assert _listed(response) == [wanted]


def test_the_date_range_takes_whole_local_days(as_admin, therapist, client_record):
    event = _event(actor=therapist, client=client_record)
    day = timezone.localdate(event.at).isoformat()
    assert event in _listed(as_admin.get(AUDIT_URL, {"date_from": day, "date_to": day}))


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "yesterday"}, "date_from", "Enter the first day as a date"),
        ({"date_to": "31/02/2026"}, "date_to", "Enter the last day as a date"),
        (
            {"date_from": "2026-03-10", "date_to": "2026-03-01"},
            "date_to",
            "The last day cannot be before the first day.",
        ),
        ({"staff": "999999"}, "staff", "Pick a staff member from the list."),
        ({"staff": "abc"}, "staff", "Pick a staff member from the list."),
        ({"action": "delete"}, "action", "Pick an action from the list."),
    ],
)
def test_bad_filter_values_get_a_clear_message(as_admin, params, field, message):
    response = as_admin.get(AUDIT_URL, params)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()


def test_a_bad_filter_is_ignored_and_the_good_ones_still_apply(as_admin, therapist, client_record):
    wanted = _event(actor=therapist, client=client_record)
    _event(actor=therapist, client=ClientFactory())
    response = as_admin.get(AUDIT_URL, {"client": str(client_record.pk), "date_from": "nope"})
    assert response.status_code == 400
    assert _listed(response) == [wanted]


def test_parameters_outside_the_filters_are_ignored(as_admin, therapist, client_record):
    _event(actor=therapist, client=client_record)
    response = as_admin.get(AUDIT_URL, {"order": "at", "actor__username": "x", "page": "zz"})
    assert response.status_code == 200
    assert len(_listed(response)) == AuditEvent.objects.count()
    assert response.context["query_string"] == ""


def test_the_audit_log_pages_by_fifty_with_bounded_queries(
    as_admin, therapist, receptionist, django_assert_max_num_queries
):
    clients = ClientFactory.create_batch(6)
    for index in range(66):
        _event(actor=(therapist, receptionist)[index % 2], client=clients[index % 6])
    with django_assert_max_num_queries(12):
        first = as_admin.get(AUDIT_URL, {"action": "view"})
    assert first.status_code == 200
    assert len(_listed(first)) == 50
    assert first.context["page"].paginator.count == 67
    assert "action=view&amp;page=2" in first.content.decode()
    with django_assert_max_num_queries(12):
        second = as_admin.get(AUDIT_URL, {"action": "view", "page": "2"})
    assert len(_listed(second)) == 18  # 66, and the two looks at the screen


# Audit rows are append-only, in the database


def _sql(statement: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_sql_cannot_change_an_audit_event(therapist, client_record):
    event = _event(actor=therapist, client=client_record)
    with pytest.raises(DatabaseError, match="Cannot update or delete rows from clinic_auditevent"):
        _sql("UPDATE clinic_auditevent SET action = 'update' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.action == "view"


def test_sql_cannot_delete_an_audit_event(therapist, client_record):
    event = _event(actor=therapist, client=client_record)
    with pytest.raises(DatabaseError, match="Cannot update or delete rows from clinic_auditevent"):
        _sql("DELETE FROM clinic_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_orm_cannot_change_or_delete_audit_events(therapist, client_record):
    event = _event(actor=therapist, client=client_record)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail={})
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# Change history (django-pghistory): bulk updates and SQL too, with the acting user


def _client_events(client, label="update"):
    model = apps.get_model("clinic", "ClientEvent")
    return model.objects.filter(pgh_obj=client, pgh_label=label).select_related("pgh_context")


def test_bulk_and_sql_updates_inside_a_request_are_kept_with_the_acting_user(
    clinic_admin, client_record
):
    def view(request):
        Client.objects.filter(pk=client_record.pk).update(phone="01632 960001")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE clinic_client SET gp_details = 'Dr Patel' WHERE id = %s",
                [client_record.pk],
            )
        return HttpResponse("done")

    request = RequestFactory().post("/clients/bulk/")
    request.user = clinic_admin
    HistoryMiddleware(view)(request)

    events = list(_client_events(client_record).order_by("pgh_id"))
    assert [e.phone for e in events] == ["01632 960001", "01632 960001"]
    assert [e.gp_details for e in events] == ["", "Dr Patel"]
    for event in events:
        assert event.pgh_context.metadata["user"] == clinic_admin.pk
        assert event.pgh_context.metadata["url"] == "/clients/bulk/"


def test_sql_updates_outside_any_request_are_still_kept(client_record):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clinic_client SET address = '1 High St' WHERE id = %s", [client_record.pk]
        )
    (event,) = _client_events(client_record)
    assert event.address == "1 High St"
    assert event.pgh_context is None


def test_a_change_through_the_app_is_kept_with_the_user_who_made_it(as_admin, clinic_admin):
    client = ClientFactory(first_name="Ann", last_name="Smith")
    response = as_admin.post(
        reverse("client_update", args=[client.pk]),
        {
            "first_name": "Ann",
            "last_name": "Smith-Jones",
            "date_of_birth": client.date_of_birth.isoformat(),
            "version": client.version,
        },
    )
    assert response.status_code == 302
    (event,) = _client_events(client)
    assert event.last_name == "Smith-Jones"
    assert event.pgh_context.metadata["user"] == clinic_admin.pk


def test_intake_rows_are_kept_in_the_history_with_the_submitter():
    receptionist = UserFactory(role="Receptionist")
    from pghistory import context

    with context(user=receptionist.pk):
        intake = submitted_intake(actor=receptionist, pain={"calf:left": 5, "shin:left": 3})
    intake_events = apps.get_model("intake", "IntakeEvent").objects.filter(pgh_obj=intake)
    assert {e.pgh_label for e in intake_events} == {"insert", "update"}
    pain_events = apps.get_model("intake", "PainReportEvent").objects.filter(intake=intake)
    assert pain_events.count() == 2
    assert {e.pgh_context.metadata["user"] for e in pain_events} == {receptionist.pk}


# Reads of clinical data write audit events


def _views_of(client, object_type):
    return AuditEvent.objects.filter(client=client, action="view", object_type=object_type)


def test_reading_an_intake_writes_an_audit_event(as_therapist, therapist, client_record):
    intake = submitted_intake(client=client_record)
    assert as_therapist.get(intake.get_absolute_url()).status_code == 200
    (event,) = _views_of(client_record, "intake.intake")
    assert event.actor == therapist
    assert event.object_id == str(intake.pk)


def test_reading_a_session_note_writes_an_audit_event(as_therapist, therapist, client_record):
    session = SessionFactory(client=client_record, therapist=therapist)
    assert as_therapist.get(session.get_absolute_url()).status_code == 200
    note_form = reverse("treatments:session_note", args=[client_record.pk, session.pk])
    assert as_therapist.get(note_form).status_code == 200
    events = _views_of(client_record, "treatments.session")
    assert events.count() == 2
    assert {e.object_id for e in events} == {str(session.pk)}


def test_reading_the_progress_page_writes_an_audit_event(as_therapist, therapist, client_record):
    url = reverse("treatments:progress", args=[client_record.pk])
    assert as_therapist.get(url).status_code == 200
    (event,) = _views_of(client_record, "clinic.client").filter(detail__page="progress")
    assert event.actor == therapist


def test_event_details_are_shown_as_plain_words(as_admin, therapist, client_record):
    AuditEvent.objects.create(
        actor=therapist,
        action="update",
        client=client_record,
        object_type="clinic.client",
        object_id=str(client_record.pk),
        detail={"fields": ["phone", "email"], "findings": 2, "note": ""},
    )
    content = as_admin.get(AUDIT_URL, {"action": "update"}).content.decode()
    assert "fields: phone, email" in content
    assert "findings: 2" in content
    assert "note:" not in content


def test_opening_a_clients_edit_form_is_an_audited_read(
    as_receptionist, receptionist, client_record
):
    response = as_receptionist.get(reverse("client_update", args=[client_record.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, client=client_record)
    assert event.actor == receptionist
    assert event.detail == {"form": "edit"}


def test_deactivating_staff_is_audited_with_who_did_it(clinic_admin, therapist):
    from clinic.services import staff_deactivate

    staff_deactivate(actor=clinic_admin, user=therapist)
    event = AuditEvent.objects.get(object_type="auth.user", object_id=str(therapist.pk))
    assert (event.actor, event.action) == (clinic_admin, AuditEvent.Action.UPDATE)
    assert event.detail["deactivated"] is True


# The audit INSERT goes without pghistory's context (the audit table is not tracked)


def test_an_audit_event_in_a_request_is_written_without_the_history_context_and_counted(
    clinic_admin, client_record
):
    from pghistory import context

    from clinic.audit import audit_record

    seen = []

    def spy(execute, sql, params, many, context_):
        seen.append(sql)
        return execute(sql, params, many, context_)

    request = RequestFactory().get("/clients/")
    request.user = clinic_admin
    with context(user=clinic_admin.pk), connection.execute_wrapper(spy):
        wrappers = list(connection.execute_wrappers)
        event = audit_record(request=request, action="view", client=client_record)
        # A tracked write after it still carries the context itself.
        Client.objects.filter(pk=client_record.pk).update(phone="01632 960002")
        assert connection.execute_wrappers == wrappers
    (insert,) = [sql for sql in seen if "clinic_auditevent" in sql]
    assert insert.startswith("INSERT")
    assert AuditEvent.objects.get(pk=event.pk).client == client_record
    (update,) = _client_events(client_record)
    assert update.phone == "01632 960002"
    assert update.pgh_context.metadata["user"] == clinic_admin.pk


@pytest.mark.parametrize("address", ["192.0.2.7", "2001:db8::1", "::ffff:192.0.2.9", None])
def test_every_column_of_an_event_reads_back_as_written(
    therapist, client_record, address, django_assert_num_queries
):
    from clinic.audit import audit_record

    request = RequestFactory().get("/", REMOTE_ADDR=address) if address else None
    if request is not None:
        request.user = therapist
    detail = {"fields": ["phone", "naïve—name"], "count": 3, "nested": {"ok": True}}
    event = audit_record(
        request=request,
        action=AuditEvent.Action.UPDATE,
        client=client_record,
        obj=client_record,
        detail=detail,
        actor=None if request else therapist,
    )
    # The returned event holds its related rows as save() would have left them.
    with django_assert_num_queries(0):
        assert event.actor == therapist
        assert event.client == client_record
    stored = AuditEvent.objects.get(pk=event.pk)
    expected = {
        "at": event.at,
        "actor_id": therapist.pk,
        "action": "update",
        "client_id": client_record.pk,
        "object_type": "clinic.client",
        "object_id": str(client_record.pk),
        "ip_address": AuditEvent._meta.get_field("ip_address").to_python(address),
        "detail": detail,
    }
    assert {name: getattr(stored, name) for name in expected} == expected


def test_an_event_is_written_the_same_without_statements_prepared_on_the_server(
    therapist, client_record, settings
):
    from clinic.audit import audit_record

    settings.SERVER_PREPARED_QUERIES = False  # behind a pooler in transaction mode
    event = audit_record(
        request=None, action="view", client=client_record, actor=therapist, detail={"n": 1}
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.client_id, stored.detail) == (
        therapist.pk,
        client_record.pk,
        {"n": 1},
    )
