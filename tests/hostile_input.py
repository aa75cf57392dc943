"""What the form property tests post: hostile text, numbers and dates, and the checks they share.

Each property posts through the test client, which raises any server error in the test, so
"never a 500" needs no assertion of its own. Every example runs in a transaction that is rolled
back, so examples do not see each other's rows.
"""

import re
from contextlib import contextmanager
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Model
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from clinic.models import AuditEvent

# Modest example counts keep the whole suite fast; hypothesis keeps failing examples in its
# database, so a failure found once is tried first next time.
FORM_PROPERTIES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\n  ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7*7 }}",
    "{% debug %}",
    "'; DROP TABLE clinic_client; --",
    "Ünïcødé ✓ 名前",
    "\u202eevil",
    '=HYPERLINK("http://x")',
    "0",
    "-1",
    "NaN",
    "1e309",
]
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY_TEXT),
    # Around the length limits (100, 200, 300, 2000, 4000, 8000 characters).
    st.sampled_from([99, 100, 101, 200, 201, 300, 301, 2001, 4001, 8001]).map(lambda n: "é" * n),
)
# Text a form should accept: printable characters, markup and template syntax included.
FREE_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=60),
    st.sampled_from(NASTY_TEXT[5:14]),
)
NUMBER = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.integers(-3, 300).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
DATE_TEXT = st.one_of(
    DAY.map(date.isoformat),
    DAY.map(lambda d: d.strftime("%d/%m/%Y")),
    st.integers(-800, 800).map(lambda n: (date.today() + timedelta(days=n)).isoformat()),
    st.sampled_from(["31/02/2024", "2024-13-01", "0000-00-00", "yesterday", "29/02/2023"]),
)
TIME_TEXT = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.sampled_from(["24:00", "9", "09:60", "noon", "-1:00"]),
)
ANYTHING = st.one_of(TEXT, NUMBER, DATE_TEXT, TIME_TEXT)


def field_values(**valid) -> st.SearchStrategy[dict[str, str]]:
    """A post: either every field with its plausible value, or each field plausible, anything
    at all, or missing. Half the examples are then near the valid path, which a post built of
    independent choices would rarely reach."""
    mixed = {name: st.one_of(strategy, strategy, ANYTHING) for name, strategy in valid.items()}
    return st.one_of(st.fixed_dictionaries(valid), st.fixed_dictionaries({}, optional=mixed))


def words(text: str) -> str:
    """How the forms normalise free text: runs of whitespace become one space."""
    return " ".join(text.split())


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """Run one example in a transaction, then throw its rows away."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def posted(http, url: str, data: dict):
    """POST `data`; the answer's status is counted in hypothesis's statistics, which show
    whether the examples reached both the saved and the refused branches."""
    response = http.post(url, data)
    event(f"HTTP {response.status_code}")
    return response


def row_counts(*models: type[Model]) -> dict[str, int]:
    """Rows per model, and audit events other than reads: what an invalid post must not add."""
    counts = {model._meta.label: model.objects.count() for model in models}
    counts["audit changes"] = AuditEvent.objects.exclude(action=AuditEvent.Action.VIEW).count()
    return counts


_ERROR_MARKS = re.compile(r'is-invalid|alert-danger|text-danger|invalid-feedback|class="errorlist')


def assert_refused_with_a_message(response, before: dict[str, int], *models: type[Model]):
    """An invalid post: re-rendered (400) with an error shown, and nothing written."""
    assert response.status_code == 400, response.status_code
    assert _ERROR_MARKS.search(response.content.decode()), "no error message shown"
    assert row_counts(*models) == before
