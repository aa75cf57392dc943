"""Nothing lost: clinical rows are never deleted, their history is kept, retention holds, and an
interrupted save leaves nothing half-written."""

import os
import select
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clinic.models import AuditEvent, Client, add_years
from clinic.services import client_archive
from intake.forms import IntakeForm, Vocabulary
from intake.models import (
    Amendment,
    Intake,
    IntakeAlert,
    IntakeFactor,
    OnlineIntakeLink,
    PainReport,
    RedFlagAnswer,
)
from intake.services import intake_create, intake_submit
from knowledge.models import Muscle
from tests.factories import (
    ClientFactory,
    FindingFactory,
    SessionFactory,
    TreatmentPlanFactory,
    UserFactory,
    aware,
    intake_answers,
    intake_post,
    submitted_intake,
)
from treatments.models import OutcomeMeasure, SurgeryEpisode, SurgeryNote

ROOT = Path(__file__).resolve().parent.parent

# Every clinical table: the history keeps inserts, updates and deletes of each.
CLINICAL_MODELS = [
    "clinic.Client",
    "intake.Intake",
    "intake.PainReport",
    "intake.IntakeFactor",
    "intake.RedFlagAnswer",
    "intake.IntakeAlert",
    "intake.Amendment",
    "intake.OnlineIntakeLink",
    "treatments.TreatmentPlan",
    "treatments.PlanMuscle",
    "treatments.Session",
    "treatments.Finding",
    "treatments.TreatmentGiven",
    "treatments.Addendum",
    "treatments.SurgeryEpisode",
    "treatments.SurgeryNote",
    "treatments.OutcomeMeasure",
]
# Working rows that an unsigned note or an open plan replaces (the history keeps them, and a
# signed note's are locked by their own trigger); every other clinical row is undeletable.
REPLACEABLE = {"treatments.PlanMuscle", "treatments.Finding", "treatments.TreatmentGiven"}


def _triggers(model) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [model._meta.db_table],
        )
        return {row[0] for row in cursor.fetchall()}


def _sql(statement: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
@pytest.mark.parametrize("label", CLINICAL_MODELS)
def test_every_clinical_table_keeps_a_trigger_based_history(label):
    model = apps.get_model(label)
    names = _triggers(model)
    for operation in ("insert_insert", "update_update", "delete_delete"):
        assert any(name.startswith(f"pgtrigger_{operation}_") for name in names), operation
    event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    assert event_model.objects.model is event_model


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(set(CLINICAL_MODELS) - REPLACEABLE))
def test_every_clinical_table_has_a_trigger_refusing_deletes(label):
    names = _triggers(apps.get_model(label))
    assert any(name.endswith(("_undeletable", "_append_only")) for name in _short(names)), names


def _short(names):
    # pgtrigger names its triggers "pgtrigger_<name>_<hash>".
    return {name.removeprefix("pgtrigger_").rsplit("_", 1)[0] for name in names}


@pytest.fixture
def whole_record(db):
    """One client with a row in every clinical table, the session still unsigned."""
    therapist = UserFactory(role="Therapist")
    client = ClientFactory(first_name="Maria", last_name="Lopez")
    intake = submitted_intake(
        client=client,
        factors=("running",),
        answers=intake_answers(**{"varicose-veins": "yes"}),
    )
    amendment = Amendment.objects.create(intake=intake, author=therapist, text="Also cycles.")
    link = OnlineIntakeLink.objects.create(
        client=client,
        token_hash="a" * 64,
        created_by=therapist,
        expires_at=timezone.now() + timedelta(days=7),
    )
    plan = TreatmentPlanFactory(client=client, therapist=therapist)
    session = SessionFactory(client=client, therapist=therapist, treatment_plan=plan)
    episode = SurgeryEpisode.objects.create(client=client, procedure="Arthroscopy", status="done")
    note = SurgeryNote.objects.create(episode=episode, text="Day 3: walking", author=therapist)
    measure = OutcomeMeasure.objects.create(
        client=client, kind="nprs", answers={"score": 5}, score=5, recorded_by=therapist
    )
    rows = {
        Client: client,
        Intake: intake,
        PainReport: intake.pain_reports.first(),
        IntakeFactor: intake.factors.first(),
        RedFlagAnswer: intake.red_flag_answers.first(),
        IntakeAlert: intake.alerts.first(),
        Amendment: amendment,
        OnlineIntakeLink: link,
        plan.__class__: plan,
        session.__class__: session,
        SurgeryEpisode: episode,
        SurgeryNote: note,
        OutcomeMeasure: measure,
    }
    assert all(rows.values())
    return rows


