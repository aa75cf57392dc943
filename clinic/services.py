"""Writes to clients: each validates, writes atomically and records an audit event."""

import functools
from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent, Client, digits_only

CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "gp_details",
)


class EditConflict(Exception):
    """Someone saved the record after this form was loaded; `current` is what they saved."""

    def __init__(self, current):
        super().__init__("The record was changed by someone else.")
        self.current = current


def restores_on_failure(record: str, fields: Iterable[str]):
    """For an update service that sets the posted values on the record it was given before
    saving: when it raises, the record shows what is saved, not what was refused: on a conflict
    the values someone else saved meanwhile, on any other error the values it was loaded with."""
    fields = tuple(fields)

    def decorate(service):
        @functools.wraps(service)
        def wrapper(**kwargs):
            obj = kwargs[record]
            loaded = {name: getattr(obj, name) for name in fields}
            try:
                return service(**kwargs)
            except EditConflict as conflict:
                for name in fields:
                    setattr(obj, name, getattr(conflict.current, name))
                raise
            except Exception:
                for name, value in loaded.items():
                    setattr(obj, name, value)
                raise

        return wrapper

    return decorate


def client_create(*, request: HttpRequest | None, actor, data: dict) -> Client:
    client = Client(**{name: data[name] for name in CLIENT_FIELDS if name in data})
    client.created_by = actor
    client.phone_digits = digits_only(client.phone)
    client.full_clean()
    with transaction.atomic():
        client.save()
        audit_record(
            request=request, actor=actor, action=AuditEvent.Action.CREATE, client=client, obj=client
        )
    return client


@restores_on_failure("client", (*CLIENT_FIELDS, "phone_digits"))
def client_update(
    *, request: HttpRequest | None, actor, client: Client, version: int, data: dict
) -> Client:
    """Save the contact details if nobody saved them since `version` was loaded.

    Raises EditConflict with the saved record when the version is stale; nothing is written.
    """
    changed = [
        name for name in CLIENT_FIELDS if name in data and getattr(client, name) != data[name]
    ]
    if not changed:
        # What was posted is what is saved: nothing to overwrite, so no conflict either.
        return client
    for name in changed:
        setattr(client, name, data[name])
    client.phone_digits = digits_only(client.phone)
    client.full_clean()
    now = timezone.now()
    with transaction.atomic():
        updated = Client.objects.filter(
            pk=client.pk, version=version, archived_at__isnull=True
        ).update(
            **{name: getattr(client, name) for name in (*CLIENT_FIELDS, "phone_digits")},
            version=F("version") + 1,
            updated_at=now,
        )
        if not updated:
            raise EditConflict(Client.objects.get(pk=client.pk))
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=client,
            obj=client,
            detail={"fields": changed},
        )
    client.version, client.updated_at = version + 1, now
    return client


def client_archive(*, request: HttpRequest | None, actor, client: Client) -> Client:
    if client.is_archived:
        return client
    with transaction.atomic():
        client.archived_at = timezone.now()
        client.archived_by = actor
        client.save(update_fields=["archived_at", "archived_by", "updated_at"])
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.ARCHIVE,
            client=client,
            obj=client,
        )
    return client


def client_restore(*, request: HttpRequest | None, actor, client: Client) -> Client:
    if not client.is_archived:
        return client
    with transaction.atomic():
        client.archived_at = None
        client.archived_by = None
        client.save(update_fields=["archived_at", "archived_by", "updated_at"])
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.RESTORE,
            client=client,
            obj=client,
        )
    return client


def likely_duplicates(
    *, first_name: str, last_name: str, date_of_birth: date, exclude_pk: int | None = None
):
    """Clients with the same name and date of birth: probably the same person."""
    matches = Client.objects.filter(
        first_name__iexact=first_name.strip(),
        last_name__iexact=last_name.strip(),
        date_of_birth=date_of_birth,
    )
    if exclude_pk:
        matches = matches.exclude(pk=exclude_pk)
    return matches


def clients_import(*, request: HttpRequest | None, actor, rows: list[dict]) -> list[Client]:
    """Register every client of an import, or none: one transaction for the whole file.

    `rows` are the cleaned data of a validated import (clinic.csv_io.validate_import). Each
    client gets its own audit event, and the import one more with the count.
    """
    with transaction.atomic():
        clients = [client_create(request=request, actor=actor, data=data) for data in rows]
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            detail={"import": "csv", "clients": len(clients)},
        )
    return clients


# Staff


def staff_end_sessions(*, user) -> int:
    """Delete every stored session of this user, so each of their logins ends at once.

    Sessions are signed blobs keyed by session id, so finding a user's means reading each one;
    a clinic has few unexpired sessions at any time.
    """
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    deleted, _ = Session.objects.filter(pk__in=theirs).delete()
    return deleted


def staff_deactivate(*, request: HttpRequest | None = None, actor, user) -> User:
    """Stop a member of staff from logging in and end the logins they have open now."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = staff_end_sessions(user=user)
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=user,
            detail={"deactivated": True, "logins_ended": ended},
        )
    return user
