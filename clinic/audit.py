"""The one way to write an audit event."""

import functools
from typing import Any

import pghistory.runtime
from django.db import connections, models, router
from django.http import HttpRequest

from clinic.models import AuditEvent, Client
from clinic.prepared import _cursor

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
    # By the ids (the related objects' descriptors check and route each assignment, a tenth of
    # this function), then the objects cached as those descriptors would have.
    event = AuditEvent(
        actor_id=None if actor is None else actor.pk,
        action=action,
        client_id=None if client is None else client.pk,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip_address=client_ip(request),
        detail=detail,
    )
    _ACTOR.set_cached_value(event, actor)
    _CLIENT.set_cached_value(event, client)
    _insert(event)
    return event


_ACTOR = AuditEvent._meta.get_field("actor")
_CLIENT = AuditEvent._meta.get_field("client")

# Every clinical page writes an event, so the INSERT is written once a process, not compiled by
# the ORM on each request (a millisecond of CPU, a tenth of a light page's own time), and
# prepared on the server once a connection (`clinic.prepared`), its values bound there.
_COLUMNS = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]


@functools.cache
def _insert_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    # Names from the model's own meta, quoted; every value is a parameter.
    return "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608
        quote(AuditEvent._meta.db_table),
        ", ".join(quote(field.column) for field in _COLUMNS),
        ", ".join(["%s"] * len(_COLUMNS)),
        quote(AuditEvent._meta.pk.column),
    )


# Inside a request, django-pghistory puts `SELECT set_config('pghistory.context_id', …)` before
# every statement that is not a SELECT, for the history triggers of the tracked tables. The
# audit table is not tracked and none of its triggers (append-only, foreign keys) reads the
# context; the settings are transaction-local and every tracked write sets them again itself.
# So the INSERT goes without them: two statements in one call, their parameters and the
# serialized metadata cost a third of this function's CPU. (If pghistory renames its wrapper,
# it is simply not found, and the INSERT carries the context again.)
_HISTORY_CONTEXT = getattr(pghistory.runtime, "_inject_history_context", None)


def _insert(event: AuditEvent) -> None:
    """What `event.save()` does for a new row: each field's value prepared as the ORM prepares
    it, one INSERT, the new id set. AuditEvent has no save() of its own, no history tracker
    and no signal receivers, so nothing else of save() is missed."""
    alias = router.db_for_write(AuditEvent)
    connection = connections[alias]
    values = [field.get_db_prep_save(field.pre_save(event, True), connection) for field in _COLUMNS]
    wrappers = connection.execute_wrappers
    # The other wrappers (query counts, logging) still see the INSERT.
    connection.execute_wrappers = [
        wrapper for wrapper in wrappers if wrapper is not _HISTORY_CONTEXT
    ]
    try:
        with _cursor(connection) as cursor:
            cursor.execute(_insert_sql(alias), values)
            event.pk = cursor.fetchone()[0]
    finally:
        connection.execute_wrappers = wrappers
    event._state.adding = False
    event._state.db = alias
