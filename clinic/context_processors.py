from django.contrib.auth.context_processors import PermWrapper
from django.utils.functional import cached_property

from clinic.roles import AllPermissions, permission_set, role_of


def roles(request):
    """The user's role for navigation; evaluated once per request, lazily."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    role = role_of(user)
    return {"role": role}


def _module_allowed(allowed, app_label: str) -> bool:
    """`User.has_module_perms`: any permission of the app."""
    if isinstance(allowed, AllPermissions):
        return True
    prefix = f"{app_label}."
    return any(name.startswith(prefix) for name in allowed)


class _AppPermissions:
    """`perms.app`: `perms.app.codename` is a permission; `perms.app` alone, any of the app."""

    def __init__(self, wrapper: "FastPermWrapper", app_label: str):
        self.wrapper, self.app_label = wrapper, app_label

    def __getitem__(self, codename: str) -> bool:
        return f"{self.app_label}.{codename}" in self.wrapper.allowed

    def __contains__(self, codename: str) -> bool:
        return self[codename]

    def __bool__(self) -> bool:
        return _module_allowed(self.wrapper.allowed, self.app_label)

    def __iter__(self):
        raise TypeError("PermLookupDict is not iterable.")  # as Django's


class FastPermWrapper(PermWrapper):
    """Django's `perms` for templates, answering from `permission_set` instead of a
    `has_perm` call (and its loop over the backends) per `{% if perms.app.codename %}`."""

    @cached_property
    def allowed(self):
        return permission_set(self.user)

    def __getitem__(self, app_label: str) -> _AppPermissions:
        return _AppPermissions(self, app_label)

    def __contains__(self, perm_name: str) -> bool:
        if "." not in perm_name:
            return _module_allowed(self.allowed, perm_name)
        return perm_name in self.allowed


def perms(request):
    """`perms` for templates as `FastPermWrapper`; after Django's auth processor, which the
    admin asks for and which this replaces `perms` of."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"perms": FastPermWrapper(user)}
