"""The intake review's markup, written in Python from `intake.review.Review`.

Element for element what the templates wrote (`intake/_alerts.html`, `_summary.html`,
`_amendments.html`, `_suggestion_map.html`, and the ranked suggestions' list): through the
template language those cost some 10 µs a variable and 50 to 150 µs a `{% url %}`, most of
the page's time once its reads were one query. Every value from the database is escaped as the
templates' autoescaping did; tests compare each part with the template's output.

URLs come from one `reverse()` a process per pattern (`Links`), with each id put in its place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from html import escape  # Django's escape is this one, behind a check for lazy strings
from typing import Any

from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from clinic.markup import csrf_input
from intake.models import (
    Answer,
    IntakeAlert,
    PainPattern,
    PainQuality,
    Side,
    WorseAt,
)
from intake.review import FactorRow, PainRow, Review
from knowledge.body_map_html import render_display
from knowledge.models import FactorKind

# Ids no row has, replaced by each row's own in one reversed URL (as clinic.markup.url_maker).
_PLACEHOLDER = 918273645546372819


@lru_cache(maxsize=64)
def _url_pieces(viewname: str, count: int, urlconf: Any, prefix: str) -> tuple[str, ...]:
    url = reverse(viewname, args=[_PLACEHOLDER + number for number in range(count)])
    pieces = []
    for number in range(count):
        head, _, url = url.partition(str(_PLACEHOLDER + number))
        pieces.append(head)
    return (*pieces, url)


class Links:
    """`reverse()` for one request, each pattern reversed once a process (per URLconf and
    script prefix) and the arguments put in their places: for ids and slugs, which reverse()
    would not quote either."""

    def __init__(self) -> None:
        self._where = (get_urlconf(), get_script_prefix())

    def __call__(self, viewname: str, *args: object) -> str:
        pieces = _url_pieces(viewname, len(args), *self._where)
        url = pieces[0]
        for arg, piece in zip(args, pieces[1:], strict=True):
            url += f"{arg}{piece}"
        return url

    def maker(self, viewname: str, *leading: object) -> Callable[[object], str]:
        """A function of the last argument, for a list of links of one pattern."""
        pieces = _url_pieces(viewname, len(leading) + 1, *self._where)
        head = pieces[0]
        for arg, piece in zip(leading, pieces[1:-1], strict=True):
            head += f"{arg}{piece}"
        tail = pieces[-1]
        return lambda arg: f"{head}{arg}{tail}"


def linebreaksbr(text: str) -> str:
    """`|linebreaksbr` of a plain string (its newlines normalised as normalize_newlines does)."""
    return escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")


# The knowledge base's words (questions, factor names, the reasons the ranking gives) are the
# same on every review: each is escaped once. Never a client's own text.
_known = lru_cache(maxsize=4096)(escape)


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def when(value) -> str:
    """`|date:"j M Y, H:i"` of an aware date-time, in the current time zone."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    month = MONTHS_3[local.month].title()
    return escape(f"{local.day} {month} {local.year:04d}, {local.hour:02d}:{local.minute:02d}")


# --- Header ------------------------------------------------------------------------------------


_STATUS_BADGES = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
}


def status_badge(intake) -> str:
    """`intake/_status_badge.html`."""
    label = "To review" if intake.status == "submitted" else escape(intake.get_status_display())
    badge = (
        f'<span class="badge {_STATUS_BADGES.get(intake.status, "text-bg-success")}">{label}</span>'
    )
    if intake.is_online:
        badge += ' <span class="badge text-bg-light border">Online</span>'
    return badge


