"""The client page's cards, written in Python from one read, against the templates they replace.

`client_page_reference/` holds the cards' templates as they were (the sessions card as it was
before its rows were written in Python); each is rendered here with the context its tag built
through the ORM, and must give the same HTML as the tag, whitespace aside, for every role.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Subquery
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clinic.client_page import client_page_rows, permission_checker, read_rows
from clinic.services import client_archive
from intake.models import Intake, IntakeAlert, IntakeSource
from knowledge.models import Muscle
from tests.factories import (
    ClientFactory,
    IntakeFactory,
    SessionFactory,
    TreatmentPlanFactory,
    UserFactory,
    intake_answers,
    submitted_intake,
)
from treatments.models import (
    PlanMuscle,
    ReferralLetter,
    Session,
    SurgeryEpisode,
    TreatmentPlan,
)

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "client_page_reference"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=)"[^"]*"')


def _normal(html: str) -> str:
    html = CSRF.sub(r'\1""', str(html))
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def full_record(clinic_admin):
    """A client with every kind of row the page shows, names that need escaping included."""
    odd = UserFactory(username="we<ird>", first_name="", last_name="", role="Therapist")
    named = UserFactory(username="named", first_name="Ann & <b>", last_name="O'Hara")
    client = ClientFactory(
        first_name="Zoë <i>",
        last_name="Smith & Co",
        address="1 Road\n2 <Town>",
        emergency_contact_name="Bo & Jo",
        emergency_contact_phone="07700 900002",
        gp_details="",
    )
    reviewed = submitted_intake(client=client, actor=named)
    Intake.objects.filter(pk=reviewed.pk).update(
        status="reviewed", reviewed_by=named, reviewed_at=timezone.now() - timedelta(days=3)
    )
    submitted_intake(
        client=client, online=True, answers=intake_answers(anticoagulants="yes", pregnancy="unsure")
    )
    IntakeFactory(client=client, created_by=named)
    IntakeFactory(client=client, created_by=odd)
    IntakeFactory(client=client, created_by=None, source=IntakeSource.ONLINE)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for days, status in ((2, "planned"), (5, "planned"), (9, "cancelled"), (12, "planned")):
        SessionFactory(
            client=client,
            therapist=named,
            starts_at=now + timedelta(days=days),
            ends_at=now + timedelta(days=days, minutes=55),
            status=status,
            cancel_reason="ill" if status == "cancelled" else "",
        )
    for status in ("completed", "no-show", "cancelled", "planned", "completed"):
        SessionFactory(
            client=client,
            therapist=odd,
            status=status,
            cancel_reason="ill" if status == "cancelled" else "",
        )
    SessionFactory(
        client=client,
        therapist=odd,
        status="completed",
        signed_at=now - timedelta(days=30),
        signed_by=odd,
        starts_at=now - timedelta(days=31),
        ends_at=now - timedelta(days=31, minutes=-60),
    )
    day = timezone.localdate()
    TreatmentPlanFactory(client=client, status="completed", start_date=day - timedelta(300))
    active = TreatmentPlanFactory(
        client=client, start_date=day - timedelta(30), review_date=day - timedelta(1)
    )
    for muscle in Muscle.objects.order_by("name")[:3]:
        PlanMuscle.objects.create(plan=active, muscle=muscle, added_by=named)
    for days in (400, 500):
        TreatmentPlanFactory(client=client, status="stopped", start_date=day - timedelta(days))
    for procedure, side, date, status in (
        ("Knee <ACL> repair", "left", day - timedelta(50), "done"),
        ("Hip & replacement", "both", None, "planned"),
        ("Shoulder", "", day, "planned"),
    ):
        SurgeryEpisode.objects.create(
            client=client, procedure=procedure, side=side, date=date, status=status
        )
    ReferralLetter.objects.create(
        client=client, author=named, recipient_kind="gp", recipient_name="Dr <Who>", reason="x"
    )
    ReferralLetter.objects.create(
        client=client,
        author=odd,
        recipient_kind="surgeon",
        recipient_name="Mr Bone",
        reason="x",
        created_at=timezone.now() - timedelta(days=40),
    )
    return client


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _reference_context(request, client) -> dict:
    """What the cards' inclusion tags gave their templates, read through the ORM."""
    user = request.user
    context = {"client": client, "intakes": [], "alerts": [], "latest": None}
    if user.has_perm("intake.view_intake"):
        context["intakes"] = list(Intake.objects.for_client(client)[:20])
        newest = (
            Intake.objects.submitted()
            .filter(client=client)
            .order_by("-submitted_at", "-id")
            .values("pk")[:1]
        )
        alerts = list(
            IntakeAlert.objects.filter(intake=Subquery(newest))
            .select_related("intake")
            .order_by("position", "id")
        )
        context["alerts"] = alerts
        context["latest"] = alerts[0].intake if alerts else None
        context["submitted_at"] = context["latest"] and context["latest"].submitted_at
        context["intake_url"] = context["latest"] and context["latest"].get_absolute_url()
    context["clinical"] = user.has_perm("treatments.view_clinical_notes")
    if user.has_perm("treatments.view_session"):
        now = timezone.now()
        sessions = Session.objects.filter(client=client).select_related("therapist")
        context["upcoming"] = list(
            sessions.filter(starts_at__gte=now, status="planned").order_by("starts_at")[:5]
        )
        context["recent"] = list(
            sessions.filter(starts_at__lt=now)
            .exclude(status="cancelled")
            .order_by("-starts_at")[:8]
        )
        plans = list(TreatmentPlan.objects.filter(client=client).order_by("-start_date", "-id")[:3])
        for plan in plans:
            plan.muscle_names = [
                link.muscle.name
                for link in plan.plan_muscles.select_related("muscle").order_by("added_at", "id")
            ]
        context["plans"] = plans
        context["has_active_plan"] = any(plan.is_active for plan in plans)
        context["episodes"] = list(SurgeryEpisode.objects.filter(client=client).order_by("-date"))
    documents_clinical = user.has_perm("treatments.view_referralletter") and context["clinical"]
    context["can_give_record"] = user.has_perm("clinic.give_client_record")
    context["letters"] = list(
        ReferralLetter.objects.filter(client=client)
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    return context, documents_clinical


CARDS = [
    ("intakes", "{% load intake_tags %}{% client_intakes client %}"),
    ("alerts", "{% load intake_tags %}{% client_alerts client %}"),
    ("treatments", "{% load treatments_tags %}{% client_treatments client %}"),
    ("documents", "{% load documents_tags %}{% client_documents client %}"),
    ("heading", "{% load client_page %}{% client_heading client %}"),
    ("contact", "{% load client_page %}{% client_contact client %}"),
]


@pytest.mark.parametrize("role", ["receptionist", "therapist", "clinic_admin", "superuser"])
@pytest.mark.parametrize("archived", [False, True])
@pytest.mark.parametrize(("card", "tag"), CARDS)
def test_each_card_writes_what_its_template_wrote(request, full_record, role, archived, card, tag):
    user = (
        UserFactory(is_superuser=True, is_staff=True)
        if role == "superuser"
        else request.getfixturevalue(role)
    )
    client = full_record
    if archived:
        client_archive(request=None, actor=request.getfixturevalue("clinic_admin"), client=client)
        client = type(client).objects.select_related("archived_by").get(pk=client.pk)
    engine = engines["django"]
    http = _request(user)
    context, documents_clinical = _reference_context(http, client)
    if card == "documents":
        context["clinical"] = documents_clinical
    reference = engine.from_string((REFERENCE / f"{card}.html").read_text())
    expected = _normal(reference.render(context, http))
    written = _normal(engine.from_string(tag).render({"client": client}, _request(user)))
    assert written == expected
    if role != "receptionist" and card in ("treatments", "documents", "intakes"):
        assert "<li" in written  # the rows are there, not only the card's frame


def test_the_sections_are_read_in_one_query_and_equal_the_orm(
    full_record, django_assert_num_queries
):
    context, _clinical = _reference_context(_request(UserFactory(is_superuser=True)), full_record)
    with django_assert_num_queries(1):
        rows = read_rows(full_record.pk, lambda permission: True)
    assert [row[0] for row in rows.intakes] == [intake.pk for intake in context["intakes"]]
    first = context["intakes"][0]
    assert rows.intakes[0][3:6] == (first.created_at, first.submitted_at, first.reviewed_at)
    assert [(row[1], row[3]) for row in rows.alerts] == [
        (alert.level, alert.unsure) for alert in context["alerts"]
    ]
    assert rows.alerts[0][4:] == (context["latest"].pk, context["latest"].submitted_at)
    assert [(row[0], row[1], row[2]) for row in rows.upcoming] == [
        (s.pk, s.starts_at, s.ends_at) for s in context["upcoming"]
    ]
    assert [(row[0], row[4]) for row in rows.recent] == [
        (s.pk, s.signed_at) for s in context["recent"]
    ]
    assert [(row[0], row[1], row[3], row[4]) for row in rows.plans] == [
        (p.pk, p.start_date, p.review_date, p.muscle_names) for p in context["plans"]
    ]
    assert [(row[0], row[3]) for row in rows.surgery] == [
        (e.pk, e.date) for e in context["episodes"]
    ]
    assert [(row[0], row[1], row[4]) for row in rows.letters] == [
        (letter.pk, letter.created_at, letter.author.username) for letter in context["letters"]
    ]


def test_a_section_the_user_may_not_see_is_not_read(full_record, django_assert_num_queries):
    only_sessions = read_rows(full_record.pk, lambda p: p == "treatments.view_session")
    assert only_sessions.upcoming and only_sessions.recent
    assert not (only_sessions.intakes or only_sessions.alerts or only_sessions.plans)
    assert not (only_sessions.surgery or only_sessions.letters)
    with django_assert_num_queries(0):
        nothing = read_rows(full_record.pk, lambda permission: False)
    assert not nothing.upcoming and not nothing.intakes


def test_the_cards_of_one_page_share_one_read(full_record, therapist, django_assert_num_queries):
    request = _request(therapist)
    permission_checker(request)  # the user's permissions: read once a request anyway
    with django_assert_num_queries(1):
        first = client_page_rows(request, full_record)
        assert client_page_rows(request, full_record) is first


@pytest.mark.parametrize("kind", ["receptionist", "therapist", "clinic_admin", "superuser", "off"])
def test_the_permission_checker_answers_as_has_perm(request, kind):
    from django.contrib.auth.models import Permission

    if kind == "superuser":
        user = UserFactory(is_superuser=True)
    elif kind == "off":
        user = UserFactory(role="Therapist", is_active=False)
    else:
        user = request.getfixturevalue(kind)
    can = permission_checker(_request(user))
    for app_label, codename in Permission.objects.values_list(
        "content_type__app_label", "codename"
    ):
        name = f"{app_label}.{codename}"
        assert can(name) == user.has_perm(name), name
    assert not permission_checker(_request(AnonymousUser()))("clinic.view_client")


def test_the_client_page_reads_its_cards_once(as_therapist, full_record):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        body = as_therapist.get(reverse("client_detail", args=[full_record.pk])).content.decode()
    assert sum("JSONB_BUILD_ARRAY" in query["sql"] for query in captured.captured_queries) == 1
    assert body.count('class="alert alert-warning red-flag-alert') == 2
    assert 'id="recent-sessions"' in body and "Dr &lt;Who&gt;" in body


@pytest.mark.parametrize("fmt", ["j M", "j M Y", "D j M Y", "j F Y"])
@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_date_formatter_writes_what_the_date_filter_writes(fmt, language):
    from datetime import date

    from django.template import Context, Template
    from django.utils import translation

    from clinic.markup import date_formatter

    with translation.override(language):
        formatted = date_formatter(fmt)
        for value in (date(2026, 3, 7), date(1901, 12, 31), date(2024, 2, 29), None):
            expected = Template("{{ value|date:fmt }}").render(
                Context({"value": value, "fmt": fmt})
            )
            assert formatted(value) == expected


def test_urls_built_once_a_process_are_what_reverse_gives():
    from clinic.markup import url_for, url_maker

    assert url_for("treatments:session_book") == reverse("treatments:session_book")
    assert url_for("client_update", 7) == reverse("client_update", args=[7])
    for pk in (1, 918, 123456789):
        assert url_for("treatments:session_move", 12, pk) == reverse(
            "treatments:session_move", args=[12, pk]
        )
        assert url_maker("treatments:session_detail", 12)(pk) == reverse(
            "treatments:session_detail", args=[12, pk]
        )
        assert url_maker("intake:detail")(pk) == reverse("intake:detail", args=[pk])
