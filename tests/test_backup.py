"""`make backup` and `make restore`: a dump restored elsewhere holds the same clinical rows."""

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from tests.factories import FindingFactory, SessionFactory, UserFactory, submitted_intake
from tests.treatments.conftest import write_note
from treatments import services

ROOT = Path(__file__).resolve().parent.parent

CLINICAL_TABLES = [
    "clinic_client",
    "clinic_auditevent",
    "clinic_clientevent",
    "intake_intake",
    "intake_painreport",
    "intake_intakefactor",
    "intake_redflaganswer",
    "intake_intakealert",
    "treatments_session",
    "treatments_sessionevent",
    "treatments_finding",
    "treatments_addendum",
    "knowledge_muscle",
]


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
        for table in CLINICAL_TABLES:
            pk = "pgh_id" if table.endswith("event") and table != "clinic_auditevent" else "id"
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
    therapist = UserFactory(role="Therapist")
    intake = submitted_intake(factors=("running",), pain={"calf:left": 4, "shin:right": 2})
    session = SessionFactory(client=intake.client, therapist=therapist)
    FindingFactory(session=session)
    write_note(session, therapist)
    session.refresh_from_db()
    services.session_sign(request=None, actor=therapist, session=session, version=session.version)
    source = _url(connection.settings_dict["NAME"])
    dump = tmp_path / "knotwork.dump"

    backup = _make("backup", f"FILE={dump}", database_url=source)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert f"wrote {dump}" in backup.stdout

    restore = _make("restore", f"FILE={dump}", database_url=scratch_database)
    assert restore.returncode == 0, restore.stderr
    expected = _fingerprint(source)
    assert expected["intake_painreport"][0] == 2
    assert expected["treatments_session"][0] == 1
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
