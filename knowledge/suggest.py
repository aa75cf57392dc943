"""The suggestion engine: which muscles' trigger points most likely explain an intake's pain.

Rules (shared/domain.md, "How suggestions should behave"):

- **Recall.** A muscle is a candidate only when one of the client's pain zones is one of its
  referral zones. Factors and symptoms never make a candidate on their own.
- **Zones.** Each covered pain zone weighs `essential_zone` or `spillover_zone` (the stronger
  when several trigger points refer there), times an intensity share that runs from
  `intensity_floor` at intensity 0 to 1 at intensity 10. The best covered zone counts in full;
  every other covered zone adds `extra_zone_bonus` times its own weight::

      zone_part = best + extra_zone_bonus * (sum of the other zones' weights)

- **Factors.** The weights of the muscle's factor links (`MuscleFactor.weight`, 0-1) that the
  intake names are summed, capped at `max_factor_total`, and scaled by `factor_scale`::

      raw = zone_part + factor_scale * min(sum of link weights, max_factor_total)

  A distinguishing symptom carries a link weight of 1 (night cramps for gastrocnemius), so it
  decides between muscles that share a zone.
- **Reasons.** Each suggestion lists its covered zones in the intake's order, then its matched
  factors, strongest link first, then the confidence note when it applied. A zone or link
  weighing nothing adds nothing and is not listed.
- **Confidence.** A muscle entered with low confidence has its raw score multiplied by
  `low_confidence_factor`.
- **Score.** The raw score is squashed into 0-1 by ``raw / (raw + score_half_point)``: a raw
  score equal to `score_half_point` gives 0.5, more approaches 1, and the order never changes.
  With the shipped weights one essential zone at intensity 10 and no factors gives 0.67.
- **Order.** Best first by raw score, ties broken by muscle name, then slug: the same intake
  always gives the same ranking. Scores are rounded to 2 decimals for display only.

Every weight is an `EngineWeight` row, so an admin tunes the engine without a deploy. The
knowledge is read into a `Knowledge` snapshot of plain dicts; `current_knowledge()` keeps the
last snapshot and reloads it when a cheap version query (one round trip) says the knowledge
tables changed, so admin edits apply to the next suggestion without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from knowledge.intake_json import IntakeInput

DEFAULT_LIMIT = 10

# The weights the engine reads, with the value used when a row is missing.
DEFAULT_WEIGHTS: dict[str, float] = {
    "essential_zone": 1.0,
    "spillover_zone": 0.4,
    "intensity_floor": 0.5,
    "extra_zone_bonus": 0.15,
    "factor_scale": 0.6,
    "max_factor_total": 2.0,
    "low_confidence_factor": 0.7,
    "score_half_point": 0.5,
}

# How each kind of factor reads in a reason: "activating activity: running".
REASON_PREFIX: dict[str, str] = {
    "activity": "activating activity",
    "footwear": "footwear",
    "injury": "injury or history",
    "structural": "body structure",
    "habit": "perpetuating habit",
    "condition": "diagnosis it can mimic",
    "symptom": "symptom",
}

ESSENTIAL = "essential"
SPILLOVER = "spillover"


@dataclass(frozen=True)
class Suggestion:
    muscle: str
    name: str
    score: float
    zones: tuple[str, ...]
    trigger_points: tuple[str, ...]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "muscle": self.muscle,
            "name": self.name,
            "score": self.score,
            "zones": list(self.zones),
            "trigger_points": list(self.trigger_points),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ZoneLink:
    """One muscle's referral to a zone: its kind and the trigger points that refer there."""

    muscle: str
    kind: str
    trigger_points: tuple[str, ...]


