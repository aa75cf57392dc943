"""The body map: a drawing of the lower body and pelvis with one shape per zone.

Three views: the front, the back, and both soles. Everything here is plain Python (no database),
so the drawing can be tested and rendered anywhere; the template component
(`{% body_map %}` in `knowledge/templatetags/body_map.py`) iterates what `build_map` returns.

How the drawing is authored. Each view is symmetrical about a vertical centre line, so shapes are
written once, for one half, in *half-view* coordinates `(m, y)`: `m` is the distance from the
centre line (bigger = further out, that is lateral for a leg) and `y` runs down the view. A paired
zone is then mirrored to both halves; a midline zone is drawn once across the centre line.

Most zones are *regions* written in `(t, y)`: `t` runs across the limb from its medial edge
(`t=0`) to its lateral edge (`t=1`) at height `y`. A region whose edge is at `t=0` or `t=1`
follows the silhouette exactly, so strips of thigh, knee and leg tile the limb without
hand-fitting every outline point. Round features (kneecap, ankle bones, toes, heel pad) are
ellipses, and a few irregular ones (buttock, iliac crest, sacrum) are smooth closed curves.

Which half is the person's left depends on the view: the front view shows a person facing you, so
their right leg is on the viewer's left; the back view and the soles (seen from below, as when the
person lies face down) show their left on the viewer's left. Medial is toward the centre line in
every view.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

logger = logging.getLogger(__name__)

ViewKey = Literal["front", "back", "sole"]
Side = Literal["left", "right", "both"]
Level = Literal["essential", "spillover", "pain"]
Mode = Literal["display", "input"]

SIDES: tuple[Side, ...] = ("left", "right", "both")
LEVELS: tuple[Level, ...] = ("essential", "spillover", "pain")
MODES: tuple[Mode, ...] = ("display", "input")


@dataclass(frozen=True)
class View:
    """One drawing: its title, its SVG canvas and which of the person's sides is on the left."""

    key: ViewKey
    title: str
    width: int
    height: int
    viewer_left: Literal["left", "right"]  # the person's side drawn on the viewer's left

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def cx(self) -> float:
        return self.width / 2


@dataclass(frozen=True)
class Shape:
    """One clickable shape of a zone: an SVG path `d` and the point its chart label points to."""

    view: ViewKey
    side: Side
    d: str
    label_x: float
    label_y: float


VIEWS: tuple[View, ...] = (
    View("front", "Front", 400, 660, viewer_left="right"),
    View("back", "Back", 400, 660, viewer_left="left"),
    View("sole", "Soles", 400, 400, viewer_left="left"),
)
VIEW_BY_KEY: dict[str, View] = {view.key: view for view in VIEWS}

# Areas as in shared/domain.md, in its order; the input list groups its checkboxes by area.
AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "trunk-pelvis",
        "Trunk and pelvis",
        (
            "low-back",
            "sacroiliac",
            "sacrum",
            "coccyx",
            "iliac-crest",
            "lower-abdomen",
            "groin",
            "genitals",
            "deep-pelvis",
        ),
    ),
    ("hip-buttock", "Hip and buttock", ("buttock", "lower-buttock", "lateral-hip", "anterior-hip")),
    ("thigh", "Thigh", ("anterior-thigh", "lateral-thigh", "medial-thigh", "posterior-thigh")),
    ("knee", "Knee", ("anterior-knee", "medial-knee", "lateral-knee", "posterior-knee")),
    ("leg", "Lower leg", ("shin", "lateral-leg", "calf", "medial-calf")),
    ("ankle", "Ankle", ("anterior-ankle", "lateral-ankle", "medial-ankle", "achilles")),
    ("heel", "Heel", ("posterior-heel", "plantar-heel", "medial-heel", "lateral-heel")),
    ("foot", "Foot", ("arch", "sole", "ball-of-foot", "dorsum-of-foot", "lateral-foot")),
    ("toes", "Toes", ("big-toe", "plantar-big-toe", "lesser-toes", "plantar-lesser-toes")),
)
ZONE_SLUGS: tuple[str, ...] = tuple(slug for _, _, slugs in AREAS for slug in slugs)

# Labels written on the drawing. They are short on purpose: the full names from the database
# (`zone_names`) are long ("Top of the hip bone (iliac crest)") and go in tooltips, accessible
# names and the checkbox list instead.
CHART_LABELS: dict[str, str] = {
    "low-back": "Low back",
    "sacroiliac": "Sacroiliac",
    "sacrum": "Sacrum",
    "coccyx": "Tailbone",
    "iliac-crest": "Iliac crest",
    "lower-abdomen": "Lower abdomen",
    "groin": "Groin",
    "genitals": "Genitals",
    "deep-pelvis": "Deep pelvis",
    "buttock": "Buttock",
    "lower-buttock": "Lower buttock",
    "lateral-hip": "Outer hip",
    "anterior-hip": "Front of hip",
    "anterior-thigh": "Front thigh",
    "lateral-thigh": "Outer thigh",
    "medial-thigh": "Inner thigh",
    "posterior-thigh": "Back of thigh",
    "anterior-knee": "Kneecap",
    "medial-knee": "Inner knee",
    "lateral-knee": "Outer knee",
    "posterior-knee": "Back of knee",
    "shin": "Shin",
    "lateral-leg": "Outer leg",
    "calf": "Calf",
    "medial-calf": "Inner calf",
    "anterior-ankle": "Front of ankle",
    "lateral-ankle": "Outer ankle",
    "medial-ankle": "Inner ankle",
    "achilles": "Achilles",
    "posterior-heel": "Back of heel",
    "plantar-heel": "Heel pad",
    "medial-heel": "Inner heel",
    "lateral-heel": "Outer heel",
    "arch": "Arch",
    "sole": "Sole",
    "ball-of-foot": "Ball of foot",
    "dorsum-of-foot": "Top of foot",
    "lateral-foot": "Outer foot",
    "big-toe": "Big toe",
    "plantar-big-toe": "Big toe",
    "lesser-toes": "Other toes",
    "plantar-lesser-toes": "Other toes",
}

# ---------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------

Point = tuple[float, float]


