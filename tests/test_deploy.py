"""`manage.py check --deploy` is clean under production settings."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "clinic.settings",
    "KNOTWORK_DEBUG": "0",
    "KNOTWORK_HTTPS": "1",
    "KNOTWORK_SECRET_KEY": "k7Qz-9vLw2Xr_T4mNp8sYb3Hc6Jd1Fg5Ke0Ra2Ut7Wi9Oq4Zl6Vx8By3Cn1Em5Gh",
    "KNOTWORK_ALLOWED_HOSTS": "clinic.example",
    "KNOTWORK_CSRF_TRUSTED_ORIGINS": "https://clinic.example",
}


def _check_deploy(**environment: str) -> subprocess.CompletedProcess:
    # The test run's own switches (tests/conftest.py) are not part of a deployment.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(environment)
    # The database the tests use is the one the settings module would read.
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or _local_database_url()
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _local_database_url() -> str:
    return (Path(settings.BASE_DIR) / "var" / "database-url").read_text().strip()


def test_check_deploy_reports_no_issues_with_production_settings():
    result = _check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_notices_when_https_is_off():
    result = _check_deploy(**{**PRODUCTION, "KNOTWORK_HTTPS": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
