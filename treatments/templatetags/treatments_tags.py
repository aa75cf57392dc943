"""Treatments fragments for pages other apps own: the client page and the dashboard."""

from django import template
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinic.markup import date_formatter, url_maker
from treatments.models import Session, SessionStatus, SurgeryEpisode, TreatmentPlan
from treatments.querysets import day_bounds

register = template.Library()

# The columns the client page's session lists show (a model instance each cost more).
_SESSION_COLUMNS = (
    "id",
    "starts_at",
    "ends_at",
    "status",
    "signed_at",
    "therapist__first_name",
    "therapist__last_name",
    "therapist__username",
)


UPCOMING = 5
RECENT = 8
DASHBOARD_ROWS = 10


@register.inclusion_tag("treatments/_client_treatments.html", takes_context=True)
def client_treatments(context, client):
    """Bookings for every role; plans, surgery and progress only for clinical roles."""
    request = context["request"]
    user = request.user
    result = {"client": client, "request": request, "perms": context.get("perms")}
    if not user.has_perm("treatments.view_session"):
        return result
    now = timezone.now()
    sessions = Session.objects.filter(client=client)
    upcoming = (
        sessions.filter(starts_at__gte=now, status=SessionStatus.PLANNED)
        .order_by("starts_at")
        .values_list(*_SESSION_COLUMNS)[:UPCOMING]
    )
    recent = (
        sessions.filter(starts_at__lt=now)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("-starts_at")
        .values_list(*_SESSION_COLUMNS)[:RECENT]
    )
    # One query for both lists; they cannot overlap (before and after now).
    both = list(upcoming.union(recent, all=True))
    clinical = user.has_perm("treatments.view_clinical_notes")
    rows = _SessionRows(client.pk, clinical, user.has_perm("treatments.change_session"))
    result["upcoming_html"] = rows.upcoming(sorted((s for s in both if s[1] >= now), key=_start))
    result["recent_html"] = rows.recent(
        sorted((s for s in both if s[1] < now), key=_start, reverse=True)
    )
    result["clinical"] = clinical
    if result["clinical"]:
        # The target muscles' names come aggregated with each plan (no second query).
        result["plans"] = list(
            TreatmentPlan.objects.filter(client=client)
            .annotate(
                muscle_names=ArrayAgg(
                    "plan_muscles__muscle__name",
                    filter=Q(plan_muscles__isnull=False),
                    order_by=("plan_muscles__added_at", "plan_muscles__id"),
                    default=Value([]),
                )
            )
            .order_by("-start_date", "-id")[:3]
        )
        result["has_active_plan"] = any(plan.is_active for plan in result["plans"])
        result["episodes"] = list(SurgeryEpisode.objects.filter(client=client).order_by("-date"))
    return result


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


def _start(row) -> object:
    return row[1]


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
