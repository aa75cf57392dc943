"""The intake review page: its one query (intake.review) and its parts written in Python
(intake.review_html), each against what the ORM and the templates they replace give."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from intake import review_html
from intake.forms import AmendmentForm
from intake.models import Amendment, Intake, PainReport
from intake.review import INTAKE_FIELDS, load_review, review_row
from intake.suggestions import intake_suggestions_store, referral_marks, suggestion_map_context
from intake.views import _factor_groups
from knowledge.models import Zone
from tests.factories import ClientFactory, UserFactory, intake_answers, submitted_intake

pytestmark = pytest.mark.django_db

TOKEN = "t" * 64


def same_markup(html: str) -> str:
    """Markup with whitespace between tags dropped and runs of it folded, CSRF tokens alike."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", html)
    html = re.sub(r">\s+<", "><", html)
    return re.sub(r"\s+", " ", html).strip()


@pytest.fixture
def rich(client_record, receptionist, therapist):
    """An intake with every kind of row, and text that needs escaping."""
    intake = submitted_intake(
        client=client_record,
        actor=receptionist,
        main_complaint="Knee <b>pain</b> & more\nSecond line “quoted”",
        onset_date="2025-03-04",
        goals="",
        medications="Ibuprofen\r\nWarfarin",
        pain={"calf:left": 7, "sacrum:both": 3, "medial-knee:right": 0, "arch:left": 10},
        factors=("running", "fall", "high-heels", "sciatica"),
        answers=intake_answers(anticoagulants="yes", pregnancy="unsure"),
        surgery="done",
        surgery_procedure="Arthroscopy <left>",
        surgery_side="left",
        surgery_date="2020-06-01",
        **{"factor_detail__fall": "Ski fall, 2019 & <ice>", "other__activity": "Tango <dance>"},
    )
    PainReport.objects.filter(intake=intake, zone__slug="calf").update(
        qualities=["burning", "aching"], pattern="constant", worse_at=["night", "activity"]
    )
    Amendment.objects.create(intake=intake, author=therapist, text="Seen again.\nBetter <now>")
    Amendment.objects.create(
        intake=intake, author=UserFactory(first_name="", last_name=""), text="Second"
    )
    return intake


def full(intake) -> Intake:
    return Intake.objects.with_details().get(pk=intake.pk)


# --- The query -----------------------------------------------------------------------------


def test_the_review_rows_are_what_the_orm_gives(rich, therapist):
    Intake.objects.filter(pk=rich.pk).update(
        status="reviewed", reviewed_at=timezone.now(), reviewed_by=therapist
    )
    orm = full(rich)
    review = load_review(rich.pk)
    for name in INTAKE_FIELDS:
        assert getattr(review.intake, name) == getattr(orm, name), name
    assert review.client.full_name == orm.client.full_name
    assert review.client.age == orm.client.age
    assert review.reviewer == therapist.get_full_name()
    assert [(p.zone, p.name, p.side, p.intensity, p.qualities, p.pattern, p.worse_at) for p in
            review.pains] == [
        (p.zone.slug, p.zone.name, p.side, p.intensity, tuple(p.qualities), p.pattern,
         tuple(p.worse_at))
        for p in orm.pain_reports.all()
    ]  # fmt: skip
    assert [(f.kind, f.name, f.detail) for f in review.factors] == [
        (f.factor.kind, f.factor.name, f.detail) for f in orm.factors.all()
    ]
    assert [(a.question, a.answer) for a in review.answers] == [
        (a.red_flag.question, a.answer) for a in orm.red_flag_answers.all()
    ]
    assert [(a.pk, a.flag, a.level, a.message, a.unsure) for a in review.alerts] == [
        (a.pk, a.flag, a.level, a.message, a.unsure) for a in orm.alerts.all()
    ]
    assert len(review.alerts) == 2
    assert [(a.created_at, a.author, a.text) for a in review.amendments] == [
        (a.created_at, a.author.get_full_name() or a.author.username, a.text)
        for a in orm.amendments.all()
    ]
    assert review.zone_names == dict(Zone.objects.values_list("slug", "name"))


def test_an_intake_without_rows_gives_empty_lists_and_an_unknown_id_does_not_exist(
    client_record,
):
    bare = Intake.objects.create(client=client_record, created_by=UserFactory())
    review = load_review(bare.pk)
    assert (review.pains, review.factors, review.answers, review.alerts) == ((), (), (), ())
    assert review.amendments == () and review.reviewer == ""
    with pytest.raises(Intake.DoesNotExist):
        load_review(bare.pk + 1000)
    assert len(review_row.compiled) == 1


# --- The parts against the templates they replace ------------------------------------------


