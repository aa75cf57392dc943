"""Exports and imports for clinic admins: a client's FHIR record, CSV downloads, client import.

Every download is audited, never cached (`no-store`) and carries no clinical data in its
address. Only clinic admins reach these pages.
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from clinic.access import RoleRequiredMixin, get_client_for_user
from clinic.audit import audit_record
from clinic.csv_io import (
    CLIENT_HEADER,
    SESSION_HEADER,
    ImportFileError,
    client_rows,
    csv_lines,
    session_rows,
    validate_import,
)
from clinic.export_forms import ClientImportConfirmForm, ClientImportForm, SessionRangeForm
from clinic.fhir import client_bundle
from clinic.models import AuditEvent, Client
from clinic.services import clients_import
from treatments.models import Session


class ExportPermissionMixin(RoleRequiredMixin):
    """Anonymous users log in; staff without the export permission (all but clinic admins) get
    403."""

    permission_required = "clinic.export_records"


@method_decorator(never_cache, name="dispatch")
class ClientFhirExportView(ExportPermissionMixin, View):
    """The client's whole record as a FHIR R4 Bundle, downloaded as a JSON file."""

    def get(self, request, pk):
        client = get_client_for_user(request.user, pk)
        bundle = client_bundle(client)
        audit_record(
            request=request,
            action=AuditEvent.Action.EXPORT,
            client=client,
            obj=client,
            detail={"format": "fhir", "resources": len(bundle["entry"])},
        )
        response = HttpResponse(
            json.dumps(bundle, indent=2, ensure_ascii=False),
            content_type="application/fhir+json; charset=utf-8",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="client-{client.pk}-record-{stamp}.fhir.json"'
        )
        return response


def _download_name(kind: str) -> str:
    return f'attachment; filename="knotwork-{kind}-{timezone.localdate().isoformat()}.csv"'


def _csv_response(lines, kind: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _download_name(kind)
    return response


@method_decorator(never_cache, name="dispatch")
class ExportsView(ExportPermissionMixin, TemplateView):
    """The clinic admin's page of downloads and the client import."""

    template_name = "clinic/exports/exports.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_exports_context()}


def _exports_context(range_form: SessionRangeForm | None = None) -> dict:
    return {
        "range_form": range_form or SessionRangeForm.last_month(),
        "client_count": Client.objects.count(),
    }


@method_decorator(never_cache, name="dispatch")
class ClientsCsvView(ExportPermissionMixin, View):
    """Every client, archived ones included, streamed: memory stays flat however many."""

    def get(self, request):
        audit_record(
            request=request,
            action=AuditEvent.Action.EXPORT,
            detail={"format": "csv", "export": "clients"},
        )
        return _csv_response(csv_lines(CLIENT_HEADER, client_rows(Client.objects.all())), "clients")


@method_decorator(never_cache, name="dispatch")
class SessionsCsvView(ExportPermissionMixin, View):
    """The sessions of a date range: the booking and whether its note is signed, no notes."""

    def get(self, request):
        # Without a range, the last 30 days (the range the exports page offers).
        form = SessionRangeForm(request.GET or SessionRangeForm.last_month().initial)
        if not form.is_valid():
            return render(
                request, "clinic/exports/exports.html", _exports_context(form), status=400
            )
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        audit_record(
            request=request,
            action=AuditEvent.Action.EXPORT,
            detail={
                "format": "csv",
                "export": "sessions",
                "from": start.isoformat(),
                "to": end.isoformat(),
            },
        )
        sessions = Session.objects.between(start, end)
        return _csv_response(
            csv_lines(SESSION_HEADER, session_rows(sessions)), f"sessions-{start}-to-{end}"
        )


@method_decorator(never_cache, name="dispatch")
class ClientImportView(ExportPermissionMixin, TemplateView):
    """Upload a CSV of clients, read the report of every row, then confirm to register all.

    Nothing is written until the confirm step, and then all rows or none. Between the two the
    file's text travels in the page's form (re-checked on confirm), never in the address.
    """

    template_name = "clinic/exports/import.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response({"form": ClientImportForm()})

    def post(self, request, *args, **kwargs):
        if "csv_text" in request.POST:
            return self._confirm(request)
        form = ClientImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response({"form": form}, status=400)
        return self._report(request, form.cleaned_data["file"])

    def _report(self, request, text: str, *, status: int = 200, message: str = ""):
        try:
            report = validate_import(text)
        except ImportFileError as error:
            form = ClientImportForm()
            form.errors["file"] = form.error_class([str(error)])
            return self.render_to_response({"form": form}, status=400)
        context = {
            "report": report,
            "csv_text": text,
            "form": ClientImportForm(),
            "message": message,
        }
        return self.render_to_response(context, status=status if report.is_valid else 400)

    def _confirm(self, request):
        form = ClientImportConfirmForm(request.POST)
        if not form.is_valid():
            upload = ClientImportForm()
            upload.errors["file"] = form.errors["csv_text"]
            return self.render_to_response({"form": upload}, status=400)
        text = form.cleaned_data["csv_text"]
        try:
            report = validate_import(text)
        except ImportFileError:
            report = None
        if report is None or not report.is_valid:
            return self._report(
                request,
                text,
                status=409,
                message="The file no longer passes the checks; nothing was registered.",
            )
        try:
            clients = clients_import(
                request=request, actor=request.user, rows=[row.data for row in report.rows]
            )
        except (ValidationError, DatabaseError):
            return self._report(
                request,
                text,
                status=409,
                message="Saving failed part-way, so nothing was registered. Try again.",
            )
        messages.success(request, f"{len(clients)} clients registered from the file.")
        return redirect("exports")
