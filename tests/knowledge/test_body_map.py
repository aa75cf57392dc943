"""The body map drawing (knowledge.body_map) and its template component. No database needed."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from knowledge.body_map import (
    CHART_LABEL_LAYOUT,
    VIEW_BY_KEY,
    VIEWS,
    ZONE_SHAPES,
    build_map,
)

# Where each zone must be drawn, as the issue assigns them.
# fmt: off
EXPECTED_VIEWS = {
    "front": [
        "lower-abdomen", "groin", "genitals", "deep-pelvis", "anterior-hip", "anterior-thigh",
        "medial-thigh", "lateral-thigh", "anterior-knee", "medial-knee", "lateral-knee", "shin",
        "lateral-leg", "anterior-ankle", "medial-ankle", "lateral-ankle", "dorsum-of-foot",
        "lateral-foot", "big-toe", "lesser-toes",
    ],
    "back": [
        "low-back", "sacroiliac", "sacrum", "coccyx", "iliac-crest", "buttock", "lower-buttock",
        "lateral-hip", "posterior-thigh", "posterior-knee", "calf", "medial-calf", "achilles",
        "posterior-heel",
    ],
    "sole": [
        "plantar-heel", "medial-heel", "lateral-heel", "arch", "sole", "ball-of-foot",
        "plantar-big-toe", "plantar-lesser-toes",
    ],
}
# fmt: on
EXPECTED_ZONES = {zone: view for view, zones in EXPECTED_VIEWS.items() for zone in zones}
MIDLINE = {"sacrum", "coccyx", "genitals", "deep-pelvis"}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def shape_of(zone: str, side: str):
    return next(s for s in ZONE_SHAPES[zone] if s.side == side)


def out_from_midline(zone: str, side: str = "left") -> float:
    shape = shape_of(zone, side)
    return abs(shape.label_x - VIEW_BY_KEY[shape.view].cx)


def map_shape(body_map, zone: str, side: str):
    return next(
        s
        for view in body_map["views"]
        for s in view["shapes"]
        if s["zone"] == zone and s["side"] == side
    )


# --- the drawing -------------------------------------------------------------------------------


def test_there_are_42_zones_in_three_views():
    assert len(EXPECTED_ZONES) == 42
    assert set(ZONE_SHAPES) == set(EXPECTED_ZONES)
    assert [view.key for view in VIEWS] == ["front", "back", "sole"]


@pytest.mark.parametrize("zone", sorted(EXPECTED_ZONES))
def test_every_zone_is_drawn_on_its_view(zone):
    shapes = ZONE_SHAPES[zone]
    assert shapes
    assert {shape.view for shape in shapes} == {EXPECTED_ZONES[zone]}
    for shape in shapes:
        assert shape.d.startswith("M") and shape.d.endswith("Z")


@pytest.mark.parametrize("zone", sorted(EXPECTED_ZONES))
def test_paired_zones_have_a_left_and_a_right_shape_and_midline_zones_one(zone):
    sides = sorted(shape.side for shape in ZONE_SHAPES[zone])
    assert sides == (["both"] if zone in MIDLINE else ["left", "right"])


@pytest.mark.parametrize("zone", sorted(EXPECTED_ZONES))
def test_shapes_stay_inside_their_canvas(zone):
    for shape in ZONE_SHAPES[zone]:
        view = VIEW_BY_KEY[shape.view]
        numbers = [float(n) for n in NUMBER.findall(shape.d)]
        xs, ys = numbers[0::2], numbers[1::2]
        assert min(xs) > 0 and max(xs) < view.width
        assert min(ys) > 0 and max(ys) < view.height


@pytest.mark.parametrize(
    ("view", "left_is_on_viewers_left"), [("front", False), ("back", True), ("sole", True)]
)
def test_the_persons_left_is_mirrored_only_in_the_front_view(view, left_is_on_viewers_left):
    cx = VIEW_BY_KEY[view].cx
    for zone in EXPECTED_VIEWS[view]:
        if zone in MIDLINE:
            continue
        left, right = shape_of(zone, "left"), shape_of(zone, "right")
        assert (left.label_x < cx) is left_is_on_viewers_left, zone
        assert (right.label_x < cx) is not left_is_on_viewers_left, zone
        assert left.label_y == right.label_y


@pytest.mark.parametrize(
    ("lateral", "medial"),
    [
        ("lateral-thigh", "medial-thigh"),
        ("lateral-knee", "medial-knee"),
        ("lateral-knee", "anterior-knee"),
        ("lateral-leg", "shin"),
        ("lateral-ankle", "medial-ankle"),
        ("lateral-foot", "big-toe"),
        ("lesser-toes", "big-toe"),
        ("lateral-hip", "buttock"),
        ("calf", "medial-calf"),
        ("buttock", "sacroiliac"),
        ("lateral-heel", "medial-heel"),
        ("sole", "arch"),
        ("plantar-lesser-toes", "plantar-big-toe"),
    ],
)
def test_lateral_zones_lie_further_from_the_midline_than_medial_ones(lateral, medial):
    assert out_from_midline(lateral) > out_from_midline(medial)


@pytest.mark.parametrize(
    "top_to_bottom",
    [
        [
            "lower-abdomen",
            "groin",
            "anterior-thigh",
            "anterior-knee",
            "shin",
            "anterior-ankle",
            "dorsum-of-foot",
            "big-toe",
        ],
        ["deep-pelvis", "genitals", "medial-thigh", "medial-knee"],
        [
            "low-back",
            "sacrum",
            "coccyx",
            "lower-buttock",
            "posterior-thigh",
            "posterior-knee",
            "calf",
            "achilles",
            "posterior-heel",
        ],
        ["iliac-crest", "buttock", "lower-buttock"],
        ["plantar-big-toe", "ball-of-foot", "arch", "plantar-heel"],
        ["plantar-lesser-toes", "ball-of-foot", "sole", "lateral-heel"],
    ],
)
def test_zones_follow_each_other_down_the_body(top_to_bottom):
    heights = [shape_of(z, "both" if z in MIDLINE else "left").label_y for z in top_to_bottom]
    assert heights == sorted(heights)
    assert len(set(heights)) == len(heights)


def test_the_achilles_sits_right_above_the_back_of_the_heel():
    achilles, heel = shape_of("achilles", "left"), shape_of("posterior-heel", "left")
    assert abs(achilles.label_x - heel.label_x) < 4
    assert 0 < heel.label_y - achilles.label_y < 70


def test_each_zone_has_one_chart_label_on_its_view():
    for view in VIEWS:
        labelled = [label.zone for label in CHART_LABEL_LAYOUT[view.key]]
        assert sorted(labelled) == sorted(EXPECTED_VIEWS[view.key])


def test_chart_labels_do_not_overlap():
    for view in VIEWS:
        for anchor in ("start", "end"):
            ys = sorted(lab.y for lab in CHART_LABEL_LAYOUT[view.key] if lab.anchor == anchor)
            assert all(b - a >= 14 for a, b in itertools.pairwise(ys)), view.key


# --- build_map: marks --------------------------------------------------------------------------


def test_an_unmarked_map_has_plain_shapes_and_no_summary():
    body_map = build_map()
    shapes = [s for view in body_map["views"] for s in view["shapes"]]
    assert len(shapes) == 38 * 2 + 4
    assert all(s["level"] is None and s["fill_opacity"] == 0 for s in shapes)
    assert all("bm-zone--essential" not in s["classes"] for s in shapes)
    assert body_map["summary"] == []
    assert body_map["fieldsets"] == []


def test_an_essential_mark_colours_only_its_side():
    body_map = build_map([{"zone": "anterior-knee", "side": "left", "level": "essential"}])
    left, right = (
        map_shape(body_map, "anterior-knee", "left"),
        map_shape(body_map, "anterior-knee", "right"),
    )
    assert "bm-zone--essential" in left["classes"].split()
    assert left["fill_opacity"] > 0.5
    assert right["level"] is None and "bm-zone--essential" not in right["classes"]
    assert left["title"] == "Anterior knee, left: essential referral zone"


def test_a_mark_on_both_sides_colours_both_shapes():
    body_map = build_map([{"zone": "calf", "side": "both", "level": "spillover"}])
    for side in ("left", "right"):
        shape = map_shape(body_map, "calf", side)
        assert "bm-zone--spillover" in shape["classes"].split()
        assert 0 < shape["fill_opacity"] < 0.9


def test_a_one_sided_mark_on_a_midline_zone_marks_the_midline_shape():
    body_map = build_map([{"zone": "sacrum", "side": "left", "level": "essential"}])
    assert map_shape(body_map, "sacrum", "both")["level"] == "essential"


def test_pain_is_shaded_by_intensity():
    body_map = build_map(
        [
            {"zone": "shin", "side": "right", "level": "pain", "intensity": 2},
            {"zone": "shin", "side": "left", "level": "pain", "intensity": 9},
        ]
    )
    light, dark = map_shape(body_map, "shin", "right"), map_shape(body_map, "shin", "left")
    assert "bm-pain-2" in light["classes"].split() and "bm-zone--pain" in light["classes"].split()
    assert "bm-pain-9" in dark["classes"].split()
    assert light["fill_opacity"] < dark["fill_opacity"]
    assert dark["title"] == "Shin, left: pain 9/10"


def test_pain_without_intensity_counts_as_five_and_level_defaults_to_pain():
    body_map = build_map([{"zone": "arch"}])
    for side in ("left", "right"):
        shape = map_shape(body_map, "arch", side)
        assert (shape["level"], shape["intensity"]) == ("pain", 5)


def test_the_strongest_mark_wins_and_the_highest_pain():
    body_map = build_map(
        [
            {"zone": "groin", "side": "left", "level": "spillover"},
            {"zone": "groin", "side": "left", "level": "essential"},
            {"zone": "groin", "side": "left", "level": "spillover"},
            {"zone": "groin", "side": "right", "level": "pain", "intensity": 3},
            {"zone": "groin", "side": "both", "level": "pain", "intensity": 7},
            {"zone": "groin", "side": "right", "level": "essential"},
        ]
    )
    left, right = map_shape(body_map, "groin", "left"), map_shape(body_map, "groin", "right")
    assert (left["level"], left["intensity"]) == ("pain", 7)
    assert (right["level"], right["intensity"]) == ("pain", 7)
    body_map = build_map(
        [
            {"zone": "groin", "side": "left", "level": "essential"},
            {"zone": "groin", "side": "left", "level": "spillover"},
        ]
    )
    assert map_shape(body_map, "groin", "left")["level"] == "essential"


def test_an_unknown_zone_is_skipped_but_a_malformed_mark_is_an_error():
    assert build_map([{"zone": "elbow", "side": "left", "level": "pain"}])["summary"] == []
    with pytest.raises(ValueError, match="level"):
        build_map([{"zone": "shin", "side": "left", "level": "severe"}])
    with pytest.raises(ValueError, match="side"):
        build_map([{"zone": "shin", "side": "middle", "level": "pain"}])
    with pytest.raises(ValueError, match="0-10"):
        build_map([{"zone": "shin", "side": "left", "level": "pain", "intensity": 11}])
    with pytest.raises(ValueError, match="mode"):
        build_map(mode="edit")  # type: ignore[arg-type]


def test_the_summary_says_the_marks_in_words_with_the_given_names():
    body_map = build_map(
        [
            {"zone": "achilles", "side": "right", "level": "pain", "intensity": 4},
            {"zone": "coccyx", "level": "essential"},
        ],
        zone_names={"achilles": "Achilles tendon", "coccyx": "Tailbone (coccyx)"},
    )
    assert [item["text"] for item in body_map["summary"]] == [
        "Tailbone (coccyx): essential referral zone",
        "Achilles tendon, right: pain 4 out of 10",
    ]


def test_chart_labels_of_marked_zones_stand_out():
    body_map = build_map([{"zone": "calf", "side": "left", "level": "pain", "intensity": 5}])
    back = next(v for v in body_map["views"] if v["key"] == "back")
    classes = {label["zone"]: label["classes"] for label in back["labels"]}
    assert classes["calf"] == "bm-label bm-label--marked"
    assert classes["achilles"] == "bm-label"


def test_numbers_come_out_as_strings_for_the_template():
    view = build_map()["views"][0]
    label = view["labels"][0]
    assert all(isinstance(label[k], str) for k in ("x", "y", "x1", "y1", "x2", "y2"))
    assert "," not in view["shapes"][0]["d"]


# --- build_map: input --------------------------------------------------------------------------


def test_input_mode_offers_one_checkbox_per_zone_and_side():
    body_map = build_map(mode="input")
    options = [o for fs in body_map["fieldsets"] for row in fs["zones"] for o in row["options"]]
    values = [o["value"] for o in options]
    assert len(values) == len(set(values)) == 80
    expected = {
        f"{zone}:{side}"
        for zone in EXPECTED_ZONES
        for side in (("both",) if zone in MIDLINE else ("left", "right"))
    }
    assert set(values) == expected


def test_selected_values_tick_their_checkboxes_and_shapes():
    body_map = build_map(
        mode="input", selected=["shin:left", "sacrum:both", "calf:both", "nonsense", "heel:left"]
    )
    options = {
        o["value"]: o["checked"]
        for fs in body_map["fieldsets"]
        for row in fs["zones"]
        for o in row["options"]
    }
    assert {v for v, checked in options.items() if checked} == {
        "shin:left",
        "sacrum:both",
        "calf:left",
        "calf:right",
    }
    assert map_shape(body_map, "shin", "left")["selected"] is True
    assert "is-selected" in map_shape(body_map, "shin", "left")["classes"].split()
    assert map_shape(body_map, "shin", "right")["selected"] is False


def test_display_mode_ignores_the_selection():
    body_map = build_map(selected=["shin:left"])
    assert map_shape(body_map, "shin", "left")["selected"] is False


# --- the template tag --------------------------------------------------------------------------


@pytest.fixture
def render():
    """Render `{% body_map ... %}` with the project's template settings."""

    def _render(arguments: str, **context) -> str:
        return Template("{% load body_map %}{% body_map " + arguments + " %}").render(
            Context(context)
        )

    return _render