def test_sql_cannot_delete_any_clinical_row(whole_record):
    for model, row in whole_record.items():
        with pytest.raises(DatabaseError, match=r"Cannot (update or )?delete rows"):
            _sql(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [row.pk])  # noqa: S608
        assert model.objects.filter(pk=row.pk).exists(), model


def test_the_orm_cannot_delete_clinical_rows_in_bulk(whole_record):
    with pytest.raises(DatabaseError), transaction.atomic():
        PainReport.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        OutcomeMeasure.objects.all().delete()
    assert PainReport.objects.exists()
    assert OutcomeMeasure.objects.exists()


def test_an_unsigned_notes_replaced_findings_are_kept_in_the_history(therapist, client_record):
    from tests.treatments.conftest import write_note

    session = SessionFactory(client=client_record, therapist=therapist)
    finding = FindingFactory(session=session)
    write_note(session, therapist)
    assert not session.findings.exists()
    finding_events = apps.get_model("treatments", "FindingEvent").objects
    deleted = finding_events.get(pgh_obj_id=finding.pk, pgh_label="delete")
    assert deleted.muscle == Muscle.objects.get(slug="soleus")


def test_archiving_a_client_keeps_every_row(whole_record, clinic_admin):
    client = whole_record[Client]
    client_archive(request=None, actor=clinic_admin, client=client)
    for model, row in whole_record.items():
        assert model.objects.filter(pk=row.pk).exists(), model
    client.refresh_from_db()
    assert client.is_archived


# Retention: 7 years after the last service; a minor's record until they are 25


@pytest.mark.django_db
def test_retention_runs_seven_years_from_the_last_session():
    client = ClientFactory(date_of_birth=date(1980, 6, 1))
    SessionFactory(client=client, starts_at=aware(date(2019, 3, 4)), status="completed")
    SessionFactory(client=client, starts_at=aware(date(2021, 5, 10)), status="completed")
    assert client.last_service_on == date(2021, 5, 10)
    assert client.retention_until == date(2028, 5, 10)


@pytest.mark.django_db
def test_cancelled_and_future_sessions_are_not_services():
    client = ClientFactory(date_of_birth=date(1980, 6, 1))
    SessionFactory(client=client, starts_at=aware(date(2021, 5, 10)), status="completed")
    SessionFactory(
        client=client, starts_at=aware(date(2022, 1, 3)), status="cancelled", cancel_reason="Ill"
    )
    SessionFactory(client=client, starts_at=timezone.now() + timedelta(days=30), status="planned")
    assert client.last_service_on == date(2021, 5, 10)


@pytest.mark.django_db
def test_a_submitted_intake_counts_as_a_service():
    client = ClientFactory(date_of_birth=date(1980, 6, 1))
    SessionFactory(client=client, starts_at=aware(date(2021, 5, 10)), status="completed")
    intake = submitted_intake(client=client)
    assert client.last_service_on == timezone.localdate(intake.submitted_at)


@pytest.mark.django_db
def test_a_minors_record_is_kept_until_age_25_when_that_is_later():
    child = ClientFactory(date_of_birth=date(2010, 9, 15))
    SessionFactory(client=child, starts_at=aware(date(2020, 6, 1)), status="completed")
    # 7 years after would be 2027; 25 comes in 2035.
    assert Client.objects.get(pk=child.pk).retention_until == date(2035, 9, 15)


@pytest.mark.django_db
def test_a_minor_nearly_grown_up_is_kept_seven_years_when_that_is_later():
    teen = ClientFactory(date_of_birth=date(2003, 1, 1))
    SessionFactory(client=teen, starts_at=aware(date(2020, 6, 1)), status="completed")
    # 17 at the last session: 25 is 2028-01-01, 7 years is 2027-06-01.
    assert teen.retention_until == date(2028, 1, 1)
    adult = ClientFactory(date_of_birth=date(2002, 1, 1))
    SessionFactory(client=adult, starts_at=aware(date(2020, 6, 1)), status="completed")
    assert adult.retention_until == date(2027, 6, 1)


