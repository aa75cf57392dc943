"""Treatments fragments for pages other apps own: the client page and the dashboard."""

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinic.client_page import client_page_rows, permission_checker
from clinic.markup import date_formatter, url_for, url_maker
from treatments.models import (
    PlanStatus,
    Session,
    SessionStatus,
    Side,
    SurgeryStatus,
    TreatmentPlan,
)
from treatments.querysets import day_bounds

register = template.Library()

DASHBOARD_ROWS = 10


@register.simple_tag(takes_context=True)
def client_treatments(context, client) -> SafeString:
    """The client page's sessions card: bookings for every role; plans, surgery and progress
    only for clinical roles; nothing for those who may not see sessions.

    Written here rather than by a template (some 3 ms a page);
    `tests/clinic/test_client_page.py` holds the template it replaces and checks the two
    agree.
    """
    request = context["request"]
    can = permission_checker(request)
    if not can("treatments.view_session"):
        return ""
    found = client_page_rows(request, client)
    clinical = can("treatments.view_clinical_notes")
    rows = _SessionRows(client.pk, clinical, can("treatments.change_session"))
    upcoming = rows.upcoming(found.upcoming)
    recent = rows.recent(found.recent)
    open_record = not client.is_archived
    progress = book = clinical_part = ""
    if clinical:
        progress = (
            '<a class="btn btn-sm btn-outline-primary" '
            f'href="{url_for("treatments:progress", client.pk)}">Progress</a>'
        )
        plans = found.plans
        new_plan = add_surgery = ""
        has_active_plan = any(plan[2] == PlanStatus.ACTIVE for plan in plans)
        if open_record and not has_active_plan and can("treatments.add_treatmentplan"):
            new_plan = (
                f'<a class="small" href="{url_for("treatments:plan_create", client.pk)}">'
                "New plan</a>"
            )
        if open_record and can("treatments.add_surgeryepisode"):
            add_surgery = (
                f'<a class="small" href="{url_for("treatments:surgery_create", client.pk)}">'
                "Add surgery</a>"
            )
        surgery = surgery_items(client.pk, found.surgery)
        clinical_part = (
            '\n    <div class="row g-3 mt-1">\n'
            '      <div class="col-md-6">\n'
            '        <h3 class="h6">Treatment plans</h3>\n'
            '        <ul class="list-unstyled mb-1">\n'
            f"          {plan_items(client.pk, plans)}\n"
            "        </ul>\n"
            f"        {new_plan}\n"
            "      </div>\n"
            '      <div class="col-md-6">\n'
            '        <h3 class="h6">Surgery</h3>\n'
            '        <ul class="list-unstyled mb-1">\n'
            f"          {surgery}\n"
            "        </ul>\n"
            f"        {add_surgery}\n"
            "      </div>\n"
            "    </div>"
        )
    if open_record and can("treatments.add_session"):
        book = (
            '<a class="btn btn-sm btn-knot" '
            f'href="{url_for("treatments:session_book")}?client={client.pk}">Book a session</a>'
        )
    return mark_safe(  # noqa: S308 (every value is escaped where it is written)
        '<section class="card mt-4" aria-labelledby="treatments-heading">\n'
        '  <div class="card-body">\n'
        '    <div class="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-2">\n'
        '      <h2 class="h5 mb-0" id="treatments-heading">'
        f"{'Treatment' if clinical else 'Sessions'}</h2>\n"
        '      <div class="d-flex flex-wrap gap-2 no-print">\n'
        f"        {progress}\n"
        f"        {book}\n"
        "      </div>\n"
        "    </div>\n"
        '    <h3 class="h6 mt-3">Upcoming</h3>\n'
        f'    <ul class="list-unstyled mb-2" id="upcoming-sessions">{upcoming}</ul>\n'
        '    <h3 class="h6 mt-3">Recent</h3>\n'
        f'    <ul class="list-unstyled mb-0" id="recent-sessions">{recent}</ul>{clinical_part}\n'
        "  </div>\n"
        "</section>\n"
    )


_PLAN_STATUSES = dict(PlanStatus.choices)
_SURGERY_STATUSES = dict(SurgeryStatus.choices)
_SIDES = dict(Side.choices)
_REVIEW_DUE = ' <span class="badge text-bg-warning">Review due</span>'