class _Curve:
    """A smooth function m(y) through control points (y, m), by cubic Hermite interpolation.

    Tangents are centred differences (Catmull-Rom for uneven spacing), so the outline passes
    through every control point without the wiggles of a global polynomial.
    """

    def __init__(self, points: Sequence[Point]) -> None:
        self.ys = [y for y, _ in points]
        self.ms = [m for _, m in points]
        if self.ys != sorted(self.ys) or len(set(self.ys)) != len(self.ys):
            raise ValueError("control points must have increasing y")
        n = len(points)
        self.tangents = []
        for i in range(n):
            lo, hi = max(i - 1, 0), min(i + 1, n - 1)
            self.tangents.append((self.ms[hi] - self.ms[lo]) / (self.ys[hi] - self.ys[lo]))

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    def __call__(self, y: float) -> float:
        if y <= self.ys[0]:
            return self.ms[0]
        if y >= self.ys[-1]:
            return self.ms[-1]
        i = bisect.bisect_right(self.ys, y) - 1
        y0, y1 = self.ys[i], self.ys[i + 1]
        h = y1 - y0
        s = (y - y0) / h
        h00 = 2 * s**3 - 3 * s**2 + 1
        h10 = s**3 - 2 * s**2 + s
        h01 = -2 * s**3 + 3 * s**2
        h11 = s**3 - s**2
        return (
            h00 * self.ms[i]
            + h10 * h * self.tangents[i]
            + h01 * self.ms[i + 1]
            + h11 * h * self.tangents[i + 1]
        )


@dataclass(frozen=True)
class _Limb:
    """The lateral and medial edges of one half of a view, as functions of y.

    Above the top of `inner` (the crotch) the medial edge is the centre line itself.
    """

    outer: _Curve
    inner: _Curve

    def inner_at(self, y: float) -> float:
        return 0.0 if y < self.inner.top else self.inner(y)

    def m_at(self, t: float, y: float) -> float:
        lo = self.inner_at(y)
        return lo + t * (self.outer(y) - lo)


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _polyline_d(points: Sequence[Point], *, closed: bool) -> str:
    head, *rest = points
    parts = [f"M{_fmt(head[0])} {_fmt(head[1])}"]
    if rest:
        parts.append("L" + " ".join(f"{_fmt(x)} {_fmt(y)}" for x, y in rest))
    if closed:
        parts.append("Z")
    return "".join(parts)


def _smooth_closed_d(points: Sequence[Point]) -> str:
    """A closed curve through the points (Catmull-Rom turned into cubic Bézier segments)."""
    n = len(points)
    parts = [f"M{_fmt(points[0][0])} {_fmt(points[0][1])}"]
    for i in range(n):
        p0, p1, p2, p3 = points[i - 1], points[i], points[(i + 1) % n], points[(i + 2) % n]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        parts.append(
            f"C{_fmt(c1[0])} {_fmt(c1[1])} {_fmt(c2[0])} {_fmt(c2[1])} {_fmt(p2[0])} {_fmt(p2[1])}"
        )
    parts.append("Z")
    return "".join(parts)


def _ellipse_points(m: float, y: float, rx: float, ry: float, tilt: float = 0) -> list[Point]:
    """Points around an ellipse in half-view coordinates; `tilt` (degrees) leans its top outward."""
    angle = math.radians(tilt)
    points = []
    for k in range(16):
        a = 2 * math.pi * k / 16
        dm, dy = rx * math.cos(a), ry * math.sin(a)
        points.append(
            (
                m + dm * math.cos(angle) - dy * math.sin(angle),
                y + dm * math.sin(angle) + dy * math.cos(angle),
            )
        )
    return points


def _densify(corners: Sequence[Point], *, step_y: float = 5, step_t: float = 0.1) -> list[Point]:
    """Cut each edge of a closed (t, y) polygon so that its mapped outline follows the limb."""
    out: list[Point] = []
    for i, (t0, y0) in enumerate(corners):
        t1, y1 = corners[(i + 1) % len(corners)]
        n = max(1, math.ceil(max(abs(y1 - y0) / step_y, abs(t1 - t0) / step_t)))
        out.extend((t0 + (t1 - t0) * k / n, y0 + (y1 - y0) * k / n) for k in range(n))
    return out


# Zone geometry, in half-view coordinates. A spec is one of:
#   ("region", [(t, y), ...])           a polygon across the limb, see the module docstring
#   ("ellipse", (m, y, rx, ry[, tilt]))
#   ("ellipses", [(m, y, rx, ry), ...]) several ellipses, one shape (the lesser toes)
#   ("curve", [(m, y), ...])            a smooth closed curve through the points
# `midline` specs use m as a signed offset from the centre line and are drawn once.
Spec = tuple[str, object]


@dataclass(frozen=True)
class _ZoneSpec:
    zone: str
    view: ViewKey
    spec: Spec
    midline: bool = False
    # Where the chart label's leader line ends, if not at the shape's centre: (t, y) for a
    # region, (m, y) otherwise. Used to keep neighbouring leader lines from crossing.
    anchor: Point | None = None


def _half_points(spec: Spec, limb: _Limb) -> list[list[Point]]:
    """The spec as one or more closed point lists in (m, y)."""
    kind, data = spec
    if kind == "region":
        return [[(limb.m_at(t, y), y) for t, y in _densify(data)]]  # type: ignore[arg-type]
    if kind == "ellipse":
        return [_ellipse_points(*data)]  # type: ignore[misc]
    if kind == "ellipses":
        return [_ellipse_points(*e) for e in data]  # type: ignore[attr-defined]
    if kind == "curve":
        return [list(data)]  # type: ignore[call-overload]
    raise ValueError(f"unknown shape kind {kind!r}")


def _centroid(rings: Sequence[Sequence[Point]]) -> Point:
    points = [p for ring in rings for p in ring]
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _to_d(rings: Sequence[Sequence[Point]], smooth: bool) -> str:
    if smooth:
        return "".join(_smooth_closed_d(ring) for ring in rings)
    return "".join(_polyline_d(ring, closed=True) for ring in rings)


def _mirror(view: View, direction: int) -> Callable[[Point], Point]:
    """Map half-view (m, y) to the canvas: direction -1 is the viewer's left half, +1 the right."""
    return lambda p: (view.cx + direction * p[0], p[1])


