"""Intake fragments for other apps' pages: the client page and the dashboard."""

from django import template
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinic.client_page import client_page_rows, permission_checker
from clinic.markup import csrf_input, date_formatter, url_for, url_maker
from intake.models import Intake, IntakeAlert, IntakeSource, IntakeStatus

register = template.Library()


@register.simple_tag(takes_context=True)
def client_intakes(context, client) -> SafeString:
    """The client page's intake card: the client's intakes, newest first.

    Written here rather than by a template (some 1.5 ms a page); `tests/clinic/test_client_page.py`
    holds the template it replaces and checks the two agree.
    """
    request = context["request"]
    can = permission_checker(request)
    items = ""
    if can("intake.view_intake"):
        items = intake_items(
            client_page_rows(request, client).intakes, can_edit=can("intake.change_intake")
        )
    actions = ""
    if not client.is_archived:
        start = link = ""
        if can("intake.add_intake"):
            start = (
                f'<form method="post" action="{url_for("intake:start", client.pk)}">'
                f"{csrf_input(context.get('csrf_token'))}"
                '<button class="btn btn-sm btn-knot" type="submit">Start an intake</button></form>'
            )
        if can("intake.add_onlineintakelink"):
            link = (
                '<a class="btn btn-sm btn-outline-secondary" '
                f'href="{url_for("intake:link_create", client.pk)}">Send online link</a>'
            )
        actions = (
            '\n      <div class="d-flex flex-wrap gap-2 no-print">'
            f"\n        {start}\n        {link}\n      </div>"
        )
    listing = (
        f'<ul class="list-group list-group-flush">{items}</ul>'
        if items
        else '<p class="text-secondary mb-0">No intake yet.</p>'
    )
    return mark_safe(  # noqa: S308 (every value is escaped above)
        '<section class="card mb-4" aria-labelledby="intakes-heading" id="client-intakes">\n'
        '  <div class="card-body">\n'
        '    <div class="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-2">\n'
        f'      <h2 class="h5 mb-0" id="intakes-heading">Intakes</h2>{actions}\n'
        "    </div>\n"
        f"    {listing}\n"
        "  </div>\n"
        "</section>\n"
    )


_STATUS_BADGES = {
    IntakeStatus.DRAFT: '<span class="badge text-bg-secondary">Draft</span>',
    IntakeStatus.SUBMITTED: '<span class="badge text-bg-primary">To review</span>',
    IntakeStatus.REVIEWED: '<span class="badge text-bg-success">Reviewed</span>',
}
_ONLINE_BADGE = ' <span class="badge text-bg-light border">Online</span>'


def intake_items(rows, *, can_edit: bool) -> SafeString:
    """The `<li>`s of the client page's intake card (`intake/_client_intakes.html` and
    `_status_badge.html` wrote them per intake), from `ClientPageRows.intakes`."""
    edit_url = url_maker("intake:edit")
    detail_url = url_maker("intake:detail")
    date = date_formatter("j M Y")

    def day(moment) -> str:  # `|date:"j M Y"`, in the clinic's time zone
        return date(timezone.localtime(moment))

    items = []
    for pk, status, source, created_at, submitted_at, reviewed_at, *creator in rows:
        draft = status == IntakeStatus.DRAFT
        url = edit_url(pk) if draft and can_edit else detail_url(pk)
        badge = _STATUS_BADGES.get(status) or (
            f'<span class="badge text-bg-success">{escape(IntakeStatus(status).label)}</span>'
        )
        if source == IntakeSource.ONLINE:
            badge += _ONLINE_BADGE
        if draft:
            when = f"started {day(created_at)}"
            username, first, last = creator
            if username is not None:
                # `created_by.get_full_name|default:created_by`
                when += f" by {escape(f'{first} {last}'.strip() or username)}"
        elif reviewed_at:
            when = f"reviewed {day(reviewed_at)}"
        else:
            local = timezone.localtime(submitted_at)
            when = f"submitted {date(local)}, {local.hour:02d}:{local.minute:02d}"
        items.append(
            '<li class="list-group-item px-0 d-flex flex-wrap justify-content-between gap-2">'
            f'<span><a href="{url}">Intake of {day(submitted_at or created_at)}</a> {badge}</span>'
            f'<span class="small text-secondary">{when}</span></li>'
        )
    return mark_safe("".join(items))  # noqa: S308 (every value is escaped above)


@register.simple_tag(takes_context=True)
def client_alerts(context, client) -> str:
    """The alerts of the client's latest submitted intake, for every role that may read
    intakes; nothing at all without alerts."""
    request = context["request"]
    if not permission_checker(request)("intake.view_intake"):
        return ""
    rows = client_page_rows(request, client).alerts
    if not rows:
        return ""
    alerts = [
        IntakeAlert(flag=flag, level=level, message=message, unsure=unsure)
        for flag, level, message, unsure, _intake, _submitted in rows
    ]
    _flag, _level, _message, _unsure, intake_pk, submitted_at = rows[0]
    return get_template("intake/_client_alerts.html").render(
        {
            "alerts": alerts,
            "submitted_at": submitted_at,
            "intake_url": url_for("intake:detail", intake_pk),
        }
    )


@register.simple_tag
def intakes_to_review_count() -> int:
    return Intake.objects.to_review().count()


@register.simple_tag
def intakes_to_review(limit: int = 5):
    return list(Intake.objects.to_review().prefetch_related("alerts")[:limit])
