"""The client page's clinical sections read in one query, and its permission checks read once.

The page shows the latest intake's red-flag alerts, the intakes, the upcoming and recent
sessions, the plans, the surgery episodes and the letters: six reads that cost more to run
through the ORM and the database driver one by one (~0.4 ms of CPU each, even compiled once)
than PostgreSQL takes to answer them. `client_page_rows` asks for all of those the user may
see at once, each section as an array of JSON objects, and hands every card its rows as the
tuples it writes from. The cards' tags (`intake_tags`, `treatments_tags`, `documents_tags`)
call it; the first call of a request reads, the others reuse it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONArray
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinic.markup import date_formatter, url_for
from clinic.models import Client
from clinic.prepared import prepared
from clinic.roles import permission_set
from intake.models import Intake, IntakeAlert
from treatments.models import (
    PlanMuscle,
    ReferralLetter,
    Session,
    SessionStatus,
    SurgeryEpisode,
    TreatmentPlan,
)

UPCOMING = 5  # planned sessions from now on
RECENT = 8  # past sessions, not cancelled
PLANS = 3
INTAKES = 20

# Each section's columns, in the order of the row tuples the cards write from; JSON holds
# dates and date-times as ISO 8601 text, put back by `_tuples`.
_DATETIME, _DATE = "datetime", "date"
_ALERT = (
    ("flag", None),
    ("level", None),
    ("message", None),
    ("unsure", None),
    ("intake_id", None),
    ("intake__submitted_at", _DATETIME),
)
_INTAKE = (
    ("id", None),
    ("status", None),
    ("source", None),
    ("created_at", _DATETIME),
    ("submitted_at", _DATETIME),
    ("reviewed_at", _DATETIME),
    ("created_by__username", None),
    ("created_by__first_name", None),
    ("created_by__last_name", None),
)
_SESSION = (
    ("id", None),
    ("starts_at", _DATETIME),
    ("ends_at", _DATETIME),
    ("status", None),
    ("signed_at", _DATETIME),
    ("therapist__first_name", None),
    ("therapist__last_name", None),
    ("therapist__username", None),
)
_PLAN = (("id", None), ("start_date", _DATE), ("status", None), ("review_date", _DATE))
_SURGERY = (("id", None), ("procedure", None), ("side", None), ("date", _DATE), ("status", None))
_LETTER = (
    ("id", None),
    ("created_at", _DATETIME),
    ("recipient_name", None),
    ("recipient_kind", None),
    ("author__username", None),
    ("author__first_name", None),
    ("author__last_name", None),
)
_PARSE = {_DATETIME: datetime.datetime.fromisoformat, _DATE: datetime.date.fromisoformat}


def _arrays(queryset: QuerySet, columns, *more) -> ArraySubquery:
    """The queryset's rows as an array of JSON arrays of `columns` (then `more`), in order."""
    return ArraySubquery(
        queryset.values(row=JSONArray(*(column for column, _kind in columns), *more))
    )


def _section_names(*, intakes, sessions, clinical, letters) -> list[str]:
    """The sections `_section_rows` reads, in its order."""
    return [
        *(("alerts", "intakes") if intakes else ()),
        *(("upcoming", "recent") if sessions else ()),
        *(("plans", "surgery") if clinical else ()),
        *(("letters",) if letters else ()),
    ]


