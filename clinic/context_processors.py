from clinic.roles import role_of


def roles(request):
    """The user's role for navigation; evaluated once per request, lazily."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    role = role_of(user)
    return {"role": role}
