"""The intake in the JSON format of shared/domain.md: export a submitted intake, import a draft.

Parsing and validation are knowledge.intake_json's; this module maps between that format and the
intake's rows (export) or its form state (import).
"""

from __future__ import annotations

from typing import Any

from intake.forms import RED_FLAG_PREFIX, pain_field
from intake.models import Answer, Intake
from knowledge.body_map import ZONE_SIDES
from knowledge.intake_json import IntakeInput, PainReport, intake_to_json, parse_intake


def intake_input(intake: Intake) -> IntakeInput:
    """A submitted intake as IntakeInput. Red flags answered "not sure" count as raised, as
    they do for the alerts."""
    return IntakeInput(
        pain=tuple(
            PainReport(zone=p.zone.slug, side=p.side, intensity=p.intensity)
            for p in intake.pain_reports.all()
        ),
        factors=tuple(f.factor.slug for f in intake.factors.all()),
        red_flags=tuple(
            a.red_flag.slug
            for a in intake.red_flag_answers.all()
            if a.answer in (Answer.YES, Answer.UNSURE)
        ),
    )


def export_intake(intake: Intake) -> dict[str, Any]:
    return intake_to_json(intake_input(intake))


def import_state(text: str) -> dict[str, list[str]]:
    """Draft form state from intake JSON; raises IntakeJSONError, having written nothing.

    A zone drawn with two sides and given as "both" becomes a left and a right report; a zone
    drawn once (on the midline) takes any side as "both", keeping the highest intensity given.
    Red flags listed are answered "yes"; the others are left for staff to ask.
    """
    parsed = parse_intake(text)
    intensities: dict[tuple[str, str], int] = {}
    for report in parsed.pain:
        sides = ZONE_SIDES.get(report.zone, ("both",))
        if "both" in sides:
            covered = ("both",)
        elif report.side == "both":
            covered = sides
        else:
            covered = (report.side,)
        for side in covered:
            key = (report.zone, side)
            intensities[key] = max(intensities.get(key, 0), report.intensity)
    state: dict[str, list[str]] = {
        "pain_zones": [f"{zone}:{side}" for zone, side in intensities],
        "factors": list(parsed.factors),
    }
    for (zone, side), intensity in intensities.items():
        state[pain_field(zone, side, "intensity")] = [str(intensity)]
    for slug in parsed.red_flags:
        state[f"{RED_FLAG_PREFIX}{slug}"] = [Answer.YES.value]
    return state
