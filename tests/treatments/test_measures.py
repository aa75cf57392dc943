from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from treatments.measures import LEFS_ITEMS, change_from, score


def test_lefs_has_the_twenty_standard_items():
    assert len(LEFS_ITEMS) == 20
    assert len(set(LEFS_ITEMS)) == 20


def test_lefs_scores_the_total_of_twenty_ratings():
    answers, total = score("lefs", {"items": [4] * 10 + [2] * 10})
    assert total == Decimal(60)
    assert answers == {"items": [4] * 10 + [2] * 10}


@pytest.mark.parametrize(
    "items", [[4] * 19, [4] * 21, [5] + [0] * 19, [-1] + [0] * 19, ["x"] + [0] * 19]
)
def test_lefs_refuses_missing_or_out_of_range_ratings(items):
    with pytest.raises(ValidationError):
        score("lefs", {"items": items})


def test_psfs_scores_the_mean_to_one_decimal():
    _, mean = score(
        "psfs",
        {"activities": [{"activity": "Stairs", "score": 3}, {"activity": "Running", "score": 4},
                        {"activity": "Standing", "score": 4}]},
    )  # fmt: skip
    assert mean == Decimal("3.7")


@pytest.mark.parametrize(
    "activities",
    [
        [],
        [{"activity": "", "score": 3}],
        [{"activity": "Stairs", "score": 11}],
        [{"activity": f"A{n}", "score": 1} for n in range(6)],
    ],
)
def test_psfs_refuses_bad_answers(activities):
    with pytest.raises(ValidationError):
        score("psfs", {"activities": activities})


def test_nprs_is_the_rating_itself():
    assert score("nprs", {"score": 7})[1] == Decimal(7)
    with pytest.raises(ValidationError):
        score("nprs", {"score": 11})


@pytest.mark.parametrize(
    ("kind", "first", "last", "meaningful", "improved"),
    [
        ("lefs", 38, 47, True, True),  # 9 points matter
        ("lefs", 38, 46, False, True),
        ("lefs", 50, 40, True, False),
        ("psfs", "3.0", "5.0", True, True),  # 2 points matter
        ("psfs", "3.0", "4.7", False, True),
        ("nprs", 7, 5, True, True),  # lower pain is better
        ("nprs", 5, 6, False, False),
    ],
)
def test_change_marks_the_minimal_important_difference(kind, first, last, meaningful, improved):
    change = change_from(kind, Decimal(first), Decimal(last))
    assert change.meaningful is meaningful
    assert change.improved is improved
    if meaningful:
        assert "meaningful change" in change.label
