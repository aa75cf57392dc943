"""Property tests of the exports page's forms: the sessions date range and the client import.

Whatever is sent: never a server error; a refused file or range is answered with a message; the
report step writes nothing; the confirm step writes every row of the file or none.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import event, given
from hypothesis import strategies as st

from clinic.models import Client
from tests.hostile_input import (
    DATE_TEXT,
    FORM_PROPERTIES,
    TEXT,
    assert_refused_with_a_message,
    rolled_back,
    row_counts,
)

pytestmark = pytest.mark.django_db

COLUMNS = ["first_name", "last_name", "date_of_birth", "phone", "email", "address"]
HOSTILE_CELL = st.one_of(
    TEXT,
    DATE_TEXT,
    st.sampled_from(["=SUM(A1:A2)", "@cmd", "-1", "+", "", "31/02/1960", "01/01/2999"]),
)
PLAUSIBLE = {
    "first_name": st.sampled_from(["Maria", "  Tom ", "Zoë", "<b>Bo</b>", "'=Ann"]),
    "last_name": st.sampled_from(["Lopez", "O'Neil", "Lee-Smith", "Ünal"]),
    "date_of_birth": st.sampled_from(["14/03/1985", "1979-11-02", "01/01/1960"]),
    "phone": st.sampled_from(["07700 900123", "'+44 20 7946 0000", ""]),
    "email": st.sampled_from(["maria@example.com", "A@B.CO ", ""]),
    "address": st.sampled_from(["1 High St, Bristol", "Flat 2\nMill Lane", ""]),
}


@st.composite
def csv_files(draw) -> str:
    """Half of them well formed with plausible cells (some rows hostile), half anything."""
    out = io.StringIO()
    writer = csv.writer(out)
    if draw(st.booleans()):
        header = draw(st.permutations(COLUMNS))
        writer.writerow(header)
        for _ in range(draw(st.integers(1, 5))):
            hostile = draw(st.integers(0, 3)) == 0
            writer.writerow([draw(HOSTILE_CELL if hostile else PLAUSIBLE[name]) for name in header])
    else:
        writer.writerow(draw(st.lists(st.sampled_from([*COLUMNS, "id", "nickname", ""]))))
        writer.writerows(draw(st.lists(st.lists(HOSTILE_CELL, max_size=8), max_size=6)))
    return out.getvalue()


FILE_BYTES = st.one_of(
    csv_files().map(str.encode),
    csv_files().map(lambda text: b"\xef\xbb\xbf" + text.encode()),
    st.binary(max_size=200),
)
FILE_NAME = st.sampled_from(["clients.csv", "CLIENTS.CSV", "clients.xlsx", "clients", ".csv"])


@FORM_PROPERTIES
@given(data=FILE_BYTES, name=FILE_NAME)
def test_any_uploaded_file_gets_a_report_or_a_message_and_writes_nothing(as_admin, data, name):
    with rolled_back():
        before = row_counts(Client)
        upload = SimpleUploadedFile(name, data, content_type="text/csv")
        response = as_admin.post(reverse("client_import"), {"file": upload})
        event(f"answered {response.status_code}")
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert_refused_with_a_message(response, before, Client)
        assert row_counts(Client) == before


@FORM_PROPERTIES
@given(text=st.one_of(csv_files(), TEXT))
def test_confirming_any_text_registers_every_row_or_none(as_admin, text):
    with rolled_back():
        before = Client.objects.count()
        response = as_admin.post(reverse("client_import"), {"csv_text": text})
        event(f"answered {response.status_code}")
        assert response.status_code in (302, 400, 409)
        after = Client.objects.count()
        if response.status_code == 302:
            rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
            assert after - before == len([row for row in rows if any(c.strip() for c in row)])
        else:
            assert after == before
            assert "nothing was registered" in response.content.decode() or (
                response.status_code == 400
            )


@FORM_PROPERTIES
@given(date_from=st.one_of(DATE_TEXT, st.just("")), date_to=st.one_of(DATE_TEXT, st.just("")))
def test_any_sessions_range_gets_a_file_or_a_message(as_admin, date_from, date_to):
    response = as_admin.get(
        reverse("export_sessions_csv"), {"date_from": date_from, "date_to": date_to}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response["Content-Type"].startswith("text/csv")
        assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfdate,")
    else:
        assert_refused_with_a_message(response, row_counts())
