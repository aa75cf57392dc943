import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

READERS = ["therapist", "clinic_admin"]
PAGES = [
    ("knowledge:muscle_list", []),
    ("knowledge:muscle_detail", ["soleus"]),
    ("knowledge:zone_list", []),
    ("knowledge:zone_detail", ["plantar-heel"]),
]


@pytest.mark.parametrize("persona", READERS, indirect=True)
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_therapists_and_admins_read_the_library(persona, name, args):
    response = persona.get(reverse(name, args=args))
    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_receptionists_are_denied_the_library(as_receptionist, name, args):
    response = as_receptionist.get(reverse(name, args=args))
    assert response.status_code == 403
    assert "Soleus" not in response.content.decode()


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_is_sent_to_login_from_the_library(anonymous, name, args):
    response = anonymous.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_unknown_muscle_or_zone_is_not_found(as_therapist):
    assert as_therapist.get(reverse("knowledge:muscle_detail", args=["elbow"])).status_code == 404
    assert as_therapist.get(reverse("knowledge:zone_detail", args=["elbow"])).status_code == 404


def test_muscle_list_filters_by_zone_region_factor_and_name(as_therapist):
    url = reverse("knowledge:muscle_list")
    body = as_therapist.get(url, {"zone": "plantar-heel"}).content.decode()
    assert "Soleus" in body and "Rectus femoris" not in body
    body = as_therapist.get(url, {"region": "foot"}).content.decode()
    assert "Abductor hallucis" in body and "Soleus" not in body
    body = as_therapist.get(url, {"factor": "night-cramps"}).content.decode()
    assert "Gastrocnemius" in body and "Gluteus maximus" not in body
    body = as_therapist.get(url, {"q": "sole"}).content.decode()
    assert "Soleus" in body and "Popliteus" not in body


def test_an_unknown_filter_value_gets_a_message_not_an_error(as_therapist):
    response = as_therapist.get(reverse("knowledge:muscle_list"), {"zone": "elbow"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_muscle_page_shows_map_trigger_points_factors_self_care_and_sources(as_therapist):
    body = as_therapist.get(reverse("knowledge:muscle_detail", args=["soleus"])).content.decode()
    for text in (
        "Where its trigger points send pain",
        'data-zone="plantar-heel"',
        "Self-care advice",
        "Sources",
        "TS-V2",
        "Heel",
    ):
        assert text in body


def test_zone_page_lists_essential_referrers_first(as_therapist):
    response = as_therapist.get(reverse("knowledge:zone_detail", args=["posterior-knee"]))
    rows = response.context["rows"]
    kinds = [row["kind"] for row in rows]
    assert kinds == sorted(kinds, key=lambda kind: kind != "essential")
    assert "popliteus" in [row["muscle"].slug for row in rows if row["kind"] == "essential"]


def test_library_pages_have_bounded_query_counts(as_therapist, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        as_therapist.get(reverse("knowledge:muscle_list"))
    with django_assert_max_num_queries(14):
        as_therapist.get(reverse("knowledge:muscle_detail", args=["gastrocnemius"]))
    with django_assert_max_num_queries(10):
        as_therapist.get(reverse("knowledge:zone_detail", args=["calf"]))
    with django_assert_max_num_queries(8):
        as_therapist.get(reverse("knowledge:zone_list"))