# ---------------------------------------------------------------------------------------------
# Outlines. Control points are (y, m). 4.5 units are about a centimetre on an adult.
# ---------------------------------------------------------------------------------------------

# fmt: off
_FRONT = _Limb(
    outer=_Curve([
        (40, 60), (60, 64), (85, 71), (110, 78), (135, 82), (160, 82), (190, 80), (230, 77),
        (270, 72), (305, 66), (328, 63), (345, 62), (365, 63), (395, 65), (425, 63), (455, 58),
        (490, 52), (515, 49), (527, 51), (537, 54), (548, 55.5), (565, 58.5), (580, 61.5),
        (592, 62.5),
    ]),
    inner=_Curve([
        (178, 1), (186, 5), (205, 9), (240, 12), (280, 15), (315, 18), (335, 19), (355, 18.5),
        (375, 17), (405, 13.5), (435, 15), (465, 19), (500, 24), (515, 25.5), (526, 23.5),
        (536, 22), (548, 21), (565, 18), (580, 15.5), (592, 14.5),
    ]),
)
_BACK = _Limb(
    outer=_Curve([
        (40, 60), (60, 64), (85, 72), (110, 79), (135, 83), (160, 84), (185, 81), (230, 77),
        (270, 72), (305, 66), (328, 63), (345, 62), (365, 64), (395, 66), (425, 63), (455, 58),
        (490, 52), (515, 49), (530, 50), (548, 52), (566, 53), (580, 52), (592, 49.5),
    ]),
    inner=_Curve([
        (186, 1), (194, 5), (212, 9), (240, 12), (280, 15), (315, 18), (335, 19), (355, 18.5),
        (375, 16.5), (405, 13), (435, 15), (465, 19), (500, 24), (515, 25.5), (530, 25),
        (548, 24.5), (566, 25), (580, 26), (592, 28),
    ]),
)
# A sole, toes up. Its medial edge faces the centre line between the two soles. The lateral edge
# starts lower than the medial one: the toe line slants down from the big toe to the little toe.
_SOLE = _Limb(
    outer=_Curve([
        (122, 81), (135, 86), (150, 87.5), (170, 86), (200, 82.5), (240, 78.5), (275, 75.5),
        (300, 73.5), (312, 72.5),
    ]),
    inner=_Curve([
        (100, 16), (115, 14.5), (135, 15), (155, 18), (180, 24), (208, 30), (235, 31),
        (262, 28.5), (290, 27), (312, 28),
    ]),
)
# The base of the toes, from the medial to the lateral edge (the toes overlap it).
_SOLE_TOE_LINE: tuple[Point, ...] = (
    (22, 96.5), (32, 95), (45, 97.5), (58, 103), (70, 111.5), (77, 117),
)
_SOLE_HEEL, _SOLE_HEEL_DEPTH = 312, 24

# Toes are ellipses (m, y, rx, ry); the same ones outline the silhouette and make the toe zones.
_FRONT_BIG_TOE = (22.5, 599, 8.5, 12.5)
_FRONT_LESSER_TOES = (
    (35.5, 597, 5.6, 10), (45.5, 595, 5.2, 9.2), (54, 593, 4.8, 8.4), (61, 591, 4.2, 7.2),
)
_SOLE_BIG_TOE = (27, 80, 12.5, 20)
_SOLE_LESSER_TOES = (
    (45, 88, 7, 13), (57.5, 95, 6.5, 12), (68.5, 103.5, 6, 11), (78, 113, 5.3, 9.5),
)
_FRONT_FOOT, _BACK_HEEL, _BACK_HEEL_DEPTH = 592, 592, 14
# fmt: on


def _limb_outline(limb: _Limb, bottom: float, step: float = 5) -> tuple[list[Point], list[Point]]:
    """The lateral edge (top to bottom) and the medial edge (bottom up to the crotch)."""

    def ys(top: float) -> list[float]:
        n = math.ceil((bottom - top) / step)
        return [top + (bottom - top) * k / n for k in range(n + 1)]

    outer = [(limb.outer(y), y) for y in ys(limb.outer.top)]
    inner = [(limb.inner(y), y) for y in reversed(ys(limb.inner.top))]
    return outer, inner


def _heel_arc(limb: _Limb, y: float, depth: float, *, lateral_first: bool) -> list[Point]:
    """Half an ellipse closing a limb below y (the round of a heel), between its two edges."""
    a, b = limb.outer(y), limb.inner(y)
    centre, radius = (a + b) / 2, (a - b) / 2
    points = [
        (centre + radius * math.cos(math.pi * k / 12), y + depth * math.sin(math.pi * k / 12))
        for k in range(1, 12)
    ]
    return points if lateral_first else points[::-1]


@dataclass(frozen=True)
class Silhouette:
    """The body outline of a view.

    The template strokes the paths thickly, then fills them over the stroke, so only the outer
    half of the outline shows and overlapping pieces (a foot and its toes) read as one body.
    """

    paths: tuple[str, ...]
    # The body is cut off at the waist: the outline is not drawn above this y, so the cut shows
    # no line. None where nothing is cut off (the soles).
    outline_from: float | None
    details: tuple[str, ...]  # anatomical landmarks drawn as thin lines (spine, buttock folds)


def _legs_silhouette(view: View, limb: _Limb, bottom: float, foot: list[Point]) -> str:
    """Both legs and the pelvis as one closed path, from the waist round the feet and back."""
    outer, inner = _limb_outline(limb, bottom)
    half = outer + foot + inner
    left = [_mirror(view, -1)(p) for p in half]
    right = [_mirror(view, +1)(p) for p in reversed(half)]
    return _polyline_d(left + right, closed=True)


