"""clinic.prepared: a query compiled once gives, call after call, what the ORM would give."""

from datetime import date, timedelta

import pytest
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, Value
from django.utils import timezone

from clinic.models import Client
from clinic.prepared import prepared
from tests.factories import ClientFactory, SessionFactory, TreatmentPlanFactory
from treatments.models import Session, TreatmentPlan

pytestmark = pytest.mark.django_db


@prepared
def sessions_since(*, client_id, since):
    return (
        Session.objects.filter(client_id=client_id, starts_at__gte=since)
        .order_by("starts_at")
        .values_list("id", "starts_at", "therapist__username")
    )


def test_each_call_runs_with_its_own_values_and_matches_the_orm():
    first, second = ClientFactory(), ClientFactory()
    for client in (first, first, second):
        SessionFactory(client=client)
    since = timezone.now() - timedelta(days=30)
    for client in (first, second, first):
        expected = list(
            Session.objects.filter(client_id=client.pk, starts_at__gte=since)
            .order_by("starts_at")
            .values_list("id", "starts_at", "therapist__username")
        )
        assert sessions_since(client_id=client.pk, since=since) == expected
    assert len(sessions_since.compiled) == 1
    assert sessions_since(client_id=first.pk, since=timezone.now()) == []


def test_a_compiled_query_is_one_query(django_assert_num_queries):
    client = ClientFactory()
    SessionFactory(client=client)
    since = timezone.now() - timedelta(days=30)
    sessions_since(client_id=client.pk, since=since)
    with django_assert_num_queries(1):
        assert len(sessions_since(client_id=client.pk, since=since)) == 1


@prepared
def clients_named(*, words, archived):
    condition = Q()
    for word in words:
        condition &= Q(last_name__icontains=word) | Q(first_name__icontains=word)
    clients = Client.objects.filter(condition)
    clients = clients.filter(archived_at__isnull=not archived)
    return clients.order_by("id").values("id", "last_name")


@pytest.mark.parametrize(
    "words",
    [("ann",), ("ann", "smi"), ("100%",), ("a_b",), ("back\\slash",), ("{0}",), ("{}",)],
)
def test_a_like_pattern_gets_the_value_escaped_as_the_orm_escapes_it(words):
    for first, last in [
        ("Ann", "Smith"),
        ("Anna", "Smithers"),
        ("Joanne", "Blacksmith"),
        ("100%", "Sure"),
        ("a_b", "Under"),
        ("axb", "Under"),
        ("back\\slash", "Slash"),
        ("{0}", "Braces"),
        ("{}", "Braces"),
        ("Bob", "Jones"),
    ]:
        ClientFactory(first_name=first, last_name=last)
    condition = Q()
    for word in words:
        condition &= Q(last_name__icontains=word) | Q(first_name__icontains=word)
    expected = list(
        Client.objects.filter(condition, archived_at__isnull=True)
        .order_by("id")
        .values("id", "last_name")
    )
    assert expected, "each case matches someone"
    assert clients_named(words=words, archived=False) == expected


def test_the_number_of_words_and_a_flag_are_shapes_each_compiled_once():
    ClientFactory(first_name="Ann", last_name="Smith")
    clients_named.compiled.clear()
    clients_named(words=("ann",), archived=False)
    clients_named(words=("bob",), archived=False)
    clients_named(words=("ann", "smi"), archived=False)
    clients_named(words=("ann",), archived=True)
    assert len(clients_named.compiled) == 3


@prepared
def clients_in(*, ids):
    return Client.objects.filter(id__in=ids).order_by("id").values_list("id", flat=True)


def test_a_tuple_gives_one_parameter_an_element_and_an_empty_one_no_rows():
    clients = ClientFactory.create_batch(3)
    ids = tuple(client.pk for client in clients)
    assert clients_in(ids=ids) == list(ids)
    assert clients_in(ids=ids[1:]) == list(ids[1:])
    assert clients_in(ids=()) == []


