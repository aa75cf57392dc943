"""Suggested trigger points on the review screen, kept with the intake."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import Intake
from knowledge.models import Referral
from tests.factories import ClientFactory, submitted_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def heel_intake(receptionist):
    """Heel pain on weight bearing after hill running: soleus territory."""
    return submitted_intake(
        client=ClientFactory(first_name="Maria", last_name="Lopez"),
        actor=receptionist,
        pain={"plantar-heel:right": 7, "posterior-heel:right": 5},
        factors=("hill-running-walking", "heel-weight-bearing-pain"),
    )


@pytest.mark.parametrize("persona", ["therapist", "clinic_admin"], indirect=True)
def test_review_shows_ranked_suggestions_with_reasons(persona, heel_intake):
    response = persona.get(reverse("intake:review", args=[heel_intake.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    heel_intake.refresh_from_db()
    first = heel_intake.suggestions[0]
    assert first["muscle"] == "soleus"
    assert first["rank"] == 1
    assert 0 < first["score"] <= 1
    assert any("essential referral zone" in reason for reason in first["reasons"])
    assert "Soleus" in body
    assert reverse("knowledge:muscle_detail", args=["soleus"]) in body
    assert reverse("treatments:plan_add_muscle", args=[heel_intake.client_id]) in body
    # The top suggestion's referral pattern is drawn over the client's pain.
    assert "bm-zone--outlined" in body
    assert AuditEvent.objects.filter(object_id=str(heel_intake.pk), action="update").exists()


def test_receptionists_never_see_suggestions(as_receptionist, heel_intake, therapist):
    from django.test import Client

    reviewer = Client()
    reviewer.force_login(therapist)
    reviewer.get(reverse("intake:review", args=[heel_intake.pk]))  # suggestions now stored

    assert as_receptionist.get(reverse("intake:review", args=[heel_intake.pk])).status_code == 403
    detail = as_receptionist.get(reverse("intake:detail", args=[heel_intake.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "Suggested trigger points" not in body
    assert "Soleus" not in body
    for name in ("intake:suggestion_map", "intake:suggestions_refresh"):
        args = [heel_intake.pk, 0] if name == "intake:suggestion_map" else [heel_intake.pk]
        response = (
            as_receptionist.get(reverse(name, args=args))
            if name == "intake:suggestion_map"
            else as_receptionist.post(reverse(name, args=args))
        )
        assert response.status_code == 403
        assert "Soleus" not in response.content.decode()


def test_anonymous_is_sent_to_login_from_suggestions(anonymous, heel_intake):
    for response in (
        anonymous.get(reverse("intake:suggestion_map", args=[heel_intake.pk, 0])),
        anonymous.post(reverse("intake:suggestions_refresh", args=[heel_intake.pk])),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_what_was_suggested_stays_with_the_intake_after_the_library_changes(
    as_therapist, heel_intake
):
    as_therapist.post(reverse("intake:mark_reviewed", args=[heel_intake.pk]))
    as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
    heel_intake.refresh_from_db()
    kept = heel_intake.suggestions
    assert kept and kept[0]["muscle"] == "soleus"

    # The library no longer says soleus refers to the heel.
    Referral.objects.filter(trigger_point__muscle__slug="soleus").delete()
    as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
    as_therapist.post(reverse("intake:suggestions_refresh", args=[heel_intake.pk]))
    heel_intake.refresh_from_db()
    assert heel_intake.suggestions == kept
    page = as_therapist.get(reverse("intake:suggestion_map", args=[heel_intake.pk, 0]))
    assert 'data-zone="plantar-heel"' in page.content.decode()
    assert "bm-zone--essential" in page.content.decode()


def test_ranking_again_uses_the_library_as_it_is_now(as_therapist, heel_intake):
    as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
    Referral.objects.filter(trigger_point__muscle__slug="soleus").delete()
    response = as_therapist.post(reverse("intake:suggestions_refresh", args=[heel_intake.pk]))
    assert response.status_code == 302
    heel_intake.refresh_from_db()
    assert "soleus" not in [s["muscle"] for s in heel_intake.suggestions]


def test_each_suggestion_can_be_drawn_over_the_pain_map(as_therapist, heel_intake):
    as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
    heel_intake.refresh_from_db()
    second = heel_intake.suggestions[1]
    response = as_therapist.get(
        reverse("intake:suggestion_map", args=[heel_intake.pk, 1]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert second["name"] in body
    assert "bm-zone--outlined" in body
    assert "<html" not in body


def test_an_unknown_suggestion_number_is_not_found(as_therapist, heel_intake):
    as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
    response = as_therapist.get(reverse("intake:suggestion_map", args=[heel_intake.pk, 99]))
    assert response.status_code == 404


def test_no_suggestion_without_a_pain_zone_a_muscle_refers_to(as_therapist, receptionist):
    intake = submitted_intake(actor=receptionist, pain={"genitals:both": 2}, factors=("running",))
    Referral.objects.filter(zone__slug="genitals").delete()
    as_therapist.post(reverse("intake:suggestions_refresh", args=[intake.pk]))
    response = as_therapist.get(reverse("intake:review", args=[intake.pk]))
    assert response.status_code == 200
    assert "No muscle in the library refers pain" in response.content.decode()
    assert Intake.objects.get(pk=intake.pk).suggestions == []


def test_review_page_query_count_is_bounded(
    as_therapist, heel_intake, django_assert_max_num_queries
):
    as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
    with django_assert_max_num_queries(25):
        as_therapist.get(reverse("intake:review", args=[heel_intake.pk]))