def _build_silhouettes() -> dict[ViewKey, Silhouette]:
    front, back, sole = VIEWS
    result: dict[ViewKey, Silhouette] = {}

    # Front: the foot ends at the base of the toes; the toes are separate ovals on top of it.
    body = _legs_silhouette(front, _FRONT, _FRONT_FOOT, [])
    toes = [_FRONT_BIG_TOE, *_FRONT_LESSER_TOES]
    toe_ds = [
        _smooth_closed_d([_mirror(front, direction)(p) for p in _ellipse_points(*toe)])
        for direction in (-1, 1)
        for toe in toes
    ]
    waist = _FRONT.outer.top + 1.5  # below the top edge and its half-stroke
    result["front"] = Silhouette(paths=(body, *toe_ds), outline_from=waist, details=())

    # Back: the legs end in the round of the heels.
    heel = _heel_arc(_BACK, _BACK_HEEL, _BACK_HEEL_DEPTH, lateral_first=True)
    body = _legs_silhouette(back, _BACK, _BACK_HEEL, heel)
    cx = back.cx
    result["back"] = Silhouette(
        paths=(body,),
        outline_from=_BACK.outer.top + 1.5,
        details=(
            f"M{_fmt(cx)} 40V92",  # the spine, down to the sacrum
            f"M{_fmt(cx)} 164V188",  # the cleft between the buttocks
            *(
                _polyline_d(
                    [
                        _mirror(back, d)(p)
                        for p in [(4, 193), (20, 201), (40, 205), (58, 203), (70, 198)]
                    ],
                    closed=False,
                )
                for d in (-1, 1)
            ),  # the buttock folds
        ),
    )

    # Soles: each sole is a closed outline, heel arc at the bottom, plus its toes.
    paths: list[str] = []
    for direction in (-1, 1):
        mirror = _mirror(sole, direction)
        outer, inner = _limb_outline(_SOLE, _SOLE_HEEL)
        arc = _heel_arc(_SOLE, _SOLE_HEEL, _SOLE_HEEL_DEPTH, lateral_first=True)
        outline = outer + arc + inner + list(_SOLE_TOE_LINE)
        paths.append(_polyline_d([mirror(p) for p in outline], closed=True))
        for toe in (_SOLE_BIG_TOE, *_SOLE_LESSER_TOES):
            paths.append(_smooth_closed_d([mirror(p) for p in _ellipse_points(*toe)]))
    result["sole"] = Silhouette(paths=tuple(paths), outline_from=None, details=())
    return result


# ---------------------------------------------------------------------------------------------
# Zones
# ---------------------------------------------------------------------------------------------


def _region(*corners: Point) -> Spec:
    return ("region", list(corners))


def _strip(t0: float, t1: float, y0: float, y1: float) -> Spec:
    return _region((t0, y0), (t1, y0), (t1, y1), (t0, y1))


# fmt: off
_ZONE_SPECS: tuple[_ZoneSpec, ...] = (
    # Front: trunk and pelvis. Lower abdomen is sided (pain is often one-sided there).
    _ZoneSpec("lower-abdomen", "front", _region((0.05, 44), (0.82, 44), (0.82, 88), (0.05, 102))),
    # The groin runs along the crease from the front of the hip bone down to the pubis.
    _ZoneSpec("groin", "front", _region((0.76, 98), (0.95, 98), (0.35, 160), (0.13, 160)),
              anchor=(0.72, 112)),
    # Deep in the pelvis: drawn dashed and hatched (see the template), between the two groins.
    _ZoneSpec("deep-pelvis", "front", ("ellipse", (0, 125, 24, 15)), midline=True),
    _ZoneSpec("genitals", "front", ("ellipse", (0, 167, 10, 15)), midline=True),
    # The deep hip joint lies just below the middle of the groin crease.
    _ZoneSpec("anterior-hip", "front", ("ellipse", (57, 145, 12, 12))),
    # Thigh: three strips side by side from the hip to the knee.
    _ZoneSpec("medial-thigh", "front", _region((0.03, 190), (0.3, 184), (0.3, 312), (0.03, 312))),
    _ZoneSpec("anterior-thigh", "front", _region((0.3, 172), (0.78, 164), (0.78, 312), (0.3, 312)),
              anchor=(0.54, 212)),
    _ZoneSpec("lateral-thigh", "front", _strip(0.78, 0.97, 162, 312), anchor=(0.88, 262)),
    # Knee: the kneecap in the middle, the joint line either side of it.
    _ZoneSpec("anterior-knee", "front", ("ellipse", (41, 340, 12.5, 16.5)), anchor=(41, 332)),
    _ZoneSpec("medial-knee", "front", _strip(0.03, 0.2, 318, 364)),
    _ZoneSpec("lateral-knee", "front", _strip(0.8, 0.97, 318, 364), anchor=(0.88, 352)),
    # Leg: the shin along and beside the tibia; the outer leg over the fibular muscles.
    _ZoneSpec("shin", "front", _strip(0.16, 0.55, 372, 506)),
    _ZoneSpec("lateral-leg", "front", _strip(0.55, 0.97, 372, 504)),
    # Ankle: the outer ankle bone (lateral malleolus) sits lower than the inner one.
    _ZoneSpec("anterior-ankle", "front", _strip(0.35, 0.65, 512, 541), anchor=(0.5, 522)),
    _ZoneSpec("medial-ankle", "front", ("ellipse", (28, 527, 5, 8)), anchor=(28, 531)),
    _ZoneSpec("lateral-ankle", "front", ("ellipse", (48.5, 535, 5, 9))),
    # Foot: the top of the foot, its outer (little-toe) edge, the toes.
    _ZoneSpec("dorsum-of-foot", "front", _strip(0.05, 0.75, 548, 589)),
    _ZoneSpec("lateral-foot", "front", _strip(0.75, 0.97, 550, 590)),
    _ZoneSpec("big-toe", "front", ("ellipse", _FRONT_BIG_TOE)),
    _ZoneSpec("lesser-toes", "front", ("ellipses", list(_FRONT_LESSER_TOES)), anchor=(48, 596)),
    # Back: trunk and pelvis.
    _ZoneSpec("low-back", "back", _strip(0.08, 0.86, 42, 76)),
    _ZoneSpec("iliac-crest", "back", ("curve", [
        (25, 95), (36, 85.5), (52, 81), (66, 84), (72.5, 90), (71, 96), (64, 91.5), (52, 89),
        (39, 92.5), (29, 101),
    ]), anchor=(50, 85)),
    _ZoneSpec("sacrum", "back", ("curve", [
        (-14, 95), (0, 93), (14, 95), (11, 118), (6, 138), (0, 146), (-6, 138), (-11, 118),
    ]), midline=True, anchor=(0, 118)),
    _ZoneSpec("coccyx", "back", ("ellipse", (0, 155, 3.5, 6.5)), midline=True),
    # The sacroiliac joints lean outward at the top, either side of the sacrum.
    _ZoneSpec("sacroiliac", "back", ("ellipse", (21, 113, 4.5, 12, -12)), anchor=(21, 106)),
    _ZoneSpec("buttock", "back", ("curve", [
        (32, 107), (45, 99.5), (60, 98), (69, 108), (70, 128), (66, 148), (55, 160), (40, 163),
        (29, 157), (26.5, 140), (27.5, 122),
    ])),
    _ZoneSpec("lateral-hip", "back", _strip(0.86, 0.98, 116, 172), anchor=(0.92, 150)),
    _ZoneSpec("lower-buttock", "back", ("curve", [
        (7, 173), (22, 167), (42, 168), (60, 168), (70, 176), (66, 188), (52, 195), (34, 197),
        (16, 193), (7, 186),
    ])),
    _ZoneSpec("posterior-thigh", "back", _strip(0.03, 0.97, 210, 312)),
    # The hollow behind the knee is diamond-shaped.
    _ZoneSpec("posterior-knee", "back", ("curve", [
        (40.5, 318), (52, 339), (40.5, 360), (29, 339),
    ])),
    _ZoneSpec("medial-calf", "back", _strip(0.03, 0.42, 368, 482), anchor=(0.22, 440)),
    _ZoneSpec("calf", "back", _strip(0.42, 0.97, 368, 472), anchor=(0.68, 410)),
    _ZoneSpec("achilles", "back", _strip(0.32, 0.68, 490, 558)),
    _ZoneSpec("posterior-heel", "back", ("ellipse", (38, 588, 10, 12.5))),
    # Soles, toes up. The ball of the foot follows the slant of the metatarsal heads.
    _ZoneSpec("plantar-big-toe", "sole", ("ellipse", _SOLE_BIG_TOE)),
    _ZoneSpec("plantar-lesser-toes", "sole", ("ellipses", list(_SOLE_LESSER_TOES)),
              anchor=(57.5, 95)),
    _ZoneSpec("ball-of-foot", "sole", _region(
        (0.03, 106), (0.5, 108), (0.97, 126), (0.97, 170), (0.5, 163), (0.03, 160),
    )),
    _ZoneSpec("arch", "sole", _region((0.03, 160), (0.47, 163), (0.47, 256), (0.03, 256)),
              anchor=(0.22, 208)),
    _ZoneSpec("sole", "sole", _region((0.47, 163), (0.97, 170), (0.97, 256), (0.47, 256))),
    # The weight-bearing heel pad, and the heel's inner and outer edges.
    _ZoneSpec("plantar-heel", "sole", ("ellipse", (50.5, 304, 14.5, 27))),
    _ZoneSpec("medial-heel", "sole", _region((0.03, 262), (0.22, 262), (0.22, 322), (0.03, 312)),
              anchor=(0.1, 290)),
    _ZoneSpec("lateral-heel", "sole", _region((0.78, 262), (0.97, 262), (0.97, 312), (0.78, 322)),
              anchor=(0.9, 290)),
)
# fmt: on

