import itertools

import pytest

from knowledge import suggest as engine
from knowledge.intake_json import IntakeInput, PainReport, parse_intake
from knowledge.models import EngineWeight, Muscle, MuscleFactor, Referral
from knowledge.suggest import (
    DEFAULT_WEIGHTS,
    Knowledge,
    ZoneLink,
    current_knowledge,
    rank,
    suggest,
    suggest_many,
)

pytestmark = pytest.mark.django_db


def make_knowledge(
    muscles: dict[str, dict], *, weights: dict[str, float] | None = None, low: tuple = ()
) -> Knowledge:
    """A snapshot built by hand: {slug: {"essential": [...], "spillover": [...], "factors":
    {factor: weight}}}, one trigger point per muscle labelled "<slug> TrP"."""
    zone_links: dict[str, list[ZoneLink]] = {}
    factor_links: dict[str, list[tuple[str, float]]] = {}
    for slug, spec in sorted(muscles.items()):
        for kind in ("essential", "spillover"):
            for zone in spec.get(kind, ()):
                zone_links.setdefault(zone, []).append(
                    ZoneLink(muscle=slug, kind=kind, trigger_points=(f"{slug} TrP",))
                )
        for factor, weight in spec.get("factors", {}).items():
            factor_links.setdefault(factor, []).append((slug, weight))
    factors = {factor for spec in muscles.values() for factor in spec.get("factors", {})}
    return Knowledge(
        muscle_names={slug: spec.get("name", slug.title()) for slug, spec in muscles.items()},
        low_confidence=frozenset(low),
        tp_order={slug: {f"{slug} TrP": 0} for slug in muscles},
        zone_links={zone: tuple(links) for zone, links in zone_links.items()},
        factor_links={factor: tuple(pairs) for factor, pairs in factor_links.items()},
        factor_reasons={f: engine.factor_reason(f, "symptom") for f in factors},
        weights={**DEFAULT_WEIGHTS, **(weights or {})},
    )


def intake(*zones, factors=()) -> IntakeInput:
    """intake(("calf", 6), "shin", factors=["running"]): zones with intensity (default 5)."""
    reports = []
    for zone in zones:
        name, intensity = zone if isinstance(zone, tuple) else (zone, 5)
        reports.append(PainReport(zone=name, intensity=intensity))
    return IntakeInput(pain=tuple(reports), factors=tuple(factors))


def slugs(suggestions) -> list[str]:
    return [suggestion.muscle for suggestion in suggestions]


# -- the rules, on hand-made knowledge ------------------------------------------------------


def test_factors_alone_never_make_a_candidate():
    knowledge = make_knowledge({"alpha": {"essential": ["calf"], "factors": {"night-cramps": 1.0}}})

    assert rank(intake(factors=["night-cramps"]), knowledge) == []
    assert rank(intake("shin", factors=["night-cramps"]), knowledge) == []


def test_only_muscles_referring_to_a_pain_zone_are_suggested():
    knowledge = make_knowledge(
        {
            "alpha": {"essential": ["calf"]},
            "beta": {"essential": ["shin"], "factors": {"running": 1.0}},
        }
    )

    assert slugs(rank(intake("calf", factors=["running"]), knowledge)) == ["alpha"]


def test_an_essential_zone_ranks_above_a_spillover_zone():
    knowledge = make_knowledge({"alpha": {"spillover": ["calf"]}, "beta": {"essential": ["calf"]}})

    ranking = rank(intake("calf"), knowledge)

    assert slugs(ranking) == ["beta", "alpha"]
    assert ranking[0].score > ranking[1].score


def test_higher_intensity_counts_more():
    knowledge = make_knowledge({"alpha": {"essential": ["calf"]}, "beta": {"essential": ["shin"]}})

    assert slugs(rank(intake(("calf", 3), ("shin", 8)), knowledge)) == ["beta", "alpha"]
    assert slugs(rank(intake(("calf", 8), ("shin", 3)), knowledge)) == ["alpha", "beta"]
    low, high = (rank(intake(("calf", n)), knowledge)[0].score for n in (1, 9))
    assert high > low


def test_more_covered_zones_count_more():
    knowledge = make_knowledge(
        {"alpha": {"essential": ["calf"]}, "beta": {"essential": ["calf"], "spillover": ["shin"]}}
    )

    ranking = rank(intake("calf", "shin"), knowledge)

    assert slugs(ranking) == ["beta", "alpha"]
    assert ranking[0].zones == ("calf", "shin")
    assert ranking[1].zones == ("calf",)


def test_a_linked_factor_decides_between_muscles_sharing_a_zone():
    knowledge = make_knowledge(
        {
            "alpha": {"essential": ["posterior-knee"]},
            "beta": {"essential": ["posterior-knee"], "factors": {"night-cramps": 1.0}},
        }
    )

    assert slugs(rank(intake("posterior-knee"), knowledge)) == ["alpha", "beta"]
    assert slugs(rank(intake("posterior-knee", factors=["night-cramps"]), knowledge)) == [
        "beta",
        "alpha",
    ]


