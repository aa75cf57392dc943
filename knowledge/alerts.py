"""Red-flag alerts: what the answers to the screening questions mean for treatment.

Each red flag answered yes gives one alert at the flag's level with its message from the
knowledge base (`RedFlag`), except for the combinations of shared/domain.md: recent surgery or
immobilisation, or a clot history, *together with* a swollen, red or warm calf raises that flag
from caution to refer, with a message saying why (a possible deep vein thrombosis).

Alerts come most serious first (refer, caution, local), then in the screening form's order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.models import RedFlag, RedFlagLevel

CALF_SIGNS = "calf-swelling-redness-warmth"

# A flag that, with calf signs, means "refer now", and why.
CALF_SIGN_COMBINATIONS: dict[str, str] = {
    "recent-surgery-immobilisation": (
        "Calf swelling, redness or warmth after recent surgery, a cast, bed rest or a long "
        "journey: possible deep vein thrombosis (a blood clot). Do not treat: refer the client "
        "to a doctor or emergency department now."
    ),
    "clot-history": (
        "Calf swelling, redness or warmth in a client with a history of blood clots or a "
        "clotting disorder: possible deep vein thrombosis (a blood clot). Do not treat: refer "
        "the client to a doctor or emergency department now."
    ),
}

LEVEL_ORDER = {RedFlagLevel.REFER: 0, RedFlagLevel.CAUTION: 1, RedFlagLevel.LOCAL: 2}


class UnknownRedFlagError(ValueError):
    """A slug that is not a red flag in the knowledge base."""


@dataclass(frozen=True)
class Alert:
    flag: str
    level: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"flag": self.flag, "level": self.level, "message": self.message}


def alerts_for(red_flag_slugs: Iterable[str]) -> list[Alert]:
    """The alerts for the red flags answered yes (one query); unknown slugs are refused."""
    slugs = list(dict.fromkeys(red_flag_slugs))
    if not slugs:
        return []
    rows = {flag.slug: flag for flag in RedFlag.objects.filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in rows]
    if unknown:
        raise UnknownRedFlagError(f"unknown red flag {', '.join(map(repr, unknown))}")
    calf_signs = CALF_SIGNS in rows
    ranked: list[tuple[int, int, str, Alert]] = []
    for slug, flag in rows.items():
        level, message = flag.level, flag.message
        if calf_signs and slug in CALF_SIGN_COMBINATIONS:
            level, message = RedFlagLevel.REFER, CALF_SIGN_COMBINATIONS[slug]
        alert = Alert(flag=slug, level=str(level), message=message)
        ranked.append((LEVEL_ORDER.get(level, len(LEVEL_ORDER)), flag.position, slug, alert))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]
