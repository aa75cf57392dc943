"""Staff roles: Django groups and what each may do (domain.md, "What each role may do")."""

RECEPTIONIST = "Receptionist"
THERAPIST = "Therapist"
CLINIC_ADMIN = "Clinic admin"
ROLES = (RECEPTIONIST, THERAPIST, CLINIC_ADMIN)

_FRONT_DESK = [
    "clinic.view_client",
    "clinic.add_client",
    "clinic.change_client",
]

# Permission names are "app_label.codename". Later apps add theirs here and ship a migration
# that calls sync_role_permissions, so an existing database gets them too.
_KNOWLEDGE_MODELS = (
    "zone",
    "factor",
    "redflag",
    "muscle",
    "triggerpoint",
    "referral",
    "musclefactor",
    "mimickedcondition",
    "engineweight",
    "source",
)
_KNOWLEDGE_EDIT = [
    f"knowledge.{action}_{model}"
    for model in _KNOWLEDGE_MODELS
    for action in ("add", "change", "delete", "view")
]

# Intake: every role enters intakes and sees red-flag alerts; only therapists and clinic admins
# review (the review screen carries suggested trigger points) and add amendments.
_INTAKE_FRONT_DESK = [
    "intake.view_intake",
    "intake.add_intake",
    "intake.change_intake",
    "intake.view_amendment",
    "intake.add_onlineintakelink",
    "intake.view_onlineintakelink",
]
_INTAKE_CLINICAL = [
    "intake.review_intake",
    "intake.add_amendment",
]

# Treatments: every role books, moves and cancels sessions and sees the schedule (time,
# therapist, client, status); only therapists and clinic admins read or write what happened in
# them: notes, findings, pain scores, plans, surgery episodes, outcome measures and progress.
_SCHEDULE = [
    "treatments.view_session",
    "treatments.add_session",
    "treatments.change_session",
]
_TREATMENTS_CLINICAL = [
    "treatments.view_clinical_notes",
    "treatments.change_clinical_notes",
    "treatments.sign_session",
    "treatments.view_addendum",
    "treatments.add_addendum",
    "treatments.view_treatmentplan",
    "treatments.add_treatmentplan",
    "treatments.change_treatmentplan",
    "treatments.view_surgeryepisode",
    "treatments.add_surgeryepisode",
    "treatments.change_surgeryepisode",
    "treatments.view_surgerynote",
    "treatments.add_surgerynote",
    "treatments.view_outcomemeasure",
    "treatments.add_outcomemeasure",
    "treatments.view_referralletter",
    "treatments.add_referralletter",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    RECEPTIONIST: [*_FRONT_DESK, *_INTAKE_FRONT_DESK, *_SCHEDULE],
    THERAPIST: [
        *_FRONT_DESK,
        "knowledge.view_muscle",
        *_INTAKE_FRONT_DESK,
        *_INTAKE_CLINICAL,
        *_SCHEDULE,
        *_TREATMENTS_CLINICAL,
    ],
    CLINIC_ADMIN: [
        *_FRONT_DESK,
        *_INTAKE_FRONT_DESK,
        *_INTAKE_CLINICAL,
        *_SCHEDULE,
        *_TREATMENTS_CLINICAL,
        "clinic.archive_client",
        "clinic.view_auditevent",
        "clinic.give_client_record",
        "clinic.export_records",
        *_KNOWLEDGE_EDIT,
    ],
}


def sync_role_permissions(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly its permissions.

    Written for migrations (it takes the historical app registry) and safe to run again.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        # A migration's app configs have no models module, which create_permissions skips.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


class AllPermissions:
    """An active superuser's permissions: every name, as `User.has_perm` answers for them."""

    def __contains__(self, perm: str) -> bool:
        return True


def permission_set(user):
    """What `user.has_perm(name)` answers, as `name in permission_set(user)`, read once.

    `User.has_perm` asks every authentication backend, loading each anew, on every call; the
    set comes from the same backends (`get_all_permissions`), once for the user object (a new
    one each request), like the backends' own caches.
    """
    if not user.is_active:  # asked each time, as has_perm does: it may change mid-request
        return frozenset()
    try:
        return user._knotwork_permissions
    except AttributeError:
        pass
    allowed = AllPermissions() if user.is_superuser else frozenset(user.get_all_permissions())
    user._knotwork_permissions = allowed
    return allowed


def role_of(user) -> str | None:
    """The user's role name, or None. A superuser counts as a clinic admin.

    Read from the permissions the request has loaded anyway (no query of its own): a role is
    what its permissions let a person do, and only clinic admins read the audit log, only
    therapists and admins review intakes.
    """
    if not user.is_authenticated:
        return None
    allowed = permission_set(user)
    if user.is_superuser or "clinic.view_auditevent" in allowed:
        return CLINIC_ADMIN
    if "intake.review_intake" in allowed:
        return THERAPIST
    if "clinic.view_client" in allowed:
        return RECEPTIONIST
    return None