_LIMBS: dict[ViewKey, _Limb] = {"front": _FRONT, "back": _BACK, "sole": _SOLE}
MIDLINE_ZONES: frozenset[str] = frozenset(s.zone for s in _ZONE_SPECS if s.midline)
DEEP_ZONES: frozenset[str] = frozenset({"deep-pelvis"})


def _build_zone_shapes() -> dict[str, tuple[Shape, ...]]:
    shapes: dict[str, tuple[Shape, ...]] = {}
    for spec in _ZONE_SPECS:
        view = VIEW_BY_KEY[spec.view]
        limb = _LIMBS[spec.view]
        rings = _half_points(spec.spec, limb)
        smooth = spec.spec[0] != "region"
        anchor = spec.anchor
        if anchor and spec.spec[0] == "region":
            anchor = (limb.m_at(*anchor), anchor[1])
        if spec.midline:
            mapped = [[_mirror(view, +1)(p) for p in ring] for ring in rings]
            x, y = _mirror(view, +1)(anchor) if anchor else _centroid(mapped)
            shapes[spec.zone] = (Shape(spec.view, "both", _to_d(mapped, smooth), x, y),)
            continue
        sided = []
        for direction in (-1, 1):
            mapped = [[_mirror(view, direction)(p) for p in ring] for ring in rings]
            x, y = _mirror(view, direction)(anchor) if anchor else _centroid(mapped)
            side: Side = view.viewer_left if direction == -1 else _other(view.viewer_left)
            sided.append(Shape(spec.view, side, _to_d(mapped, smooth), x, y))
        # Left before right, whatever the view, so iteration order is predictable.
        shapes[spec.zone] = tuple(sorted(sided, key=lambda s: s.side))
    return {slug: shapes[slug] for slug in ZONE_SLUGS}


def _other(side: Literal["left", "right"]) -> Literal["left", "right"]:
    return "right" if side == "left" else "left"


SILHOUETTES: dict[ViewKey, Silhouette] = _build_silhouettes()
ZONE_SHAPES: dict[str, tuple[Shape, ...]] = _build_zone_shapes()
ZONE_VIEW: dict[str, ViewKey] = {slug: shapes[0].view for slug, shapes in ZONE_SHAPES.items()}
ZONE_SIDES: dict[str, tuple[Side, ...]] = {
    slug: tuple(s.side for s in shapes) for slug, shapes in ZONE_SHAPES.items()
}

# ---------------------------------------------------------------------------------------------
# Chart labels: a column of labels each side of a view, with leader lines to the shapes.
# ---------------------------------------------------------------------------------------------

