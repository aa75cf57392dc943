"""Property tests of the amendment, online-link and import forms, through their views.

The intake form itself and the JSON import's text have theirs in test_properties.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from intake.models import Amendment, Intake, OnlineIntakeLink
from tests.factories import submitted_intake
from tests.hostile_input import (
    FORM_PROPERTIES,
    NUMBER,
    TEXT,
    assert_refused_with_a_message,
    field_values,
    posted,
    rolled_back,
    row_counts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def intake(client_record, receptionist):
    return submitted_intake(client=client_record, actor=receptionist)


@FORM_PROPERTIES
@given(post=field_values(text=st.sampled_from(["Pain started after a fall.", "  Two\nlines  "])))
def test_an_amendment_is_added_trimmed_or_refused_with_a_message(as_therapist, intake, post):
    url = reverse("intake:amend", args=[intake.pk])
    with rolled_back():
        before = row_counts(Amendment)
        response = posted(as_therapist, url, post)
        if response.status_code == 302:
            amendment = Amendment.objects.get(intake=intake)
            lines = post["text"].strip().splitlines()
            assert amendment.text == "\n".join(line.rstrip() for line in lines)
            assert amendment.text and "\x00" not in amendment.text
        else:
            assert_refused_with_a_message(response, before, Amendment)


@FORM_PROPERTIES
@given(
    post=field_values(
        days=st.one_of(st.integers(1, 30).map(str), NUMBER),
        send_email=st.sampled_from(["on", "", "off"]),
    )
)
def test_an_online_link_is_made_for_1_to_30_days_or_refused_with_a_message(
    as_receptionist, client_record, post
):
    url = reverse("intake:link_create", args=[client_record.pk])
    with rolled_back():
        before = row_counts(OnlineIntakeLink)
        response = posted(as_receptionist, url, post)
        if response.status_code == 200:
            link = OnlineIntakeLink.objects.get(client=client_record)
            days = (link.expires_at - link.created_at).days
            assert 1 <= round((link.expires_at - link.created_at).total_seconds() / 86400) <= 30
            # The form reads "7", " 7 " and "7.0" alike (Django's IntegerField).
            asked = int(float(post["days"]))
            assert days in (asked, asked - 1)
        else:
            assert_refused_with_a_message(response, before, OnlineIntakeLink)


VALID_JSON = b'{"pain": [{"zone": "calf", "side": "left", "intensity": 6}], "factors": ["running"]}'


@FORM_PROPERTIES
@given(
    content=st.one_of(
        st.just(VALID_JSON),
        st.binary(max_size=200),
        TEXT.map(str.encode),
        st.sampled_from([b"\xff\xfe{}", b"%PDF-1.4", b"\x00\x00", b"{}" + b" " * 1_100_000]),
    ),
    name=st.sampled_from(["intake.json", "intake.JSON", "photo.jpg", "intake.json.exe", "x"]),
    content_type=st.sampled_from(["application/json", "text/plain", "image/png", ""]),
)
def test_an_uploaded_intake_file_is_imported_or_refused_with_a_message(
    as_receptionist, client_record, content, name, content_type
):
    url = reverse("intake:import", args=[client_record.pk])
    upload = SimpleUploadedFile(name, content, content_type=content_type or None)
    with rolled_back():
        before = row_counts(Intake)
        response = posted(as_receptionist, url, {"json_text": "", "json_file": upload})
        if response.status_code == 302:
            assert name.lower().endswith(".json")
            assert len(content) <= 200_000
            assert Intake.objects.filter(client=client_record).count() == 1
        else:
            assert_refused_with_a_message(response, before, Intake)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("scan.pdf", b"%PDF-1.4", "application/pdf", "Choose a .json file"),
        ("intake.json", b"{}", "image/png", "Choose a .json file"),
        ("intake.json", b"{}" + b" " * 200_000, "application/json", "too large for an intake"),
        ("intake.json", b"\xff\xfe{}", "application/json", "not a UTF-8 text file"),
        ("intake.json", b'{"pain": []}\x00', "application/json", "binary data, not JSON"),
    ],
)
def test_an_upload_of_the_wrong_type_or_size_is_refused_with_a_plain_message(
    as_receptionist, client_record, name, content, content_type, message
):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    response = as_receptionist.post(
        reverse("intake:import", args=[client_record.pk]), {"json_file": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Intake.objects.exists()
