"""The client page's card of documents: printable records, referral letters, the access request."""

from django import template

from treatments.models import ReferralLetter

register = template.Library()


@register.inclusion_tag("documents/_client_documents.html", takes_context=True)
def client_documents(context, client):
    """Shown to those who read clinical records (letters, reports) or give a client their record
    (clinic admins); nothing, and no query, for the front desk."""
    user = context["request"].user
    result = {"client": client, "perms": context.get("perms")}
    result["clinical"] = user.has_perm("treatments.view_referralletter") and user.has_perm(
        "treatments.view_clinical_notes"
    )
    result["can_give_record"] = user.has_perm("clinic.give_client_record")
    if result["clinical"]:
        result["letters"] = list(
            ReferralLetter.objects.filter(client=client)
            .select_related("author")
            .order_by("-created_at", "-id")
        )
    return result
