"""Suggested trigger points for a submitted intake, kept with the intake.

The ranking comes from knowledge.suggest. What was suggested is stored on the intake (with each
muscle's referral zones as they were), so the record shows what the therapist saw at review
even after the knowledge base changes.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent
from intake.json_io import intake_input
from intake.models import Intake, IntakeStatus
from knowledge.models import Referral, ReferralKind
from knowledge.suggest import suggest

SUGGESTION_LIMIT = 10


def intake_suggestions_store(*, request: HttpRequest | None, actor, intake: Intake) -> list[dict]:
    """Rank trigger points for the intake and keep the ranking with it.

    A submitted intake not yet marked reviewed gets a (new) ranking; a reviewed intake keeps the
    one its reviewer saw (it is ranked once if it was marked reviewed before any ranking).
    """
    full = Intake.objects.with_details().get(pk=intake.pk)
    if full.status == IntakeStatus.DRAFT or (
        full.status != IntakeStatus.SUBMITTED and full.suggested_at is not None
    ):
        return list(full.suggestions)
    ranked = [s.as_dict() for s in suggest(intake_input(full), limit=SUGGESTION_LIMIT)]
    patterns = _referral_patterns([s["muscle"] for s in ranked])
    for position, item in enumerate(ranked, start=1):
        item["rank"] = position
        item["referrals"] = patterns.get(item["muscle"], [])
    with transaction.atomic():
        # A plain update: storing the ranking is not an edit of the intake's answers, so it
        # leaves the draft version (optimistic concurrency) alone.
        Intake.objects.filter(pk=full.pk).update(suggestions=ranked, suggested_at=timezone.now())
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=full.client,
            obj=full,
            detail={"suggestions": len(ranked)},
        )
    intake.suggestions = ranked
    return ranked


def _referral_patterns(muscles: list[str]) -> dict[str, list[dict]]:
    """Each muscle's referral zones (essential wins over spillover), in one query."""
    kinds: dict[str, dict[str, str]] = defaultdict(dict)
    rows = Referral.objects.filter(trigger_point__muscle__slug__in=muscles).values_list(
        "trigger_point__muscle__slug", "zone__slug", "kind"
    )
    for muscle, zone, kind in rows:
        if kinds[muscle].get(zone) != ReferralKind.ESSENTIAL:
            kinds[muscle][zone] = kind
    return {
        muscle: [{"zone": zone, "kind": kind} for zone, kind in zones.items()]
        for muscle, zones in kinds.items()
    }


def suggestion_map_context(intake: Intake, index: int) -> dict | None:
    """Marks for one stored suggestion's referral pattern over the client's pain, or None."""
    suggestions = intake.suggestions or []
    if not 0 <= index < len(suggestions):
        return None
    item = suggestions[index]
    return {
        "suggestion": item,
        "index": index,
        "marks": referral_marks(item),
        "outlined": [f"{p.zone.slug}:{p.side}" for p in intake.pain_reports.all()],
    }


def referral_marks(suggestion: dict) -> list[dict]:
    """Body map marks for a stored suggestion's referral zones (on both sides)."""
    return [
        {"zone": r["zone"], "side": "both", "level": r["kind"]}
        for r in suggestion.get("referrals", [])
    ]
