"""Writes to clients: each validates, writes atomically and records an audit event."""

from datetime import date

from django.db import transaction
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


def client_update(*, request: HttpRequest | None, actor, client: Client, data: dict) -> Client:
    changed = [
        name for name in CLIENT_FIELDS if name in data and getattr(client, name) != data[name]
    ]
    if not changed:
        return client
    for name in changed:
        setattr(client, name, data[name])
    client.phone_digits = digits_only(client.phone)
    client.full_clean()
    with transaction.atomic():
        client.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=client,
            obj=client,
            detail={"fields": changed},
        )
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
