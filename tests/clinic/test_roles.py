import pytest
from django.contrib.auth.models import Group

from clinic.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_the_migration_creates_the_three_roles_with_their_permissions():
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(names), role


def test_only_clinic_admins_may_archive(receptionist, therapist, clinic_admin):
    assert not receptionist.has_perm("clinic.archive_client")
    assert not therapist.has_perm("clinic.archive_client")
    assert clinic_admin.has_perm("clinic.archive_client")