@prepared
def plans_with_muscles(*, client_id):
    return (
        TreatmentPlan.objects.filter(client_id=client_id)
        .annotate(
            muscle_names=ArrayAgg(
                "plan_muscles__muscle__name",
                filter=Q(plan_muscles__isnull=False),
                default=Value([]),
            )
        )
        .order_by("-id")
        .values_list("id", "start_date", "muscle_names")
    )


def test_converters_give_the_python_values_the_orm_gives():
    plan = TreatmentPlanFactory()
    rows = plans_with_muscles(client_id=plan.client_id)
    assert rows == [(plan.pk, plan.start_date, [])]
    assert isinstance(rows[0][1], date)


@prepared
def born_on(*, day):
    return Client.objects.filter(date_of_birth=day).values_list("id", flat=True)


def test_a_value_the_orm_changes_is_refused_on_the_first_call():
    """A date column compared with a datetime: the ORM keeps only the date."""
    with pytest.raises(ImproperlyConfigured, match="day did not reach the SQL"):
        born_on(day=timezone.now())


@prepared
def whole_clients(*, client_id):
    return Client.objects.filter(pk=client_id)


def test_model_instances_are_refused():
    with pytest.raises(ImproperlyConfigured, match="values"):
        whole_clients(client_id=1)


def test_values_of_other_types_are_refused():
    with pytest.raises(TypeError, match="prepared queries take"):
        clients_in(ids=[1, 2])


def test_an_id_beyond_bigint_is_left_to_the_orm_which_finds_no_row():
    ClientFactory()
    assert sessions_since(client_id=-(2**70), since=timezone.now()) == []
    assert sessions_since(client_id=2**63, since=timezone.now()) == []


@prepared(shape=("offset",))
def client_ids_from(*, offset):
    return Client.objects.order_by("id").values_list("id", flat=True)[offset : offset + 2]


def test_a_shape_argument_is_compiled_per_value_and_the_kept_shapes_are_capped(monkeypatch):
    ids = [client.pk for client in ClientFactory.create_batch(5)]
    assert client_ids_from(offset=0) == ids[:2]
    assert client_ids_from(offset=3) == ids[3:5]
    assert len(client_ids_from.compiled) == 2
    monkeypatch.setattr("clinic.prepared.MAX_SHAPES", 2)
    assert client_ids_from(offset=1) == ids[1:3]
    assert len(client_ids_from.compiled) == 2


@prepared(shape=("offset",))
def born_on_page(*, day, offset):
    return (
        Client.objects.filter(date_of_birth=day)
        .order_by("id")
        .values_list("id", flat=True)[offset : offset + 1]
    )


def test_compiling_many_shapes_keeps_every_stand_in_in_range():
    """Each compile numbers its stand-ins afresh: thousands of pages compiled (past the kept
    shapes) must not run a date stand-in past year 9999."""
    client = ClientFactory(date_of_birth=date(1980, 2, 29))
    for offset in range(5000):
        assert born_on_page(day=date(1980, 2, 29), offset=offset) == (
            [client.pk] if offset == 0 else []
        )


@prepared
def clients_at_version(*, version):
    return Client.objects.filter(version=version).values_list("id", flat=True)


def test_a_32_bit_integer_column_is_compared_not_dropped():
    client = ClientFactory()
    assert clients_at_version(version=1) == [client.pk]
    assert clients_at_version(version=2**40) == []  # out of the column's range: the ORM's []


def test_tests_and_debug_log_the_sql_with_its_values(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = ClientFactory()
    with CaptureQueriesContext(connection) as captured:
        clients_in(ids=(client.pk,))
    assert str(client.pk) in captured.captured_queries[0]["sql"]


def test_a_shape_compiled_past_the_kept_ones_is_not_prepared_on_the_server(monkeypatch):
    ids = [client.pk for client in ClientFactory.create_batch(3)]
    client_ids_from.compiled.clear()
    monkeypatch.setattr("clinic.prepared.MAX_SHAPES", 0)
    prepared_cursors = []
    monkeypatch.setattr(
        "clinic.prepared._cursor", lambda connection: prepared_cursors.append(1) or None
    )
    assert client_ids_from(offset=1) == ids[1:3]
    assert prepared_cursors == []
