"""A page of a long list in one query: the rows and the total together."""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

# A page number beyond any real list: its offset would not fit PostgreSQL's bigint.
MAX_PAGE = 10**9


def counted_page(
    queryset: QuerySet | Callable[[], QuerySet],
    number,
    per_page: int,
    *,
    fetch: Callable[[int], tuple[list, int]] | None = None,
) -> Page:
    """What `Paginator(queryset, per_page).get_page(number)` gives, in one query, not two.

    The page's rows carry the number of all matching rows as a window count (`COUNT(*) OVER
    ()`), so the paginator needs no COUNT query of its own: on 100,000 clients each of the two
    queries of a search cost as much to plan as to run. A page number past the end, or below 1,
    or past any real list, falls back to `get_page` (which counts first, then shows the last page).

    `fetch(offset)`, when given, reads the page instead, as `(rows, total)` (a prepared query,
    say); `queryset` may then be a function building it, called only for the fallback.
    """
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1  # as get_page: what is not a whole number shows the first page
    if 1 <= number <= MAX_PAGE:
        offset = (number - 1) * per_page
        if fetch is None:
            rows = list(
                _queryset(queryset).annotate(_page_total=Window(Count("*")))[
                    offset : offset + per_page
                ]
            )
            total = rows[0]._page_total if rows else 0
        else:
            rows, total = fetch(offset)
        if rows or number == 1:
            paginator = Paginator((), per_page)
            # Paginator.count is a cached property: setting it spares the COUNT query.
            paginator.count = total
            return Page(rows, number, paginator)
    return Paginator(_queryset(queryset), per_page).get_page(number)


def _queryset(queryset):
    return queryset() if callable(queryset) else queryset
