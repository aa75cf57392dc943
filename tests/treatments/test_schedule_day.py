"""The day schedule: its prepared reads give the ORM's sessions and therapists, and its columns
written in Python (`{% schedule_columns %}`) are what the template loop wrote."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone

from tests.factories import ClientFactory, SessionFactory
from treatments import page_reads
from treatments.access import bookable_therapists
from treatments.models import Session

pytestmark = pytest.mark.django_db

# templates/treatments/schedule_day.html's loop before the tag (inside its `{% with %}`).
OLD_LOOP = """  {% for therapist, sessions in columns %}
  <section class="col-md-6 col-xl-4" aria-labelledby="col-{{ forloop.counter }}">
    <div class="card h-100">
      <div class="card-header bg-white"><h2 class="h6 mb-0" id="col-{{ forloop.counter }}">{% if therapist %}{{ therapist.get_full_name|default:therapist.username }}{% else %}Other staff{% endif %}</h2></div>
      <ul class="list-group list-group-flush">
        {% for s in sessions %}
        <li class="list-group-item session-slot session-{{ s.status }}">
          <div class="d-flex justify-content-between align-items-start gap-2">
            <div>
              <div class="fw-semibold">{{ s.local_start|time:"H:i" }}–{{ s.local_end|time:"H:i" }}</div>
              <a href="{{ s.client.get_absolute_url }}">{{ s.client.full_name }}</a>
              {% if s.status == "cancelled" and s.cancel_reason %}<div class="small text-secondary">{{ s.cancel_reason }}</div>{% endif %}
            </div>
            {% include "treatments/_session_badge.html" %}
          </div>
          <div class="d-flex flex-wrap gap-2 mt-2 no-print">
            {% if can_read_notes and s.status != "cancelled" and s.status != "no-show" %}<a class="btn btn-sm btn-outline-primary" href="{{ s.get_absolute_url }}">{% if s.signed_at %}Note{% else %}Open note{% endif %}</a>{% endif %}
            {% if can_change and s.can_be_moved %}
            <a class="btn btn-sm btn-outline-secondary" href="{% url 'treatments:session_move' s.client_id s.pk %}">Move</a>
            <a class="btn btn-sm btn-outline-secondary" href="{% url 'treatments:session_cancel' s.client_id s.pk %}">Cancel</a>
            {% if s.has_started %}<form method="post" action="{% url 'treatments:session_no_show' s.client_id s.pk %}" data-confirm="Mark {{ s.client.full_name }} as a no-show?">{% csrf_token %}<input type="hidden" name="next" value="{{ request.get_full_path }}"><button class="btn btn-sm btn-outline-warning" type="submit">No-show</button></form>{% endif %}
            {% endif %}
          </div>
        </li>
        {% empty %}
        <li class="list-group-item text-secondary">No sessions.</li>
        {% endfor %}
      </ul>
    </div>
  </section>
  {% empty %}
  <p class="text-secondary">No therapists yet.</p>
  {% endfor %}"""  # noqa: E501, RUF001


def _at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _day_of_sessions(day, therapist, other_therapist):
    """Every state a card can show: planned, cancelled with a reason, no-show, completed,
    signed, a preferred name and markup in names and reasons."""
    plain = ClientFactory(first_name="Ann", last_name="O'Neil <b>")
    preferred = ClientFactory(first_name="Robert", preferred_name="Bob & co", last_name="Smith")

    def book(hour, client, who=therapist, **fields):
        return SessionFactory(
            client=client, therapist=who, starts_at=_at(day, hour), ends_at=_at(day, hour + 1),
            **fields,
        )  # fmt: skip

    book(8, plain)
    book(9, preferred, status="cancelled", cancel_reason="Client unwell: <fever> & cough")
    book(10, plain, status="no-show")
    book(11, preferred, status="completed")
    signed = book(12, plain, status="completed")
    Session.objects.filter(pk=signed.pk).update(signed_at=timezone.now(), signed_by=therapist)
    book(9, preferred, who=other_therapist)


def _columns_part(html: str) -> str:
    part = html.split('<div class="row g-3 schedule-day">', 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", "", part)


@pytest.mark.parametrize("days", [-1, 1])
@pytest.mark.parametrize("persona", ["as_therapist", "as_receptionist"])
def test_the_columns_are_what_the_template_loop_wrote(
    request, persona, days, therapist, other_therapist
):
    day = timezone.localdate() + timedelta(days=days)
    _day_of_sessions(day, therapist, other_therapist)
    http = request.getfixturevalue(persona)
    path = f"/schedule/?date={day.isoformat()}&x=<y>"
    response = http.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    user = response.wsgi_request.user
    users = get_user_model().objects.in_bulk()
    columns = [
        (
            users[therapist_row.pk] if therapist_row else None,
            [Session.objects.select_related("client").get(pk=slot.pk) for slot in slots],
        )
        for therapist_row, slots in response.context["columns"]
    ]
    assert sum(len(slots) for _, slots in columns) == 6
    old = Template(OLD_LOOP).render(
        Context(
            {
                "columns": columns,
                "can_read_notes": user.has_perm("treatments.view_clinical_notes"),
                "can_change": user.has_perm("treatments.change_session"),
                "csrf_token": token,
                "request": response.wsgi_request,
            }
        )
    )
    assert _columns_part(html) == re.sub(r"\s+", "", old) + "</div>"
    if days < 0 and persona == "as_therapist":
        assert "No-show</button>" in html


def test_a_day_without_sessions_shows_each_bookable_therapist_with_none(
    as_therapist, therapist, other_therapist
):
    html = as_therapist.get("/schedule/?date=2031-01-06").content.decode()
    assert html.count("No sessions.") == len(bookable_therapists()) >= 2
    assert f'id="col-1">{therapist.get_full_name()}</h2>' in html or (
        f'id="col-2">{therapist.get_full_name()}</h2>' in html
    )


def test_the_rows_are_the_orms_sessions_and_therapists(therapist, other_therapist):
    day = timezone.localdate() + timedelta(days=1)
    _day_of_sessions(day, therapist, other_therapist)
    expected = list(Session.objects.on_day(day).for_schedule())
    assert [s.pk for s in page_reads.day_slots(day)] == [s.pk for s in expected]
    mine = [s.pk for s in expected if s.therapist_id == therapist.pk]
    assert [s.pk for s in page_reads.day_slots(day, therapist.pk)] == mine
    slot = page_reads.day_slots(day)[1]
    session = Session.objects.select_related("client").get(pk=slot.pk)
    assert slot.client_full_name == session.client.full_name
    assert (slot.starts_at, slot.status, slot.cancel_reason) == (
        session.starts_at,
        session.status,
        session.cancel_reason,
    )
    assert [
        (t.pk, t.get_full_name(), t.username) for t in page_reads.bookable_therapist_rows()
    ] == [(u.pk, u.get_full_name(), u.username) for u in bookable_therapists()]


def test_the_therapist_filter_escapes_names_as_the_template_did():
    from django.utils.html import conditional_escape

    from treatments.templatetags.form_options import therapist_options

    rows = [
        page_reads.TherapistRow(7, "Zoë <b>", 'O\'Neil & "Co"', "zoe"),
        page_reads.TherapistRow(8, "", "", "only<user>"),
    ]
    written = therapist_options(rows, rows[1])
    assert written == (
        f'<option value="7">{conditional_escape(rows[0].get_full_name())}</option>'
        f'<option value="8" selected>{conditional_escape("only<user>")}</option>'
    )
