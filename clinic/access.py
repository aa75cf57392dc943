"""Access to protected records: every view goes through these."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.models import Client


class RoleRequiredMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous users go to the login page; staff without the permission get 403."""


def get_client_for_user(user, pk, *, for_change: bool = False) -> Client:
    """The client with this id, if the user may see it (404 otherwise).

    Archived clients are visible only to those who may archive; `for_change` also demands the
    right to edit and refuses archived records, which are read-only.
    """
    if not user.has_perm("clinic.view_client"):
        raise PermissionDenied
    try:
        client = Client.objects.select_related("archived_by").get(pk=int(pk))
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("No such client") from None
    if client.is_archived and not user.has_perm("clinic.archive_client"):
        raise Http404("No such client")
    if for_change:
        if not user.has_perm("clinic.change_client"):
            raise PermissionDenied
        if client.is_archived:
            raise PermissionDenied("An archived client cannot be changed; restore it first.")
    return client