def plan_items(client_pk: int, rows) -> SafeString:
    """The `<li>`s of the client page's plans (`_client_treatments.html` wrote them per plan),
    from `ClientPageRows.plans` (clinic/client_page.py)."""
    if not rows:
        return mark_safe('<li class="text-secondary">No plan yet.</li>')
    url = url_maker("treatments:plan_detail", client_pk)
    day = date_formatter("j M Y")
    today = timezone.localdate()
    items = []
    for pk, start_date, status, review_date, muscle_names in rows:
        active = status == PlanStatus.ACTIVE
        # TreatmentPlan.review_due
        due = active and review_date is not None and review_date <= today
        names = ", ".join(escape(name) for name in muscle_names) or "No target muscles yet"
        items.append(
            f'<li class="mb-2"><a href="{url(pk)}">Plan from {day(start_date)}</a> '
            f'<span class="badge {"text-bg-success" if active else "text-bg-secondary"}">'
            f"{escape(_PLAN_STATUSES.get(status, status))}</span>"
            f"{_REVIEW_DUE if due else ''}"
            f'<div class="small text-secondary">{names}</div></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 (every value is escaped above)


def surgery_items(client_pk: int, rows) -> SafeString:
    """The `<li>`s of the client page's surgery episodes, from `ClientPageRows.surgery`."""
    if not rows:
        return mark_safe('<li class="text-secondary">None recorded.</li>')
    url = url_maker("treatments:surgery_detail", client_pk)
    day = date_formatter("j M Y")
    items = []
    for pk, procedure, side, date, status in rows:
        # SurgeryEpisode.title
        title = (
            f"{procedure} ({_SIDES.get(side, side).lower()})"
            if side and side != "both"
            else procedure
        )
        when = day(date) if date else "date not set"
        items.append(
            f'<li class="mb-1"><a href="{url(pk)}">{escape(title)}</a> '
            f'<span class="small text-secondary">{when} · '
            f"{escape(str(_SURGERY_STATUSES.get(status, status)).lower())}</span></li>"
        )
    return mark_safe("".join(items))  # noqa: S308 (every value is escaped above)


@register.inclusion_tag("treatments/_dashboard.html", takes_context=True)
def treatments_dashboard(context):
    request = context["request"]
    user = request.user
    result = {"request": request, "perms": context.get("perms")}
    if not user.has_perm("treatments.view_session"):
        return result
    start, end = day_bounds(timezone.localdate())
    today = Session.objects.filter(starts_at__gte=start, starts_at__lt=end).booked().for_schedule()
    treats = user.has_perm("treatments.sign_session")
    own_only = treats and not user.has_perm("clinic.archive_client")
    if treats and Session.objects.filter(therapist=user).exists():
        today = today.filter(therapist=user)
        result["own_schedule"] = True
    result["today"] = list(today[:20])
    if user.has_perm("treatments.view_clinical_notes"):
        unsigned = Session.objects.unsigned_overdue()
        plans = TreatmentPlan.objects.due_for_review()
        if own_only:
            unsigned = unsigned.filter(therapist=user)
            plans = plans.filter(therapist=user)
        result["unsigned"] = list(unsigned[:DASHBOARD_ROWS])
        result["unsigned_count"] = unsigned.count()
        result["plans_due"] = list(plans[:DASHBOARD_ROWS])
        result["clinical"] = True
    return result


_BADGES = {
    SessionStatus.CANCELLED: '<span class="badge text-bg-light border">Cancelled</span>',
    SessionStatus.NO_SHOW: '<span class="badge text-bg-warning">No-show</span>',
    "signed": '<span class="badge text-bg-success">Signed</span>',
    SessionStatus.COMPLETED: '<span class="badge text-bg-info">Completed</span>',
    "planned": '<span class="badge text-bg-secondary">Planned</span>',
}


class _SessionRows:
    """The `<li>`s of the client page's upcoming and recent sessions
    (`treatments/_client_treatments.html` and `_session_badge.html` wrote them per row)."""

    def __init__(self, client_pk: int, clinical: bool, can_change: bool):
        self.clinical = clinical
        self.can_change = can_change
        self.day = date_formatter("D j M Y")
        self.note = url_maker("treatments:session_detail", client_pk)
        if can_change:
            self.move = url_maker("treatments:session_move", client_pk)
            self.cancel = url_maker("treatments:session_cancel", client_pk)

    @staticmethod
    def _who(first: str, last: str, username: str) -> str:
        """`therapist.get_full_name|default:therapist.username`, escaped."""
        return escape(f"{first} {last}".strip() or username)

    @staticmethod
    def _time(moment) -> str:
        return f"{moment.hour:02d}:{moment.minute:02d}"

    def upcoming(self, rows) -> SafeString:
        parts = []
        for pk, starts_at, ends_at, _status, _signed, *who in rows:
            start = timezone.localtime(starts_at)
            end = timezone.localtime(ends_at)
            links = ""
            if self.can_change:
                links += (
                    f'<a class="small" href="{self.move(pk)}">move</a> '
                    f'<a class="small" href="{self.cancel(pk)}">cancel</a>'
                )
            if self.clinical:
                links += f'<a class="small" href="{self.note(pk)}">note</a>'
            parts.append(
                '<li class="d-flex flex-wrap gap-2 align-items-center mb-1">'
                f"<span>{self.day(start)}, {self._time(start)}\u2013{self._time(end)} with "
                f"{self._who(*who)}</span>{links}</li>"
            )
        if not parts:
            return mark_safe('<li class="text-secondary">Nothing booked.</li>')
        return mark_safe("".join(parts))  # noqa: S308 (values escaped above)

    def recent(self, rows) -> SafeString:
        parts = []
        for pk, starts_at, _ends_at, status, signed_at, *who in rows:
            start = timezone.localtime(starts_at)
            day = self.day(start)
            if self.clinical:
                day = f'<a href="{self.note(pk)}">{day}</a>'
            if status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
                badge = _BADGES[status]
            elif signed_at:
                badge = _BADGES["signed"]
            else:
                badge = _BADGES.get(status, _BADGES["planned"])
            parts.append(
                f'<li class="mb-1">{day}, {self._time(start)} with {self._who(*who)} {badge}</li>'
            )
        if not parts:
            return mark_safe('<li class="text-secondary">No sessions yet.</li>')
        return mark_safe("".join(parts))  # noqa: S308 (values escaped above)
