"""Benchmark the suggestion engine: one intake, and a batch of 10,000.

Run with `make bench`, or:
    DJANGO_SETTINGS_MODULE=clinic.settings .venv/bin/python bench/suggest_bench.py

`one`: `suggest()` as the review screen calls it (the cheap knowledge version check included),
median and 95th percentile over 1,000 runs after warm-up. `batch`: `suggest_many()` over 10,000
seeded random valid intakes, snapshot load included. Results are merged into bench/results.json
under "suggest".
"""

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from knowledge.intake_json import IntakeInput, PainReport, load_vocabulary  # noqa: E402
from knowledge.suggest import suggest, suggest_many  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
RUNS = 1_000
WARM_UP = 50
BATCH = 10_000
SEED = 20_260_101
SIDES = ("left", "right", "both")


def random_intake(rng: random.Random, zones: list[str], factors: list[str]) -> IntakeInput:
    """A valid intake: 1-4 pain zones on one side or both, 0-6 factors."""
    chosen = rng.sample(zones, rng.randint(1, 4))
    pain = tuple(
        PainReport(zone=zone, side=rng.choice(SIDES), intensity=rng.randint(0, 10))
        for zone in chosen
    )
    return IntakeInput(pain=pain, factors=tuple(rng.sample(factors, rng.randint(0, 6))))


def main() -> None:
    vocabulary = load_vocabulary()
    zones, factors = sorted(vocabulary.zones), sorted(vocabulary.factors)
    rng = random.Random(SEED)  # noqa: S311 (seeded test data, not security)

    typical = IntakeInput(
        pain=(
            PainReport(zone="anterior-knee", side="left", intensity=6),
            PainReport(zone="anterior-thigh", side="left", intensity=3),
        ),
        factors=("running", "stair-climbing", "patellofemoral-pain", "sleep-disturbed"),
    )
    for _ in range(WARM_UP):
        suggest(typical)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        suggest(typical)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    one_p50 = statistics.median(timings)
    one_p95 = timings[int(len(timings) * 0.95) - 1]

    intakes = [random_intake(rng, zones, factors) for _ in range(BATCH)]
    start = time.perf_counter()
    rankings = suggest_many(intakes)
    batch_s = time.perf_counter() - start
    assert len(rankings) == BATCH

    figures = {
        "one_ms_p50": round(one_p50, 3),
        "one_ms_p95": round(one_p95, 3),
        "batch_10000_s": round(batch_s, 3),
    }
    print(f"{'suggest':<32} {'result':>10}  target")
    print(f"{'one intake, median (ms)':<32} {figures['one_ms_p50']:>10.3f}  <= 5")
    print(f"{'one intake, p95 (ms)':<32} {figures['one_ms_p95']:>10.3f}")
    print(f"{'10,000 intakes in a batch (s)':<32} {figures['batch_10000_s']:>10.3f}  <= 10")

    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results["suggest"] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
