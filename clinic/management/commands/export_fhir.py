"""Write one client's record as a FHIR R4 Bundle (JSON), to standard output or a file."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.audit import audit_record
from clinic.fhir import client_bundle
from clinic.models import AuditEvent, Client


class Command(BaseCommand):
    help = "Export a client's record as a FHIR R4 Bundle (JSON). Recorded in the audit log."

    def add_arguments(self, parser):
        parser.add_argument("client_id", help="The client's id (the number in its page address).")
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, client_id: str, output: str | None = None, **options):
        if not client_id.isdigit():
            raise CommandError(f"The client id is a number, not {client_id!r}.")
        try:
            client = Client.objects.get(pk=int(client_id))
        except Client.DoesNotExist:
            raise CommandError(f"No client with id {client_id}.") from None
        text = json.dumps(client_bundle(client), indent=2, ensure_ascii=False)
        if output:
            try:
                Path(output).write_text(text + "\n", encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror}.") from None
        else:
            self.stdout.write(text)
        audit_record(
            request=None,
            action=AuditEvent.Action.EXPORT,
            client=client,
            obj=client,
            detail={"format": "fhir", "via": "command"},
        )
        if output:
            self.stderr.write(f"Wrote the record of client {client.pk} to {output}.")
