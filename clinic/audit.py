"""The one way to write an audit event."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from clinic.models import AuditEvent, Client

# Keys allowed in an event's detail: field names and counts, never clinical text.
_MAX_DETAIL_KEYS = 20


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    request: HttpRequest | None,
    action: str,
    client: Client | None = None,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    actor=None,
) -> AuditEvent:
    """Record who did what to which record, from where.

    `actor` defaults to the request's user; pass it when there is no request (commands) or when
    the acting person is not the logged-in user. `detail` holds small facts such as the names
    of changed fields, never clinical text.
    """
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    detail = dict(list((detail or {}).items())[:_MAX_DETAIL_KEYS])
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        client=client,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        detail=detail,
    )
