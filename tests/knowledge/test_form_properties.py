"""Property test of the library's filter form: any filter gets an answer, never a server error."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_input import FORM_PROPERTIES, TEXT, field_values

pytestmark = pytest.mark.django_db


@FORM_PROPERTIES
@given(
    params=field_values(
        q=st.one_of(st.sampled_from(["soleus", "calf", "Gastro"]), TEXT),
        zone=st.sampled_from(["", "calf", "anterior-knee", "no-such-zone"]),
        region=st.sampled_from(["", "leg", "foot", "moon"]),
        factor=st.sampled_from(["", "running", "no-such-factor"]),
    ),
    htmx=st.booleans(),
)
def test_the_muscle_library_answers_any_filter(as_therapist, params, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = as_therapist.get(reverse("knowledge:muscle_list"), params, **headers)
    assert response.status_code in (200, 400)
