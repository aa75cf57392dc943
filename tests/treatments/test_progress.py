"""The progress page's reads (one query, as JSON) and its charts give what the ORM and the
charts drawn before gave."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from clinic.access import get_client_for_user
from clinic.roles import permission_set
from knowledge.models import Muscle, TriggerPoint, Zone
from tests.factories import (
    ClientFactory,
    FindingFactory,
    IntakeFactory,
    SessionFactory,
    TreatmentPlanFactory,
    submitted_intake,
)
from tests.treatments import reference_charts
from treatments import charts, progress, progress_html
from treatments.models import Finding, OutcomeMeasure, SurgeryEpisode

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(therapist):
    """A client with something of everything the progress page reads, and another client."""
    client = ClientFactory()
    soleus = Muscle.objects.get(slug="soleus")
    point = TriggerPoint.objects.filter(muscle=soleus).first()
    sessions = [SessionFactory(client=client, therapist=therapist, pain_before=n) for n in range(4)]
    sessions[0].status = "completed"
    sessions[0].assessment = 'Better: "less" <pain> & more sleep'
    sessions[0].starts_at += timedelta(microseconds=123456)  # the epoch keeps microseconds
    sessions[0].ends_at += timedelta(minutes=1)
    sessions[0].save()
    sessions[3].status = "cancelled"
    sessions[3].cancel_reason = "Ill"
    sessions[3].save()
    FindingFactory(session=sessions[0], muscle=soleus, trigger_point=point, tenderness=None)
    FindingFactory(session=sessions[1], muscle=soleus, side="both", state="latent")
    FindingFactory(session=sessions[2], muscle=soleus, trigger_point=point, state="resolved")
    FindingFactory(session=sessions[3], muscle=soleus)  # of a cancelled session: not shown
    zone = Zone.objects.order_by("position").first()
    for kind, score, on_zone in [
        ("nprs", "4.0", None),
        ("nprs", "7.0", zone),
        ("psfs", "6.4", None),
        ("lefs", "41.0", None),
    ]:
        OutcomeMeasure.objects.create(
            client=client,
            kind=kind,
            score=Decimal(score),
            zone=on_zone,
            measured_on=timezone.localdate() - timedelta(days=3),
            recorded_by=therapist,
        )
    submitted_intake(client=client, pain={"anterior-knee:left": 6, "sacrum:both": 3})
    IntakeFactory(client=client)  # a draft: its pain is not read
    SurgeryEpisode.objects.create(
        client=client, procedure="Knee", status="done", side="left", date=date(2026, 3, 2)
    )
    SurgeryEpisode.objects.create(client=client, procedure="Hip", status="planned")
    TreatmentPlanFactory(
        client=client, therapist=therapist, review_date=timezone.localdate() + timedelta(days=9)
    )
    SessionFactory(therapist=therapist)  # another client's
    return client


def _fields(instance) -> dict:
    values = dict(vars(instance))
    del values["_state"]
    return values


def test_each_read_gives_the_rows_the_orm_gives(record):
    rows = progress.read(record.pk)
    zone = timezone.get_current_timezone()

    sessions = progress.SESSIONS.rows(record.pk).values_list(
        "id", "starts_at", "status", "pain_before", "pain_after"
    )
    assert len(sessions) == 3
    assert [
        [pk, progress.from_epoch(start, zone), *rest]
        for pk, start, *rest in rows[progress.SESSIONS]
    ] == [[pk, timezone.localtime(start), *rest] for pk, start, *rest in sessions]

    measures = progress.MEASURES_READ.rows(record.pk).values_list(
        "id", "kind", "score", "measured_on", "zone_id", "zone__name"
    )
    assert rows[progress.MEASURES_READ] == [list(row) for row in measures]
    assert [str(row[2]) for row in rows[progress.MEASURES_READ]] == ["4.0", "7.0", "6.4", "41.0"]

    reports = progress.PAIN_REPORTS.rows(record.pk).values_list(
        "intake__submitted_at", "zone__name", "side", "intensity"
    )
    assert len(reports) == 2
    assert [[progress.from_epoch(when), *rest] for when, *rest in rows[progress.PAIN_REPORTS]] == [
        list(row) for row in reports
    ]

    # Every finding of the client's sessions, a cancelled session's too (`build` leaves those
    # out); in no particular order within a row.
    findings = (
        Finding.objects.filter(session__client=record)
        .order_by("session_id")
        .values_list(
            "muscle__name",
            "trigger_point_id",
            "trigger_point__label",
            "side",
            "session_id",
            "state",
            "tenderness",
        )
    )
    grouped: dict[tuple, list] = {}
    for *key, session_id, state, tenderness in findings:
        grouped.setdefault(tuple(key), []).append([session_id, state, tenderness])
    assert len(grouped) == 3
    read_rows = {
        (muscle, point_id, label, side): sorted(map(list, zip(ids, states, tender, strict=True)))
        for muscle, point_id, label, side, ids, states, tender in rows[progress.FINDINGS]
    }
    assert read_rows == grouped

    for read in (progress.EPISODES, progress.PLANS):
        instances = list(read.rows(record.pk))
        assert instances
        made = progress._instances(type(instances[0]), rows[read])
        assert [_fields(i) for i in made] == [_fields(i) for i in instances]
        assert all(not i._state.adding and i._state.db == "default" for i in made)


def test_a_client_with_nothing_recorded_reads_empty_lists():
    client = ClientFactory()
    assert progress.read(client.pk) == {read: [] for read in progress.READS}


def test_the_progress_of_a_client_is_read_in_one_query(record, django_assert_num_queries):
    progress.build(record)
    with django_assert_num_queries(1):
        built = progress.build(record)
    assert len(built.sessions) == 3
    assert len(built.finding_columns) == 3
    assert [e.procedure for e in built.episodes] == ["Knee", "Hip"]


def test_the_page_reads_the_client_with_its_lists_in_one_query(
    record, therapist, receptionist, django_assert_num_queries
):
    progress.client_and_lists(therapist, record.pk)
    therapist = User.objects.get(pk=therapist.pk)  # a fresh user: permissions not yet read
    permission_set(therapist)
    with django_assert_num_queries(1):
        client, lists = progress.client_and_lists(therapist, record.pk)
    assert _fields(client) == _fields(get_client_for_user(therapist, record.pk))
    assert lists == progress.read(record.pk)
    # The receptionist's permissions are read, then the refusal: nothing of the client.
    with django_assert_num_queries(1), pytest.raises(PermissionDenied):
        progress.client_and_lists(receptionist, record.pk)
    for missing in (10**9, "x"):
        with pytest.raises(Http404):
            progress.client_and_lists(therapist, missing)


def test_an_archived_client_s_progress_is_for_those_who_may_archive(
    record, therapist, clinic_admin
):
    record.archived_at, record.archived_by = timezone.now(), clinic_admin
    record.save()
    with pytest.raises(Http404):
        progress.client_and_lists(therapist, record.pk)
    client, lists = progress.client_and_lists(clinic_admin, record.pk)
    assert client.archived_by == clinic_admin
    assert len(lists[progress.SESSIONS]) == 3


def test_the_findings_of_a_cancelled_session_are_not_in_the_grid(record):
    built = progress.build(record)
    cancelled = record.sessions.get(status="cancelled")
    assert cancelled.pk not in [s.pk for s in built.finding_columns]
    # Its only finding was the sole one of "Soleus, left": that row is not drawn at all.
    assert [row.label for row in built.finding_rows] == [
        "Soleus",
        "Soleus, TrP1 (lowest, above the heel), left",
    ]


# Charts: the faster drawing against the drawing it replaced (tests/treatments/reference_charts)


def _random_chart(seed: int) -> charts.Chart:
    """Series of every length, values of both kinds, names needing escapes, markers."""
    rnd = random.Random(seed)
    series = []
    for _ in range(rnd.randint(0, 4)):
        start = date(2020, 1, 1) + timedelta(days=rnd.randint(0, 2000))
        points = []
        for _ in range(rnd.choice([0, 1, 2, 5, 60])):
            day = start + timedelta(days=rnd.randint(0, rnd.choice([0, 3, 10, 400])))
            value = rnd.choice(
                [rnd.randint(0, 10), float(rnd.randint(0, 80)), rnd.randint(0, 100) / 10, 7.25]
            )
            points.append((day, value))
        series.append(
            charts.Series(
                rnd.choice(["Heel <x>", "A&B", "Before", "LEFS", 'Zone "q"']),
                points,
                rnd.choice(["", "#c0392b"]),
                rnd.random() < 0.3,
            )
        )
    markers = [
        charts.Marker(
            date(2020, 1, 1) + timedelta(days=rnd.randint(0, 2500)),
            rnd.choice(["Surgery: knee <L>", "Plan review"]),
            rnd.choice(["surgery", "review", "other"]),
        )
        for _ in range(rnd.randint(0, 3))
    ]
    y_max, step = rnd.choice([(10, 2), (80, 10), (10.0, 2.5), (10, 3)])
    return charts.Chart(
        rnd.choice(["Pain <b>", "T&T"]),
        series,
        y_max,
        step,
        markers,
        rnd.choice(["", "pain", "LEFS <"]),
        rnd.random() < 0.5,
    )


def test_a_chart_is_drawn_as_the_reference_drawing_drew_it():
    for seed in range(400):
        chart = _random_chart(seed)
        drawn = charts.render_with_id(chart, "chart-x")
        assert drawn == reference_charts.render_with_id(chart, "chart-x"), seed


def test_the_charts_of_a_progress_are_drawn_as_the_reference_drew_them(record):
    built = progress.build(record)
    for item in built.charts:
        assert charts.render(item["chart"]) == reference_charts.render(item["chart"])


# The page's content: written in Python, as the template (tests/treatments/reference_progress.html)
# wrote it.


def _reference_content(client, built, can_record: bool) -> str:
    from pathlib import Path

    from django.template import engines

    from treatments import progress_html

    text = (Path(__file__).parent / "reference_progress.html").read_text()
    template = engines["django"].from_string(text.split("#}", 1)[1])
    nprs = built.measure_tables.get("nprs", [])
    return template.render(
        {
            "client": client,
            "progress": built,
            "charts": [
                {
                    **item,
                    "svg": charts.render_with_id(item["chart"], f"chart-{item['id']}"),
                    "rows_html": progress_html.chart_table_rows(item, client.pk),
                }
                for item in built.charts
            ],
            "nprs_rows": nprs,
            "nprs_rows_html": progress_html.measure_rows(nprs, unit="/10"),
            "findings_grid": progress_html.findings_grid(
                built.finding_columns, built.finding_rows, client.pk
            ),
            "can_record": can_record,
        }
    )


def test_the_page_is_written_as_the_template_wrote_it(record, therapist):
    from treatments import progress_html

    record.preferred_name = "<Bea> & co"
    empty = ClientFactory()
    archived = ClientFactory(archived_at=timezone.now(), archived_by=therapist)
    for client in (record, empty, archived):
        built = progress.build(client)
        for can_record in (True, False):
            expected = _reference_content(client, built, can_record)
            assert (
                "".join(progress_html.page_parts(client, built, can_record=can_record)) == expected
            )


def test_the_progress_page_shows_the_written_content(as_therapist, record):
    from django.urls import reverse

    body = as_therapist.get(reverse("treatments:progress", args=[record.pk])).content.decode()
    assert body.count("<h1") == 1
    assert "Record NPRS" in body and "<svg" in body and "findings-grid" in body
    assert "Better: &quot;less&quot;" not in body  # a note's assessment is not shown
    # The content's pieces, put into the response one by one, are the content written whole.
    assert (
        "".join(progress_html.page_parts(record, progress.build(record), can_record=True)) in body
    )
    assert "<!--part" not in body


def test_urls_reversed_once_a_process_are_the_ones_reverse_gives():
    from django.urls import reverse

    from treatments import progress_html

    for viewname, args in [
        ("treatments:session_detail", (3, 71)),
        ("treatments:measure_create", (12, "lefs")),
        ("client_detail", (5,)),
        ("treatments:progress_report", (5,)),
    ]:
        assert progress_html._url(viewname, *args) == reverse(viewname, args=args)
    assert progress_html._session_url(4)(9) == reverse("treatments:session_detail", args=[4, 9])


def test_dates_are_written_as_the_date_filter_writes_them_in_each_language():
    from django.template.defaultfilters import date as date_filter
    from django.utils import translation

    from treatments import progress_html

    days = [date(2026, month, day) for month in range(1, 13) for day in (1, 9, 28)]
    for language in ("en", "de", "fr"):
        with translation.override(language):
            for fmt in ("j M", "j M Y", "j F Y"):
                write = progress_html._day(fmt)
                assert [write(day) for day in days] == [date_filter(day, fmt) for day in days]
