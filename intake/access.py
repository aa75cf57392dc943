"""Access to intakes and online links: every intake view goes through these."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from intake.models import Intake, OnlineIntakeLink
from intake.services import hash_token

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def get_intake_for_user(
    user, pk, *, for_change: bool = False, for_review: bool = False, queryset=None
) -> Intake:
    """The intake with this id, if the user may see it (404 otherwise).

    Intakes of archived clients are visible only to those who may see archived clients.
    `for_change` demands the right to edit and refuses archived clients' records;
    `for_review` demands the review permission (therapists and clinic admins).
    `queryset` lets a page load what it shows in the same go (`Intake.objects.with_details()`).
    """
    if not user.has_perm("intake.view_intake"):
        raise PermissionDenied
    if for_review and not user.has_perm("intake.review_intake"):
        raise PermissionDenied
    try:
        if queryset is None:
            queryset = Intake.objects.select_related("client", "created_by")
        intake = queryset.get(pk=int(pk))
    except (Intake.DoesNotExist, ValueError, TypeError):
        raise Http404("No such intake") from None
    if intake.client.is_archived and not user.has_perm("clinic.archive_client"):
        raise Http404("No such intake")
    if for_change:
        if not user.has_perm("intake.change_intake"):
            raise PermissionDenied
        if intake.client.is_archived:
            raise PermissionDenied("An archived client's record cannot be changed.")
    return intake


class LinkRefusedError(Exception):
    """The online link cannot be used; `reason` is "invalid", "used" or "expired"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def get_link_for_token(token: str) -> OnlineIntakeLink:
    """The usable link for this token, or LinkRefusedError saying why not (never whose)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise LinkRefusedError("invalid")
    try:
        link = OnlineIntakeLink.objects.select_related("client", "intake").get(
            token_hash=hash_token(token)
        )
    except OnlineIntakeLink.DoesNotExist:
        raise LinkRefusedError("invalid") from None
    if link.used_at is not None or (link.intake and not link.intake.is_draft):
        raise LinkRefusedError("used")
    if link.expires_at <= timezone.now() or link.client.is_archived:
        raise LinkRefusedError("expired")
    return link