@prepared
def _section_rows(*, client_id, now, intakes, sessions, clinical, letters):
    """One JSON array: for each section the user may see (`_section_names`), an array of rows,
    each an array of its columns."""
    client = OuterRef("pk")
    columns = {}
    if intakes:
        newest = (
            Intake.objects.submitted()
            .filter(client_id=OuterRef(client))
            .order_by("-submitted_at", "-id")
            .values("pk")[:1]
        )
        columns["alerts"] = _arrays(
            IntakeAlert.objects.filter(intake=Subquery(newest)).order_by("position", "id"),
            _ALERT,
        )
        columns["intakes"] = _arrays(
            Intake.objects.filter(client_id=client).order_by("-created_at")[:INTAKES], _INTAKE
        )
    if sessions:
        of_client = Session.objects.filter(client_id=client)
        columns["upcoming"] = _arrays(
            of_client.filter(starts_at__gte=now, status=SessionStatus.PLANNED).order_by(
                "starts_at"
            )[:UPCOMING],
            _SESSION,
        )
        columns["recent"] = _arrays(
            of_client.filter(starts_at__lt=now)
            .exclude(status=SessionStatus.CANCELLED)
            .order_by("-starts_at")[:RECENT],
            _SESSION,
        )
    if clinical:
        muscles = (
            PlanMuscle.objects.filter(plan_id=OuterRef("pk"))
            .order_by("added_at", "id")
            .values("muscle__name")
        )
        columns["plans"] = _arrays(
            TreatmentPlan.objects.filter(client_id=client).order_by("-start_date", "-id")[:PLANS],
            _PLAN,
            ArraySubquery(muscles),
        )
        columns["surgery"] = _arrays(
            SurgeryEpisode.objects.filter(client_id=client).order_by("-date"), _SURGERY
        )
    if letters:
        columns["letters"] = _arrays(
            ReferralLetter.objects.filter(client_id=client).order_by("-created_at", "-id"),
            _LETTER,
        )
    # One JSON value for all of them: the driver parses one text instead of one a row.
    return Client.objects.filter(pk=client_id).values_list(JSONArray(*columns.values()), flat=True)


def _tuples(arrays, columns) -> list[tuple]:
    """JSON arrays as row tuples, their dates and date-times parsed."""
    parsers = [(index, _PARSE[kind]) for index, (_column, kind) in enumerate(columns) if kind]
    rows = []
    for row in arrays or ():
        for index, parse in parsers:
            if row[index] is not None:
                row[index] = parse(row[index])
        rows.append(tuple(row))
    return rows


@dataclass(frozen=True)
class ClientPageRows:
    """What the client page's cards show, as row tuples (empty where the user may not see it).

    alerts: (flag, level, message, unsure, intake id, intake submitted at), by position
    intakes: (id, status, source, created at, submitted at, reviewed at, creator's username,
        first and last name), newest first, at most INTAKES
    upcoming, recent: (id, starts at, ends at, status, signed at, therapist's first and last
        name, username); upcoming soonest first, recent latest first
    plans: (id, start date, status, review date, [target muscles' names]), latest first
    surgery: (id, procedure, side, date, status), latest first (no date first)
    letters: (id, created at, recipient's name, recipient kind, author's username, first and
        last name), newest first
    """

    client_pk: int
    now: datetime.datetime
    alerts: list[tuple]
    intakes: list[tuple]
    upcoming: list[tuple]
    recent: list[tuple]
    plans: list[tuple]
    surgery: list[tuple]
    letters: list[tuple]


def read_rows(client_pk: int, can: Callable[[str], bool]) -> ClientPageRows:
    """The sections' rows of the client `client_pk` that a user with permissions `can` sees."""
    now = timezone.now()
    shape = {
        "intakes": can("intake.view_intake"),
        "sessions": can("treatments.view_session"),
        "clinical": can("treatments.view_clinical_notes"),
        "letters": can("treatments.view_referralletter") and can("treatments.view_clinical_notes"),
    }
    found = {}
    if any(shape.values()):
        for sections in _section_rows(client_id=client_pk, now=now, **shape):
            found = dict(zip(_section_names(**shape), sections, strict=True))
    return ClientPageRows(
        client_pk=client_pk,
        now=now,
        alerts=_tuples(found.get("alerts"), _ALERT),
        intakes=_tuples(found.get("intakes"), _INTAKE),
        upcoming=_tuples(found.get("upcoming"), _SESSION),
        recent=_tuples(found.get("recent"), _SESSION),
        plans=[(*row[:-1], row[-1] or []) for row in _tuples(found.get("plans"), _PLAN)],
        surgery=_tuples(found.get("surgery"), _SURGERY),
        letters=_tuples(found.get("letters"), _LETTER),
    )


def permission_checker(request) -> Callable[[str], bool]:
    """`request.user.has_perm`, answered from the permissions read once a request
    (`clinic.roles.permission_set`): the page asks a dozen times."""
    return permission_set(request.user).__contains__


