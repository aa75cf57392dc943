"""An unsigned note's findings and treatments are edited in place: their history reads as edits."""

import pytest
from django.apps import apps

from knowledge.models import Muscle
from treatments import services
from treatments.models import Finding, PlanMuscle, TreatmentGiven

pytestmark = pytest.mark.django_db


def _muscle(slug):
    return Muscle.objects.get(slug=slug)


def _finding(slug, side="left", state="active", tenderness=2):
    return {
        "muscle": _muscle(slug),
        "trigger_point": None,
        "side": side,
        "state": state,
        "tenderness": tenderness,
        "referral_reproduced": False,
    }


def _treatment(technique, slug=None, minutes=5):
    muscle = _muscle(slug) if slug else None
    return {
        "technique": technique,
        "muscle": muscle,
        "side": "",
        "pressure": "",
        "minutes": minutes,
    }


def _save(session, actor, findings, treatments):
    session.refresh_from_db()
    return services.session_note_save(
        request=None,
        actor=actor,
        session=session,
        version=session.version,
        data={"subjective": "Calf tight."},
        findings=findings,
        treatments=treatments,
    )


def _labels(model_name: str) -> list[str]:
    event = apps.get_model("treatments", model_name)
    return list(event.objects.order_by("pgh_id").values_list("pgh_label", flat=True))


def test_saving_a_note_again_keeps_its_findings_and_treatments_as_they_are(session, therapist):
    findings = [_finding("soleus"), _finding("gastrocnemius", side="right")]
    treatments = [_treatment("stretch", "soleus"), _treatment("heat")]
    _save(session, therapist, findings, treatments)
    ids = (
        list(Finding.objects.order_by("id").values_list("id", flat=True)),
        list(TreatmentGiven.objects.order_by("id").values_list("id", flat=True)),
    )
    _save(session, therapist, findings, treatments)
    assert (
        list(Finding.objects.order_by("id").values_list("id", flat=True)),
        list(TreatmentGiven.objects.order_by("id").values_list("id", flat=True)),
    ) == ids
    assert _labels("FindingEvent") == ["insert", "insert"]
    assert _labels("TreatmentGivenEvent") == ["insert", "insert"]


def test_a_changed_finding_is_updated_in_place_and_only_a_removed_one_is_deleted(
    session, therapist
):
    _save(session, therapist, [_finding("soleus"), _finding("piriformis")], [])
    soleus = Finding.objects.get(muscle__slug="soleus")
    _save(session, therapist, [_finding("soleus", state="latent", tenderness=1)], [])
    assert list(Finding.objects.values_list("id", "state", "tenderness")) == [
        (soleus.pk, "latent", 1)
    ]
    assert _labels("FindingEvent") == ["insert", "insert", "delete", "update"]


def test_a_finding_moved_to_another_muscle_keeps_its_row(session, therapist):
    _save(session, therapist, [_finding("soleus"), _finding("piriformis")], [])
    piriformis = Finding.objects.get(muscle__slug="piriformis")
    _save(session, therapist, [_finding("soleus"), _finding("gastrocnemius")], [])
    moved = Finding.objects.get(muscle__slug="gastrocnemius")
    assert moved.pk == piriformis.pk
    assert Finding.objects.count() == 2
    assert "delete" not in _labels("FindingEvent")


def test_removing_the_first_treatment_keeps_the_rows_of_the_others(session, therapist):
    rows = [_treatment("stretch", "soleus"), _treatment("heat"), _treatment("ice", minutes=10)]
    _save(session, therapist, [], rows)
    heat, ice = (TreatmentGiven.objects.get(technique=t).pk for t in ("heat", "ice"))
    _save(session, therapist, [], [*rows[1:], _treatment("cupping", "soleus")])
    saved = list(TreatmentGiven.objects.order_by("position").values_list("id", "technique"))
    assert saved[:2] == [(heat, "heat"), (ice, "ice")]
    assert saved[2][1] == "cupping"
    assert len(saved) == 3
    # The stretch row became the cupping row: an edit, not a delete and an insert.
    assert _labels("TreatmentGivenEvent").count("delete") == 0


def test_clearing_every_finding_and_treatment_deletes_the_rows_of_an_unsigned_note(
    session, therapist
):
    _save(session, therapist, [_finding("soleus")], [_treatment("heat")])
    _save(session, therapist, [], [])
    assert not Finding.objects.exists() and not TreatmentGiven.objects.exists()


def test_a_plans_kept_target_muscles_keep_their_rows(client_record, therapist):
    plan = services.plan_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={},
        muscles=[_muscle("soleus"), _muscle("piriformis")],
    )
    soleus = PlanMuscle.objects.get(muscle__slug="soleus").pk
    services.plan_update(
        request=None,
        actor=therapist,
        plan=plan,
        version=plan.version,
        data={},
        muscles=[_muscle("soleus"), _muscle("gastrocnemius")],
    )
    kept = dict(PlanMuscle.objects.values_list("muscle__slug", "id"))
    assert kept.keys() == {"soleus", "gastrocnemius"}
    assert kept["soleus"] == soleus
    assert _labels("PlanMuscleEvent") == ["insert", "insert", "delete", "insert"]
