"""The day schedule's columns, written in Python (`{% schedule_columns %}`).

Each session's card in templates/treatments/schedule_day.html read some twenty variables, an
include (its badge) and three `{% url %}` through the template language, ~0.4 ms a session.
The same markup, element for element, from `page_reads.SlotRow`s: every value escaped as the
template's autoescaping did, each URL pattern reversed once a page.
"""

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clinic.markup import url_maker
from treatments.page_reads import SlotRow, TherapistRow

# templates/treatments/_session_badge.html
_BADGES = {
    "cancelled": '<span class="badge text-bg-light border">Cancelled</span>',
    "no-show": '<span class="badge text-bg-warning">No-show</span>',
}
_SIGNED = '<span class="badge text-bg-success">Signed</span>'
_COMPLETED = '<span class="badge text-bg-info">Completed</span>'
_PLANNED = '<span class="badge text-bg-secondary">Planned</span>'


def _badge(slot: SlotRow) -> str:
    if slot.status in _BADGES:
        return _BADGES[slot.status]
    if slot.signed_at:
        return _SIGNED
    return _COMPLETED if slot.status == "completed" else _PLANNED


def _hour(value: datetime) -> str:
    """`|time:"H:i"` of an aware date-time, in the current time zone."""
    local = timezone.localtime(value)
    return f"{local.hour:02d}:{local.minute:02d}"


# Ids no session or client has, replaced by each card's own in one reversed URL.
_FIRST, _SECOND = 918273645546372819, 918273645546372818


def _session_url_maker(viewname: str):
    """`reverse(viewname, args=[client_id, pk])` for any ids, reversing once."""
    head, _, rest = reverse(viewname, args=[_FIRST, _SECOND]).partition(str(_FIRST))
    middle, _, tail = rest.partition(str(_SECOND))
    return lambda client_id, pk: f"{head}{client_id}{middle}{pk}{tail}"


class _Urls(dict):
    """The URL makers of a page, each reversed when first needed (a page without a planned
    session writes no Move, Cancel or No-show link)."""

    def __missing__(self, name: str):
        if name == "client":
            maker = url_maker("client_detail")
        else:
            maker = _session_url_maker(f"treatments:{name}")
        self[name] = maker
        return maker


def _slot(
    slot: SlotRow,
    *,
    can_read_notes: bool,
    can_change: bool,
    csrf: str,
    next_path: str,
    now,
    urls: _Urls,
) -> str:
    name = escape(slot.client_full_name)
    reason = (
        f'<div class="small text-secondary">{escape(slot.cancel_reason)}</div>'
        if slot.status == "cancelled" and slot.cancel_reason
        else ""
    )
    ids = (slot.client_id, slot.pk)
    note = ""
    if can_read_notes and slot.status not in ("cancelled", "no-show"):
        note = (
            '<a class="btn btn-sm btn-outline-primary"'
            f' href="{urls["session_detail"](*ids)}">'
            f"{'Note' if slot.signed_at else 'Open note'}</a>"
        )
    actions = ""
    if can_change and slot.signed_at is None and slot.status == "planned":  # can_be_moved
        no_show = ""
        if slot.starts_at <= now:  # has_started
            no_show = (
                f'<form method="post" action="{urls["session_no_show"](*ids)}"'
                f' data-confirm="Mark {name} as a no-show?">{csrf}'
                f'<input type="hidden" name="next" value="{next_path}">'
                '<button class="btn btn-sm btn-outline-warning" type="submit">No-show</button>'
                "</form>"
            )
        actions = (
            "\n"
            '            <a class="btn btn-sm btn-outline-secondary"'
            f' href="{urls["session_move"](*ids)}">Move</a>\n'
            '            <a class="btn btn-sm btn-outline-secondary"'
            f' href="{urls["session_cancel"](*ids)}">Cancel</a>\n'
            f"            {no_show}\n"
            "            "
        )
    return (
        f'        <li class="list-group-item session-slot session-{escape(slot.status)}">\n'
        '          <div class="d-flex justify-content-between align-items-start gap-2">\n'
        "            <div>\n"
        f'              <div class="fw-semibold">{_hour(slot.starts_at)}\u2013{_hour(slot.ends_at)}'
        "</div>\n"
        f'              <a href="{urls["client"](slot.client_id)}">{name}</a>\n'
        f"              {reason}\n"
        "            </div>\n"
        f"            {_badge(slot)}\n"
        "          </div>\n"
        '          <div class="d-flex flex-wrap gap-2 mt-2 no-print">\n'
        f"            {note}\n"
        f"            {actions}\n"
        "          </div>\n"
        "        </li>\n"
    )


def columns_html(
    columns: Iterable[tuple[TherapistRow | None, list[SlotRow]]],
    *,
    can_read_notes: bool,
    can_change: bool,
    csrf_input: str,
    next_path: str,
) -> str:
    """The `<section>` of each therapist's column (or "No therapists yet."); `csrf_input` is
    the `{% csrf_token %}` markup, written as it is."""
    now = timezone.now()
    flags = {
        "can_read_notes": can_read_notes,
        "can_change": can_change,
        "csrf": csrf_input,
        "next_path": escape(next_path),
        "now": now,
        "urls": _Urls(),
    }
    sections = []
    for number, (therapist, slots) in enumerate(columns, 1):
        title = (
            escape(therapist.get_full_name() or therapist.username) if therapist else "Other staff"
        )
        items = "".join(_slot(slot, **flags) for slot in slots) or (
            '        <li class="list-group-item text-secondary">No sessions.</li>\n'
        )
        sections.append(
            f'  <section class="col-md-6 col-xl-4" aria-labelledby="col-{number}">\n'
            '    <div class="card h-100">\n'
            '      <div class="card-header bg-white"><h2 class="h6 mb-0"'
            f' id="col-{number}">{title}</h2></div>\n'
            '      <ul class="list-group list-group-flush">\n'
            f"{items}"
            "      </ul>\n"
            "    </div>\n"
            "  </section>\n"
        )
    return "".join(sections) or '  <p class="text-secondary">No therapists yet.</p>\n'