def test_alerts_are_written_as_the_template_wrote_them(rich, submitted_without_alerts):
    for intake in (rich, submitted_without_alerts):
        expected = render_to_string(
            "intake/_alerts.html", {"alerts": full(intake).alerts.all(), "show_none": True}
        )
        assert same_markup(review_html.alerts(load_review(intake.pk).alerts)) == same_markup(
            expected
        )
    assert "not sure" in review_html.alerts(load_review(rich.pk).alerts)


@pytest.fixture
def submitted_without_alerts(receptionist):
    return submitted_intake(client=ClientFactory(), actor=receptionist)


def test_the_summary_is_written_as_the_template_wrote_it(rich, submitted_without_alerts):
    Intake.objects.filter(pk=submitted_without_alerts.pk).update(
        onset_date=None, onset_duration="", surgery="planned", surgery_procedure="Hip"
    )
    for intake in (rich, submitted_without_alerts):
        orm = full(intake)
        expected = render_to_string(
            "intake/_summary.html", {"intake": orm, "factor_groups": _factor_groups(orm)}
        )
        written = review_html.summary(load_review(intake.pk))
        assert same_markup(written) == same_markup(expected)
    assert "Tango &lt;dance&gt;" in review_html.summary(load_review(rich.pk))


@pytest.mark.parametrize("can_amend", [True, False])
def test_amendments_are_written_as_the_template_wrote_them(rich, can_amend, client_record):
    empty = submitted_intake(client=client_record)
    for intake in (rich, empty):
        expected = render_to_string(
            "intake/_amendments.html",
            {
                "intake": full(intake),
                "can_amend": can_amend,
                "amendment_form": AmendmentForm(),
                "csrf_token": TOKEN,
            },
        )
        written = review_html.amendments(
            load_review(intake.pk), links=review_html.Links(), can_amend=can_amend, csrf_token=TOKEN
        )
        assert same_markup(written) == same_markup(expected)


def test_the_referral_map_is_written_as_the_template_wrote_it(rich):
    intake_suggestions_store(request=None, actor=None, intake=rich)
    orm = full(rich)
    review = load_review(rich.pk)
    assert orm.suggestions
    for index, suggestion in enumerate(orm.suggestions[:3]):
        context = suggestion_map_context(orm, index)
        expected = render_to_string(
            "intake/_suggestion_map.html", {**context, "zone_names": review.zone_names}
        )
        written = review_html.referral_map(
            suggestion,
            links=review_html.Links(),
            marks=referral_marks(suggestion),
            outlined=[f"{pain.zone}:{pain.side}" for pain in review.pains],
            zone_names=review.zone_names,
        )
        assert same_markup(written) == same_markup(expected)


@pytest.mark.parametrize("status", ["draft", "submitted", "reviewed"])
@pytest.mark.parametrize("source", ["staff", "online"])
def test_the_status_badge_is_written_as_the_template_wrote_it(status, source):
    intake = Intake(status=status, source=source)
    expected = render_to_string("intake/_status_badge.html", {"intake": intake})
    assert same_markup(review_html.status_badge(intake)) == same_markup(expected)


def test_a_suggestion_is_written_with_its_links_score_reasons_and_points_escaped():
    intake = Intake(pk=7, client_id=3, status="submitted", suggested_at=None)
    intake.suggestions = [
        {
            "muscle": "soleus",
            "name": "Soleus <deep>",
            "score": 0.875,
            "rank": 1,
            "reasons": ["pain in the calf & heel"],
            "trigger_points": ["TP1 <upper>", "TP2"],
        }
    ]
    html = review_html.suggestions(
        intake, links=review_html.Links(), can_plan=True, csrf_token=TOKEN
    )
    muscle = reverse("knowledge:muscle_detail", args=["soleus"])
    plan = reverse("treatments:plan_add_muscle", args=[3])
    back = reverse("intake:review", args=[7])
    assert f'<a class="fw-semibold" href="{muscle}">Soleus &lt;deep&gt;</a>' in html
    assert "score 0.88</span>" in html and 'aria-label="Score 0.88 out of 1"' in html
    assert 'class="progress-bar bg-knot score-18"' in html
    assert f'hx-get="{reverse("intake:suggestion_map", args=[7, 0])}"' in html
    assert (
        f'<form method="post" action="{plan}"><input type="hidden" name="csrfmiddlewaretoken"'
        in html
    )
    assert f'<input type="hidden" name="next" value="{back}#suggestion-0">' in html
    assert "<li>Pain in the calf &amp; heel</li>" in html
    assert "Trigger points: TP1 &lt;upper&gt;, TP2</p>" in html
    assert reverse("intake:suggestions_refresh", args=[7]) in html
    without = review_html.suggestions(
        intake, links=review_html.Links(), can_plan=False, csrf_token=TOKEN
    )
    assert plan not in without and "Add to plan" not in without
    intake.suggestions, intake.status = [], "reviewed"
    none = review_html.suggestions(
        intake, links=review_html.Links(), can_plan=True, csrf_token=TOKEN
    )
    assert "No muscle in the library refers pain" in none
    assert "Kept as they were at review." in none and "Rank again" not in none


