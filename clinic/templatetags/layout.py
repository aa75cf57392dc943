"""What every page's layout draws: base.html's frame, the navigation bar's links and the
assets' URLs.

Every page draws the bar; as template tags its links cost a `{% url %}` and a permission
check each, on every request. The links depend only on what the user may do and on the page's
section, so each combination is written once a process; an asset's URL never changes while
the process runs (no hashed names: see STORAGES in the settings). The markup around them that
is the same on every request is rendered once a process (`{% fixed %}`), and the part that is
not (the CSRF token, the user's name, the messages) is written in Python (`{% page_top %}`).
"""

import functools
import os

from django import template
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.template.base import TextNode, Variable, VariableNode
from django.template.library import SimpleNode
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject, empty
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from clinic.markup import csrf_input, url_for
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


# base.html: the parts every page draws. Through the template language the bar, its CSRF
# token, the user's name and the messages loop cost some 40 tag and variable nodes a request.


class FixedNode(template.Node):
    """`{% fixed %}…{% endfixed %}`: markup that is the same on every request, rendered once a
    process (per script prefix and URL conf, which `{% asset %}` and `{% fixed_url %}` read).

    It holds only text and `{% asset %}` or `{% fixed_url %}` of literal arguments (`fixed`
    refuses anything else): any other tag or variable may read the request or the time, and
    the first visitor's rendering, their CSRF token say, would be everyone's."""

    child_nodelists = ()  # no blocks inside, so base.html's block search need not look in

    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.written: dict[tuple, SafeString] = {}

    def render(self, context) -> SafeString:
        key = (get_script_prefix(), get_urlconf())
        html = self.written.get(key)
        if html is None:
            html = self.written[key] = self.nodelist.render(context)
        return html


@register.tag
def fixed(parser, token):
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    for node in nodelist:
        if not isinstance(node, TextNode) and not _is_fixed_tag(node):
            raise template.TemplateSyntaxError(
                f"{{% fixed %}} holds text and {{% asset %}} or {{% fixed_url %}} of literal "
                f"arguments only, the same on every request; not {_source(node)}."
            )
    return FixedNode(nodelist)


def _is_fixed_tag(node) -> bool:
    """Whether `node` is `{% asset %}` or `{% fixed_url %}` of one literal argument without
    filters, written in place (no `as`)."""
    if type(node) is not SimpleNode or node.func not in (asset, fixed_url):
        return False
    if node.kwargs or node.target_var is not None or len(node.args) != 1:
        return False
    (argument,) = node.args
    return not argument.filters and not isinstance(argument.var, Variable)


def _source(node) -> str:
    """The tag or variable `node` was parsed from, as written."""
    token = getattr(node, "token", None)
    if token is None:
        return type(node).__name__
    if isinstance(node, VariableNode):
        return f"{{{{ {token.contents} }}}}"
    return f"{{% {token.contents} %}}"


class PageTopNode(template.Node):
    """`{% page_top %}{% block nav_items %}…{% endblock %}{% endpage_top %}`: base.html from
    `<body>` to the messages: the CSRF token in htmx's headers and the logout form (one token,
    masked once), the bar with the block's links, the user's name and role for a signed-in
    user, and the messages, consumed as a template's `{% for %}` consumes them. Each value is
    read from the context and escaped as autoescaping does; tests/clinic/test_base_layout.py
    compares the output with a template of the same markup (tests/clinic/base_reference.html).
    """

    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context) -> SafeString:
        esc = conditional_escape if context.autoescape else str
        token = _csrf_token(context)
        signed_in = ""
        user = context.get("user")
        if getattr(user, "is_authenticated", False):
            role = context.get("role")
            signed_in = _SIGNED_IN.format(
                nav_items=self.nodelist.render(context),
                name=esc(user.get_full_name() or user.get_username()),
                role=f" · {esc(role)}" if role else "",
                logout=escape(url_for("logout")),
                csrf_input=csrf_input(token),
            )
        parts = [
            _TOP.format(
                token=escape(token), dashboard=escape(url_for("dashboard")), signed_in=signed_in
            )
        ]
        messages = context.get("messages")
        if messages is not None:
            if not hasattr(messages, "__len__"):
                messages = list(messages)
            # Iterated only when not empty, as by `{% for %}`: iterating marks them used.
            if len(messages):
                for message in messages:
                    level = getattr(message, "level_tag", "")
                    level = "danger" if level == "error" else esc(level or "info")
                    parts.append(_MESSAGE.format(level=level, message=esc(str(message))))
        return mark_safe("".join(parts))  # noqa: S308 (each value escaped above)