def header(review: Review, *, links: Links, csrf_token: str) -> SafeString:
    """The breadcrumb, the heading and the print and "Mark reviewed" buttons."""
    intake, client = review.intake, review.client
    name = escape(client.full_name)
    if intake.status == "submitted":
        done = (
            f'    <form method="post" action="{links("intake:mark_reviewed", intake.pk)}">'
            f"{csrf_input(csrf_token)}"
            '<button class="btn btn-knot" type="submit">Mark reviewed</button></form>\n'
        )
    else:
        done = (
            '    <p class="mb-0 text-success fw-semibold">'
            f"Reviewed {when(intake.reviewed_at)} by {escape(review.reviewer)}</p>\n"
        )
    return mark_safe(  # noqa: S308 (every value is escaped)
        '<nav aria-label="Breadcrumb"><ol class="breadcrumb small mb-2">\n'
        f'  <li class="breadcrumb-item"><a href="{links("intake:to_review")}">To review</a></li>\n'
        f'  <li class="breadcrumb-item"><a href="{links("client_detail", client.pk)}">{name}</a>'
        "</li>\n"
        '  <li class="breadcrumb-item active" aria-current="page">Review</li>\n'
        "</ol></nav>\n"
        '<div class="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3">\n'
        "  <div>\n"
        f'    <h1 class="mb-1">Review intake: {name}</h1>\n'
        f'    <p class="text-secondary mb-0">{status_badge(intake)} Age {client.age}.'
        f" Submitted {when(intake.submitted_at)}"
        f"{' by the client online' if intake.is_online else ''}.</p>\n"
        "  </div>\n"
        '  <div class="no-print d-flex flex-wrap gap-2 align-items-start">\n'
        '    <a class="btn btn-outline-secondary"'
        f' href="{links("intake:summary_print", intake.pk)}">Print summary</a>\n'
        + done
        + "  </div>\n"
        "</div>\n"
    )


# --- Alerts ------------------------------------------------------------------------------------


def alerts(rows: Iterable[IntakeAlert], *, show_none: bool = True) -> SafeString:
    """`intake/_alerts.html`."""
    items = [
        f'  <div class="alert alert-{escape(alert.level_class)} red-flag-alert'
        f' red-flag-alert--{escape(alert.level)} mb-2" role="alert">\n'
        '    <div class="d-flex flex-wrap gap-2 align-items-baseline">\n'
        f"      <strong>{escape(alert.get_level_display())}</strong>\n"
        f'      <span class="small opacity-75">{escape(alert.flag_label)}</span>\n'
        + (
            '      <span class="badge text-bg-light border">answered “not sure”: ask the client'
            "</span>\n"
            if alert.unsure
            else ""
        )
        + "    </div>\n"
        f'    <p class="mb-0 mt-1">{escape(alert.message)}</p>\n'
        "  </div>\n"
        for alert in rows
    ]
    if items:
        return mark_safe(  # noqa: S308 (every value is escaped above)
            '<div class="intake-alerts" role="region" aria-label="Red-flag alerts">\n'
            + "".join(items)
            + "</div>\n"
        )
    if show_none:
        return mark_safe(
            '<p class="text-success mb-0">No red flags: every screening question was answered no.'
            "</p>\n"
        )
    return mark_safe("")


# --- Suggestions -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _score(score: float, language: str | None) -> str:
    """`|floatformat:2`, escaped: some 50 µs a call, and the same scores come back each open."""
    return escape(floatformat(score, 2))


def suggestions(intake, *, links: Links, can_plan: bool, csrf_token: str) -> SafeString:
    """The suggestions card's content: its heading, the form to rank again, when they were
    ranked, and the ranked suggestions (`<ol>` of one `<li>` each) or the message that there
    are none."""
    submitted = intake.status == "submitted"
    refresh = (
        f'          <form method="post" action="{links("intake:suggestions_refresh", intake.pk)}"'
        f' class="no-print">{csrf_input(csrf_token)}<button class="btn btn-link btn-sm p-0"'
        ' type="submit">Rank again with the current library</button></form>\n'
        if submitted
        else ""
    )
    return mark_safe(  # noqa: S308 (every value is escaped)
        '<div class="d-flex flex-wrap justify-content-between align-items-baseline gap-2">\n'
        '          <h2 class="h5 mb-1" id="suggestions-heading">Suggested trigger points</h2>\n'
        + refresh
        + "        </div>\n"
        f'        <p class="small text-secondary">Ranked {when(intake.suggested_at)} from the pain'
        " map, activities, footwear, history, diagnoses and symptoms: a starting point for your"
        " assessment, not a diagnosis."
        f"{'' if submitted else ' Kept as they were at review.'}</p>\n        "
        + _ranked(
            intake.suggestions or [],
            links=links,
            intake_id=intake.pk,
            client_id=intake.client_id,
            can_plan=can_plan,
            csrf_token=csrf_token,
        )
    )


