"""Intake fragments for other apps' pages: the client page and the dashboard."""

from django import template
from django.db.models import Subquery

from intake.models import Intake, IntakeAlert

register = template.Library()


@register.inclusion_tag("intake/_client_intakes.html", takes_context=True)
def client_intakes(context, client):
    """The client's intakes, newest first (one query)."""
    user = context["request"].user
    intakes = []
    if user.has_perm("intake.view_intake"):
        intakes = list(Intake.objects.for_client(client)[:20])
    return {
        "client": client,
        "intakes": intakes,
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.inclusion_tag("intake/_client_alerts.html", takes_context=True)
def client_alerts(context, client):
    """The alerts of the client's latest submitted intake, for every role (one query)."""
    user = context["request"].user
    latest = None
    alerts = []
    if user.has_perm("intake.view_intake"):
        newest = (
            Intake.objects.submitted()
            .filter(client=client)
            .order_by("-submitted_at", "-id")
            .values("pk")[:1]
        )
        # The intake comes with its alerts; without alerts nothing about it is shown.
        alerts = list(
            IntakeAlert.objects.filter(intake=Subquery(newest))
            .select_related("intake")
            .order_by("position", "id")
        )
        latest = alerts[0].intake if alerts else None
    return {"latest": latest, "alerts": alerts}


@register.simple_tag
def intakes_to_review_count() -> int:
    return Intake.objects.to_review().count()


@register.simple_tag
def intakes_to_review(limit: int = 5):
    return list(Intake.objects.to_review().prefetch_related("alerts")[:limit])
