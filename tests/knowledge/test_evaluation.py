import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from knowledge.loader import DATA_DIR
from knowledge.management.commands.evaluate_suggestions import CaseFileError, evaluate

pytestmark = pytest.mark.django_db

CASES_FILE = DATA_DIR / "evaluation_cases.json"


def shipped_cases() -> list[dict]:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))


def case(case_id="c1", kind="shared-zone", zones=("posterior-knee",), factors=(), expected=()):
    return {
        "id": case_id,
        "kind": kind,
        "description": "a test case",
        "intake": {"pain": [{"zone": zone} for zone in zones], "factors": list(factors)},
        "expected": list(expected),
    }


def test_the_shipped_cases_cover_both_kinds_and_cite_their_facts():
    cases = shipped_cases()

    assert sum(c["kind"] == "zones" for c in cases) >= 20
    assert sum(c["kind"] == "shared-zone" for c in cases) >= 20
    assert len({c["id"] for c in cases}) == len(cases)
    assert all(c["description"] for c in cases)


def test_the_engine_meets_the_quality_thresholds_on_the_shipped_cases():
    result = evaluate(shipped_cases())

    misses = "\n".join(f"{m.id}: rank {m.rank}, top {m.top}" for m in result.misses)
    assert result.hit_rate(5) >= 0.95, misses
    assert result.hit_rate(1, "shared-zone") >= 0.80, misses


def test_a_case_is_a_hit_when_any_expected_muscle_ranks_high_enough():
    result = evaluate(
        [
            case("night", factors=["night-cramps"], expected=["gastrocnemius"]),
            case("either", factors=["night-cramps"], expected=["popliteus", "gastrocnemius"]),
            case("far", kind="zones", zones=["coccyx"], expected=["soleus"]),
        ]
    )

    night, either, far = result.outcomes
    assert night.rank == 1
    assert either.rank == 1
    assert far.rank is None
    assert result.hit_rate(1) == pytest.approx(2 / 3)
    assert result.hit_rate(1, "zones") == 0
    assert [miss.id for miss in result.misses] == ["far"]


def test_bad_cases_are_refused_naming_the_case():
    with pytest.raises(CaseFileError) as caught:
        evaluate(
            [
                case("a", expected=["no-such-muscle"]),
                case("b", zones=["knee"], expected=["popliteus"]),
                case("c", kind="other", expected=["popliteus"]),
            ]
        )

    message = str(caught.value)
    assert "case a: unknown muscle 'no-such-muscle'" in message
    assert 'case b: pain report 1: unknown zone "knee"' in message
    assert "case c: kind 'other'" in message


def test_the_command_prints_hit_rates_per_kind_and_the_misses(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(
        json.dumps(
            [
                case("night", factors=["night-cramps"], expected=["gastrocnemius"]),
                case("far", kind="zones", zones=["coccyx"], expected=["soleus"]),
            ]
        )
    )
    out = io.StringIO()

    call_command("evaluate_suggestions", str(path), stdout=out)

    text = out.getvalue()
    assert "top-1   top-3   top-5" in text
    assert "all             2   50.0%   50.0%   50.0%" in text
    assert "zones           1    0.0%    0.0%    0.0%" in text
    assert "shared-zone     1  100.0%  100.0%  100.0%" in text
    assert "- far (zones): expected soleus, not suggested" in text
    assert "1. gluteus-maximus" in text


def test_the_command_fails_under_the_thresholds(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([case("miss", expected=["popliteus"], factors=["night-cramps"])]))

    call_command("evaluate_suggestions", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError) as caught:
        call_command(
            "evaluate_suggestions",
            str(path),
            "--fail-under-top5",
            "0.95",
            "--fail-under-top1-shared",
            "0.8",
            stdout=io.StringIO(),
        )

    assert caught.value.returncode == 1
    assert "shared-zone top-1 hit rate 0.0% is below 80.0%" in str(caught.value)


def test_the_command_passes_the_thresholds_on_the_shipped_cases():
    out = io.StringIO()

    call_command(
        "evaluate_suggestions",
        str(CASES_FILE),
        "--fail-under-top5",
        "0.95",
        "--fail-under-top1-shared",
        "0.8",
        stdout=out,
    )

    assert "all" in out.getvalue()


def test_the_command_refuses_an_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("evaluate_suggestions", str(tmp_path / "missing.json"))
    bad = Path(tmp_path / "bad.json")
    bad.write_text("[{")
    with pytest.raises(CommandError, match="malformed JSON at line 1"):
        call_command("evaluate_suggestions", str(bad))
