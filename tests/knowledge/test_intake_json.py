import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.intake_json import (
    IntakeInput,
    IntakeJSONError,
    IntakeVocabulary,
    PainReport,
    intake_to_json,
    load_vocabulary,
    parse_intake,
)
from knowledge.loader import read_data
from knowledge.models import Zone

pytestmark = pytest.mark.django_db

DOCUMENTED = """{
  "pain": [
    {"zone": "anterior-knee", "side": "left", "intensity": 6},
    {"zone": "anterior-thigh", "side": "left", "intensity": 3}
  ],
  "factors": ["running", "stair-climbing", "patellofemoral-pain", "sleep-disturbed"],
  "red_flags": []
}"""


def errors_of(source) -> list[str]:
    with pytest.raises(IntakeJSONError) as caught:
        parse_intake(source)
    return caught.value.errors


def test_the_documented_intake_parses():
    intake = parse_intake(DOCUMENTED)

    assert intake == IntakeInput(
        pain=(
            PainReport(zone="anterior-knee", side="left", intensity=6),
            PainReport(zone="anterior-thigh", side="left", intensity=3),
        ),
        factors=("running", "stair-climbing", "patellofemoral-pain", "sleep-disturbed"),
        red_flags=(),
    )


def test_side_defaults_to_both_intensity_to_5_and_lists_may_be_absent():
    intake = parse_intake({"pain": [{"zone": "calf"}]})

    assert intake.pain == (PainReport(zone="calf", side="both", intensity=5),)
    assert intake.factors == ()
    assert intake.red_flags == ()
    assert parse_intake("{}") == IntakeInput()


def test_text_and_bytes_and_objects_give_the_same_intake():
    assert parse_intake(DOCUMENTED) == parse_intake(DOCUMENTED.encode())
    assert parse_intake(DOCUMENTED) == parse_intake(json.loads(DOCUMENTED))


def test_malformed_json_names_line_and_column():
    errors = errors_of('{\n  "pain": [\n    {"zone": "calf",}\n  ]\n}')

    assert len(errors) == 1
    assert "malformed JSON at line 3, column" in errors[0]


def test_an_intake_that_is_not_an_object_is_refused():
    assert "must be a JSON object" in errors_of("[1, 2]")[0]


def test_unknown_zone_names_the_value_and_the_closest_zones():
    (error,) = errors_of({"pain": [{"zone": "anterior-kne"}]})

    assert '"anterior-kne"' in error
    assert "closest: anterior-knee" in error


def test_unknown_factor_names_the_value_and_the_closest_factors():
    (error,) = errors_of({"factors": ["runing"]})

    assert 'unknown factor "runing"' in error
    assert "running" in error


def test_unknown_red_flag_names_the_closest_red_flags():
    (error,) = errors_of({"red_flags": ["clot-histroy"]})

    assert 'unknown red flag "clot-histroy"' in error
    assert "clot-history" in error


def test_a_red_flag_given_as_a_factor_says_where_it_belongs():
    (error,) = errors_of({"factors": ["pregnancy"]})

    assert "'pregnancy' belongs in red_flags" in error


@pytest.mark.parametrize("intensity", [11, -1, 100])
def test_intensity_outside_0_to_10_is_refused(intensity):
    (error,) = errors_of({"pain": [{"zone": "calf", "intensity": intensity}]})

    assert f"intensity {intensity} is outside 0-10" in error


@pytest.mark.parametrize("intensity", [5.5, "5", True, None, [5]])
def test_intensity_must_be_a_whole_number(intensity):
    (error,) = errors_of({"pain": [{"zone": "calf", "intensity": intensity}]})

    assert f"intensity {json.dumps(intensity)} must be a whole number" in error


def test_the_bounds_0_and_10_are_accepted():
    intake = parse_intake(
        {"pain": [{"zone": "calf", "intensity": 0}, {"zone": "shin", "intensity": 10}]}
    )

    assert [report.intensity for report in intake.pain] == [0, 10]


def test_a_zone_given_twice_for_one_side_is_refused():
    (error,) = errors_of(
        {"pain": [{"zone": "calf", "side": "left"}, {"zone": "calf", "side": "left"}]}
    )

    assert "zone 'calf' is given twice for the left side" in error
    assert "pain reports 1 and 2" in error


def test_both_and_one_side_of_the_same_zone_is_a_duplicate():
    (error,) = errors_of({"pain": [{"zone": "calf"}, {"zone": "calf", "side": "right"}]})

    assert "given twice for the right side" in error
    assert "as 'both' and 'right'" in error


def test_left_and_right_of_the_same_zone_are_two_reports():
    intake = parse_intake(
        {"pain": [{"zone": "calf", "side": "left"}, {"zone": "calf", "side": "right"}]}
    )

    assert [report.side for report in intake.pain] == ["left", "right"]


