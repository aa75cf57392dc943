"""Access to treatment records: every treatments view goes through these.

Records are reached through their client (`/clients/<client>/sessions/<id>/`): an id that
belongs to another client is a 404. Missing permissions are a 403 raised before any lookup, so
a denied page never shows whether a record exists nor anything in it.
"""

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic import roles
from clinic.access import get_client_for_user
from clinic.models import Client
from treatments.models import ReferralLetter, Session, SurgeryEpisode, TreatmentPlan

CLINICAL = "treatments.view_clinical_notes"


def _int(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise Http404("No such record") from None


def require(user, *perms: str) -> None:
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def get_client_for_clinical(user, client_pk, *, perm: str = CLINICAL, for_change=False) -> Client:
    """The client, for a clinical page that needs `perm` (403 without it)."""
    require(user, perm)
    return get_client_for_user(user, client_pk, for_change=for_change)


def get_session_for_user(
    user, client_pk, pk, *, clinical: bool = False, addenda: bool = True
) -> Session:
    """A session of this client. `clinical` pages (the note) need the clinical permission and
    load the note with its findings, treatments and addenda (not with `addenda=False`: the edit
    form of an unsigned note, which has none)."""
    require(user, "treatments.view_session")
    if clinical:
        require(user, CLINICAL)
    client = get_client_for_user(user, client_pk)
    sessions = (
        Session.objects.with_note(addenda=addenda) if clinical else Session.objects.for_schedule()
    )
    try:
        session = sessions.get(pk=_int(pk), client=client)
    except Session.DoesNotExist:
        raise Http404("No such session") from None
    session.client = client
    return session


def get_plan_for_user(user, client_pk, pk, *, for_change: bool = False) -> TreatmentPlan:
    require(user, "treatments.view_treatmentplan")
    if for_change:
        require(user, "treatments.change_treatmentplan")
    client = get_client_for_user(user, client_pk, for_change=for_change)
    try:
        plan = TreatmentPlan.objects.with_muscles().get(pk=_int(pk), client=client)
    except TreatmentPlan.DoesNotExist:
        raise Http404("No such plan") from None
    plan.client = client
    return plan


def get_episode_for_user(user, client_pk, pk, *, for_change: bool = False) -> SurgeryEpisode:
    require(user, "treatments.view_surgeryepisode")
    if for_change:
        require(user, "treatments.change_surgeryepisode")
    client = get_client_for_user(user, client_pk, for_change=for_change)
    try:
        episode = SurgeryEpisode.objects.with_notes().get(pk=_int(pk), client=client)
    except SurgeryEpisode.DoesNotExist:
        raise Http404("No such surgery episode") from None
    episode.client = client
    return episode


def bookable_therapists():
    """Staff who treat: therapists and clinic admins with an active account."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[roles.THERAPIST, roles.CLINIC_ADMIN])
        .distinct()
        .order_by("first_name", "last_name", "id")
    )


def get_letter_for_user(user, client_pk, pk):
    """A referral letter of this client (404 for another client's), for those who may read it."""
    require(user, "treatments.view_referralletter")
    client = get_client_for_user(user, client_pk)
    try:
        letter = ReferralLetter.objects.select_related("author", "surgery_episode").get(
            pk=_int(pk), client=client
        )
    except ReferralLetter.DoesNotExist:
        raise Http404("No such letter") from None
    letter.client = client
    return letter
