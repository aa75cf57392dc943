import pytest
from django.core.management import call_command

from intake.models import Intake, IntakeAlert

pytestmark = pytest.mark.django_db


def test_demo_intakes_cover_each_state_and_seed_runs_twice():
    call_command("seed_demo")
    call_command("seed_demo")
    assert Intake.objects.count() == 5
    statuses = sorted(Intake.objects.values_list("status", "source"))
    assert statuses == [
        ("draft", "staff"),
        ("reviewed", "staff"),
        ("submitted", "online"),
        ("submitted", "staff"),
        ("submitted", "staff"),
    ]
    assert IntakeAlert.objects.filter(level="refer").exists()
    assert IntakeAlert.objects.filter(level="caution").exists()
