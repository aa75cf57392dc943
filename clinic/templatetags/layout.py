"""What every page's layout draws: the navigation bar's links and the assets' URLs.

Every page draws the bar; as template tags its links cost a `{% url %}` and a permission
check each, on every request. The links depend only on what the user may do and on the page's
section, so each combination is written once a process; an asset's URL never changes while
the process runs (no hashed names: see STORAGES in the settings).
"""

import functools

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

from clinic.markup import url_for
from clinic.roles import permission_set

register = template.Library()


def _url_is(*names):
    return lambda match: match.url_name in names


# (permission, URL name, label, whether the page's resolver match makes it the active link)
LINKS = (
    ("clinic.view_client", "client_list", "Clients", _url_is("client_list")),
    (
        "treatments.view_session",
        "treatments:schedule_day",
        "Schedule",
        lambda match: match.app_name == "treatments" and match.url_name.startswith("schedule"),
    ),
    (
        "knowledge.view_muscle",
        "knowledge:muscle_list",
        "Library",
        lambda match: match.app_name == "knowledge",
    ),
    ("intake.review_intake", "intake:to_review", "To review", _url_is("to_review")),
    ("clinic.view_auditevent", "audit_list", "Audit log", _url_is("audit_list")),
    ("clinic.export_records", "exports", "Exports", _url_is("exports", "client_import")),
    ("clinic.view_auditevent", "admin:index", "Admin", lambda match: False),
)

_written: dict[tuple, SafeString] = {}


@register.simple_tag(takes_context=True)
def main_nav(context) -> SafeString:
    """The `<li>`s of the navigation bar the user may follow, the page's section active."""
    request = context["request"]
    allowed = permission_set(request.user)
    match = request.resolver_match
    key = (
        get_script_prefix(),
        tuple(perm in allowed for perm, *_ in LINKS),
        tuple(match is not None and is_active(match) for *_, is_active in LINKS),
    )
    html = _written.get(key)
    if html is None:
        items = [
            f'<li class="nav-item"><a class="nav-link{" active" if active else ""}" '
            f'href="{reverse(name)}">{label}</a></li>'
            for (_, name, label, _), shown, active in zip(LINKS, key[1], key[2], strict=True)
            if shown
        ]
        html = _written[key] = mark_safe("\n".join(items))  # noqa: S308 (our own labels and URLs)
    return html


@register.simple_tag
@functools.cache
def asset(path: str) -> str:
    """`{% static path %}`, worked out once a process."""
    return static(path)


@register.simple_tag
def fixed_url(name: str) -> str:
    """`{% url name %}` for a URL without arguments, reversed once a process."""
    return url_for(name)
