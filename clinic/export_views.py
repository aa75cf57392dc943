"""Exports and imports for clinic admins: a client's FHIR record, CSV downloads, client import.

Every download is audited, never cached (`no-store`) and carries no clinical data in its
address. Only clinic admins reach these pages.
"""

import json

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from clinic.access import get_client_for_user
from clinic.audit import audit_record
from clinic.fhir import client_bundle
from clinic.models import AuditEvent
from clinic.roles import CLINIC_ADMIN, role_of


class ClinicAdminRequiredMixin(AccessMixin):
    """Anonymous users log in; staff in any role but clinic admin get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if role_of(request.user) != CLINIC_ADMIN:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class ClientFhirExportView(ClinicAdminRequiredMixin, View):
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
