"""seed_scale: realistic shapes at a small size, and the triggers back on afterwards."""

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Q

from clinic.models import Client
from clinic.scale import BENCH_THERAPIST, PROGRESS_CLIENT_SESSIONS
from intake.models import Intake, PainReport
from treatments.models import (
    Finding,
    OutcomeMeasure,
    Session,
    TreatmentGiven,
    TreatmentPlan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = io.StringIO()
    call_command("seed_scale", clients=50, quiet=True, no_vacuum=True, stdout=out)
    return out.getvalue()


def test_seed_scale_writes_clients_with_few_sessions_for_most_and_many_for_some(seeded):
    assert "Seeded in" in seeded
    assert Client.objects.count() == 50
    per_client = Counter(dict(Session.objects.values_list("client_id").annotate(n=Count("id"))))
    counts = sorted(per_client.get(pk, 0) for pk in Client.objects.values_list("pk", flat=True))
    median = counts[len(counts) // 2]
    assert median <= 12
    assert max(counts) >= PROGRESS_CLIENT_SESSIONS
    assert PROGRESS_CLIENT_SESSIONS in counts
    assert Intake.objects.count() >= 50
    assert PainReport.objects.exists()
    assert Finding.objects.count() >= Session.objects.filter(status="completed").count()
    assert OutcomeMeasure.objects.exists()
    assert TreatmentPlan.objects.filter(status="active").count() <= 50


def test_seed_scale_counts_stay_within_the_documented_shapes(seeded):
    sessions = Session.objects.count()
    # 49 log-normal clients (median about 7, 1 in 10 with none) and the 100-session client.
    assert 100 + 49 < sessions < 100 + 49 * 40
    assert 50 <= Intake.objects.count() <= 75  # one each, a second or third for the busiest
    assert get_user_model().objects.filter(groups__name="Therapist").count() == 60
    # The first client is the progress page's: exactly 100 sessions.
    first = Client.objects.order_by("pk").annotate(n=Count("sessions")).first()
    assert first.n == PROGRESS_CLIENT_SESSIONS


def test_seed_scale_links_rows_to_records_that_exist_and_belong_to_the_same_client(seeded):
    # The foreign-key triggers are off while seeding, and the ids of plans and intakes are
    # handed out before those rows are written: check the links by hand.
    assert (
        not Session.objects.filter(treatment_plan__isnull=False)
        .exclude(treatment_plan__client=F("client"))
        .exists()
    )
    planned = Session.objects.filter(treatment_plan__isnull=False).values("treatment_plan_id")
    assert TreatmentPlan.objects.filter(pk__in=planned).count() == (planned.distinct().count())
    assert TreatmentPlan.objects.filter(source_intake__isnull=True).count() == 0
    assert not TreatmentPlan.objects.exclude(source_intake__client=F("client")).exists()
    completed = Session.objects.filter(status="completed")
    assert not completed.filter(findings__isnull=True).exists()
    assert TreatmentGiven.objects.count() == completed.count()
    assert not Finding.objects.exclude(session__status="completed").exists()
    assert (
        not OutcomeMeasure.objects.filter(session__isnull=False)
        .exclude(Q(session__client=F("client")) & Q(session__status="completed"))
        .exists()
    )
    assert not PainReport.objects.filter(intake__status="draft").exists()


def test_seed_scale_never_double_books_a_therapist(seeded):
    slots = Session.objects.exclude(status="cancelled").values_list("therapist_id", "starts_at")
    assert len(slots) == len(set(slots))


def test_seed_scale_gives_the_bench_therapist_a_known_login(seeded):
    therapist = get_user_model().objects.get(username=BENCH_THERAPIST)
    assert therapist.check_password("knotwork-bench-2026")
    assert therapist.groups.filter(name="Therapist").exists()


def test_seed_scale_leaves_the_triggers_on(seeded):
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    client = Client.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Client.objects.filter(pk=client.pk).delete()
    signed = Session.objects.filter(signed_at__isnull=False).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Session.objects.filter(pk=signed.pk).update(subjective="changed")


def test_seed_scale_refuses_a_database_that_has_clients(seeded):
    with pytest.raises(CommandError, match="already has clients"):
        call_command("seed_scale", clients=5, quiet=True, stdout=io.StringIO())
