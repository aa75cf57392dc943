"""Treatments fragments for pages other apps own: the client page and the dashboard."""

from django import template
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, Value
from django.utils import timezone

from treatments.models import Session, SessionStatus, SurgeryEpisode, TreatmentPlan
from treatments.querysets import day_bounds

register = template.Library()


def _start(session):
    return session.starts_at


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
    sessions = Session.objects.filter(client=client).select_related("therapist")
    upcoming = sessions.filter(starts_at__gte=now, status=SessionStatus.PLANNED).order_by(
        "starts_at"
    )[:UPCOMING]
    recent = (
        sessions.filter(starts_at__lt=now)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("-starts_at")[:RECENT]
    )
    # One query for both lists; they cannot overlap (before and after now).
    both = list(upcoming.union(recent, all=True))
    result["upcoming"] = sorted((s for s in both if s.starts_at >= now), key=_start)
    result["recent"] = sorted((s for s in both if s.starts_at < now), key=_start, reverse=True)
    result["clinical"] = user.has_perm("treatments.view_clinical_notes")
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