def test_a_stronger_factor_link_counts_more():
    knowledge = make_knowledge(
        {
            "alpha": {"essential": ["calf"], "factors": {"running": 0.4}},
            "beta": {"essential": ["calf"], "factors": {"running": 0.7}},
        }
    )

    assert slugs(rank(intake("calf", factors=["running"]), knowledge)) == ["beta", "alpha"]


def test_factor_weights_are_capped_at_max_factor_total():
    factors = {f"f{n}": 1.0 for n in range(5)}
    knowledge = make_knowledge(
        {"alpha": {"essential": ["calf"], "factors": factors}}, weights={"max_factor_total": 2.0}
    )

    two, five = (rank(intake("calf", factors=list(factors)[:n]), knowledge)[0] for n in (2, 5))

    assert two.score == five.score
    assert len(five.reasons) == 6  # the zone and every linked factor


def test_a_low_confidence_muscle_is_scaled_down():
    knowledge = make_knowledge(
        {"alpha": {"essential": ["calf"]}, "beta": {"essential": ["calf"]}},
        low=("alpha",),
        weights={"low_confidence_factor": 0.5, "score_half_point": 1.0},
    )

    ranking = rank(intake(("calf", 10)), knowledge)

    assert slugs(ranking) == ["beta", "alpha"]
    assert ranking[0].score == 0.5  # raw 1.0
    assert ranking[1].score == 0.33  # raw 0.5
    assert ranking[1].reasons[-1] == "low-confidence entry in the knowledge base: score reduced"


def test_ties_are_broken_by_name_and_the_ranking_never_changes():
    knowledge = make_knowledge(
        {
            "zeta": {"essential": ["calf"], "name": "Alpha muscle"},
            "alpha": {"essential": ["calf"], "name": "Zeta muscle"},
            "mid": {"essential": ["calf"], "name": "Mid muscle"},
        }
    )

    rankings = {tuple(slugs(rank(intake("calf"), knowledge))) for _ in range(5)}

    assert rankings == {("zeta", "mid", "alpha")}


def test_the_order_of_factors_in_the_intake_does_not_change_the_ranking():
    knowledge = make_knowledge(
        {
            "alpha": {"essential": ["calf"], "factors": {"a": 0.3, "b": 0.4, "c": 0.3}},
            "beta": {"essential": ["calf"], "factors": {"a": 0.4, "b": 0.3, "c": 0.3}},
        }
    )

    results = {
        tuple((s.muscle, s.score) for s in rank(intake("calf", factors=order), knowledge))
        for order in itertools.permutations(["a", "b", "c"])
    }

    assert len(results) == 1
    assert [muscle for muscle, _ in results.pop()] == ["alpha", "beta"]  # tie: by name


def test_scores_are_between_0_and_1_with_two_decimals():
    knowledge = make_knowledge(
        {
            "alpha": {
                "essential": ["calf", "shin", "achilles"],
                "factors": {"a": 1.0, "b": 1.0, "c": 1.0},
            },
            "beta": {"spillover": ["calf"]},
        }
    )

    strong = intake(("calf", 10), ("shin", 10), "achilles", factors="abc")

    for suggestion in rank(strong, knowledge):
        assert 0 < suggestion.score < 1
        assert suggestion.score == round(suggestion.score, 2)


def test_reasons_list_exactly_what_contributed():
    knowledge = make_knowledge(
        {
            "alpha": {
                "essential": ["calf"],
                "spillover": ["shin"],
                "factors": {"night-cramps": 1.0, "running": 0.4, "cycling": 0.0},
            },
        }
    )

    (suggestion,) = rank(
        intake("calf", "shin", "big-toe", factors=["running", "cycling", "night-cramps", "swim"]),
        knowledge,
    )

    assert suggestion.reasons == (
        "essential referral zone: calf",
        "spillover referral zone: shin",
        "symptom: night cramps",
        "symptom: running",
    )
    assert suggestion.zones == ("calf", "shin")
    assert suggestion.trigger_points == ("alpha TrP",)


def test_the_stronger_report_speaks_for_a_zone_given_for_each_side():
    knowledge = make_knowledge({"alpha": {"essential": ["calf"]}})
    both_sides = IntakeInput(
        pain=(
            PainReport(zone="calf", side="left", intensity=2),
            PainReport(zone="calf", side="right", intensity=8),
        )
    )

    (suggestion,) = rank(both_sides, knowledge)

    assert suggestion.score == rank(intake(("calf", 8)), knowledge)[0].score
    assert suggestion.zones == ("calf",)


