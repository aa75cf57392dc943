import pytest
from django.urls import reverse

from knowledge.models import EngineWeight, Muscle, Referral

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    """The POST data a browser would send back for an admin change form, unchanged."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[key] = str(getattr(value, "pk", value))

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = str(value)
        for form in formset.initial_forms:
            add(form)
    return data


def essential_zones(muscle: Muscle) -> set[str]:
    return set(
        Referral.objects.filter(trigger_point__muscle=muscle, kind="essential").values_list(
            "zone__slug", flat=True
        )
    )


def test_clinic_admin_changes_referral_zones_and_the_library_shows_it(as_admin, as_therapist):
    muscle = Muscle.objects.get(slug="popliteus")
    url = reverse("admin:knowledge_muscle_change", args=[muscle.pk])
    data = form_data(as_admin.get(url))
    data["trigger_points-0-essential_zones"] = ["posterior-knee", "medial-calf"]
    data["trigger_points-0-spillover_zones"] = []
    response = as_admin.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert essential_zones(muscle) == {"posterior-knee", "medial-calf"}

    page = as_therapist.get(reverse("knowledge:muscle_detail", args=["popliteus"]))
    marks = {(m["zone"], m["level"]) for m in page.context["marks"]}
    assert ("medial-calf", "essential") in marks
    assert not any(zone == "calf" for zone, _ in marks)


def test_a_muscle_without_an_essential_zone_is_refused_with_the_reason(as_admin):
    muscle = Muscle.objects.get(slug="popliteus")
    url = reverse("admin:knowledge_muscle_change", args=[muscle.pk])
    data = form_data(as_admin.get(url))
    data["trigger_points-0-essential_zones"] = []
    response = as_admin.post(url, data)
    assert response.status_code == 200
    assert "needs at least one essential referral zone" in response.content.decode()
    assert essential_zones(muscle) == {"posterior-knee"}


def test_a_referral_to_an_unknown_zone_is_refused_with_the_reason(as_admin):
    muscle = Muscle.objects.get(slug="popliteus")
    url = reverse("admin:knowledge_muscle_change", args=[muscle.pk])
    data = form_data(as_admin.get(url))
    data["trigger_points-0-essential_zones"] = ["elbow"]
    response = as_admin.post(url, data)
    assert response.status_code == 200
    assert "elbow is not a zone of the body map" in response.content.decode()
    assert essential_zones(muscle) == {"posterior-knee"}


def test_a_zone_cannot_be_both_essential_and_spillover(as_admin):
    muscle = Muscle.objects.get(slug="popliteus")
    url = reverse("admin:knowledge_muscle_change", args=[muscle.pk])
    data = form_data(as_admin.get(url))
    data["trigger_points-0-spillover_zones"] = ["posterior-knee"]
    response = as_admin.post(url, data)
    assert response.status_code == 200
    assert "either essential or spillover" in response.content.decode()


def test_admin_changes_are_recorded_with_who_made_them(as_admin, clinic_admin):
    import pghistory.models

    weight = EngineWeight.objects.get(key="essential_zone")
    url = reverse("admin:knowledge_engineweight_change", args=[weight.pk])
    data = form_data(as_admin.get(url))
    data["value"] = "1.2"
    assert as_admin.post(url, data).status_code == 302
    event = pghistory.models.Events.objects.filter(
        pgh_obj_model="knowledge.EngineWeight", pgh_obj_id=str(weight.pk)
    ).latest("pgh_created_at")
    assert event.pgh_label == "update"
    assert event.pgh_context["user"] == clinic_admin.pk


def test_muscle_admin_lists_filters_and_previews(as_admin, django_assert_max_num_queries):
    url = reverse("admin:knowledge_muscle_changelist")
    with django_assert_max_num_queries(15):
        response = as_admin.get(url, {"zone": "plantar-heel"})
    body = response.content.decode()
    assert "Soleus" in body and "Rectus femoris" not in body
    assert "Soleus" in as_admin.get(url, {"factor": "heel-weight-bearing-pain"}).content.decode()
    change = as_admin.get(
        reverse("admin:knowledge_muscle_change", args=[Muscle.objects.get(slug="soleus").pk])
    )
    assert 'data-zone="plantar-heel"' in change.content.decode()


@pytest.mark.parametrize("persona", ["receptionist", "therapist"], indirect=True)
def test_only_clinic_admins_reach_the_knowledge_admin(persona):
    response = persona.get(reverse("admin:knowledge_muscle_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_anonymous_is_sent_to_the_admin_login(anonymous):
    response = anonymous.get(reverse("admin:knowledge_muscle_changelist"))
    assert response.status_code == 302