# Per view, which label column each zone goes in: "L" labels the shape on the viewer's left half,
# "R" the one on the right half (midline zones have a single shape either way). Lateral zones go
# on the column beside their lateral edge so their leaders do not cross the limb.
# fmt: off
_LABEL_COLUMNS: dict[ViewKey, dict[str, str]] = {
    "front": {
        "lower-abdomen": "L", "anterior-hip": "L", "lateral-thigh": "L", "anterior-thigh": "L",
        "lateral-knee": "L", "anterior-knee": "L", "lateral-leg": "L", "lateral-ankle": "L",
        "lateral-foot": "L", "lesser-toes": "L",
        "groin": "R", "deep-pelvis": "R", "genitals": "R", "medial-thigh": "R",
        "medial-knee": "R", "shin": "R", "medial-ankle": "R", "anterior-ankle": "R",
        "dorsum-of-foot": "R", "big-toe": "R",
    },
    "back": {
        "low-back": "L", "iliac-crest": "L", "buttock": "L", "lateral-hip": "L",
        "posterior-thigh": "L", "calf": "L", "posterior-heel": "L",
        "sacrum": "R", "sacroiliac": "R", "coccyx": "R", "lower-buttock": "R",
        "posterior-knee": "R", "medial-calf": "R", "achilles": "R",
    },
    "sole": {
        "plantar-lesser-toes": "L", "ball-of-foot": "L", "sole": "L", "lateral-heel": "L",
        "plantar-big-toe": "R", "arch": "R", "plantar-heel": "R", "medial-heel": "R",
    },
}
# fmt: on
LABEL_GAP = 16  # units between two label baselines in a column
LABEL_MARGIN = 104  # the label columns' inner edge, from each side of the canvas


@dataclass(frozen=True)
class ChartLabel:
    zone: str
    text: str
    x: float  # where the text is anchored (its end on the left column, its start on the right)
    y: float
    anchor: str  # SVG text-anchor: "end" on the left column, "start" on the right
    line: tuple[float, float, float, float]  # leader line from the text to the shape


def _spread(wanted: list[float], top: float, bottom: float, gap: float) -> list[float]:
    """Move sorted label heights apart by at least `gap`, keeping them within [top, bottom]."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, top, placed[-1] + gap if placed else top))
    for i in range(len(placed) - 1, -1, -1):
        limit = bottom if i == len(placed) - 1 else placed[i + 1] - gap
        placed[i] = min(placed[i], limit)
    return placed


def _build_labels() -> dict[ViewKey, tuple[ChartLabel, ...]]:
    labels: dict[ViewKey, tuple[ChartLabel, ...]] = {}
    for view in VIEWS:
        columns = _LABEL_COLUMNS[view.key]
        result: list[ChartLabel] = []
        for column in ("L", "R"):
            items = []
            for zone, col in columns.items():
                if col != column:
                    continue
                shapes = ZONE_SHAPES[zone]
                on_left = [s for s in shapes if s.label_x <= view.cx]
                on_right = [s for s in shapes if s.label_x >= view.cx]
                shape = (on_left if column == "L" else on_right or on_left)[0]
                items.append((shape.label_y, shape.label_x, zone))
            items.sort()
            ys = _spread([y for y, _, _ in items], 44, view.height - 34, LABEL_GAP)
            for (ay, ax, zone), ly in zip(items, ys, strict=True):
                # Text hugs the column's inner edge; its leader starts just short of the text.
                if column == "L":
                    x, x1, anchor = LABEL_MARGIN - 6, LABEL_MARGIN - 3, "end"
                else:
                    x, x1, anchor = (
                        view.width - LABEL_MARGIN + 6,
                        view.width - LABEL_MARGIN + 3,
                        "start",
                    )
                text = CHART_LABELS[zone]
                result.append(ChartLabel(zone, text, x, ly, anchor, (x1, ly, ax, ay)))
        labels[view.key] = tuple(result)
    return labels


CHART_LABEL_LAYOUT: dict[ViewKey, tuple[ChartLabel, ...]] = _build_labels()

# ---------------------------------------------------------------------------------------------
# build_map: what the template iterates
# ---------------------------------------------------------------------------------------------


class MapShape(TypedDict):
    zone: str
    side: Side
    d: str
    name: str  # "Inner knee, left"
    title: str  # tooltip: the name, and in display mode what the mark means
    value: str  # "medial-knee:left": the checkbox value in input mode
    classes: str
    level: Level | None
    intensity: int | None
    fill_opacity: float  # 0 for an unmarked shape; for consumers that do not load the CSS
    selected: bool
    deep: bool


class MapLabel(TypedDict):
    zone: str
    text: str
    x: str
    y: str
    anchor: str
    x1: str
    y1: str
    x2: str
    y2: str
    classes: str


class MapViewMarker(TypedDict):
    text: str
    x: str
    y: str


class MapView(TypedDict):
    key: str
    title: str
    view_box: str
    title_x: str
    width: str
    height: str
    body_paths: tuple[str, ...]
    outline_from: str  # "" when the whole outline is drawn
    details: tuple[str, ...]
    hatch: str
    shapes: list[MapShape]
    labels: list[MapLabel]
    markers: list[MapViewMarker]


class MapOption(TypedDict):
    value: str
    label: str
    checked: bool
    key: str  # for element ids: "medial-knee-left"


class MapZoneRow(TypedDict):
    zone: str
    name: str
    options: list[MapOption]


class MapFieldset(TypedDict):
    key: str
    legend: str
    zones: list[MapZoneRow]


class MapLegendItem(TypedDict):
    key: str
    label: str
    classes: str


class MapSummaryItem(TypedDict):
    zone: str
    name: str
    text: str


class BodyMap(TypedDict):
    mode: Mode
    views: list[MapView]
    legend: list[MapLegendItem]
    pain_scale: list[MapLegendItem]
    fieldsets: list[MapFieldset]
    summary: list[MapSummaryItem]


# The labels as build_map gives them, less their class (which depends on the marks): the same
# strings on every map, so formatted once.
_LABEL_TEXTS: dict[ViewKey, tuple[dict[str, str], ...]] = {
    key: tuple(
        {
            "zone": label.zone,
            "text": label.text,
            "x": _fmt(label.x),
            "y": _fmt(label.y),
            "anchor": label.anchor,
            "x1": _fmt(label.line[0]),
            "y1": _fmt(label.line[1]),
            "x2": _fmt(label.line[2]),
            "y2": _fmt(label.line[3]),
        }
        for label in layout
    )
    for key, layout in CHART_LABEL_LAYOUT.items()
}
_FILL_OPACITY: dict[str, float] = {"essential": 0.9, "spillover": 0.45}
_LEVEL_RANK: dict[str, int] = {"spillover": 1, "essential": 2, "pain": 3}


def zone_display_name(slug: str, zone_names: Mapping[str, str] | None = None) -> str:
    """The zone's name from `zone_names`, else its slug in words: "medial-knee" -> "Medial knee"."""
    if zone_names and zone_names.get(slug):
        return zone_names[slug]
    return slug.replace("-", " ").capitalize()