def _ranked(
    items: list[dict],
    *,
    links: Links,
    intake_id: int,
    client_id: int,
    can_plan: bool,
    csrf_token: str,
) -> str:
    """The ranked suggestions, or the message that there are none."""
    if not items:
        return (
            '<p class="text-secondary mb-0">No muscle in the library refers pain to the zones'
            " marked on this intake. Check the pain map, or assess without suggestions.</p>\n"
        )
    language = get_language()
    if can_plan:
        csrf = csrf_input(csrf_token)
        action = links("treatments:plan_add_muscle", client_id)
        back = links("intake:review", intake_id)
    muscle_url = links.maker("knowledge:muscle_detail")
    map_url = links.maker("intake:suggestion_map", intake_id)
    parts = ['<ol class="list-unstyled mb-0 suggestion-list">\n  ']
    for index, s in enumerate(items):
        muscle = escape(s["muscle"])
        score = _score(s["score"], language)
        reasons = "".join(f"<li>{_known(_capfirst(reason))}</li>" for reason in s["reasons"])
        points = s.get("trigger_points")
        plan = (
            f'<form method="post" action="{action}">{csrf}'
            f'<input type="hidden" name="muscle" value="{muscle}">'
            f'<input type="hidden" name="intake" value="{intake_id}">'
            f'<input type="hidden" name="next" value="{back}#suggestion-{index}">'
            '<button type="submit" class="btn btn-knot btn-sm">Add to plan</button></form>'
            if can_plan
            else ""
        )
        parts.append(
            f'<li class="suggestion border rounded p-2 mb-2" id="suggestion-{index}">'
            '<div class="d-flex flex-wrap justify-content-between align-items-center gap-2"><div>'
            '<span class="badge text-bg-dark me-1" aria-label="Rank">'
            f"{escape(str(s.get('rank') or index + 1))}</span>"
            f'<a class="fw-semibold" href="{muscle_url(muscle)}">'
            f"{escape(s['name'])}</a>"
            f'<span class="text-secondary small ms-1">score {score}</span></div>'
            '<div class="d-flex gap-2 no-print">'
            '<button type="button" class="btn btn-outline-secondary btn-sm"'
            f' hx-get="{map_url(index)}" hx-target="#suggestion-map"'
            ' hx-swap="innerHTML">'
            f"Show on map</button>{plan}</div></div>"
            f'<div class="progress my-2" role="img" aria-label="Score {score} out of 1">'
            f'<div class="progress-bar bg-knot score-{round(float(s["score"]) * 20)}"></div></div>'
            f'<ul class="small mb-0 suggestion-reasons">{reasons}</ul>'
            + (
                '<p class="small text-secondary mb-0 mt-1">Trigger points: '
                f"{', '.join(escape(point) for point in points)}</p>"
                if points
                else ""
            )
            + "</li>"
        )
    parts.append("\n</ol>\n")
    return "".join(parts)


def referral_map(
    suggestion: Mapping[str, Any],
    *,
    links: Links,
    marks: list[dict],
    outlined: list[str],
    zone_names: Mapping[str, str],
) -> SafeString:
    """`intake/_suggestion_map.html`: one suggestion's referral pattern over the client's pain."""
    name = escape(suggestion["name"])
    body_map = render_display(
        marks, outlined=outlined, zone_names=zone_names, id_prefix="overlay-bm"
    )
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'\n<h2 class="h5 mb-1" id="overlay-heading">{name}: referral pattern</h2>\n'
        '<p class="small text-secondary">Where its trigger points send pain (red), with the zones'
        " where this client hurts outlined in black.</p>\n"
        f"{body_map}\n"
        '<p class="small mb-0 mt-2">'
        f'<a href="{escape(links("knowledge:muscle_detail", suggestion["muscle"]))}">'
        f"Open {name} in the library</a></p>\n"
    )


