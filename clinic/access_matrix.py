"""Who may reach which page: the declared access matrix (domain.md, "What each role may do").

One rule per URL name in the root URLconf and per method the walk tries: GET for every page; for
an endpoint that only takes POST, GET (answered 405) and POST with an empty body. Each rule gives
the outcome per persona; `tests/test_access_matrix.py` requests every URL as every persona and
checks the answer, and fails for a URL name that is not declared here. The Django admin's own
URLs are one group rule (`admin:*`), walked through its index page.

Outcomes:
- ALLOW: the page answers (2xx) or redirects somewhere other than the login page; for an empty
  POST, a 400 re-rendering the form with its errors also counts (access was granted).
- DENY: 403 or 404, with no clinical data in the body.
- LOGIN: a redirect to the login page.
- PUBLIC: anyone gets an answer (2xx or a redirect); the online intake pages answer a bad token
  with a refusal page (404 or 410) that names nobody.
- NOT_ALLOWED_METHOD: 405.

Personas: anonymous, receptionist, therapist, clinic_admin and no_role (a staff login without a
role, denied everything but the dashboard, login and logout).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    LOGIN = "login"
    PUBLIC = "public"
    NOT_ALLOWED_METHOD = "405"


ALLOW = Outcome.ALLOW
DENY = Outcome.DENY
LOGIN = Outcome.LOGIN
PUBLIC = Outcome.PUBLIC
NOT_ALLOWED_METHOD = Outcome.NOT_ALLOWED_METHOD

PERSONAS = ("anonymous", "receptionist", "therapist", "clinic_admin", "no_role")


@dataclass(frozen=True)
class Rule:
    """The expected outcome of one method on one URL name, per persona.

    `record` names the record behind the URL's `pk` (and its client's `client_pk`) in the test
    fixture; `data` is the POST body when an empty one would not reach the access check.
    """

    anonymous: Outcome
    receptionist: Outcome
    therapist: Outcome
    clinic_admin: Outcome
    no_role: Outcome = DENY
    record: str | None = None
    data: dict = field(default_factory=dict)

    def outcome(self, persona: str) -> Outcome:
        return getattr(self, persona)


def everyone(outcome: Outcome) -> Rule:
    return Rule(outcome, outcome, outcome, outcome, outcome)


def staff(*, record: str | None = None, data: dict | None = None) -> Rule:
    """Every role (front desk included); anonymous logs in first."""
    return Rule(LOGIN, ALLOW, ALLOW, ALLOW, record=record, data=data or {})


def clinical(*, record: str | None = None, data: dict | None = None) -> Rule:
    """Therapists and clinic admins only: clinical records, suggestions, the library."""
    return Rule(LOGIN, DENY, ALLOW, ALLOW, record=record, data=data or {})


def admin_only(*, record: str | None = None) -> Rule:
    return Rule(LOGIN, DENY, DENY, ALLOW, record=record)


def post_only(rule: Rule) -> dict[str, Rule]:
    """An endpoint that takes only POST: GET is a 405 for everyone, before any login check."""
    return {"GET": replace(everyone(NOT_ALLOWED_METHOD), record=rule.record), "POST": rule}


# {url name: {method: rule}}
MATRIX: dict[str, dict[str, Rule]] = {
    # clinic
    "dashboard": {"GET": Rule(LOGIN, ALLOW, ALLOW, ALLOW, no_role=ALLOW)},
    "healthz": {"GET": everyone(PUBLIC)},
    "login": {"GET": everyone(PUBLIC)},
    # Logging out, logged in or not, ends on the login page.
    "logout": post_only(everyone(LOGIN)),
    # Two-factor login: a user's own authenticator app, for any login.
    "two_factor_verify": {"GET": Rule(LOGIN, ALLOW, ALLOW, ALLOW, no_role=ALLOW)},
    "two_factor_setup": {"GET": Rule(LOGIN, ALLOW, ALLOW, ALLOW, no_role=ALLOW)},
    "client_list": {"GET": staff()},
    "client_create": {"GET": staff()},
    "client_detail": {"GET": staff(record="client")},
    "client_update": {"GET": staff(record="client")},
    "client_archive": post_only(admin_only(record="client")),
    "client_restore": post_only(admin_only(record="client")),
    "audit_list": {"GET": admin_only()},
    # exports and imports (clinic admins only)
    "client_export_fhir": {"GET": admin_only(record="client")},
    "exports": {"GET": admin_only()},
    "export_clients_csv": {"GET": admin_only()},
    "export_sessions_csv": {"GET": admin_only()},
    "client_import": {"GET": admin_only()},
    # A client's whole record, for the client (their right of access): clinic admins.
    "client_access_request": post_only(admin_only(record="client")),
    # knowledge: the library is for those who treat; clinic admins edit it in the admin.
    "knowledge:muscle_list": {"GET": clinical()},
    "knowledge:muscle_detail": {"GET": clinical(record="muscle")},
    "knowledge:zone_list": {"GET": clinical()},
    "knowledge:zone_detail": {"GET": clinical(record="zone")},
    # treatments: bookings are for every role, what happened in a session is clinical.
    "treatments:schedule_day": {"GET": staff()},
    "treatments:schedule_week": {"GET": staff()},
    "treatments:session_book": {"GET": staff()},
    "treatments:session_detail": {"GET": clinical(record="session")},
    "treatments:session_note": {"GET": clinical(record="session")},
    # Only the session's own therapist signs: a clinic admin is refused another's session.
    "treatments:session_sign": post_only(Rule(LOGIN, DENY, ALLOW, DENY, record="session")),
    "treatments:addendum_create": post_only(clinical(record="signed_session")),
    "treatments:session_move": {"GET": staff(record="session")},
    "treatments:session_cancel": {"GET": staff(record="session")},
    "treatments:session_no_show": post_only(staff(record="session")),
    "treatments:plan_create": {"GET": clinical(record="client")},
    "treatments:plan_add_muscle": post_only(clinical(record="client", data={"muscle": "soleus"})),
    "treatments:plan_detail": {"GET": clinical(record="plan")},
    "treatments:plan_update": {"GET": clinical(record="plan")},
    "treatments:surgery_create": {"GET": clinical(record="client")},
    "treatments:surgery_detail": {"GET": clinical(record="episode")},
    "treatments:surgery_update": {"GET": clinical(record="episode")},
    "treatments:surgery_note_create": post_only(clinical(record="episode")),
    "treatments:measure_create": {"GET": clinical(record="client")},
    "treatments:progress": {"GET": clinical(record="client")},
    # Printable documents and referral letters: clinical, like the records they print.
    "treatments:session_print": {"GET": clinical(record="session")},
    "treatments:progress_report": {"GET": clinical(record="client")},
    "treatments:letter_create": {"GET": clinical(record="client")},
    "treatments:letter_detail": {"GET": clinical(record="letter")},
    # intake: every role enters intakes and sees alerts; suggestions and review are clinical.
    "intake:start": post_only(staff(record="client")),
    "intake:import": {"GET": staff(record="client")},
    "intake:link_create": {"GET": staff(record="client")},
    "intake:to_review": {"GET": clinical()},
    "intake:detail": {"GET": staff(record="intake")},
    "intake:edit": {"GET": staff(record="draft_intake")},
    "intake:autosave": post_only(staff(record="draft_intake")),
    "intake:review": {"GET": clinical(record="intake")},
    "intake:mark_reviewed": post_only(clinical(record="intake")),
    "intake:suggestion_map": {"GET": clinical(record="intake")},
    "intake:suggestions_refresh": post_only(clinical(record="intake")),
    "intake:amend": post_only(clinical(record="intake")),
    "intake:export": {"GET": staff(record="intake")},
    "intake:summary_print": {"GET": clinical(record="intake")},
    # The client's own online form: the token is the key, no login.
    "intake:online_done": {"GET": everyone(PUBLIC)},
    "intake:online": {"GET": everyone(PUBLIC)},
    "intake:online_autosave": post_only(everyone(PUBLIC)),
}

# The Django admin's own URLs, as one group: staff status decides (clinic admins have it);
# everyone else is sent to the admin's login page.
GROUP_RULES: dict[str, dict[str, Rule]] = {
    "admin:*": {"GET": Rule(LOGIN, LOGIN, LOGIN, ALLOW, no_role=LOGIN)},
}


def rules_for(name: str) -> dict[str, Rule] | None:
    """The declared rules of a URL name, from the matrix or a group rule; None if undeclared."""
    if name in MATRIX:
        return MATRIX[name]
    for pattern, rules in GROUP_RULES.items():
        if pattern.endswith(":*") and name.startswith(pattern[:-1]):
            return rules
    return None