def test_links_are_the_reversed_urls():
    links = review_html.Links()
    assert links("intake:to_review") == reverse("intake:to_review")
    assert links("intake:review", 12) == reverse("intake:review", args=[12])
    assert links("intake:suggestion_map", 12, 3) == reverse("intake:suggestion_map", args=[12, 3])
    assert links.maker("intake:suggestion_map", 12)(4) == reverse(
        "intake:suggestion_map", args=[12, 4]
    )


# --- The page ------------------------------------------------------------------------------


def test_the_page_shows_every_part_and_its_bytes_are_whole(as_therapist, rich):
    response = as_therapist.get(reverse("intake:review", args=[rich.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<!--part" not in body
    assert body.count("<h1") == 1 and body.count('class="bm bm--display"') == 2
    for text in (
        "Review intake: ",
        "Suggested trigger points",
        "Knee &lt;b&gt;pain&lt;/b&gt; &amp; more<br>Second line “quoted”",
        "Ski fall, 2019 &amp; &lt;ice&gt;",
        "Better &lt;now&gt;",
        'id="review-bm"',
        'id="overlay-bm"',
        "Add amendment",
    ):
        assert text in body, text
    assert body.endswith("</html>\n")


def test_a_name_like_a_part_marker_is_escaped_not_replaced(as_therapist, receptionist):
    client = ClientFactory(first_name="<!--part 0 pain_map-->")
    intake = submitted_intake(client=client, actor=receptionist)
    body = as_therapist.get(reverse("intake:review", args=[intake.pk])).content.decode()
    assert "&lt;!--part 0 pain_map--&gt;" in body


def test_the_first_open_ranks_and_shows_when(as_therapist, rich):
    assert rich.suggested_at is None
    body = as_therapist.get(reverse("intake:review", args=[rich.pk])).content.decode()
    rich.refresh_from_db()
    assert rich.suggested_at is not None and rich.suggestions
    assert f"Ranked {review_html.when(rich.suggested_at)} from the pain map" in body
    assert AuditEvent.objects.filter(object_id=str(rich.pk), detail__suggestions__gte=1).exists()


def test_a_reviewed_intake_names_its_reviewer(as_therapist, rich, therapist):
    as_therapist.post(reverse("intake:mark_reviewed", args=[rich.pk]))
    body = as_therapist.get(reverse("intake:review", args=[rich.pk])).content.decode()
    assert f"by {therapist.get_full_name()}</p>" in body
    assert "Mark reviewed</button>" not in body and "Kept as they were at review." in body


def test_a_draft_goes_to_its_page_and_an_unknown_intake_is_not_found(
    as_therapist, client_record, therapist
):
    draft = Intake.objects.create(client=client_record, created_by=therapist)
    response = as_therapist.get(reverse("intake:review", args=[draft.pk]))
    assert response.status_code == 302 and response.url == draft.get_absolute_url()
    assert as_therapist.get(reverse("intake:review", args=[draft.pk + 99])).status_code == 404


def test_an_archived_clients_intake_is_not_found_by_a_therapist(as_therapist, rich, therapist):
    rich.client.archived_at, rich.client.archived_by = timezone.now(), therapist
    rich.client.save()
    response = as_therapist.get(reverse("intake:review", args=[rich.pk]))
    assert response.status_code == 404


def test_the_page_reads_the_intake_in_one_query(as_therapist, rich, django_assert_num_queries):
    url = reverse("intake:review", args=[rich.pk])
    as_therapist.get(url)  # ranks and stores the suggestions
    as_therapist.get(url)  # the session's "last seen" is saved at most once a minute
    with django_assert_num_queries(5) as captured:  # session, user, permissions, intake, audit
        as_therapist.get(url)
    assert sum("intake_intake" in q["sql"] for q in captured.captured_queries) == 1


def test_an_amendment_date_is_the_clinics_local_time(rich):
    review = load_review(rich.pk)
    created = Amendment.objects.filter(intake=rich).earliest("created_at").created_at
    assert review_html.when(review.amendments[0].created_at) == review_html.when(created)
    local = timezone.localtime(created)
    assert review_html.when(created).endswith(f"{local.hour:02d}:{local.minute:02d}")
    assert str(local.year) in review_html.when(created)
    assert '<dd class="col-sm-8">4 March 2025 (about 3 months)</dd>' in review_html.summary(review)
