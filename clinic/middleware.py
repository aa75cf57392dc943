"""Session limits and caching rules that apply to every page."""

import functools
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from clinic.two_factor import two_factor_required, two_factor_url

# Touching the session on every request would write it every time; a minute is precise enough.
_TOUCH_EVERY_SECONDS = 60


def start_session_clock(sender, request, user, **kwargs) -> None:
    """At login, note when the login started and was last active (connected in ClinicConfig)."""
    now = int(time.time())
    request.session["knotwork_started"] = now
    request.session["knotwork_seen"] = now


def _page_shown(request) -> str | None:
    """For an htmx request, the page the browser shows (on this site), where the person should
    come back to; not the fragment's URL, which may take only a POST (an autosave, say)."""
    htmx = getattr(request, "htmx", None)
    return htmx.current_url_abs_path if htmx else None


def _redirect(request, url: str):
    """A redirect; to an htmx request, one htmx follows with a whole page load. (A 302 would be
    followed by the browser first, and the page it leads to swapped into the fragment.)"""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class SessionLimitsMiddleware:
    """End a login after SESSION_IDLE_SECONDS without a request, or SESSION_ABSOLUTE_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("knotwork_started", now)
            last_seen = session.get("knotwork_seen", now)
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            expired = now - started > settings.SESSION_ABSOLUTE_SECONDS
            if idle or expired:
                logout(request)
                messages.info(
                    request,
                    "You were logged out after 30 minutes without activity. Please log in again."
                    if idle
                    else "Your login lasted 12 hours, the longest allowed. Please log in again.",
                )
                back = _page_shown(request) or request.path
                return _redirect(request, f"{reverse('login')}?{urlencode({'next': back})}")
            if now - last_seen >= _TOUCH_EVERY_SECONDS or "knotwork_seen" not in session:
                session["knotwork_seen"] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages shown to a logged-in user hold client records: no browser or proxy may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            patch_cache_control(response, no_store=True, private=True)
        return response


class TwoFactorRequiredMiddleware:
    """Until a user who must use two-factor has entered a code, only its pages and logout open.

    Everything else sends them to the code page (or to set up an authenticator app when they
    have none yet), then back to where they were going.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(settings.STATIC_URL)
            and two_factor_required(user)
            and request.path not in _two_factor_open_paths()
        ):
            next_url = request.get_full_path() if request.method == "GET" else ""
            return _redirect(request, two_factor_url(user, _page_shown(request) or next_url))
        return self.get_response(request)


@functools.cache
def _two_factor_open_paths() -> frozenset[str]:
    """What a user who still owes the two-factor code may reach (reversed once a process)."""
    return frozenset((reverse("two_factor_verify"), reverse("two_factor_setup"), reverse("logout")))
