"""Intake fragments for other apps' pages: the client page and the dashboard."""

from django import template
from django.db.models import Subquery
from django.template.defaultfilters import floatformat
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from clinic.markup import url_maker
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


@register.simple_tag(takes_context=True)
def suggestion_items(context, intake, can_plan) -> SafeString:
    """The `<li>`s of the review's ranked suggestions, the markup `intake/_suggestions.html`
    wrote per suggestion (four reversed URLs and some forty lookups each, ~0.5 ms)."""
    muscle_url = url_maker("knowledge:muscle_detail")
    map_url = url_maker("intake:suggestion_map", intake.pk)
    if can_plan:
        csrf = CsrfTokenNode().render(context)  # {% csrf_token %}
        action = reverse("treatments:plan_add_muscle", args=[intake.client_id])
        back = reverse("intake:review", args=[intake.pk])
    items = []
    for index, s in enumerate(intake.suggestions):
        muscle = escape(s["muscle"])
        score = escape(floatformat(s["score"], 2))
        reasons = "".join(f"<li>{escape(capfirst(reason))}</li>" for reason in s["reasons"])
        points = s.get("trigger_points")
        plan = (
            f'<form method="post" action="{action}">{csrf}'
            f'<input type="hidden" name="muscle" value="{muscle}">'
            f'<input type="hidden" name="intake" value="{intake.pk}">'
            f'<input type="hidden" name="next" value="{back}#suggestion-{index}">'
            '<button type="submit" class="btn btn-knot btn-sm">Add to plan</button></form>'
            if can_plan
            else ""
        )
        items.append(
            f'<li class="suggestion border rounded p-2 mb-2" id="suggestion-{index}">'
            '<div class="d-flex flex-wrap justify-content-between align-items-center gap-2"><div>'
            '<span class="badge text-bg-dark me-1" aria-label="Rank">'
            f"{escape(s.get('rank') or index + 1)}</span>"
            f'<a class="fw-semibold" href="{muscle_url(muscle)}">{escape(s["name"])}</a>'
            f'<span class="text-secondary small ms-1">score {score}</span></div>'
            '<div class="d-flex gap-2 no-print">'
            '<button type="button" class="btn btn-outline-secondary btn-sm"'
            f' hx-get="{map_url(index)}" hx-target="#suggestion-map" hx-swap="innerHTML">'
            f"Show on map</button>{plan}</div></div>"
            f'<div class="progress my-2" role="img" aria-label="Score {score} out of 1">'
            f'<div class="progress-bar bg-knot score-{round(float(s["score"]) * 20)}"></div></div>'
            f'<ul class="small mb-0 suggestion-reasons">{reasons}</ul>'
            + (
                '<p class="small text-secondary mb-0 mt-1">Trigger points: '
                f"{', '.join(escape(point) for point in points)}</p>"
                if points
                else ""
            )
            + "</li>"
        )
    return mark_safe("".join(items))  # noqa: S308 (every value is escaped above)