def _shape_name(name: str, side: Side) -> str:
    return name if side == "both" else f"{name}, {side}"


def _normalise_marks(marks: Iterable[Mapping[str, object]] | None) -> dict[tuple[str, str], dict]:
    """Fold marks into one state per (zone, shape side): the strongest level wins.

    Pain outranks essential, which outranks spillover; several pain marks keep the highest
    intensity. A side of "both" marks both sides of a paired zone; any side marks a midline zone.
    Unknown zones are logged and skipped: the knowledge base can gain a zone in the admin before
    the drawing has a shape for it, and a page must not break for that.
    """
    state: dict[tuple[str, str], dict] = {}
    for mark in marks or ():
        zone = str(mark.get("zone", ""))
        side = mark.get("side") or "both"
        level = mark.get("level") or "pain"
        if side not in SIDES:
            raise ValueError(f"body map mark has an unknown side {side!r} (zone {zone!r})")
        if level not in LEVELS:
            raise ValueError(f"body map mark has an unknown level {level!r} (zone {zone!r})")
        if zone not in ZONE_SHAPES:
            logger.warning("body map: no shape for zone %r; mark skipped", zone)
            continue
        intensity = None
        if level == "pain":
            raw = mark.get("intensity")
            intensity = 5 if raw is None else int(raw)  # type: ignore[call-overload]
            if not 0 <= intensity <= 10:
                raise ValueError(f"pain intensity {raw!r} for zone {zone!r} is not within 0-10")
        for shape_side in ZONE_SIDES[zone]:
            if side != "both" and shape_side != "both" and shape_side != side:
                continue
            current = state.get((zone, shape_side))
            if current is None or _LEVEL_RANK[level] > _LEVEL_RANK[current["level"]]:
                state[(zone, shape_side)] = {"level": level, "intensity": intensity}
            elif level == "pain" and current["level"] == "pain":
                current["intensity"] = max(current["intensity"], intensity)
    return state


def _normalise_selected(selected: Iterable[str] | str | None) -> set[tuple[str, str]]:
    """Selected "zone:side" values as (zone, shape side) pairs; "zone:both" selects both sides."""
    if isinstance(selected, str):
        selected = [selected]
    chosen: set[tuple[str, str]] = set()
    for value in selected or ():
        zone, _, side = str(value).partition(":")
        if zone not in ZONE_SHAPES:
            continue
        for shape_side in ZONE_SIDES[zone]:
            if shape_side == "both" or side in ("", "both", shape_side):
                chosen.add((zone, shape_side))
    return chosen


def _id_part(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower())


def build_map(
    marks: Iterable[Mapping[str, object]] | None = None,
    *,
    mode: Mode = "display",
    selected: Iterable[str] | str | None = (),
    zone_names: Mapping[str, str] | None = None,
    outlined: Iterable[str] = (),
) -> BodyMap:
    """Everything the body map template needs, with marks and selection applied.

    `outlined` holds "zone:side" values drawn with a heavy outline over whatever fill the marks
    give: a client's pain laid over a muscle's referral pattern ("zone:both" outlines both sides).

    `marks` are dicts `{"zone": slug, "side": "left"|"right"|"both", "level":
    "essential"|"spillover"|"pain", "intensity": 0-10}`; side defaults to "both", level to
    "pain" and a pain intensity to 5. `selected` holds "zone:side" checkbox values (input mode).
    Numbers come out as strings so that a localised template cannot write "12,5" into SVG.
    """
    if mode not in MODES:
        raise ValueError(f"body map mode must be one of {MODES}, not {mode!r}")
    state = _normalise_marks(marks)
    chosen = _normalise_selected(selected)
    circled = _normalise_selected(outlined)

    views: list[MapView] = []
    for view in VIEWS:
        shapes: list[MapShape] = []
        for slug, zone_shapes in ZONE_SHAPES.items():
            name = zone_display_name(slug, zone_names)
            for shape in zone_shapes:
                if shape.view != view.key:
                    continue
                drawn = _map_shape(slug, name, shape, state, chosen, mode)
                if (slug, shape.side) in circled:
                    drawn["classes"] += " bm-zone--outlined"
                    drawn["title"] += " (where the client hurts)"
                shapes.append(drawn)
        marked = {s["zone"] for s in shapes if s["level"] or s["selected"]}
        labels: list[MapLabel] = [
            {
                **label,  # type: ignore[typeddict-item]
                "classes": "bm-label bm-label--marked" if label["zone"] in marked else "bm-label",
            }
            for label in _LABEL_TEXTS[view.key]
        ]
        silhouette = SILHOUETTES[view.key]
        views.append(
            {
                "key": view.key,
                "title": view.title,
                "view_box": view.view_box,
                "title_x": _fmt(view.cx),
                "width": str(view.width),
                "height": str(view.height),
                "body_paths": silhouette.paths,
                "outline_from": (
                    "" if silhouette.outline_from is None else _fmt(silhouette.outline_from)
                ),
                "details": silhouette.details,
                "hatch": _DEEP_HATCH if view.key == "front" else "",
                "shapes": shapes,
                "labels": labels,
                "markers": _markers(view),
            }
        )

    # The legend explains the levels on this map; an unmarked map explains them all.
    used = {mark["level"] for mark in state.values()} or set(LEVELS)
    return {
        "mode": mode,
        "views": views,
        "legend": _legend(mode, used, outlined=bool(circled)),
        "pain_scale": _pain_scale() if mode == "display" and "pain" in used else [],
        "fieldsets": _fieldsets(chosen, zone_names) if mode == "input" else [],
        "summary": _summary(state, zone_names),
    }


