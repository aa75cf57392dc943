"""`manage.py evaluate_suggestions FILE`: how often the engine ranks the expected muscle high.

FILE is a JSON list of cases (knowledge/data/evaluation_cases.json)::

    {"id": "gastrocnemius-night-cramps", "description": "why, citing the facts file",
     "kind": "zones" | "shared-zone", "intake": {... domain.md intake JSON ...},
     "expected": ["gastrocnemius"]}

A case is a top-k hit when any expected muscle is among the first k suggestions. The command
prints the top-1, top-3 and top-5 hit rates overall and per kind, then every case whose expected
muscle was not ranked first, with the top 5 it got. It exits 0 (the evaluation informs), or 1
when `--fail-under-top5` / `--fail-under-top1-shared` thresholds are not met.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from knowledge.intake_json import IntakeJSONError, load_vocabulary, parse_intake
from knowledge.suggest import current_knowledge, rank

KINDS = ("zones", "shared-zone")
TOPS = (1, 3, 5)
SHOWN = 5


class CaseFileError(ValueError):
    """The cases do not check out: a missing field, an unknown kind or muscle, a bad intake."""


@dataclass(frozen=True)
class CaseOutcome:
    id: str
    kind: str
    description: str
    expected: tuple[str, ...]
    rank: int | None  # 1-based rank of the best-placed expected muscle; None when not suggested
    top: tuple[tuple[str, float], ...]  # the first suggestions: (muscle slug, score)

    def hit(self, k: int) -> bool:
        return self.rank is not None and self.rank <= k


@dataclass(frozen=True)
class EvaluationResult:
    outcomes: tuple[CaseOutcome, ...]

    def of_kind(self, kind: str | None) -> tuple[CaseOutcome, ...]:
        return tuple(o for o in self.outcomes if kind is None or o.kind == kind)

    def hit_rate(self, k: int, kind: str | None = None) -> float:
        """Share of the cases (of one kind, or all) with an expected muscle in the top k."""
        cases = self.of_kind(kind)
        if not cases:
            return 0.0
        return sum(case.hit(k) for case in cases) / len(cases)

    @property
    def misses(self) -> tuple[CaseOutcome, ...]:
        """The cases whose expected muscle was not ranked first."""
        return tuple(o for o in self.outcomes if not o.hit(1))


def evaluate(cases: Iterable[Mapping[str, Any]]) -> EvaluationResult:
    """Rank every case's intake against one knowledge snapshot and record where it landed."""
    cases = list(cases)
    vocabulary = load_vocabulary()
    knowledge = current_knowledge()
    problems: list[str] = []
    seen: set[str] = set()
    outcomes: list[CaseOutcome] = []
    for number, case in enumerate(cases, start=1):
        if not isinstance(case, Mapping):
            problems.append(f"case {number}: not an object")
            continue
        case_id = str(case.get("id") or f"#{number}")
        missing = [key for key in ("id", "kind", "intake", "expected") if key not in case]
        if missing:
            problems.append(f"case {case_id}: missing {', '.join(missing)}")
            continue
        if case_id in seen:
            problems.append(f"case {case_id}: id used twice")
        seen.add(case_id)
        if case["kind"] not in KINDS:
            problems.append(f"case {case_id}: kind {case['kind']!r} is not one of {KINDS}")
        expected = case["expected"]
        if not isinstance(expected, list) or not expected:
            problems.append(f"case {case_id}: expected must be a non-empty list of muscle slugs")
            continue
        unknown = [slug for slug in expected if slug not in knowledge.muscle_names]
        if unknown:
            problems.append(f"case {case_id}: unknown muscle {', '.join(map(repr, unknown))}")
        try:
            intake = parse_intake(case["intake"], vocabulary=vocabulary)
        except IntakeJSONError as error:
            problems.append(f"case {case_id}: {error}")
            continue
        ranking = rank(intake, knowledge, limit=None)
        slugs = [suggestion.muscle for suggestion in ranking]
        ranks = [slugs.index(slug) + 1 for slug in expected if slug in slugs]
        outcomes.append(
            CaseOutcome(
                id=case_id,
                kind=case["kind"],
                description=str(case.get("description", "")),
                expected=tuple(expected),
                rank=min(ranks) if ranks else None,
                top=tuple((s.muscle, s.score) for s in ranking[:SHOWN]),
            )
        )
    if problems:
        raise CaseFileError("; ".join(problems))
    return EvaluationResult(outcomes=tuple(outcomes))


def report(result: EvaluationResult) -> str:
    lines = [f"{'cases':<12} {'n':>4} " + " ".join(f"{f'top-{k}':>7}" for k in TOPS)]
    for label, kind in (("all", None), *((kind, kind) for kind in KINDS)):
        n = len(result.of_kind(kind))
        rates = " ".join(f"{result.hit_rate(k, kind):>7.1%}" for k in TOPS)
        lines.append(f"{label:<12} {n:>4} {rates}")
    misses = result.misses
    lines.append("")
    lines.append(f"Not ranked first: {len(misses)}")
    for miss in misses:
        where = f"rank {miss.rank}" if miss.rank else "not suggested"
        lines.append(f"- {miss.id} ({miss.kind}): expected {' or '.join(miss.expected)}, {where}")
        if miss.description:
            lines.append(f"  {miss.description}")
        for position, (slug, score) in enumerate(miss.top, start=1):
            mark = "*" if slug in miss.expected else " "
            lines.append(f"  {mark}{position}. {slug} {score:.2f}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Rank each evaluation case's intake and print the top-1/3/5 hit rates, overall and per "
        "kind, and the cases whose expected muscle was not ranked first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="JSON list of evaluation cases")
        parser.add_argument(
            "--fail-under-top5",
            type=float,
            metavar="RATE",
            help="exit 1 when the overall top-5 hit rate is below RATE (0-1)",
        )
        parser.add_argument(
            "--fail-under-top1-shared",
            type=float,
            metavar="RATE",
            help="exit 1 when the shared-zone top-1 hit rate is below RATE (0-1)",
        )

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                cases = json.load(handle)
        except OSError as error:
            raise CommandError(f"cannot read {file!r}: {error.strerror or error}") from None
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{file}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        if not isinstance(cases, list):
            raise CommandError(f"{file}: expected a JSON list of cases")
        try:
            result = evaluate(cases)
        except CaseFileError as error:
            raise CommandError(f"{file}: {error}") from None
        self.stdout.write(report(result))

        failures = []
        top5, top5_floor = result.hit_rate(5), options.get("fail_under_top5")
        if top5_floor is not None and top5 < top5_floor:
            failures.append(f"top-5 hit rate {top5:.1%} is below {top5_floor:.1%}")
        shared, shared_floor = result.hit_rate(1, "shared-zone"), options["fail_under_top1_shared"]
        if shared_floor is not None and shared < shared_floor:
            failures.append(f"shared-zone top-1 hit rate {shared:.1%} is below {shared_floor:.1%}")
        if failures:
            raise CommandError("; ".join(failures), returncode=1)
