"""Printable documents: the clinic's letterhead, and a page made to stand on its own.

Documents are HTML pages with print CSS (static/css/print.css): the browser's Print, or Save as
PDF, gives the A4 pages, as the clinic's own browser does. `self_contained` makes a rendered
document into a file that opens from a disk with nothing to fetch (for a client's copy of their
record): stylesheets inlined, scripts and the on-screen toolbar left out.
"""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

_STYLESHEET = re.compile(r'<link rel="stylesheet" href="(?P<href>[^"]+)">')
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def letterhead() -> dict[str, str]:
    """The clinic's name and contact lines, from the settings (KNOTWORK_CLINIC_*)."""
    contact = [settings.CLINIC_ADDRESS, settings.CLINIC_PHONE, settings.CLINIC_EMAIL]
    return {
        "name": settings.CLINIC_NAME,
        "tagline": settings.CLINIC_TAGLINE,
        "address": settings.CLINIC_ADDRESS,
        "phone": settings.CLINIC_PHONE,
        "email": settings.CLINIC_EMAIL,
        "has_contact": any(contact),
    }


def document_context(**context) -> dict:
    return {"letterhead": letterhead(), **context}


def _stylesheet(match: re.Match) -> str:
    href = match.group("href").split("?")[0]
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    found = None
    if href.startswith(static_prefix):
        found = finders.find(href.removeprefix(static_prefix))
    if not found:
        # Never a link out of the file: a stylesheet that is not ours is left out.
        return ""
    return f"<style>\n{Path(found).read_text(encoding='utf-8')}\n</style>"


def self_contained(html: str) -> str:
    """The page with its stylesheets inlined and its scripts removed."""
    return _SCRIPT.sub("", _STYLESHEET.sub(_stylesheet, html))


def render_standalone(template: str, context: dict) -> str:
    """A document rendered for a file: no toolbar, no links back into the app."""
    return self_contained(render_to_string(template, {**context, "standalone": True}))
