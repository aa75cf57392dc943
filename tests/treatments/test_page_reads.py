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
    read = page_reads.note_form(pk=noted_session.pk, client=client_record).session
    for column in page_reads.SESSION_COLUMNS:
        assert getattr(read, column) == getattr(noted_session, column), column
    assert read.therapist.get_full_name() == noted_session.therapist.get_full_name()
    assert read.therapist.username == noted_session.therapist.username
    assert read.client is client_record
    assert read.get_absolute_url() == noted_session.get_absolute_url()
    assert (read.is_signed, read.is_booked) == (False, True)


def test_another_clients_session_is_not_found(noted_session):
    assert page_reads.note_form(pk=noted_session.pk, client=ClientFactory()) is None
    assert page_reads.note_form(pk=2**63, client=noted_session.client) is None


def test_findings_and_treatments_come_in_the_notes_order(noted_session):
    read = page_reads.note_form(pk=noted_session.pk, client=noted_session.client)
    findings = Session.objects.with_note().get(pk=noted_session.pk).findings.all()
    assert read.findings == [
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
    assert read.treatments == [
        (t.technique, t.muscle.slug if t.muscle_id else None, t.side, t.pressure, t.minutes)
        for t in treatments
    ]
    assert len(findings) == 3 and len(treatments) == 2


def test_a_note_without_rows_has_empty_lists(session, client_record):
    read = page_reads.note_form(pk=session.pk, client=client_record)
    assert (read.findings, read.treatments, read.plan_muscles) == ([], [], [])


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

    def plan_muscles(session):
        read = page_reads.note_form(pk=session.pk, client=session.client)
        return [tuple(row) for row in read.plan_muscles]

    assert plan_muscles(session) == expected  # the client's active plan
    Session.objects.filter(pk=session.pk).update(treatment_plan=plan)
    assert plan_muscles(session) == expected  # the session's own plan
    services.plan_update(
        request=None, actor=therapist, plan=plan, version=plan.version, data={"status": "completed"}
    )
    assert plan_muscles(session) == expected  # still the session's plan, no longer active
    Session.objects.filter(pk=session.pk).update(treatment_plan=None)
    assert plan_muscles(session) == []
    other = SessionFactory(client=ClientFactory(), therapist=therapist)
    assert plan_muscles(other) == []


def test_the_choice_rows_are_the_orms_with_a_muscle_without_points_once(session, client_record):
    Muscle.objects.create(
        slug="aa-test-muscle",
        name="Aardvark muscle <test>",
        region=Muscle.objects.values_list("region", flat=True).first(),
        description="Test.",
        locating="Test.",
        self_care="Test.",
        ts_ref="Test.",
    )
    expected = list(
        Muscle.objects.order_by(
            "name", "slug", "trigger_points__position", "trigger_points__id"
        ).values_list("slug", "name", "trigger_points__id", "trigger_points__label")
    )
    assert any(row[2] is None for row in expected) and any(row[2] for row in expected)
    assert page_reads.muscle_point_rows() == expected
    read = page_reads.note_form(pk=session.pk, client=client_record)
    assert read.choice_rows == expected
