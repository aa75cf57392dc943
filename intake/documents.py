"""The printable intake summary: the answers, the body map and the red-flag alerts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clinic.audit import audit_record
from clinic.documents import document_context
from clinic.models import AuditEvent
from intake.access import get_intake_for_user
from intake.models import Intake
from intake.views import _factor_groups

TEMPLATE = "documents/intake_summary.html"


def intake_summary_context(intake: Intake) -> dict:
    """What the summary shows, from an intake loaded with `Intake.objects.with_details()`."""
    pain = list(intake.pain_reports.all())
    return document_context(
        intake=intake,
        client=intake.client,
        alerts=list(intake.alerts.all()),
        pain_reports=pain,
        pain_marks=[
            {"zone": p.zone.slug, "side": p.side, "level": "pain", "intensity": p.intensity}
            for p in pain
        ],
        zone_names={p.zone.slug: p.zone.name for p in pain},
        factor_groups=_factor_groups(intake),
        amendments=list(intake.amendments.all()),
        map_id=f"intake-{intake.pk}-bm",
        extra_meta=[("Intake", f"no. {intake.pk}, {intake.get_status_display().lower()}")],
    )


@login_required
@require_GET
def intake_summary(request, pk):
    # Clinical: for those who review intakes (therapists and clinic admins), not the front desk.
    intake = get_intake_for_user(
        request.user, pk, for_review=True, queryset=Intake.objects.with_details()
    )
    if intake.is_draft:
        messages.info(request, "This intake is still a draft: its summary prints once submitted.")
        return redirect(intake)
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        client=intake.client,
        obj=intake,
        detail={"document": "intake-summary"},
    )
    context = intake_summary_context(intake)
    context["printed_by"] = request.user.get_full_name() or request.user.get_username()
    return render(request, TEMPLATE, context)
