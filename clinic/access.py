"""Access to protected records: every view goes through these."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.models import Client
from clinic.prepared import prepared
from clinic.roles import permission_set

_CLIENT_COLUMNS = [field.attname for field in Client._meta.concrete_fields]
_USER_COLUMNS = [field.attname for field in get_user_model()._meta.concrete_fields]
# What `client_from_row` takes: the client's columns, then those of who archived them (NULLs
# when not archived). A page whose own query reads the client puts these first.
CLIENT_ROW = (*_CLIENT_COLUMNS, *(f"archived_by__{column}" for column in _USER_COLUMNS))


@prepared
def _client_row(*, pk):
    return Client.objects.filter(pk=pk).values_list(*CLIENT_ROW)


def client_from_row(row) -> Client:
    """The client (with who archived it) from the first `len(CLIENT_ROW)` values of `row`, as
    `Client.objects.select_related("archived_by").get(…)` gives it."""
    split = len(_CLIENT_COLUMNS)
    client = Client.from_db("default", _CLIENT_COLUMNS, row[:split])
    archived_by = None
    if client.archived_by_id is not None:
        archived_by = get_user_model().from_db(
            "default", _USER_COLUMNS, row[split : len(CLIENT_ROW)]
        )
    client.archived_by = archived_by
    return client


class RoleRequiredMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Anonymous users go to the login page; staff without the permission get 403."""


def get_client_for_user(user, pk, *, for_change: bool = False) -> Client:
    """The client with this id, if the user may see it (404 otherwise).

    Archived clients are visible only to those who may archive; `for_change` also demands the
    right to edit and refuses archived records, which are read-only.
    """
    client, _ = get_client_with_row(user, pk, lambda pk: _client_row(pk=pk), for_change=for_change)
    return client


def get_client_with_row(
    user, pk, read: Callable[[int], list], *, for_change: bool = False
) -> tuple[Client, tuple]:
    """`get_client_for_user` for a page whose one query reads the client with its own columns:
    `read(pk)` gives the client's rows (none or one), `CLIENT_ROW` first. Returns the client
    and the rest of its row. Permissions are checked before `read` runs."""
    # What `user.has_perm` answers, from the set read once a request (has_perm loads every
    # authentication backend anew on each call).
    allowed = permission_set(user)
    if "clinic.view_client" not in allowed:
        raise PermissionDenied
    try:
        rows = read(int(pk))
    except (ValueError, TypeError):
        raise Http404("No such client") from None
    if not rows:
        raise Http404("No such client")
    client = client_from_row(rows[0])
    if client.is_archived and "clinic.archive_client" not in allowed:
        raise Http404("No such client")
    if for_change:
        if "clinic.change_client" not in allowed:
            raise PermissionDenied
        if client.is_archived:
            raise PermissionDenied("An archived client cannot be changed; restore it first.")
    return client, tuple(rows[0][len(CLIENT_ROW) :])
