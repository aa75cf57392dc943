"""`make backup` and `make restore`: a dump restored elsewhere holds the same clinical rows."""

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pghistory
import psycopg
import pytest
from django.apps import apps
from django.db import connection

from intake.services import online_link_create
from knowledge.models import Muscle
from tests.factories import FindingFactory
from tests.test_escaping import records_with_payloads
from treatments.models import PlanMuscle, Session, TreatmentGiven, TreatmentPlan

ROOT = Path(__file__).resolve().parent.parent

# Every table of the clinical apps, their change history included, the history's context (who
# acted), and the knowledge base: read from the models, so a new table is compared too.
CLINICAL_APPS = ("clinic", "intake", "treatments", "knowledge", "pghistory")


def clinical_tables() -> dict[str, str]:
    """Table name -> primary-key column, for every concrete model of the clinical apps."""
    return {
        model._meta.db_table: model._meta.pk.column
        for app in CLINICAL_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.managed and not model._meta.proxy
    }


def _url(name: str) -> str:
    settings = connection.settings_dict
    auth = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        auth += ":" + quote(settings["PASSWORD"], safe="")
    host = quote(settings["HOST"] or "", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(name, safe='')}"


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Per table: the row count and an md5 of every row, in primary-key order."""
    found = {}
    with psycopg.connect(url) as db:
        for table, pk in clinical_tables().items():
            row = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.{pk}), '')) "  # noqa: S608
                f"FROM {table} t"
            ).fetchone()
            found[table] = (row[0], row[1])
    return found


def _make(*args: str, database_url: str, stdin: str = "", ci: bool = True):
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("MAKEFLAGS", None)
    if ci:
        env["CI"] = "true"
    else:
        env.pop("CI", None)
    return subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", *args],  # noqa: S607
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def scratch_database():
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    yield _url(name)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_another_database_has_the_same_rows(tmp_path, scratch_database):
    # One of each clinical record, with script payloads in its free text.
    records_with_payloads("script")
    session = Session.objects.filter(signed_at__isnull=True, status="planned").first()
    FindingFactory(session=session)
    plan = TreatmentPlan.objects.get()
    with pghistory.context(user=plan.therapist.pk):  # history that names who acted
        TreatmentGiven.objects.create(session=session, technique="stretch", minutes=5)
    PlanMuscle.objects.create(plan=plan, muscle=Muscle.objects.first(), added_by=plan.therapist)
    online_link_create(request=None, actor=plan.therapist, client=plan.client)
    source = _url(connection.settings_dict["NAME"])
    dump = tmp_path / "knotwork.dump"

    backup = _make("backup", f"FILE={dump}", database_url=source)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert f"wrote {dump}" in backup.stdout

    restore = _make("restore", f"FILE={dump}", database_url=scratch_database)
    assert restore.returncode == 0, restore.stderr
    expected = _fingerprint(source)
    empty = sorted(table for table, (rows, _) in expected.items() if rows == 0)
    assert empty == [], f"give these tables a row, so the comparison means something: {empty}"
    assert _fingerprint(scratch_database) == expected

    # Restoring again over the same data (--clean) gives the same rows, not twice as many.
    again = _make("restore", f"FILE={dump}", database_url=scratch_database)
    assert again.returncode == 0, again.stderr
    assert _fingerprint(scratch_database) == expected


@pytest.mark.django_db
def test_a_restore_refuses_without_a_file_or_an_answer(tmp_path, scratch_database):
    missing = _make("restore", database_url=scratch_database)
    assert missing.returncode != 0
    assert "make restore needs FILE=" in missing.stderr

    dump = tmp_path / "knotwork.dump"
    assert _make("backup", f"FILE={dump}", database_url=scratch_database).returncode == 0
    unanswered = _make("restore", f"FILE={dump}", database_url=scratch_database, ci=False)
    assert unanswered.returncode != 0
    assert "nothing restored" in unanswered.stderr

    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("hello")
    refused = _make("restore", f"FILE={not_a_dump}", database_url=scratch_database)
    assert refused.returncode != 0
    assert "not a pg_dump custom-format dump" in refused.stderr
