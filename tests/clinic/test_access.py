"""clinic.access.get_client_for_user answers from the permission set read once a request, as
it did with `User.has_perm`."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from clinic.access import get_client_for_user
from tests.clinic import test_nav
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

people = test_nav.people  # the fixture: every kind of user, inactive and superuser too


def _by_has_perm(user, pk, *, for_change=False):
    """The helper as it was, asking `user.has_perm` (the reference)."""
    from clinic.models import Client

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
            raise PermissionDenied("archived")
    return client


def _outcome(helper, user, pk, for_change):
    try:
        return helper(user, pk, for_change=for_change).pk
    except (PermissionDenied, Http404) as refusal:
        return type(refusal)


def test_every_user_gets_the_answer_has_perm_gave(people, clinic_admin):
    current = ClientFactory()
    archived = ClientFactory(archived_at=timezone.now(), archived_by=clinic_admin)
    outcomes = set()
    for user in people:
        for pk in (current.pk, archived.pk, 10**9, "x"):
            for for_change in (False, True):
                fresh = type(user).objects.get(pk=user.pk)  # no permissions cached yet
                expected = _outcome(_by_has_perm, fresh, pk, for_change)
                fresh = type(user).objects.get(pk=user.pk)
                assert _outcome(get_client_for_user, fresh, pk, for_change) == expected, (
                    user,
                    pk,
                    for_change,
                )
                outcomes.add(expected)
    # Each kind of answer was met.
    assert {current.pk, archived.pk, PermissionDenied, Http404} <= outcomes


def test_a_user_made_inactive_during_a_request_is_refused_as_has_perm_would(clinic_admin):
    record = ClientFactory()
    assert get_client_for_user(clinic_admin, record.pk).pk == record.pk  # permissions read
    clinic_admin.is_active = False
    assert not clinic_admin.has_perm("clinic.view_client")
    with pytest.raises(PermissionDenied):
        get_client_for_user(clinic_admin, record.pk)
