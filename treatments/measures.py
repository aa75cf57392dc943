"""Outcome measures: NPRS, PSFS and LEFS, their scoring and their minimal important change.

See domain.md, "Outcome measures". Scores are computed here from the answers as given, never
typed in, so a total can always be traced back to its items.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

from treatments.models import MeasureKind

PSFS_MAX_ACTIVITIES = 5
ACTIVITY_MAX = 100

# The Lower Extremity Functional Scale's 20 activities, as short labels in our own words.
# Each is rated 0 (extreme difficulty or unable) to 4 (no difficulty).
LEFS_ITEMS = (
    "Usual work, housework or school",
    "Usual hobbies, recreation or sport",
    "Getting into or out of the bath",
    "Walking between rooms",
    "Putting on shoes or socks",
    "Squatting",
    "Lifting something (a bag of shopping) from the floor",
    "Light jobs around the home",
    "Heavy jobs around the home",
    "Getting into or out of a car",
    "Walking two blocks",
    "Walking a mile",
    "Going up or down ten stairs",
    "Standing for an hour",
    "Sitting for an hour",
    "Running on even ground",
    "Running on uneven ground",
    "Sharp turns while running fast",
    "Hopping",
    "Rolling over in bed",
)
LEFS_RATINGS = (
    (0, "Extreme difficulty or unable"),
    (1, "Quite a bit of difficulty"),
    (2, "Moderate difficulty"),
    (3, "A little difficulty"),
    (4, "No difficulty"),
)


@dataclass(frozen=True)
class MeasureInfo:
    kind: str
    short: str
    maximum: int
    mcid: Decimal
    higher_is_better: bool
    unit: str


MEASURES = {
    MeasureKind.NPRS: MeasureInfo("nprs", "NPRS", 10, Decimal(2), False, "/10"),
    MeasureKind.PSFS: MeasureInfo("psfs", "PSFS", 10, Decimal(2), True, "/10"),
    MeasureKind.LEFS: MeasureInfo("lefs", "LEFS", 80, Decimal(9), True, "/80"),
}


def _int_in(value, low: int, high: int, message: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(message) from None
    if isinstance(value, bool) or not low <= number <= high or str(number) != str(value).strip():
        raise ValidationError(message)
    return number


def score_nprs(answers: dict) -> tuple[dict, Decimal]:
    score = _int_in(answers.get("score"), 0, 10, "Pain is rated from 0 (none) to 10 (worst).")
    return {"score": score}, Decimal(score)


def score_psfs(answers: dict) -> tuple[dict, Decimal]:
    rows = answers.get("activities") or []
    if not 1 <= len(rows) <= PSFS_MAX_ACTIVITIES:
        raise ValidationError("Name between one and five activities and rate each from 0 to 10.")
    clean = []
    for row in rows:
        activity = " ".join(str(row.get("activity", "")).split())[:ACTIVITY_MAX]
        if not activity:
            raise ValidationError("Each rated activity needs a name.")
        score = _int_in(
            row.get("score"), 0, 10, f"Rate “{activity}” from 0 (cannot do) to 10 (as before)."
        )
        clean.append({"activity": activity, "score": score})
    mean = Decimal(sum(r["score"] for r in clean)) / len(clean)
    return {"activities": clean}, mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score_lefs(answers: dict) -> tuple[dict, Decimal]:
    items = answers.get("items") or []
    if len(items) != len(LEFS_ITEMS):
        raise ValidationError("Rate all 20 activities of the LEFS.")
    clean = [
        _int_in(value, 0, 4, f"Rate “{label}” from 0 to 4.")
        for value, label in zip(items, LEFS_ITEMS, strict=True)
    ]
    return {"items": clean}, Decimal(sum(clean))


SCORERS = {
    MeasureKind.NPRS: score_nprs,
    MeasureKind.PSFS: score_psfs,
    MeasureKind.LEFS: score_lefs,
}


def score(kind: str, answers: dict) -> tuple[dict, Decimal]:
    """The cleaned answers and the score, or a ValidationError saying what to fix."""
    try:
        scorer = SCORERS[MeasureKind(kind)]
    except ValueError:
        raise ValidationError("Choose NPRS, PSFS or LEFS.") from None
    return scorer(answers or {})


@dataclass(frozen=True)
class Change:
    """A measurement compared with the client's first of the same kind."""

    baseline: Decimal
    current: Decimal
    delta: Decimal
    meaningful: bool
    improved: bool

    @property
    def label(self) -> str:
        if self.delta == 0:
            return "no change"
        word = "better" if self.improved else "worse"
        sign = "+" if self.delta > 0 else "\u2212"
        text = f"{sign}{abs(self.delta).normalize():f} ({word})"
        return f"{text}, meaningful change" if self.meaningful else text


def change_from(kind: str, baseline: Decimal, current: Decimal) -> Change:
    # A plain "lefs" finds its MeasureKind key; MeasureKind() only to refuse an unknown kind.
    info = MEASURES.get(kind) or MEASURES[MeasureKind(kind)]
    delta = current - baseline
    improved = delta > 0 if info.higher_is_better else delta < 0
    return Change(
        baseline=baseline,
        current=current,
        delta=delta,
        meaningful=abs(delta) >= info.mcid,
        improved=improved and delta != 0,
    )


def with_changes(measures) -> list[tuple]:
    """(measure, change or None) for measures of one kind in date order; None for the first."""
    rows = []
    baseline = None
    changes: dict[tuple, Change] = {}  # scores repeat: one (immutable) Change a score
    for measure in measures:
        if baseline is None:
            baseline = measure.score
            rows.append((measure, None))
        else:
            key = (measure.kind, measure.score)
            if key not in changes:
                changes[key] = change_from(measure.kind, baseline, measure.score)
            rows.append((measure, changes[key]))
    return rows