class _Collector(HTMLParser):
    """Every start tag with its attributes, and the text inside <title> and <label>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_the_tag_renders_the_input_checkboxes_as_the_form_field(render):
    html = render(
        'mode="input" name="pain_zones" selected=selected id_prefix="intake"',
        selected=["anterior-knee:left", "genitals:both"],
    )
    page = parse(html)
    boxes = [a for tag, a in page.tags if tag == "input"]
    assert len(boxes) == 80
    assert all(a["type"] == "checkbox" and a["name"] == "pain_zones" for a in boxes)
    assert {a["value"] for a in boxes if "checked" in a} == {"anterior-knee:left", "genitals:both"}
    ids = [a["id"] for a in boxes]
    assert len(set(ids)) == 80 and all(i.startswith("intake-") for i in ids)
    labels = {a["for"] for tag, a in page.tags if tag == "label"}
    assert set(ids) <= labels
    assert sum(tag == "fieldset" for tag, _ in page.tags) >= 9


def test_the_tag_renders_focusable_shapes_in_input_mode(render):
    html = render('mode="input" selected=selected', selected=["calf:right"])
    shapes = [a for tag, a in parse(html).tags if tag == "path" and "data-zone" in a]
    assert len(shapes) == 80
    for a in shapes:
        assert a["tabindex"] == "0" and a["role"] == "checkbox"
        assert a["aria-label"]
        assert a["aria-checked"] == (
            "true" if (a["data-zone"], a["data-side"]) == ("calf", "right") else "false"
        )
    assert "<title>Calf, right</title>" in html


def test_the_tag_renders_marks_titles_labels_and_a_legend_in_display_mode(render):
    html = render(
        "marks=marks",
        marks=[
            {"zone": "posterior-knee", "side": "left", "level": "essential"},
            {"zone": "plantar-heel", "side": "right", "level": "pain", "intensity": 8},
        ],
    )
    page = parse(html)
    assert not [a for tag, a in page.tags if tag == "input"]
    shapes = [a for tag, a in page.tags if tag == "path" and "data-zone" in a]
    assert len(shapes) == 80
    assert not any("tabindex" in a or "role" in a for a in shapes)
    knee = next(
        a for a in shapes if a["data-zone"] == "posterior-knee" and a["data-side"] == "left"
    )
    assert "bm-zone--essential" in knee["class"].split()
    heel = next(a for a in shapes if a["data-zone"] == "plantar-heel" and a["data-side"] == "right")
    assert {"bm-zone--pain", "bm-pain-8"} <= set(heel["class"].split())
    for text in [
        "Front",
        "Back",
        "Soles",
        "Right",
        "Left",
        "Kneecap",
        "Achilles",
        "Heel pad",
        "Essential referral zone",
        "Felt deep inside",
        "Posterior knee, left: essential referral zone",
        "Plantar heel, right: pain 8 out of 10",
    ]:
        assert text in page.texts or text in html, text
    assert "Spillover zone" not in page.texts  # the legend explains only what is on the map
    assert 'class="bm-scale"' in html


def test_the_component_needs_no_inline_style_or_script(render):
    """The Content-Security-Policy forbids inline styles and scripts."""
    html = render('mode="input"') + render("")
    tags = parse(html).tags
    assert not any("style" in a for _, a in tags)
    assert not any(name.startswith("on") for _, a in tags for name in a)
    assert "<style" not in html
    scripts = [a for tag, a in tags if tag == "script"]
    assert scripts and all(a.get("src", "").endswith("js/body_map.js") for a in scripts)


def test_the_svgs_scale_with_their_container(render):
    # (the parser lowercases attribute names)
    main = [a for tag, a in parse(render("")).tags if tag == "svg" and a.get("class") == "bm-svg"]
    assert [a["viewbox"] for a in main] == [v.view_box for v in VIEWS]
    assert all(a["width"] == "100%" for a in main)


def test_the_legend_explains_the_levels_on_the_map():
    def legend(marks):
        return [item["key"] for item in build_map(marks)["legend"]]

    assert legend(None) == ["essential", "spillover", "deep"]
    assert legend([{"zone": "calf", "level": "spillover"}]) == ["spillover", "deep"]
    assert build_map([{"zone": "calf", "level": "spillover"}])["pain_scale"] == []
    assert len(build_map([{"zone": "calf", "intensity": 3}])["pain_scale"]) == 11
    assert [i["key"] for i in build_map(mode="input")["legend"]] == ["selected", "deep"]


# --- the display map written without build_map's dicts (knowledge.body_map_html.render_display)


def _random_display_maps(count: int):
    """Marks of every level, side and intensity, outlines, names needing escapes, prefixes."""
    import random

    from knowledge.body_map import ZONE_SLUGS

    rnd = random.Random(8)
    for _ in range(count):
        marks = []
        for _ in range(rnd.randint(0, 8)):
            mark = {"zone": rnd.choice(ZONE_SLUGS), "side": rnd.choice(["left", "right", "both"])}
            level = rnd.choice(["pain", "essential", "spillover", None])
            if level:
                mark["level"] = level
            if level in ("pain", None) and rnd.random() < 0.8:
                mark["intensity"] = rnd.randint(0, 10)
            marks.append(mark)
        outlined = [
            f"{rnd.choice(ZONE_SLUGS)}:{rnd.choice(['left', 'right', 'both'])}"
            for _ in range(rnd.randint(0, 3))
        ]
        names = None
        if rnd.random() < 0.7:
            names = {zone: f'<{zone}> & "it\'s"' for zone in rnd.sample(ZONE_SLUGS, 10)}
        yield marks, outlined, names, rnd.choice(["bm", "review-bm", 'a"<b'])


def test_a_display_map_written_directly_is_the_one_render_map_writes():
    from knowledge.body_map_html import render_display, render_map

    for marks, outlined, names, prefix in [
        (None, (), None, "bm"),
        *_random_display_maps(150),
    ]:
        built = build_map(marks, mode="display", zone_names=names, outlined=outlined)
        assert render_display(
            marks, zone_names=names, outlined=outlined, id_prefix=prefix
        ) == render_map(built, id_prefix=prefix)


def test_a_display_map_still_refuses_a_malformed_mark():
    from knowledge.body_map_html import render_display

    with pytest.raises(ValueError, match="intensity"):
        render_display([{"zone": "calf", "intensity": 11}])
