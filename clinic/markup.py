"""Markup written in Python for the longest lists of the busiest pages.

The template language costs some 10 µs a variable; a page of 50 clients or a findings grid of
800 cells spent most of its time there. These helpers write the same markup directly, escaping
every value as the templates' autoescaping did. Used by the client list and the progress page
(`treatments/progress_html.py`).
"""

from __future__ import annotations

import functools
import html
import re
import secrets
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.dateformat import format as date_format
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# An id no row has, replaced by each row's own in one reversed URL.
_PK_PLACEHOLDER = 918273645546372819


def url_maker(viewname: str, *leading: Any) -> Callable[[Any], str]:
    """A function giving `reverse(viewname, args=[*leading, pk])` for any pk.

    `reverse()` costs some 50 µs; a list of 100 links paid it 100 times for one pattern. The
    URL's parts are reversed once a process per view name and argument count (`url_for`).
    """
    parts = _url_parts(viewname, len(leading) + 1, get_script_prefix(), get_urlconf())
    head = "".join(f"{part}{arg}" for part, arg in zip(parts[:-2], leading, strict=True))
    head += parts[-2]
    tail = parts[-1]
    return lambda pk: f"{head}{pk}{tail}"


def date_formatter(fmt: str) -> Callable[[Any], str]:
    """The template filter `|date:fmt`, escaped, remembered per value (rows share days).

    "j M", "j M Y" and "D j M Y" (7 Mar, 7 Mar 2026, Sat 7 Mar 2026), the formats of the long
    tables and cards, are written directly from the active language's names, read once a
    process (Django's date formatting costs some 30 µs a date). Like the filter, a date-time
    must already be in the local time zone (`timezone.localtime`).
    """
    if fmt in ("j M", "j M Y", "D j M Y"):
        months, weekdays = _calendar_names(get_language())

        def day_month(value) -> str:
            return "" if value is None else f"{value.day} {months[value.month]}"

        def day_month_year(value) -> str:
            return "" if value is None else f"{value.day} {months[value.month]} {value.year:04d}"

        def weekday_day_month_year(value) -> str:
            if value is None:
                return ""
            return f"{weekdays[value.weekday()]} {day_month_year(value)}"

        return {"j M": day_month, "j M Y": day_month_year}.get(fmt, weekday_day_month_year)

    seen: dict = {}

    def formatted(value) -> str:
        if value is None:
            return ""
        if value not in seen:
            seen[value] = escape(date_format(value, fmt))
        return seen[value]

    return formatted


def _day_month_year(day) -> str:
    """`|date:"d/m/Y"` (digits only, so no translation): 07/03/1984."""
    return "" if day is None else f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


_ARCHIVED_ROW = ' class="table-secondary"'
_ARCHIVED_BADGE = ' <span class="badge text-bg-secondary">archived</span>'