@pytest.mark.django_db
def test_a_client_without_any_service_is_kept_seven_years_from_registration():
    client = ClientFactory(date_of_birth=date(1990, 2, 2))
    assert client.retention_until == add_years(timezone.localdate(client.created_at), 7)


def test_29_february_moves_to_1_march():
    assert add_years(date(2024, 2, 29), 7) == date(2031, 3, 1)


def test_the_client_page_shows_the_retention_day_to_clinic_admins(
    as_admin, as_receptionist, client_record
):
    url = client_record.get_absolute_url()
    expected = f"{client_record.retention_until:%-d %B %Y}"
    assert f"Keep this record until at least {expected}" in as_admin.get(url).content.decode()
    assert "Keep this record until" not in as_receptionist.get(url).content.decode()


# An interrupted save leaves nothing half-written

CHILD = """
import sys, time

import django

django.setup()

from intake.forms import IntakeForm, Vocabulary
from intake.models import Intake, IntakeFactor, PainReport
from intake.services import intake_submit
from tests.factories import intake_post

intake = Intake.objects.get(pk=int(sys.argv[1]))
vocabulary = Vocabulary.load()
post = intake_post(
    version=intake.version,
    pain={"anterior-knee:left": 6, "calf:right": 4},
    factors=("running",),
)
form = IntakeForm(post, vocabulary=vocabulary, submitting=True)
assert form.is_valid(), form.errors


def pause(rows, *args, **kwargs):
    # The pain reports are written, inside the open transaction: stop here until killed.
    written = PainReport.objects.filter(intake=intake).count()
    print(f"PAUSED {written}", flush=True)
    time.sleep(120)


IntakeFactor.objects.bulk_create = pause
intake_submit(
    request=None,
    actor=intake.created_by,
    intake=intake,
    data=form.to_data(),
    version=intake.version,
    vocabulary=vocabulary,
)
print("FINISHED", flush=True)
"""


def _test_database_url() -> str:
    settings = connection.settings_dict
    auth = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        auth += ":" + quote(settings["PASSWORD"], safe="")
    host = quote(settings["HOST"] or "", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(settings['NAME'], safe='')}"


def _read_line(process, seconds: float) -> str:
    ready, _, _ = select.select([process.stdout], [], [], seconds)
    return process.stdout.readline().strip() if ready else ""


def _other_open_transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_while_saving_an_intake_leaves_no_partial_rows():
    receptionist = UserFactory(role="Receptionist")
    client = ClientFactory()
    intake = intake_create(request=None, actor=receptionist, client=client)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "clinic.settings_test",
    }
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", CHILD, str(intake.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(process, 60)
        assert line == "PAUSED 2", (line, process.stderr.read() if process.poll() else "")
        # Mid-transaction: the child sees its two pain reports, nobody else does.
        assert not PainReport.objects.filter(intake=intake).exists()
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()

    # The server rolls the dead connection's transaction back as soon as it notices.
    deadline = time.monotonic() + 30
    while _other_open_transactions() and time.monotonic() < deadline:
        time.sleep(0.1)
    intake.refresh_from_db()
    assert intake.status == Intake.Status.DRAFT
    assert intake.version == 1
    for model in (PainReport, IntakeFactor, RedFlagAnswer, IntakeAlert):
        assert not model.objects.filter(intake=intake).exists(), model
    assert not AuditEvent.objects.filter(client=client, action="submit").exists()
    intake_events = apps.get_model("intake", "IntakeEvent").objects.filter(pgh_obj=intake)
    assert list(intake_events.values_list("pgh_label", flat=True)) == ["insert"]
    # And the draft can still be submitted in full.
    vocabulary = Vocabulary.load()
    form = IntakeForm(intake_post(version=intake.version), vocabulary=vocabulary, submitting=True)
    assert form.is_valid(), form.errors
    done = intake_submit(
        request=None,
        actor=receptionist,
        intake=intake,
        data=form.to_data(),
        version=intake.version,
        vocabulary=vocabulary,
    )
    assert done.status == Intake.Status.SUBMITTED
    assert done.pain_reports.count() == 1