def test_an_unknown_side_is_refused():
    (error,) = errors_of({"pain": [{"zone": "calf", "side": "lft"}]})

    assert 'side "lft" is not one of left, right, both' in error


def test_unknown_keys_are_refused_at_the_top_and_in_pain_reports():
    errors = errors_of({"pain": [{"zone": "calf", "intensty": 4}], "red-flags": []})

    assert any('unknown key "red-flags"' in e and "closest: red_flags" in e for e in errors)
    assert any('pain report 1: unknown key "intensty"' in e for e in errors)


def test_wrong_types_are_refused():
    errors = errors_of({"pain": {"zone": "calf"}, "factors": "running", "red_flags": [3]})

    assert any('"pain" must be a list' in error for error in errors)
    assert any('"factors" must be a list' in error for error in errors)
    assert any('"red_flags": 3 is not a slug' in error for error in errors)


def test_a_pain_report_without_a_zone_is_refused():
    errors = errors_of({"pain": [{"side": "left"}, "calf"]})

    assert errors == [
        "pain report 1: the zone is missing",
        'pain report 2 must be an object with a zone, not text ("calf")',
    ]


def test_a_factor_listed_twice_is_refused():
    (error,) = errors_of({"factors": ["running", "running"]})

    assert "factor 'running' is listed twice" in error


def test_every_problem_is_reported_at_once_and_the_message_joins_them():
    with pytest.raises(IntakeJSONError) as caught:
        parse_intake(
            {
                "pain": [{"zone": "knee", "intensity": 12}],
                "factors": ["runing"],
                "red_flags": ["fever"],
            }
        )

    errors = caught.value.errors
    assert len(errors) == 4
    assert str(caught.value) == "; ".join(errors)


def test_a_zone_an_admin_adds_is_accepted_at_once():
    Zone.objects.create(slug="hip-crease", name="Hip crease", area="hip-buttock", view="front")

    assert parse_intake({"pain": [{"zone": "hip-crease"}]}).pain[0].zone == "hip-crease"


def test_intake_to_json_writes_the_documented_format_and_round_trips():
    intake = parse_intake(DOCUMENTED)

    data = intake_to_json(intake)

    assert data == json.loads(DOCUMENTED)
    assert parse_intake(json.dumps(data)) == intake


def test_intake_to_json_writes_defaults_out():
    assert intake_to_json(parse_intake({"pain": [{"zone": "calf"}]})) == {
        "pain": [{"zone": "calf", "side": "both", "intensity": 5}],
        "factors": [],
        "red_flags": [],
    }


def test_the_vocabulary_comes_from_the_database():
    vocabulary = load_vocabulary()

    assert len(vocabulary.zones) == 42
    assert "night-cramps" in vocabulary.factors
    assert "clot-history" in vocabulary.red_flags


# Property test: anything JSON-ish gives an IntakeInput or an IntakeJSONError, never a crash.
# The vocabulary comes from the data files so hypothesis needs no database per example.
_DATA = read_data()
VOCABULARY = IntakeVocabulary(
    zones=frozenset(zone["slug"] for zone in _DATA["zones"]),
    factors=frozenset(factor["slug"] for factor in _DATA["factors"]),
    red_flags=frozenset(flag["slug"] for flag in _DATA["red_flags"]),
)
_slugs = st.sampled_from(sorted(VOCABULARY.zones | VOCABULARY.factors | VOCABULARY.red_flags))
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-20, 20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | _slugs
    | st.sampled_from(["left", "right", "both", "zone", "side", "intensity"])
)
_json_ish = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["pain", "factors", "red_flags", "zone", "side", "intensity"])
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
_pain_report = st.dictionaries(
    st.sampled_from(["zone", "side", "intensity"]),
    _scalars | st.sampled_from(sorted(VOCABULARY.zones)),
)
_intake_ish = st.fixed_dictionaries(
    {},
    optional={
        "pain": st.lists(_pain_report, max_size=4) | _json_ish,
        "factors": st.lists(_slugs | _scalars, max_size=4) | _json_ish,
        "red_flags": st.lists(_slugs | _scalars, max_size=3) | _json_ish,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=_json_ish
    | _intake_ish
    | _intake_ish.map(json.dumps)
    | st.text(max_size=40)
    | st.binary(max_size=40)
)
def test_parse_intake_never_raises_anything_but_intake_json_error(source):
    try:
        intake = parse_intake(source, vocabulary=VOCABULARY)
    except IntakeJSONError as error:
        assert error.errors
        assert str(error)
    else:
        assert isinstance(intake, IntakeInput)
        assert all(0 <= report.intensity <= 10 for report in intake.pain)
        assert all(report.zone in VOCABULARY.zones for report in intake.pain)