# --- The intake in words -----------------------------------------------------------------------


def factor_groups(items: Iterable[tuple[str, Any]], other: Mapping | None) -> list[dict]:
    """Ticked factors by kind, in FactorKind's order, each kind with its "other" text:
    `items` are (kind, item) pairs."""
    by_kind: dict[str, list] = defaultdict(list)
    for kind, item in items:
        by_kind[kind].append(item)
    groups = []
    for kind, label in FactorKind.choices:
        found = by_kind.get(kind, [])
        text = (other or {}).get(kind, "")
        if found or text:
            groups.append({"label": label, "items": found, "other": text})
    return groups


_PATTERNS = dict(PainPattern.choices)
_ANSWERS = dict(Answer.choices)
_ANSWER_CLASSES = {Answer.YES: "text-danger", Answer.UNSURE: "text-warning-emphasis"}


@lru_cache(maxsize=256)
def _labels(values: tuple[str, ...], kind: str) -> str:
    """PainReport.quality_labels / worse_labels, escaped, or the dash of `|default:"—"`."""
    choices = PainQuality if kind == "quality" else WorseAt
    return escape(", ".join(choices(value).label.lower() for value in values)) or "—"


def _pain_row(pain: PainRow) -> str:
    place = pain.name if pain.side == Side.BOTH else f"{pain.name}, {pain.side}"
    pattern = _PATTERNS.get(pain.pattern, pain.pattern)
    return (
        f"<tr><td>{escape(place)}</td><td><span class"
        f'="pain-score pain-score-{pain.intensity}">{pain.intensity}/10</span></td>'
        f"<td>{_labels(pain.qualities, 'quality')}</td>"
        f"<td>{escape(pattern) if pattern else '—'}</td>"
        f"<td>{_labels(pain.worse_at, 'worse')}</td></tr>\n"
    )


def _factor_item(item: FactorRow) -> str:
    detail = f' <span class="text-secondary">({escape(item.detail)})</span>' if item.detail else ""
    return f"<li>{_known(item.name)}{detail}</li>"