def client_rows(clients: Iterable) -> SafeString:
    """The `<tr>`s of the client list (templates/clients/_client_rows.html)."""
    url = url_maker("client_detail")
    rows = []
    for client in clients:
        archived = client.archived_at is not None
        preferred = (
            f' <span class="text-secondary">({text_escape(client.preferred_name)})</span>'
            if client.preferred_name
            else ""
        )
        rows.append(
            f"<tr{_ARCHIVED_ROW if archived else ''}>\n"
            f'  <td><a href="{url(client.pk)}">{text_escape(client.last_name)}, '
            f"{text_escape(client.first_name)}</a>{preferred}{_ARCHIVED_BADGE if archived else ''}"
            "</td>\n"
            f"  <td>{_day_month_year(client.date_of_birth)}</td>\n"
            f"  <td>{text_escape(client.phone)}</td>\n"
            f"  <td>{text_escape(client.email)}</td>\n"
            "</tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value is escaped above)


# Names and URLs read once a process: translating and escaping the twelve month names costs
# ~0.3 ms, a `reverse()` ~50 µs; a page asking once a card paid that four times over.


@functools.lru_cache(maxsize=16)
def _calendar_names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The escaped month (`|date:"M"`) and weekday (`|date:"D"`) abbreviations of `language`,
    which must be the active one when first asked."""
    months = ("", *(escape(str(MONTHS_3[number]).title()) for number in range(1, 13)))
    weekdays = tuple(escape(str(WEEKDAYS_ABBR[number])) for number in range(7))
    return months, weekdays


@functools.lru_cache(maxsize=512)
def _url_parts(viewname: str, count: int, prefix: str, urlconf) -> tuple[str, ...]:
    """The text around each of `count` arguments in `viewname`'s URL (prefix and urlconf, which
    `reverse()` reads, are part of the key)."""
    marks = [str(_PK_PLACEHOLDER + number) for number in range(count)]
    rest = reverse(viewname, args=marks, urlconf=urlconf)
    parts = []
    for mark in marks:
        head, found, rest = rest.partition(mark)
        if not found:
            raise ValueError(f"{viewname}: argument {mark} not found in its URL")
        parts.append(head)
    return (*parts, rest)


def url_for(viewname: str, *args: Any) -> str:
    """`reverse(viewname, args=args)` for integer (or plain slug) arguments, reversing once a
    process per view name and argument count."""
    parts = _url_parts(viewname, len(args), get_script_prefix(), get_urlconf())
    pieces = [parts[0]]
    for arg, part in zip(args, parts[1:], strict=True):
        pieces += (str(arg), part)
    return "".join(pieces)


_PART_NAME = re.compile("[a-z_]+")


def render_with_parts(
    request, template_name: str, context: dict, parts: Mapping[str, str | list[str]]
) -> HttpResponse:
    """`render()`, with the long `parts` written in Python kept out of the template's string and
    put into the response as chunks of their own (the same bytes). A part is a string or a list
    of strings, each a chunk.

    Joining strings and encoding the page cost by the character, and far more once one
    character is not ASCII (base.html's title has a "·"; a client's name may hold anything):
    Python then widens every string joined to it and encodes character by character (1 to 3 ms
    for the intake review's 200 KB of body maps). A chunk that is ASCII is copied as it is. In the
    template a part is a marker (empty when the part is), unforgeable as escaped text cannot
    hold a "<".
    """
    for name in parts:
        if not _PART_NAME.fullmatch(name):
            raise ValueError(f"render_with_parts: a part's name is a-z and _, not {name!r}")
    token = secrets.token_hex(8)
    markers = {
        name: mark_safe(f"<!--part {token} {name}-->") if part else ""  # noqa: S308
        for name, part in parts.items()
    }
    page = render_to_string(template_name, {**context, **markers}, request)
    # text, then for each marker: the part's name and the text after it (a split on the
    # token's text: a pattern with the token in it would be compiled anew on every request).
    first, *marked = page.split(f"<!--part {token} ")
    chunks = [first]
    for piece in marked:
        name, text = piece.split("-->", 1)
        if isinstance(part := parts[name], str):
            chunks.append(part)
        else:
            chunks.extend(part)
        chunks.append(text)
    return HttpResponse(chunks)


def text_escape(value: Any) -> str:
    """`django.utils.html.conditional_escape(value)` as a plain string, without its lazy-string
    wrapper (~3 µs a call): markup (`__html__`) as it is, anything else escaped as `escape`
    does."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


# What Django's csrf context processor gives when the request has no token; not a secret.
_CSRF_NOT_PROVIDED = "NOTPROVIDED"


def csrf_input(token: Any) -> str:
    """What `{% csrf_token %}` writes for the context's `csrf_token`: its hidden input, or
    nothing for a missing token (with Django's warning in DEBUG) or "NOTPROVIDED"."""
    if not token:
        if settings.DEBUG:
            warnings.warn(
                "A {% csrf_token %} was used in a template, but the context did not provide the "
                "value.  This is usually caused by not using RequestContext.",
                stacklevel=2,
            )
        return ""
    if token == _CSRF_NOT_PROVIDED:
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">'
