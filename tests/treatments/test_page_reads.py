"""treatments.page_reads: the note form's prepared reads give what the ORM reads gave."""

import pytest

from knowledge.models import Muscle, TriggerPoint
from tests.factories import ClientFactory, SessionFactory
from treatments import page_reads, services
from treatments.models import PlanMuscle, Session

pytestmark = pytest.mark.django_db


def _muscle(slug):
    return Muscle.objects.get(slug=slug)


@pytest.fixture
def noted_session(session, therapist):
    """The unsigned session with three findings (one at a trigger point) and two treatments."""
    point = TriggerPoint.objects.filter(muscle__slug="soleus").first()
    finding = {"trigger_point": None, "tenderness": None, "referral_reproduced": False}
    services.session_note_save(
        request=None,
        actor=therapist,
        session=session,
        version=session.version,
        data={"subjective": "Calf <tight>.", "pain_before": 5, "home_care": "Stretch."},
        findings=[
            {
                **finding,
                "muscle": _muscle("soleus"),
                "trigger_point": point,
                "side": "left",
                "state": "active",
                "tenderness": 2,
                "referral_reproduced": True,
            },
            {**finding, "muscle": _muscle("gastrocnemius"), "side": "right", "state": "latent"},
            {**finding, "muscle": _muscle("piriformis"), "side": "both", "state": "resolved"},
        ],
        treatments=[
            {
                "technique": "stretch",
                "muscle": _muscle("soleus"),
                "side": "left",
                "pressure": "",
                "minutes": 5,
            },
            {"technique": "heat", "muscle": None, "side": "", "pressure": "", "minutes": None},
        ],
    )
    return Session.objects.get(pk=session.pk)


def test_the_session_has_the_columns_and_therapist_the_orm_gives(noted_session, client_record):
    read = page_reads.note_session(pk=noted_session.pk, client=client_record)
    for column in page_reads.SESSION_COLUMNS:
        assert getattr(read, column) == getattr(noted_session, column), column
    assert read.therapist.get_full_name() == noted_session.therapist.get_full_name()
    assert read.therapist.username == noted_session.therapist.username
    assert read.client is client_record
    assert read.get_absolute_url() == noted_session.get_absolute_url()
    assert (read.is_signed, read.is_booked) == (False, True)


def test_another_clients_session_is_not_found(noted_session):
    assert page_reads.note_session(pk=noted_session.pk, client=ClientFactory()) is None
    assert page_reads.note_session(pk=2**63, client=noted_session.client) is None


def test_findings_and_treatments_come_in_the_notes_order(noted_session):
    findings = Session.objects.with_note().get(pk=noted_session.pk).findings.all()
    assert page_reads.note_findings(session_id=noted_session.pk) == [
        (
            f.muscle.slug,
            f.trigger_point_id,
            f.side,
            f.state,
            f.tenderness,
            f.referral_reproduced,
        )
        for f in findings
    ]
    treatments = Session.objects.with_note().get(pk=noted_session.pk).treatments.all()
    assert page_reads.note_treatments(session_id=noted_session.pk) == [
        (t.technique, t.muscle.slug if t.muscle_id else None, t.side, t.pressure, t.minutes)
        for t in treatments
    ]
    assert len(findings) == 3 and len(treatments) == 2


def test_plan_muscles_are_the_sessions_plan_or_else_the_active_plans(
    client_record, therapist, session
):
    plan = services.plan_create(
        request=None,
        actor=therapist,
        client=client_record,
        data={},
        muscles=[_muscle("soleus"), _muscle("piriformis")],
    )
    expected = [
        (pm.muscle.slug, pm.muscle.name, pm.muscle.self_care)
        for pm in PlanMuscle.objects.filter(plan=plan).order_by("added_at", "id")
    ]
    assert [tuple(row) for row in page_reads.plan_muscles(session)] == expected
    session.treatment_plan = plan
    assert [tuple(row) for row in page_reads.plan_muscles(session)] == expected
    other = SessionFactory(client=ClientFactory(), therapist=therapist)
    assert page_reads.plan_muscles(other) == []


def test_the_choice_rows_are_the_orms():
    assert page_reads.muscle_point_rows() == list(
        Muscle.objects.order_by(
            "name", "slug", "trigger_points__position", "trigger_points__id"
        ).values_list("slug", "name", "trigger_points__id", "trigger_points__label")
    )
