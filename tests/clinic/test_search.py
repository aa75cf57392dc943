"""clinic.search.client_search_page: the ORM's page of a search, from SQL compiled once."""

from datetime import date

import pytest
from django.core.paginator import Paginator
from django.utils import timezone

from clinic.models import Client
from clinic.search import CLIENTS_PER_PAGE, LIST_FIELDS, client_search_page
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(clinic_admin):
    for number in range(60):
        ClientFactory(last_name=f"Smith{number:02d}", first_name="Ann")
    ClientFactory(
        first_name="Ann_e", last_name="Percent%", email="ann.e@example.com", phone="07700 123456"
    )
    ClientFactory(
        first_name="Old", last_name="Smithson", archived_at=timezone.now(), archived_by=clinic_admin
    )
    ClientFactory(first_name="Bea", last_name="Born", date_of_birth=date(1980, 2, 29))


def _expected(query, archived, number):
    clients = Client.objects.all() if archived else Client.objects.active()
    return Paginator(clients.search(query).only(*LIST_FIELDS), CLIENTS_PER_PAGE).get_page(number)


def _rows(page):
    return [(row.pk, *(getattr(row, name) for name in LIST_FIELDS)) for row in page.object_list]


@pytest.mark.parametrize(
    ("query", "archived", "number"),
    [
        ("", False, None),
        ("smi", False, "1"),
        ("smi", False, "2"),
        ("smi", True, "2"),
        ("ann smith0", False, None),
        ("_", False, None),
        ("%", False, None),
        ("ann.e@example", False, None),
        ("123456", False, None),
        ("29/02/1980", False, None),
        ("smi", False, "9"),
        ("nobody", False, None),
    ],
)
def test_a_search_page_is_the_one_the_orm_gives(clients, query, archived, number):
    page = client_search_page(query=query, archived=archived, number=number)
    expected = _expected(query, archived, number)
    assert _rows(page) == _rows(expected)
    assert (page.number, page.paginator.count) == (expected.number, expected.paginator.count)


def test_a_search_page_is_one_query(clients, django_assert_num_queries):
    client_search_page(query="smi", archived=False, number="2")
    with django_assert_num_queries(1):
        page = client_search_page(query="ann smi", archived=False, number="2")
        assert page.paginator.count == 60
        assert len(page.object_list) == 10


def test_a_page_past_the_kept_ones_is_the_same_page(clients, monkeypatch):
    monkeypatch.setattr("clinic.search.KEPT_PAGES", 1)
    page = client_search_page(query="smi", archived=False, number="2")
    expected = _expected("smi", False, "2")
    assert _rows(page) == _rows(expected)
    assert page.paginator.count == expected.paginator.count == 60
