"""clinic.paging.counted_page: Paginator.get_page's answer in one query."""

import pytest
from django.core.paginator import Paginator

from clinic.models import Client
from clinic.paging import counted_page
from tests.factories import ClientFactory


@pytest.fixture
def clients(db):
    for number in range(7):
        ClientFactory(last_name=f"Smith{number:02d}", first_name="Ann")
    return Client.objects.search("smith").order_by("last_name", "first_name", "id")


def _same(page, expected):
    assert list(page.object_list) == list(expected.object_list)
    assert page.number == expected.number
    assert page.paginator.count == expected.paginator.count
    assert page.paginator.num_pages == expected.paginator.num_pages


@pytest.mark.parametrize("number", [None, "", "1", "2", "3", "x", "2.0", 2])
def test_a_page_is_the_one_get_page_gives(clients, number):
    _same(counted_page(clients, number, 3), Paginator(clients, 3).get_page(number))


@pytest.mark.parametrize("number", ["0", "-1", "4", "99", "9" * 30])
def test_a_page_outside_the_list_falls_back_to_get_page(clients, number):
    _same(counted_page(clients, number, 3), Paginator(clients, 3).get_page(number))


def test_a_page_takes_one_query_with_the_total(clients, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = counted_page(clients, "2", 3)
        assert page.paginator.count == 7
        assert page.paginator.num_pages == 3
        assert page.has_next() and page.has_previous()
        assert len(page.object_list) == 3


def test_an_empty_search_is_one_empty_first_page(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = counted_page(Client.objects.search("nobody-has-this-name"), None, 3)
        assert list(page.object_list) == []
        assert page.paginator.count == 0
        assert page.number == 1
