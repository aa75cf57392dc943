"""A client's request for their records: the whole record, for the client, in one ZIP file.

Clinic admins give it from the client's page. The ZIP holds the record as FHIR R4 JSON (for
another system) and the printable documents as HTML files that open in any browser from the
disk, with nothing to fetch: every intake summary, every session note with its addenda, the
progress report and every referral letter; an index.html and a README.txt list them. Built in
memory, in a fixed number of queries, and recorded in the audit log.
"""

import io
import json
import zipfile
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic.access import get_client_for_user
from clinic.audit import audit_record
from clinic.documents import document_context, render_standalone
from clinic.fhir import client_bundle
from clinic.models import AuditEvent, Client
from intake import documents as intake_documents
from intake.models import Intake
from treatments import documents
from treatments.models import ReferralLetter

FHIR_FILE = "record.fhir.json"


@dataclass
class RecordFile:
    name: str
    title: str
    content: str


def _day(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d}" if value else "undated"


def record_files(client: Client, *, given_by: str) -> list[RecordFile]:
    """The files of the client's record, FHIR first, then the documents in date order."""
    # Read once, for the FHIR record and the intake summaries both.
    intakes = list(
        Intake.objects.with_details()
        .filter(client=client)
        .submitted()
        .order_by("submitted_at", "id")
    )
    files = [
        RecordFile(
            FHIR_FILE,
            "Your record in FHIR R4 JSON, the format health systems exchange records in",
            json.dumps(client_bundle(client, intakes=intakes), indent=2, ensure_ascii=False),
        )
    ]
    extra = {"printed_by": given_by}
    for intake in intakes:
        context = {**intake_documents.intake_summary_context(intake), **extra}
        files.append(
            RecordFile(
                f"intake-summary-{_day(intake.submitted_at)}-{intake.pk}.html",
                f"Intake form submitted {timezone.localtime(intake.submitted_at):%-d %B %Y}",
                render_standalone(intake_documents.TEMPLATE, context),
            )
        )
    for session in documents.noted_sessions(client):
        context = {**documents.session_note_context(session), **extra}
        signed = "signed" if session.is_signed else "draft, not signed"
        files.append(
            RecordFile(
                f"session-note-{_day(session.starts_at)}-{session.pk}.html",
                f"Session note, {session.local_start:%-d %B %Y} ({signed})",
                render_standalone(documents.SESSION_NOTE, context),
            )
        )
    files.append(
        RecordFile(
            "progress-report.html",
            "Progress report: charts, outcome measures, trigger points over time, treatment "
            "plans and surgery notes",
            render_standalone(
                documents.PROGRESS_REPORT,
                {**documents.progress_report_context(client), **extra},
            ),
        )
    )
    letters = (
        ReferralLetter.objects.filter(client=client)
        .select_related("author", "surgery_episode")
        .order_by("created_at", "id")
    )
    for letter in letters:
        letter.client = client
        files.append(
            RecordFile(
                f"letter-{_day(letter.created_at)}-{letter.pk}.html",
                f"Letter to {letter.recipient_name}, "
                f"{timezone.localtime(letter.created_at):%-d %B %Y}",
                render_standalone(documents.LETTER, {**documents.letter_context(letter), **extra}),
            )
        )
    return files


def record_zip(client: Client, *, given_by: str) -> tuple[bytes, list[RecordFile]]:
    files = record_files(client, given_by=given_by)
    context = document_context(client=client, files=files, given_by=given_by, printed_by=given_by)
    index = render_standalone("documents/access_request_index.html", context)
    readme = render_to_string("documents/access_request_readme.txt", context)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("index.html", index)
        for item in files:
            archive.writestr(item.name, item.content)
    return buffer.getvalue(), files


@require_POST
@login_required
@permission_required("clinic.give_client_record", raise_exception=True)
def client_access_request(request, pk):
    client = get_client_for_user(request.user, pk)
    given_by = request.user.get_full_name() or request.user.get_username()
    content, files = record_zip(client, given_by=given_by)
    audit_record(
        request=request,
        action=AuditEvent.Action.ACCESS_REQUEST,
        client=client,
        obj=client,
        detail={
            "files": len(files) + 2,
            "intakes": sum(f.name.startswith("intake-summary-") for f in files),
            "session_notes": sum(f.name.startswith("session-note-") for f in files),
            "letters": sum(f.name.startswith("letter-") for f in files),
        },
    )
    response = HttpResponse(content, content_type="application/zip")
    filename = f"client-record-{client.pk}-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
