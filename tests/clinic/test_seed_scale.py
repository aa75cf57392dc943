"""seed_scale: realistic shapes at a small size, and the triggers back on afterwards."""

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Count

from clinic.models import Client
from clinic.scale import BENCH_THERAPIST, PROGRESS_CLIENT_SESSIONS
from intake.models import Intake, PainReport
from treatments.models import Finding, OutcomeMeasure, Session, TreatmentPlan

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
