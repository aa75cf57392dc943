"""Queries per request on the key pages, with enough rows that an N+1 would show.

The records come from `seed_scale` (40 clients; the progress client has 100 sessions with
findings, treatments and outcome measures), plus an intake to review with 20 pain reports and
10 factors. The ceiling is the issue's: 12 queries, the session, user and permission lookups
included. Timings are `make bench`'s business, not the tests'.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.test import Client as HttpClient
from django.urls import reverse

from clinic.scale import BENCH_THERAPIST, PROGRESS_CLIENT_SESSIONS
from intake.models import Intake, IntakeFactor, IntakeStatus, PainReport
from knowledge.models import Factor, Muscle, Zone
from tests.factories import FindingFactory, SessionFactory
from treatments.models import Session

MAX_QUERIES = 12

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_scale", clients=40, quiet=True, no_vacuum=True, stdout=None)
    therapist = get_user_model().objects.get(username=BENCH_THERAPIST)
    hundred = (
        Session.objects.values("client_id")
        .annotate(n=Count("id"))
        .filter(n=PROGRESS_CLIENT_SESSIONS)
        .order_by("client_id")
        .first()["client_id"]
    )
    intake = Intake.objects.filter(status=IntakeStatus.REVIEWED).first()
    intake.status = IntakeStatus.SUBMITTED
    intake.reviewed_at = intake.reviewed_by = intake.suggested_at = None
    intake.save()
    # Pain rows are never deleted (a trigger refuses): top the intake up to 20 reports.
    taken = set(PainReport.objects.filter(intake=intake).values_list("zone_id", "side"))
    wanted = [
        (zone, side)
        for zone in Zone.objects.order_by("position")
        for side in ("left", "right")
        if (zone.pk, side) not in taken
    ][: 20 - len(taken)]
    PainReport.objects.bulk_create(
        PainReport(intake=intake, zone=zone, side=side, intensity=5, qualities=["aching"])
        for zone, side in wanted
    )
    have = set(IntakeFactor.objects.filter(intake=intake).values_list("factor_id", flat=True))
    IntakeFactor.objects.bulk_create(
        IntakeFactor(intake=intake, factor=factor)
        for factor in Factor.objects.exclude(pk__in=have)[: 10 - len(have)]
    )
    # An unsigned note with six findings, as a therapist opens it to finish writing, in the
    # hour before the therapist's first seeded session: the factory's own hours may be booked.
    first = Session.objects.filter(therapist=therapist).order_by("starts_at").first()
    note = SessionFactory(
        client_id=hundred,
        therapist=therapist,
        booked_by=therapist,
        starts_at=first.starts_at - timedelta(hours=2),
        ends_at=first.starts_at - timedelta(hours=1),
        status="completed",
        subjective="Better this week.",
    )
    for muscle in Muscle.objects.order_by("id")[:6]:
        FindingFactory(session=note, muscle=muscle)
    day = Session.objects.filter(therapist=therapist).order_by("-starts_at").first()
    http = HttpClient()
    http.force_login(therapist)
    return {
        "http": http,
        "therapist": therapist,
        "client": hundred,
        "intake": intake,
        "note": note,
        "day": day.local_start.date(),
    }


def _pages(seeded) -> dict[str, str]:
    client = seeded["client"]
    note = seeded["note"]
    return {
        "client_search": reverse("client_list") + "?q=smi",
        "client_page": reverse("client_detail", args=[client]),
        "intake_review": reverse("intake:review", args=[seeded["intake"].pk]),
        "schedule_day": reverse("treatments:schedule_day")
        + f"?date={seeded['day'].isoformat()}&therapist={seeded['therapist'].pk}",
        "progress": reverse("treatments:progress", args=[client]),
        "session_note": reverse("treatments:session_note", args=[note.client_id, note.pk]),
    }


PAGES = ("client_search", "client_page", "intake_review", "schedule_day", "progress")


@pytest.mark.parametrize("page", [*PAGES, "session_note"])
def test_key_page_stays_within_the_query_budget(seeded, page, django_assert_max_num_queries):
    url = _pages(seeded)[page]
    # The first review ranks and stores the suggestions; the budget is for every later open.
    seeded["http"].get(url)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = seeded["http"].get(url)
    assert response.status_code == 200


def test_progress_page_of_a_hundred_sessions_has_no_query_per_session(
    seeded, django_assert_max_num_queries
):
    assert Session.objects.filter(client_id=seeded["client"]).count() > 100  # 100 and the note
    with django_assert_max_num_queries(MAX_QUERIES):
        response = seeded["http"].get(_pages(seeded)["progress"])
    assert response.status_code == 200