def test_limit_cuts_the_list_and_none_returns_every_candidate():
    knowledge = make_knowledge({f"m{n:02}": {"essential": ["calf"]} for n in range(15)})

    assert len(rank(intake("calf"), knowledge)) == 10
    assert len(rank(intake("calf"), knowledge, limit=3)) == 3
    assert len(rank(intake("calf"), knowledge, limit=None)) == 15


# -- on the shipped knowledge base ----------------------------------------------------------


def test_the_documented_example_suggests_rectus_femoris_with_its_reasons():
    ranking = suggest(
        parse_intake(
            {
                "pain": [
                    {"zone": "anterior-knee", "side": "left", "intensity": 6},
                    {"zone": "anterior-thigh", "side": "left", "intensity": 3},
                ],
                "factors": ["running", "stair-climbing", "patellofemoral-pain", "sleep-disturbed"],
            }
        )
    )

    first = ranking[0]
    assert first.muscle == "rectus-femoris"
    assert first.name == "Rectus femoris"
    assert "essential referral zone: anterior knee" in first.reasons
    assert "activating activity: running" in first.reasons
    assert "diagnosis it can mimic: patellofemoral pain" in first.reasons
    assert "anterior-knee" in first.zones


def test_reasons_name_each_kind_of_factor():
    (first, *_) = suggest(
        parse_intake({"pain": [{"zone": "lateral-ankle"}], "factors": ["high-heels", "fracture"]})
    )

    assert "footwear: high heels" in first.reasons
    assert "injury or history: fracture" in first.reasons


def test_every_muscle_is_suggested_for_its_own_essential_zones():
    knowledge = current_knowledge()
    for muscle in Muscle.objects.with_referrals():
        zones = {
            referral.zone.slug
            for tp in muscle.trigger_points.all()
            for referral in tp.referrals.all()
            if referral.kind == "essential"
        }
        ranking = rank(intake(*sorted(zones)), knowledge, limit=None)
        assert muscle.slug in slugs(ranking), muscle.slug


def test_a_warm_suggestion_costs_one_query(django_assert_num_queries):
    calf = parse_intake({"pain": [{"zone": "calf"}]})
    suggest(calf)

    with django_assert_num_queries(1):  # the version check
        suggest(calf)
    with django_assert_num_queries(1):
        assert len(suggest_many([calf] * 50)) == 50


def test_a_factor_link_edit_changes_the_next_suggestion():
    knee = parse_intake({"pain": [{"zone": "posterior-knee"}], "factors": ["night-cramps"]})
    assert suggest(knee)[0].muscle == "gastrocnemius"

    MuscleFactor.objects.filter(muscle__slug="gastrocnemius", factor__slug="night-cramps").delete()
    MuscleFactor.objects.filter(muscle__slug="popliteus").update(weight=0)
    link = MuscleFactor.objects.get(muscle__slug="plantaris", factor__slug="night-cramps")
    link.weight = 1.0
    link.save()

    first = suggest(knee)[0]
    assert first.muscle == "plantaris"
    assert "symptom: night cramps" in first.reasons


def test_a_referral_edit_changes_the_next_suggestion():
    calf = parse_intake({"pain": [{"zone": "calf"}]})
    soleus = next(s for s in suggest(calf, limit=None) if s.muscle == "soleus")
    assert soleus.reasons == ("spillover referral zone: calf",)

    referral = Referral.objects.get(trigger_point__muscle__slug="soleus", zone__slug="calf")
    referral.kind = "essential"
    referral.save()

    soleus = next(s for s in suggest(calf, limit=None) if s.muscle == "soleus")
    assert soleus.reasons == ("essential referral zone: calf",)

    referral.delete()
    assert "soleus" not in slugs(suggest(calf, limit=None))


def test_an_engine_weight_edit_changes_the_next_suggestion():
    calf = parse_intake({"pain": [{"zone": "calf", "intensity": 10}]})
    before = suggest(calf)[0].score

    weight = EngineWeight.objects.get(key="score_half_point")
    weight.value = 3.0
    weight.save()

    assert suggest(calf)[0].score < before
    EngineWeight.objects.filter(key="essential_zone").update(value=0.1)
    # Essential zones now weigh less than spillover zones, so the order turns round.
    assert Referral.objects.filter(zone__slug="calf", kind="spillover").exists()
    first = suggest(calf)[0]
    assert first.reasons == ("spillover referral zone: calf",)


def test_a_muscle_set_to_low_confidence_is_scaled_down_at_once():
    heel = parse_intake({"pain": [{"zone": "medial-heel"}]})
    before = suggest(heel)[0]
    assert before.muscle == "abductor-hallucis"

    Muscle.objects.filter(slug="abductor-hallucis").update(confidence="low")

    after = suggest(heel)[0]
    assert after.score < before.score
    assert after.reasons[-1] == "low-confidence entry in the knowledge base: score reduced"