@register.tag
def page_top(parser, token):
    nodelist = parser.parse(("endpage_top",))
    parser.delete_first_token()
    return PageTopNode(nodelist)


# base_reference.html's markup from <body> to the messages; each {name} a value, escaped.
_TOP = """<body hx-headers='{{"X-CSRFToken": "{token}"}}'>
<a class="visually-hidden-focusable" href="#main">Skip to content</a>
<nav class="navbar navbar-expand-md navbar-dark bg-knot mb-4" aria-label="Main">
  <div class="container">
    <a class="navbar-brand fw-semibold" href="{dashboard}">Knotwork</a>
    {signed_in}
  </div>
</nav>
<main id="main" class="container pb-5">
  """
_SIGNED_IN = """
    <button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#nav-main"
            aria-controls="nav-main" aria-expanded="false" aria-label="Show navigation">
      <span class="navbar-toggler-icon"></span>
    </button>
    <div class="collapse navbar-collapse" id="nav-main">
      <ul class="navbar-nav me-auto">
        {nav_items}
      </ul>
      <ul class="navbar-nav">
        <li class="nav-item"><span class="navbar-text me-3">{name}{role}</span></li>
        <li class="nav-item">
          <form method="post" action="{logout}" class="d-inline">{csrf_input}
            <button type="submit" class="btn btn-outline-light btn-sm">Log out</button>
          </form>
        </li>
      </ul>
    </div>
    """  # noqa: E501 (base_reference.html's line, whole so that the two compare equal)
_MESSAGE = """
  <div class="alert alert-{level} alert-dismissible fade show" role="alert">
    {message}
    <button type="button" class="btn-close" data-bs-dismiss="alert" aria-label="Close"></button>
  </div>
  """


def _csrf_token(context) -> str:
    """The context's `csrf_token` as text, masked once for the whole page.

    Django's csrf context processor gives a lazy token: `get_token(request)`, which masks the
    secret with 32 characters drawn by `secrets.choice`, some 90 µs. When nothing has asked
    for the token yet and the request holds its secret, this does what `get_token` does, the
    mask drawn from one read of `os.urandom` (~10 µs), and gives the result to that lazy token:
    a `{% csrf_token %}` in the page shows the same one. Otherwise Django's way."""
    token = context.get("csrf_token")
    if token is None:
        return ""
    if type(token) is SimpleLazyObject and token._wrapped is empty:
        meta = getattr(context.get("request"), "META", {})
        masked = _masked(meta.get("CSRF_COOKIE"))
        if masked is not None:
            # As get_token: the cookie is sent again, its expiry renewed.
            meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
            token._wrapped = masked
    return str(token)


# For each character of a secret, the alphabet shifted to start at it: the masked character
# for a mask character of number n is its n-th.
_CSRF_SHIFTED = {
    char: CSRF_ALLOWED_CHARS[number:] + CSRF_ALLOWED_CHARS[:number]
    for number, char in enumerate(CSRF_ALLOWED_CHARS)
}
# Bytes from 248 up are dropped, so that `byte % 62` is uniform.
_CSRF_UNBIASED = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def _masked(secret: str | None) -> str | None:
    """`django.middleware.csrf._mask_cipher_secret(secret)`: a random mask, then the secret's
    characters shifted by the mask's (None for a secret that is not one)."""
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return None
    try:
        shifted = [_CSRF_SHIFTED[char] for char in secret]
    except KeyError:
        return None
    size = len(CSRF_ALLOWED_CHARS)
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask += [byte % size for byte in os.urandom(48) if byte < _CSRF_UNBIASED]
    del mask[CSRF_SECRET_LENGTH:]
    return "".join([CSRF_ALLOWED_CHARS[number] for number in mask]) + "".join(
        [alphabet[number] for alphabet, number in zip(shifted, mask, strict=True)]
    )