def _map_shape(
    slug: str,
    name: str,
    shape: Shape,
    state: Mapping[tuple[str, str], dict],
    chosen: set[tuple[str, str]],
    mode: Mode,
) -> MapShape:
    mark = state.get((slug, shape.side))
    level: Level | None = mark["level"] if mark else None
    intensity: int | None = mark["intensity"] if mark else None
    is_selected = mode == "input" and (slug, shape.side) in chosen
    classes = ["bm-zone", f"bm-zone--{ZONE_VIEW[slug]}"]
    if slug in DEEP_ZONES:
        classes.append("bm-zone--deep")
    shape_name = _shape_name(name, shape.side)
    title = shape_name
    opacity = 0.0
    if level == "pain":
        classes += ["bm-zone--pain", f"bm-pain-{intensity}"]
        title = f"{shape_name}: pain {intensity}/10"
        opacity = round(0.25 + 0.075 * (intensity or 0), 3)
    elif level:
        classes.append(f"bm-zone--{level}")
        title = f"{shape_name}: {level} referral zone"
        opacity = _FILL_OPACITY[level]
    if is_selected:
        classes.append("is-selected")
    return {
        "zone": slug,
        "side": shape.side,
        "d": shape.d,
        "name": shape_name,
        "title": title,
        "value": f"{slug}:{shape.side}",
        "classes": " ".join(classes),
        "level": level,
        "intensity": intensity,
        "fill_opacity": opacity,
        "selected": is_selected,
        "deep": slug in DEEP_ZONES,
    }


def _pain_scale() -> list[MapLegendItem]:
    """The steps of the pain scale under a map that shows pain."""
    return [
        {"key": str(i), "label": str(i), "classes": f"bm-zone bm-zone--pain bm-pain-{i}"}
        for i in range(11)
    ]


def _markers(view: View) -> list[MapViewMarker]:
    """ "Right"/"Left" under each half of the view, so nobody has to work out the mirroring."""
    y = _fmt(view.height - 12)
    left_text = view.viewer_left.capitalize()
    right_text = _other(view.viewer_left).capitalize()
    if view.key == "sole":
        left_text, right_text = f"{left_text} sole", f"{right_text} sole"
    offset = 50 if view.key == "sole" else 40
    return [
        {"text": left_text, "x": _fmt(view.cx - offset), "y": y},
        {"text": right_text, "x": _fmt(view.cx + offset), "y": y},
    ]


def _legend(mode: Mode, levels: set[str], *, outlined: bool = False) -> list[MapLegendItem]:
    """Swatches for the legend (the pain scale is separate)."""
    deep: MapLegendItem = {
        "key": "deep",
        "label": "Felt deep inside",
        "classes": "bm-zone bm-zone--deep",
    }
    if mode == "input":
        return [{"key": "selected", "label": "Selected", "classes": "bm-zone is-selected"}, deep]
    items: list[MapLegendItem] = []
    if "essential" in levels:
        items.append(
            {
                "key": "essential",
                "label": "Essential referral zone",
                "classes": "bm-zone bm-zone--essential",
            }
        )
    if "spillover" in levels:
        items.append(
            {"key": "spillover", "label": "Spillover zone", "classes": "bm-zone bm-zone--spillover"}
        )
    if outlined:
        items.append(
            {
                "key": "outlined",
                "label": "Where the client hurts",
                "classes": "bm-zone bm-zone--outlined",
            }
        )
    return [*items, deep]


def _fieldsets(
    chosen: set[tuple[str, str]], zone_names: Mapping[str, str] | None
) -> list[MapFieldset]:
    fieldsets: list[MapFieldset] = []
    for key, legend, slugs in AREAS:
        rows: list[MapZoneRow] = []
        for slug in slugs:
            name = zone_display_name(slug, zone_names)
            options: list[MapOption] = [
                {
                    "value": f"{slug}:{side}",
                    "label": name if side == "both" else side.capitalize(),
                    "checked": (slug, side) in chosen,
                    "key": _id_part(f"{slug}-{side}"),
                }
                for side in ZONE_SIDES[slug]
            ]
            rows.append({"zone": slug, "name": name, "options": options})
        fieldsets.append({"key": key, "legend": legend, "zones": rows})
    return fieldsets


def _summary(
    state: Mapping[tuple[str, str], dict], zone_names: Mapping[str, str] | None
) -> list[MapSummaryItem]:
    """The marks in words, in drawing order, for screen readers and print."""
    items: list[MapSummaryItem] = []
    for slug, side in sorted(state, key=_DRAWING_ORDER.__getitem__):
        mark = state[(slug, side)]
        name = _shape_name(zone_display_name(slug, zone_names), side)  # type: ignore[arg-type]
        if mark["level"] == "pain":
            text = f"{name}: pain {mark['intensity']} out of 10"
        else:
            text = f"{name}: {mark['level']} referral zone"
        items.append({"zone": slug, "name": name, "text": text})
    return items


# Each shape's place in the drawing (ZONE_SHAPES' order), as (zone, side).
_DRAWING_ORDER: dict[tuple[str, str], int] = {
    (slug, shape.side): number
    for number, (slug, shape) in enumerate(
        (slug, shape) for slug, shapes in ZONE_SHAPES.items() for shape in shapes
    )
}


def _deep_hatch() -> str:
    """Diagonal lines clipped to the deep-pelvis ellipse, so it reads as "inside" when unmarked."""
    spec = next(s for s in _ZONE_SPECS if s.zone == "deep-pelvis")
    m0, y0, rx, ry = spec.spec[1]  # type: ignore[misc]
    cx = VIEW_BY_KEY["front"].cx + m0
    parts = []
    # Lines x - cx = (y - y0) + c, clipped to ((x-cx)/rx)^2 + ((y-y0)/ry)^2 <= 1.
    for c in range(-36, 37, 6):
        # Solve for u = y - y0: ((u + c)/rx)^2 + (u/ry)^2 = 1.
        a = 1 / rx**2 + 1 / ry**2
        b = 2 * c / rx**2
        k = c**2 / rx**2 - 1
        disc = b * b - 4 * a * k
        if disc <= 0:
            continue
        r = math.sqrt(disc)
        u1, u2 = (-b - r) / (2 * a), (-b + r) / (2 * a)
        parts.append(f"M{_fmt(cx + u1 + c)} {_fmt(y0 + u1)}L{_fmt(cx + u2 + c)} {_fmt(y0 + u2)}")
    return "".join(parts)


_DEEP_HATCH = _deep_hatch()