@dataclass(frozen=True)
class Knowledge:
    """What the engine needs, as plain dicts: built once, read by every ranking.

    `zone_links`: zone slug -> the muscles referring there. `factor_links`: factor slug ->
    (muscle slug, weight) pairs. `factor_reasons`: factor slug -> its reason text.
    """

    muscle_names: Mapping[str, str]
    low_confidence: frozenset[str]
    tp_order: Mapping[str, Mapping[str, int]]
    zone_links: Mapping[str, tuple[ZoneLink, ...]]
    factor_links: Mapping[str, tuple[tuple[str, float], ...]]
    factor_reasons: Mapping[str, str]
    weights: Mapping[str, float]
    version: tuple = field(default=(), compare=False)

    @classmethod
    def load(cls, *, version: tuple = ()) -> Knowledge:
        """Read the snapshot from the database in five queries."""
        from knowledge.models import Confidence, EngineWeight, Muscle, MuscleFactor, Referral

        names: dict[str, str] = {}
        low: set[str] = set()
        for slug, name, confidence in Muscle.objects.values_list("slug", "name", "confidence"):
            names[slug] = name
            if confidence == Confidence.LOW:
                low.add(slug)

        tp_order: dict[str, dict[str, int]] = {}
        # zone -> muscle -> [kind, labels]
        by_zone: dict[str, dict[str, list]] = {}
        referrals = Referral.objects.order_by(
            "trigger_point__muscle__slug", "trigger_point__position", "trigger_point__id"
        ).values_list(
            "zone__slug",
            "kind",
            "trigger_point__muscle__slug",
            "trigger_point__label",
            "trigger_point__position",
        )
        for zone, kind, muscle, label, position in referrals:
            tp_order.setdefault(muscle, {}).setdefault(label, position)
            entry = by_zone.setdefault(zone, {}).setdefault(muscle, [SPILLOVER, []])
            if kind == ESSENTIAL:
                entry[0] = ESSENTIAL
            if label not in entry[1]:
                entry[1].append(label)
        zone_links = {
            zone: tuple(
                ZoneLink(muscle=muscle, kind=kind, trigger_points=tuple(labels))
                for muscle, (kind, labels) in sorted(muscles.items())
            )
            for zone, muscles in by_zone.items()
        }

        by_factor: dict[str, list[tuple[str, float]]] = {}
        reasons: dict[str, str] = {}
        links = MuscleFactor.objects.order_by("factor__slug", "muscle__slug").values_list(
            "factor__slug", "factor__kind", "muscle__slug", "weight"
        )
        for factor, kind, muscle, weight in links:
            reasons[factor] = factor_reason(factor, kind)
            if weight > 0:
                by_factor.setdefault(factor, []).append((muscle, float(weight)))

        weights = dict(DEFAULT_WEIGHTS)
        weights.update(
            (key, float(value)) for key, value in EngineWeight.objects.values_list("key", "value")
        )
        return cls(
            muscle_names=names,
            low_confidence=frozenset(low),
            tp_order=tp_order,
            zone_links=zone_links,
            factor_links={factor: tuple(pairs) for factor, pairs in by_factor.items()},
            factor_reasons=reasons,
            weights=weights,
            version=version,
        )


def factor_reason(slug: str, kind: str) -> str:
    return f"{REASON_PREFIX.get(kind, 'factor')}: {_words(slug)}"


def zone_reason(slug: str, kind: str) -> str:
    return f"{kind} referral zone: {_words(slug)}"


def _words(slug: str) -> str:
    return slug.replace("-", " ")


# The tables whose rows make up a snapshot, each with its pghistory event table. Every insert,
# update and delete on them writes an event (a database trigger, so SQL and bulk edits count),
# and event ids only grow, so max(event id) moves on any change, even a rolled-back one. Row
# counts are part of the version too, for a TRUNCATE, which fires no row trigger.
_TRACKED = (
    "muscle",
    "triggerpoint",
    "referral",
    "musclefactor",
    "factor",
    "zone",
    "engineweight",
)
# Built from the constant table names above, never from input.
_VERSION_SQL = "SELECT " + ", ".join(  # noqa: S608
    f"(SELECT max(pgh_id) FROM knowledge_{name}event), (SELECT count(*) FROM knowledge_{name})"  # noqa: S608
    for name in _TRACKED
)

_cache_lock = threading.Lock()
_cached: Knowledge | None = None