def client_page_rows(request, client: Client) -> ClientPageRows:
    """The sections' rows for this request's user, read by the first card that asks."""
    rows = getattr(request, "_client_page_rows", None)
    if rows is None or rows.client_pk != client.pk:
        rows = read_rows(client.pk, permission_checker(request))
        request._client_page_rows = rows
    return rows


def _or_dash(value) -> str:
    """`|default:"—"`, escaped."""
    return escape(value) if value else "—"


def client_heading(request, client: Client, csrf_input: str) -> SafeString:
    """The page's heading: name, birth date, the actions the user may take, the archive and
    retention notes (`clients/client_detail.html` wrote them; the template it replaces is in
    `tests/clinic/client_page_reference/heading.html`)."""
    can = permission_checker(request)
    day = date_formatter("j F Y")
    name = escape(client.full_name)
    archived = client.is_archived
    actions = []
    if not archived and can("clinic.change_client"):
        actions.append(
            f'<a class="btn btn-outline-secondary" href="{url_for("client_update", client.pk)}">'
            "Edit contact details</a>"
        )
    if can("clinic.export_records"):
        actions.append(
            '<a class="btn btn-outline-secondary" '
            f'href="{url_for("client_export_fhir", client.pk)}" download>'
            "Download record (FHIR)</a>"
        )
    may_archive = can("clinic.archive_client")
    if may_archive and archived:
        actions.append(
            f'<form method="post" action="{url_for("client_restore", client.pk)}">{csrf_input}'
            '<button class="btn btn-outline-success" type="submit">Restore</button></form>'
        )
    elif may_archive:
        actions.append(
            f'<form method="post" action="{url_for("client_archive", client.pk)}" '
            f'data-confirm="Archive {name}? The record is kept and can be restored.">'
            f"{csrf_input}"
            '<button class="btn btn-outline-danger" type="submit">Archive</button></form>'
        )
    notes = ""
    if archived:
        by = client.archived_by
        # `archived_by.get_full_name|default:archived_by`
        who = (by.get_full_name() or str(by)) if by is not None else "None"
        notes += (
            '\n<div class="alert alert-secondary record-archived">Archived on '
            f"{day(timezone.localtime(client.archived_at))} by {escape(who)}. The record is "
            "read-only; a clinic admin can restore it.</div>"
        )
    if may_archive:
        notes += (
            '\n<p class="small text-secondary record-retention">Keep this record until at least '
            f"{day(client.retention_until)}: 7 years after the last service "
            f"({day(client.last_service_on)}), or to age 25 for a minor. It is never deleted by "
            "the app.</p>"
        )
    return mark_safe(  # noqa: S308 (every value is escaped above)
        '<div class="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3">\n'
        "  <div>\n"
        f'    <h1 class="mb-1">{name}</h1>\n'
        f'    <p class="text-secondary mb-0">Born {day(client.date_of_birth)} '
        f"(age {client.age})</p>\n"
        "  </div>\n"
        '  <div class="d-flex gap-2 no-print">\n'
        + "".join(f"    {action}\n" for action in actions)
        + f"  </div>\n</div>{notes}\n"
    )


def client_contact(client: Client) -> SafeString:
    """The contact card's list (the template it replaces is in
    `tests/clinic/client_page_reference/contact.html`)."""
    emergency = _or_dash(client.emergency_contact_name)
    if client.emergency_contact_phone:
        emergency += f"<br>{escape(client.emergency_contact_phone)}"
    address = linebreaksbr(client.address or "—", autoescape=True)
    return mark_safe(  # noqa: S308 (every value is escaped above)
        '<dl class="row mb-0">\n'
        f'  <dt class="col-5">Phone</dt><dd class="col-7">{_or_dash(client.phone)}</dd>\n'
        '  <dt class="col-5">Email</dt><dd class="col-7 text-break">'
        f"{_or_dash(client.email)}</dd>\n"
        f'  <dt class="col-5">Address</dt><dd class="col-7">{address}</dd>\n'
        f'  <dt class="col-5">Emergency contact</dt><dd class="col-7">{emergency}</dd>\n'
        '  <dt class="col-5">GP or doctor</dt><dd class="col-7">'
        f"{_or_dash(client.gp_details)}</dd>\n"
        "</dl>\n"
    )
