"""Every URL pattern, requested as every persona, answers as clinic/access_matrix.py declares.

The records are built once for the module, in a transaction rolled back at its end; each request
runs in its own rolled-back savepoint, so a POST that archives, signs or marks reviewed leaves the
next request the same records.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone

from clinic import roles
from clinic.access_matrix import (
    ALLOW,
    DENY,
    GROUP_RULES,
    LOGIN,
    MATRIX,
    NOT_ALLOWED_METHOD,
    PERSONAS,
    PUBLIC,
    Outcome,
    Rule,
    rules_for,
)
from tests.conftest import _logged_in as logged_in
from tests.factories import ClientFactory, FindingFactory, UserFactory, submitted_intake

SURNAME = "Quillfeather"
COMPLAINT = "Throbbing xylophone ache behind the kneecap"
NOTE = "Quasar-blue tenderness over the soleus band"
GOALS = "Climb the lighthouse stairs without a pause"
SURGERY = "Marmalade arthroscopy"
SURGERY_NOTE = "Stitches out, the portal scars are clean"
CLINICAL_STRINGS = (SURNAME, COMPLAINT, NOTE, GOALS, SURGERY, SURGERY_NOTE)
# What happened in treatment: never on a page the front desk (or a login without a role) gets.
TREATMENT_STRINGS = (NOTE, GOALS, SURGERY, SURGERY_NOTE)
FRONT_DESK = ("receptionist", "no_role")


# The URL patterns


@dataclass(frozen=True)
class Route:
    name: str
    pattern: URLPattern


def routes(urlconf=None) -> list[Route]:
    """Every URL pattern of the root resolver, through includes, with its namespaced name.

    A pattern without a name is listed as "<unnamed route>" so that it is never skipped.
    """
    found: list[Route] = []

    def visit(resolver, namespace, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                joined = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                visit(entry, joined, prefix + str(entry.pattern))
            else:
                name = entry.name or f"<unnamed {prefix}{entry.pattern}>"
                found.append(Route(f"{namespace}:{name}" if namespace else name, entry))

    visit(get_resolver(urlconf), None, "")
    return found


def undeclared(urlconf=None) -> list[str]:
    return sorted({r.name for r in routes(urlconf) if rules_for(r.name) is None})


def _is_login(location: str) -> bool:
    return urlsplit(location).path in {reverse("login"), reverse("admin:login")}


def check(outcome: Outcome, method: str, response) -> str | None:
    """None when the response is the declared outcome, else what was wrong with it."""
    status = response.status_code
    redirect = 300 <= status < 400
    to_login = redirect and _is_login(response.get("Location", ""))
    if outcome == ALLOW:
        ok = 200 <= status < 300 or (redirect and not to_login)
        ok = ok or (method == "POST" and status == 400)
    elif outcome == DENY:
        body = response.content.decode(errors="replace")
        leaked = [s for s in CLINICAL_STRINGS if s in body]
        if status in (403, 404) and leaked:
            return f"denied with {status} but the body shows {leaked}"
        ok = status in (403, 404)
    elif outcome == LOGIN:
        ok = to_login
    elif outcome == PUBLIC:
        ok = 200 <= status < 300 or (redirect and not to_login)
    else:
        ok = status == 405
    if ok:
        return None
    where = f" to {response['Location']}" if redirect else ""
    return f"expected {outcome.name}, got {status}{where}"


# The records


@dataclass
class World:
    users: dict
    records: dict
    token: str
    other: dict
    clients: dict = field(default_factory=dict)


def _client_with_records(theo, *, last_name, complaint, note, goals, procedure, surgery_note):
    """A client with a submitted intake (suggestions stored), a session with a note and a
    finding, a signed session, a plan, a surgery episode with a note and an outcome measure."""
    from intake.suggestions import intake_suggestions_store
    from knowledge.models import Muscle
    from tests.factories import SessionFactory
    from treatments import services

    soleus = Muscle.objects.get(slug="soleus")
    client = ClientFactory(last_name=last_name)
    intake = submitted_intake(client=client, main_complaint=complaint)
    intake_suggestions_store(request=None, actor=theo, intake=intake)
    sessions = []
    for pain in (6, 5):
        session = SessionFactory(client=client, therapist=theo)
        services.session_note_save(
            request=None,
            actor=theo,
            session=session,
            version=session.version,
            data={"subjective": note, "pain_before": pain},
            findings=[],
            treatments=[],
        )
        session.refresh_from_db()
        sessions.append(session)
    FindingFactory(session=sessions[0], muscle=soleus)
    signed = services.session_sign(
        request=None, actor=theo, session=sessions[1], version=sessions[1].version
    )
    plan = services.plan_create(
        request=None, actor=theo, client=client, data={"goals": goals}, muscles=[soleus]
    )
    episode = services.surgery_create(
        request=None,
        actor=theo,
        client=client,
        data={"procedure": procedure, "status": "planned", "side": "left"},
    )
    services.surgery_note_add(
        request=None,
        actor=theo,
        episode=episode,
        noted_on=timezone.localdate() - timedelta(days=3),
        text=surgery_note,
    )
    services.measure_record(
        request=None,
        actor=theo,
        client=client,
        kind="nprs",
        answers={"score": 4},
        measured_on=timezone.localdate(),
        session=sessions[0],
    )
    letter = services.referral_letter_create(
        request=None,
        actor=theo,
        client=client,
        data={"recipient_kind": "surgeon", "recipient_name": "Dr Ng", "reason": surgery_note},
        surgery_episode=episode,
    )
    return {
        "client": client,
        "intake": intake,
        "session": sessions[0],
        "signed_session": signed,
        "plan": plan,
        "episode": episode,
        "letter": letter,
    }


def _build_world() -> World:
    from django.apps import apps
    from django.contrib.auth.models import Group

    from intake.services import online_link_create
    from knowledge.models import Muscle, Zone
    from tests.factories import IntakeFactory

    if not Group.objects.exists():  # a browser test flushed the reference data
        from clinic.roles import sync_role_permissions
        from knowledge.loader import load_knowledge

        sync_role_permissions(apps)
        load_knowledge()

    users = {
        "receptionist": UserFactory(username="am-rita", role=roles.RECEPTIONIST),
        "therapist": UserFactory(username="am-theo", role=roles.THERAPIST),
        "clinic_admin": UserFactory(username="am-ada", role=roles.CLINIC_ADMIN),
        "no_role": UserFactory(username="am-nobody"),
    }
    theo = users["therapist"]
    records = _client_with_records(
        theo,
        last_name=SURNAME,
        complaint=COMPLAINT,
        note=NOTE,
        goals=GOALS,
        procedure=SURGERY,
        surgery_note=SURGERY_NOTE,
    )
    records["draft_intake"] = IntakeFactory(client=records["client"], created_by=theo)
    records["muscle"] = Muscle.objects.get(slug="soleus")
    records["zone"] = Zone.objects.get(slug="plantar-heel")
    token = online_link_create(
        request=None, actor=users["receptionist"], client=records["client"]
    ).token
    other = _client_with_records(
        theo,
        last_name="Otherby",
        complaint="Sore toes",
        note="Another note",
        goals="Other goals",
        procedure="Other operation",
        surgery_note="Other text",
    )
    return World(users=users, records=records, token=token, other=other)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_logins(request):
    """A login made in one test is rolled back with it: the next test logs in again."""
    yield
    if "world" in request.fixturenames:
        request.getfixturevalue("world").clients.clear()


# The mark makes pytest-django create the test database even when this file runs alone;
# without it the walk would run against the development database.
pytestmark = pytest.mark.django_db


# Requests


def url_for(world: World, route: Route, rule: Rule) -> str:
    if route.name.startswith("admin:"):
        return reverse("admin:index")
    record = world.records.get(rule.record) if rule.record else None
    kwargs = {}
    for name in route.pattern.pattern.converters:
        if name == "client_pk":
            kwargs[name] = getattr(record, "client_id", None) or record.pk
        elif name == "pk":
            kwargs[name] = record.pk
        elif name == "slug":
            kwargs[name] = record.slug
        elif name == "token":
            kwargs[name] = world.token
        elif name == "kind":
            kwargs[name] = "lefs"
        elif name == "index":
            kwargs[name] = 0
        else:
            raise AssertionError(f"{route.name}: no value for the URL argument {name!r}")
    return reverse(route.name, kwargs=kwargs)


def send(world: World, persona: str, method: str, url: str, data: dict | None = None):
    """One request as the persona, its writes rolled back; a server error is an answer of 500.

    A persona stands for a finished login (two-factor passed where it is required); its HTTP
    client is kept until a response changes its session (logout, a new login).
    """
    http = world.clients.get(persona)
    if http is None:
        http = HttpClient() if persona == "anonymous" else logged_in(world.users[persona])
        world.clients[persona] = http
    with transaction.atomic():
        try:
            response = http.get(url) if method == "GET" else http.post(url, data or {})
        except Exception as error:  # a view that crashes is a finding, not a stop
            response = HttpResponse(f"{type(error).__name__}: {error}", status=500)
        transaction.set_rollback(True)
    if settings.SESSION_COOKIE_NAME in response.cookies:
        world.clients.pop(persona, None)
    return response


def walk(world: World, persona: str, urlconf=None) -> list[str]:
    """Every failure of the persona against the matrix, undeclared URL names first.

    The admin's own URLs are walked once, through its index, under their group rule.
    """
    failures = [f"{name}: not declared in clinic/access_matrix.py" for name in undeclared(urlconf)]
    admin_walked = False
    for route in routes(urlconf):
        rules = rules_for(route.name)
        if rules is None:
            continue
        if route.name.startswith("admin:"):
            if admin_walked:
                continue
            admin_walked = True
        for method, rule in rules.items():
            url = url_for(world, route, rule)
            response = send(world, persona, method, url, rule.data)
            problem = check(rule.outcome(persona), method, response)
            if not problem and persona in FRONT_DESK and not response.streaming:
                body = response.content.decode(errors="replace")
                shown = [s for s in TREATMENT_STRINGS if s in body]
                problem = f"the front desk is shown treatment records: {shown}" if shown else None
            if problem:
                failures.append(f"{route.name} {method} {url} as {persona}: {problem}")
    return failures


# The matrix


def test_every_url_name_is_declared_in_the_matrix():
    missing = undeclared()
    assert not missing, f"URL names missing from clinic/access_matrix.py: {missing}"


def test_the_matrix_declares_no_url_that_does_not_exist():
    names = {r.name for r in routes()}
    assert sorted(set(MATRIX) - names) == []
    assert all(any(n.startswith(group[:-1]) for n in names) for group in GROUP_RULES)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_declared(world, persona):
    failures = walk(world, persona)
    assert not failures, "\n".join(failures)


def _extra_view(request):
    return HttpResponse("extra")


@pytest.fixture
def urlconf_with_an_extra_url():
    module = types.ModuleType("tests._access_extra_urls")
    module.urlpatterns = [
        path("", include("clinic.urls")),
        path("extra-report/", _extra_view, name="extra_report"),
    ]
    sys.modules[module.__name__] = module
    try:
        with override_settings(ROOT_URLCONF=module.__name__):
            yield module.__name__
    finally:
        del sys.modules[module.__name__]


def test_an_undeclared_url_fails_the_walk(world, urlconf_with_an_extra_url):
    assert undeclared() == ["extra_report"]
    failures = walk(world, "anonymous")
    assert failures == ["extra_report: not declared in clinic/access_matrix.py"]


# Another client's records through this client's URL

CLIENT_SCOPED = {
    # url name: (method, record)
    "treatments:session_detail": ("GET", "session"),
    "treatments:session_note": ("GET", "session"),
    "treatments:session_sign": ("POST", "session"),
    "treatments:addendum_create": ("POST", "signed_session"),
    "treatments:session_move": ("GET", "session"),
    "treatments:session_cancel": ("GET", "session"),
    "treatments:session_no_show": ("POST", "session"),
    "treatments:plan_detail": ("GET", "plan"),
    "treatments:plan_update": ("GET", "plan"),
    "treatments:surgery_detail": ("GET", "episode"),
    "treatments:surgery_update": ("GET", "episode"),
    "treatments:surgery_note_create": ("POST", "episode"),
    "treatments:session_print": ("GET", "session"),
    "treatments:letter_detail": ("GET", "letter"),
}


def test_every_client_scoped_url_with_a_record_id_is_covered():
    scoped = {
        r.name
        for r in routes()
        if {"client_pk", "pk"} <= set(getattr(r.pattern.pattern, "converters", {}))
    }
    assert scoped == set(CLIENT_SCOPED)


@pytest.mark.parametrize("name", sorted(CLIENT_SCOPED))
def test_another_clients_record_through_this_clients_url_is_not_found(world, name):
    """Whoever may use the URL gets 404; whoever may not gets the refusal they always get."""
    method, record = CLIENT_SCOPED[name]
    crossed = reverse(
        name, kwargs={"client_pk": world.other["client"].pk, "pk": world.records[record].pk}
    )
    rule = rules_for(name)[method]
    for persona in ("receptionist", "therapist", "clinic_admin", "no_role"):
        response = send(world, persona, method, crossed)
        allowed = rule.outcome(persona) == ALLOW
        assert response.status_code == 404 if allowed else response.status_code in (403, 404), (
            persona,
            response.status_code,
        )
        body = response.content.decode()
        assert not [s for s in CLINICAL_STRINGS if s in body], persona
    assert send(world, "anonymous", method, crossed).status_code in (302, 405)


def test_a_session_of_another_client_in_the_query_is_not_found(world):
    url = reverse("treatments:measure_create", args=[world.other["client"].pk, "nprs"])
    response = send(world, "therapist", "GET", f"{url}?session={world.records['session'].pk}")
    assert response.status_code == 404


def test_an_intake_of_another_client_cannot_feed_a_plan(world):
    url = reverse("treatments:plan_add_muscle", args=[world.other["client"].pk])
    data = {"muscle": "soleus", "intake": world.records["intake"].pk}
    assert send(world, "therapist", "POST", url, data).status_code == 404


@pytest.mark.parametrize("token", ["not-a-token", "A" * 43, "x" * 500])
def test_a_bad_online_token_gets_a_refusal_that_names_nobody(world, token):
    for method, name in (("GET", "intake:online"), ("POST", "intake:online_autosave")):
        response = send(world, "anonymous", method, reverse(name, args=[token]))
        body = response.content.decode()
        assert response.status_code in (200, 404), name
        assert "link" in body.lower(), name
        assert SURNAME not in body and world.records["client"].first_name not in body


def test_a_receptionist_is_refused_a_session_note_without_seeing_it(world):
    """One explicit example of the rule the walk applies everywhere."""
    session = world.records["session"]
    url = reverse("treatments:session_detail", args=[session.client_id, session.pk])
    response = send(world, "receptionist", "GET", url)
    assert response.status_code == 403
    assert NOTE not in response.content.decode()
    assert NOTE in send(world, "therapist", "GET", url).content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_is_refused_a_page_is_refused_its_post_too(world, persona):
    """A view that guards its GET but not its POST would let a refused persona write."""
    failures = []
    admin_walked = False
    for route in routes():
        rules = rules_for(route.name)
        is_admin = route.name.startswith("admin:")
        if rules is None or "POST" in rules or (is_admin and admin_walked):
            continue
        admin_walked = admin_walked or is_admin
        rule = rules["GET"]
        expected = rule.outcome(persona)
        if expected not in (DENY, LOGIN):
            continue
        url = url_for(world, route, rule)
        response = send(world, persona, "POST", url, rule.data)
        problems = [check(outcome, "POST", response) for outcome in (expected, NOT_ALLOWED_METHOD)]
        if all(problems):
            failures.append(f"{route.name} POST {url} as {persona}: {problems[0]}")
    assert not failures, "\n".join(failures)