def knowledge_version() -> tuple:
    """A value that changes whenever the knowledge the engine reads changes (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    return (connection.alias, connection.settings_dict["NAME"], *row)


def current_knowledge() -> Knowledge:
    """The snapshot of the knowledge as it is now: cached, and reloaded when it has changed.

    The version is read before the data, so a snapshot is never older than its version; an edit
    landing in between only makes the next call reload once more.
    """
    global _cached
    version = knowledge_version()
    cached = _cached
    if cached is not None and cached.version == version:
        return cached
    with _cache_lock:
        if _cached is not None and _cached.version == version:
            return _cached
        _cached = Knowledge.load(version=version)
        return _cached


def suggest(
    intake: IntakeInput, *, limit: int | None = DEFAULT_LIMIT, knowledge: Knowledge | None = None
) -> list[Suggestion]:
    """Rank the muscles whose trigger points may explain the intake, best first.

    `limit=None` returns every candidate. Pass `knowledge` to rank against a given snapshot.
    """
    if knowledge is None:
        knowledge = current_knowledge()
    return rank(intake, knowledge, limit=limit)


def suggest_many(
    intakes: Iterable[IntakeInput],
    *,
    limit: int | None = DEFAULT_LIMIT,
    knowledge: Knowledge | None = None,
) -> list[list[Suggestion]]:
    """Rank many intakes against one snapshot (read once for the whole batch)."""
    if knowledge is None:
        knowledge = current_knowledge()
    return [rank(intake, knowledge, limit=limit) for intake in intakes]


def rank(
    intake: IntakeInput, knowledge: Knowledge, *, limit: int | None = DEFAULT_LIMIT
) -> list[Suggestion]:
    """The engine proper: pure Python over the snapshot's dicts, no database access."""
    weights = knowledge.weights
    kind_weight = {ESSENTIAL: weights["essential_zone"], SPILLOVER: weights["spillover_zone"]}
    floor = weights["intensity_floor"]
    bonus = weights["extra_zone_bonus"]
    factor_scale = weights["factor_scale"]
    max_factor_total = weights["max_factor_total"]
    low_confidence_factor = weights["low_confidence_factor"]
    half_point = weights["score_half_point"] or DEFAULT_WEIGHTS["score_half_point"]

    # One zone may be reported for each side; the stronger report speaks for the zone.
    intensities: dict[str, int] = {}
    for report in intake.pain:
        if report.intensity > intensities.get(report.zone, -1):
            intensities[report.zone] = report.intensity

    # muscle -> [(zone weight, zone, kind, trigger point labels)] in the intake's zone order
    covered: dict[str, list[tuple[float, str, str, tuple[str, ...]]]] = {}
    zone_links = knowledge.zone_links
    for zone, intensity in intensities.items():
        share = floor + (1.0 - floor) * intensity / 10.0
        for link in zone_links.get(zone, ()):
            weight = kind_weight[link.kind] * share
            if weight > 0:  # a zone weighing nothing explains nothing
                covered.setdefault(link.muscle, []).append(
                    (weight, zone, link.kind, link.trigger_points)
                )
    if not covered:
        return []

    # muscle -> [(link weight, position in the intake, factor)]
    matched: dict[str, list[tuple[float, int, str]]] = {}
    factor_links = knowledge.factor_links
    for position, factor in enumerate(intake.factors):
        for muscle, weight in factor_links.get(factor, ()):
            if weight > 0 and muscle in covered:
                matched.setdefault(muscle, []).append((weight, position, factor))

    # Score every candidate first; build the explained suggestions only for those kept.
    names = knowledge.muscle_names
    low_confidence = knowledge.low_confidence if low_confidence_factor != 1.0 else frozenset()
    scored: list[tuple[float, str, str, float]] = []
    for muscle, zones in covered.items():
        best = total = 0.0
        for zone in zones:
            total += zone[0]
            if zone[0] > best:
                best = zone[0]
        raw = best + bonus * (total - best)
        factors = matched.get(muscle)
        if factors:
            raw += factor_scale * min(sum(item[0] for item in factors), max_factor_total)
        if muscle in low_confidence:
            raw *= low_confidence_factor
        # Rounded so equal contributions summed in another order still tie exactly.
        scored.append((-round(raw, 9), names.get(muscle, muscle), muscle, raw))
    scored.sort()
    if limit is not None:
        scored = scored[:limit]

    suggestions = []
    for _, name, muscle, raw in scored:
        zones = covered[muscle]
        reasons = [zone_reason(zone, kind) for _, zone, kind, _ in zones]
        factors = matched.get(muscle)
        if factors:
            factors.sort(key=lambda item: (-item[0], item[1]))
            reasons.extend(knowledge.factor_reasons[factor] for _, _, factor in factors)
        if muscle in low_confidence:
            reasons.append("low-confidence entry in the knowledge base: score reduced")
        order = knowledge.tp_order.get(muscle, {})
        labels = sorted(
            {label for zone in zones for label in zone[3]}, key=lambda label: order.get(label, 0)
        )
        suggestions.append(
            Suggestion(
                muscle=muscle,
                name=name,
                score=round(raw / (raw + half_point), 2),
                zones=tuple(zone[1] for zone in zones),
                trigger_points=tuple(labels),
                reasons=tuple(reasons),
            )
        )
    return suggestions