def summary(review: Review) -> SafeString:
    """`intake/_summary.html`: complaint, pain, factors and screening answers."""
    intake = review.intake
    if intake.onset_date:
        started = escape(date_format(intake.onset_date, "j F Y"))
        if intake.onset_duration:
            started += f" ({escape(intake.onset_duration)})"
    else:
        started = escape(intake.onset_duration or "—")
    if intake.surgery == "none":
        surgery = "None"
    else:
        surgery = (
            f"{escape(intake.get_surgery_display())}: {escape(intake.surgery_procedure)}"
            + (
                f", {escape(intake.get_surgery_side_display().lower())}"
                if intake.surgery_side
                else ""
            )
            + (
                f", {escape(date_format(intake.surgery_date, 'j M Y'))}"
                if intake.surgery_date
                else ""
            )
        )
    groups = factor_groups(((f.kind, f) for f in review.factors), intake.other_factors)
    factors = (
        "".join(
            f'    <h3 class="h6 mt-2 mb-1">{escape(group["label"])}</h3>\n'
            '    <ul class="mb-1">\n      '
            + "".join(_factor_item(item) for item in group["items"])
            + (f"\n      <li>Other: {escape(group['other'])}</li>" if group["other"] else "")
            + "\n    </ul>\n"
            for group in groups
        )
        or '    <p class="text-secondary mb-0">Nothing ticked.</p>\n'
    )
    answers = "".join(
        '      <li class="d-flex justify-content-between border-bottom py-1 gap-3">'
        f"<span>{_known(answer.question)}</span>"
        f'<strong class="{_ANSWER_CLASSES.get(answer.answer, "")} text-nowrap">'
        f"{_known(_ANSWERS.get(answer.answer, answer.answer))}</strong></li>\n"
        for answer in review.answers
    )
    return mark_safe(  # noqa: S308 (every value is escaped)
        '<section class="card mb-4" aria-labelledby="sum-complaint">\n'
        '  <div class="card-body">\n'
        '    <h2 class="h5" id="sum-complaint">Complaint</h2>\n'
        f'    <p class="mb-3">{linebreaksbr(intake.main_complaint)}</p>\n'
        '    <dl class="row mb-0 small">\n'
        '      <dt class="col-sm-4">Started</dt>'
        f'<dd class="col-sm-8">{started}</dd>\n'
        '      <dt class="col-sm-4">Wants to get back to</dt>'
        f'<dd class="col-sm-8">{linebreaksbr(intake.goals or "—")}</dd>\n'
        '      <dt class="col-sm-4">Medications</dt>'
        f'<dd class="col-sm-8">{linebreaksbr(intake.medications or "None given")}</dd>\n'
        f'      <dt class="col-sm-4">Surgery</dt><dd class="col-sm-8">{surgery}</dd>\n'
        '      <dt class="col-sm-4">Consent</dt>'
        f'<dd class="col-sm-8">{escape(intake.consent_name)}, {when(intake.consent_at)}</dd>\n'
        "    </dl>\n"
        "  </div>\n"
        "</section>\n"
        '<section class="card mb-4" aria-labelledby="sum-pain">\n'
        '  <div class="card-body">\n'
        '    <h2 class="h5" id="sum-pain">Pain</h2>\n'
        '    <div class="table-responsive">\n'
        '      <table class="table table-sm align-middle mb-0">\n'
        '        <thead><tr><th scope="col">Where</th><th scope="col">Pain</th>'
        '<th scope="col">Feels</th><th scope="col">Pattern</th><th scope="col">Worse</th>'
        "</tr></thead>\n"
        "        <tbody>\n"
        + "".join(_pain_row(pain) for pain in review.pains)
        + "        </tbody>\n"
        "      </table>\n"
        "    </div>\n"
        "  </div>\n"
        "</section>\n"
        '<section class="card mb-4" aria-labelledby="sum-factors">\n'
        '  <div class="card-body">\n'
        '    <h2 class="h5" id="sum-factors">Activities, footwear, history and symptoms</h2>\n'
        + factors
        + "  </div>\n"
        "</section>\n"
        '<section class="card mb-4" aria-labelledby="sum-flags">\n'
        '  <div class="card-body">\n'
        '    <h2 class="h5" id="sum-flags">Screening answers</h2>\n'
        '    <ul class="list-unstyled mb-0 small">\n' + answers + "    </ul>\n"
        "  </div>\n"
        "</section>\n"
    )


# --- Amendments --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _amendment_field(language: str | None) -> str:
    """The empty amendment box (`intake/_field.html` of an unbound AmendmentForm): the same
    markup on every review, so rendered once a process."""
    from intake.forms import AmendmentForm

    return render_to_string("intake/_field.html", {"field": AmendmentForm()["text"]})


def amendments(review: Review, *, links: Links, can_amend: bool, csrf_token: str) -> SafeString:
    """`intake/_amendments.html` with an empty form."""
    items = "".join(
        '    <article class="border-start border-3 ps-3 mb-3">\n'
        f'      <p class="small text-secondary mb-1">{when(amendment.created_at)} · '
        f"{escape(amendment.author)}</p>\n"
        f'      <p class="mb-0">{linebreaksbr(amendment.text)}</p>\n'
        "    </article>\n"
        for amendment in review.amendments
    ) or (
        '    <p class="text-secondary">None. A submitted intake is not changed; corrections are'
        " added here, dated and signed.</p>\n"
    )
    form = ""
    if can_amend:
        form = (
            f'    <form method="post" action="{links("intake:amend", review.intake.pk)}"'
            ' novalidate class="mt-2">\n'
            f"      {csrf_input(csrf_token)}\n"
            f"      {_amendment_field(get_language())}\n"
            '      <button class="btn btn-outline-secondary" type="submit">Add amendment</button>\n'
            "    </form>\n"
        )
    return mark_safe(  # noqa: S308 (every value is escaped)
        '<section class="card mb-4" aria-labelledby="amendments-heading">\n'
        '  <div class="card-body">\n'
        '    <h2 class="h5" id="amendments-heading">Amendments</h2>\n' + items + form + "  </div>\n"
        "</section>\n"
    )
