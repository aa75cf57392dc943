"""The client list: a page of a search, its SQL compiled once a process (the busiest query)."""

from types import SimpleNamespace

from django.core.paginator import Page
from django.db.models import CharField, Count, Func, Window

from clinic.models import Client, search_terms
from clinic.paging import counted_page
from clinic.prepared import prepared

CLIENTS_PER_PAGE = 50
# Pages whose query is kept compiled; further ones (rare) are compiled for their request.
KEPT_PAGES = 5
# What a row of the client list shows (clinic.markup.client_rows): nothing else is read.
LIST_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "phone",
    "email",
    "archived_at",
)


def _clients(*, archived: bool, terms: dict):
    clients = Client.objects.all() if archived else Client.objects.active()
    return clients.matching(**terms)


class _Unindexed(Func):
    """A text column as an expression no index holds (the same value, so the same order)."""

    template = "(%(expressions)s || '')"
    output_field = CharField()


def _page_query(*, archived, offset, terms):
    """One page of the matches, each row with the number of all matches (one query).

    A search is ordered by the name through `_Unindexed`: ordered by the columns, PostgreSQL
    may walk the name index filtering every client (290 ms at 100,000), as the LIMIT makes
    that look cheap, although the count over all matches reads them all anyway; whether it
    does turned on ANALYZE's sample. This way it finds the matches by their trigram indexes
    and sorts them (2 to 4 ms). Without a search every client matches: the index order is right."""
    clients = _clients(archived=archived, terms=terms)
    if terms:
        clients = clients.order_by(_Unindexed("last_name"), "first_name", "id")
    return clients.annotate(page_total=Window(Count("*"))).values("id", *LIST_FIELDS, "page_total")[
        offset : offset + CLIENTS_PER_PAGE
    ]


@prepared(shape=("offset",))
def _page_rows(*, archived, offset, **terms):
    """`_page_query`, compiled once a shape: each of the first KEPT_PAGES pages is one."""
    return _page_query(archived=archived, offset=offset, terms=terms)


def client_search_page(*, query: str, archived: bool, number) -> Page:
    """The page `number` of the clients matching `query` (archived ones too when `archived`).

    Each row has the attributes `client_rows` reads (`pk` and LIST_FIELDS), not a model.
    """
    terms = search_terms(query)

    def fetch(offset: int) -> tuple[list, int]:
        if offset < KEPT_PAGES * CLIENTS_PER_PAGE:
            rows = _page_rows(archived=archived, offset=offset, **terms)
        else:  # a page far down the list: compiled for this request only, not kept
            rows = list(_page_query(archived=archived, offset=offset, terms=terms))
        total = rows[0]["page_total"] if rows else 0
        return [SimpleNamespace(pk=row.pop("id"), **row) for row in rows], total

    return counted_page(
        lambda: _clients(archived=archived, terms=terms).only(*LIST_FIELDS),
        number,
        CLIENTS_PER_PAGE,
        fetch=fetch,
    )
