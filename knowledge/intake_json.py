"""The intake as JSON (shared/domain.md, "The intake as JSON"): parse, validate, serialise.

One format for the `suggest` command, tests, the intake import and any API::

    {"pain": [{"zone": "anterior-knee", "side": "left", "intensity": 6}],
     "factors": ["running"], "red_flags": []}

`parse_intake` checks everything before it returns and reports every problem at once in one
`IntakeJSONError`: nothing is half-read. Slugs are checked against the vocabulary in the database
(zones, factors, red flags); an unknown slug names the closest known ones.

Sides: a pain report's side is `left`, `right` or `both` (the default). `both` stands for the two
sides, so a zone given as `both` and again as `left` (or `right`) reports that side twice and is
refused as a duplicate, like the same zone and side given twice. `left` and `right` for one zone
are two reports, which is fine.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SIDES = ("left", "right", "both")
DEFAULT_SIDE = "both"
DEFAULT_INTENSITY = 5
MIN_INTENSITY = 0
MAX_INTENSITY = 10

_TOP_KEYS = ("pain", "factors", "red_flags")
_PAIN_KEYS = ("zone", "side", "intensity")
# The sides a report covers: `both` is left and right.
_COVERS = {"left": ("left",), "right": ("right",), "both": ("left", "right")}


class IntakeJSONError(ValueError):
    """The intake JSON is not valid. `errors` lists every problem; the message joins them."""

    def __init__(self, errors: Iterable[str]):
        self.errors: list[str] = list(errors)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class PainReport:
    zone: str
    side: str = DEFAULT_SIDE
    intensity: int = DEFAULT_INTENSITY


@dataclass(frozen=True)
class IntakeInput:
    """A validated intake: where it hurts, the factors and symptoms, the red-flag answers."""

    pain: tuple[PainReport, ...] = ()
    factors: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeVocabulary:
    """The slugs an intake may use, read from the knowledge base."""

    zones: frozenset[str] = field(default_factory=frozenset)
    factors: frozenset[str] = field(default_factory=frozenset)
    red_flags: frozenset[str] = field(default_factory=frozenset)


def load_vocabulary() -> IntakeVocabulary:
    """Read the zone, factor and red-flag slugs from the database (three small queries).

    Read afresh on every call so a slug an admin adds is accepted at once; callers that parse
    many intakes load it once and pass it to `parse_intake`.
    """
    from knowledge.models import Factor, RedFlag, Zone

    return IntakeVocabulary(
        zones=frozenset(Zone.objects.values_list("slug", flat=True)),
        factors=frozenset(Factor.objects.values_list("slug", flat=True)),
        red_flags=frozenset(RedFlag.objects.values_list("slug", flat=True)),
    )


def parse_intake(
    source: str | bytes | Mapping[str, Any], *, vocabulary: IntakeVocabulary | None = None
) -> IntakeInput:
    """Parse and validate an intake given as JSON text or as the already-decoded object.

    Raises `IntakeJSONError` naming every offending value; never anything else.
    """
    if isinstance(source, str | bytes | bytearray):
        try:
            data = json.loads(source)
        except json.JSONDecodeError as error:
            raise IntakeJSONError(
                [f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"]
            ) from None
        except (UnicodeDecodeError, RecursionError) as error:
            raise IntakeJSONError([f"malformed JSON: {error}"]) from None
    else:
        data = source
    if not isinstance(data, Mapping):
        raise IntakeJSONError([f"the intake must be a JSON object, not {_describe(data)}"])
    if vocabulary is None:
        vocabulary = load_vocabulary()

    errors: list[str] = []
    for key in data:
        if key not in _TOP_KEYS:
            errors.append(
                f"unknown key {_show(key)} (expected {', '.join(_TOP_KEYS)}){_near(key, _TOP_KEYS)}"
            )
    pain = _parse_pain(data.get("pain"), vocabulary, errors)
    factors = _parse_slugs(
        data.get("factors"),
        "factors",
        "factor",
        vocabulary.factors,
        errors,
        elsewhere=(("red_flags", vocabulary.red_flags), ("pain zones", vocabulary.zones)),
    )
    red_flags = _parse_slugs(
        data.get("red_flags"),
        "red_flags",
        "red flag",
        vocabulary.red_flags,
        errors,
        elsewhere=(("factors", vocabulary.factors),),
    )
    if errors:
        raise IntakeJSONError(errors)
    return IntakeInput(pain=tuple(pain), factors=tuple(factors), red_flags=tuple(red_flags))


def intake_to_json(intake: IntakeInput) -> dict[str, Any]:
    """The intake as a dict in the domain.md format (every field written out, defaults too)."""
    return {
        "pain": [
            {"zone": report.zone, "side": report.side, "intensity": report.intensity}
            for report in intake.pain
        ],
        "factors": list(intake.factors),
        "red_flags": list(intake.red_flags),
    }


def _parse_pain(value: Any, vocabulary: IntakeVocabulary, errors: list[str]) -> list[PainReport]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f'"pain" must be a list of pain reports, not {_describe(value)}')
        return []
    reports: list[PainReport] = []
    # (zone, covered side) -> where it was first given, to name both places of a duplicate.
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for index, item in enumerate(value, start=1):
        where = f"pain report {index}"
        if not isinstance(item, Mapping):
            errors.append(f"{where} must be an object with a zone, not {_describe(item)}")
            continue
        ok = True
        for key in item:
            if key not in _PAIN_KEYS:
                errors.append(
                    f"{where}: unknown key {_show(key)} (expected {', '.join(_PAIN_KEYS)})"
                    f"{_near(key, _PAIN_KEYS)}"
                )
                ok = False
        zone = item.get("zone")
        if "zone" not in item:
            errors.append(f"{where}: the zone is missing")
            ok = False
        elif not isinstance(zone, str):
            errors.append(f"{where}: the zone must be a slug (text), not {_describe(zone)}")
            ok = False
        elif zone not in vocabulary.zones:
            errors.append(f"{where}: unknown zone {_show(zone)}{_near(zone, vocabulary.zones)}")
            ok = False
        side = item.get("side", DEFAULT_SIDE)
        if not isinstance(side, str) or side not in SIDES:
            errors.append(
                f"{where}: side {_show(side)} is not one of {', '.join(SIDES)}{_near(side, SIDES)}"
            )
            ok = False
        intensity = item.get("intensity", DEFAULT_INTENSITY)
        if isinstance(intensity, bool) or not isinstance(intensity, int):
            errors.append(
                f"{where}: intensity {_show(intensity)} must be a whole number from "
                f"{MIN_INTENSITY} to {MAX_INTENSITY}"
            )
            ok = False
        elif not MIN_INTENSITY <= intensity <= MAX_INTENSITY:
            errors.append(
                f"{where}: intensity {intensity} is outside {MIN_INTENSITY}-{MAX_INTENSITY}"
            )
            ok = False
        if not ok:
            continue
        for covered in _COVERS[side]:
            first = seen.get((zone, covered))
            if first is not None:
                first_index, first_side = first
                how = "" if first_side == side else f" (as {first_side!r} and {side!r})"
                errors.append(
                    f"{where}: zone {zone!r} is given twice for the {covered} side, in pain "
                    f"reports {first_index} and {index}{how}"
                )
                break
        else:
            for covered in _COVERS[side]:
                seen[(zone, covered)] = (index, side)
            reports.append(PainReport(zone=zone, side=side, intensity=intensity))
    return reports


def _parse_slugs(
    value: Any,
    key: str,
    noun: str,
    known: frozenset[str],
    errors: list[str],
    *,
    elsewhere: tuple[tuple[str, frozenset[str]], ...] = (),
) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f'"{key}" must be a list of slugs, not {_describe(value)}')
        return []
    slugs: list[str] = []
    for item in value:
        if not isinstance(item, str):
            errors.append(f'"{key}": {_show(item)} is not a slug (text)')
        elif item not in known:
            home = next((name for name, slugs_there in elsewhere if item in slugs_there), None)
            hint = f" ({item!r} belongs in {home})" if home else _near(item, known)
            errors.append(f"unknown {noun} {_show(item)}{hint}")
        elif item in slugs:
            errors.append(f"{noun} {item!r} is listed twice")
        else:
            slugs.append(item)
    return slugs


def _near(value: Any, known: Iterable[str]) -> str:
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.5)
    if not matches:
        return ""
    return f" (closest: {', '.join(matches)})"


def _show(value: Any) -> str:
    """A value as it appeared, kept short: strings quoted, everything else as JSON."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    kind = next((name for cls, name in names.items() if type(value) is cls), None)
    if kind is None:
        kind = "an object" if isinstance(value, Mapping) else type(value).__name__
    return f"{kind} ({_show(value)})"
