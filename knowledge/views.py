"""The library: the knowledge base as therapists read it."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

from knowledge.models import (
    Factor,
    MimickedCondition,
    Muscle,
    MuscleFactor,
    Referral,
    Zone,
)

LIBRARY_PERMISSION = "knowledge.view_muscle"


def zone_names() -> dict[str, str]:
    """Zone names for the body map's tooltips and lists, as the admin last edited them."""
    return dict(Zone.objects.values_list("slug", "name"))


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search muscles")
    zone = forms.ModelChoiceField(
        queryset=Zone.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Any zone",
        label="Refers to",
    )
    region = forms.ChoiceField(
        choices=[("", "Any region"), *Muscle.Region.choices], required=False, label="Region"
    )
    factor = forms.ModelChoiceField(
        queryset=Factor.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Any factor",
        label="Linked factor",
    )


@login_required
@permission_required(LIBRARY_PERMISSION, raise_exception=True)
def muscle_list(request):
    form = LibraryFilterForm(request.GET or None)
    muscles = Muscle.objects.with_referrals()
    if form.is_valid():
        data = form.cleaned_data
        muscles = muscles.search(data["q"])
        if data["zone"]:
            muscles = muscles.filter(trigger_points__referrals__zone=data["zone"])
        if data["region"]:
            muscles = muscles.filter(region=data["region"])
        if data["factor"]:
            muscles = muscles.filter(factor_links__factor=data["factor"])
        muscles = muscles.distinct()
    rows = [
        {
            "muscle": muscle,
            "essential": _zone_names(muscle, Referral.Kind.ESSENTIAL),
            "spillover": _zone_names(muscle, Referral.Kind.SPILLOVER),
        }
        for muscle in muscles.order_by("name")
    ]
    template = "knowledge/_muscle_rows.html" if request.htmx else "knowledge/muscle_list.html"
    return render(request, template, {"form": form, "rows": rows})


def _zone_names(muscle: Muscle, kind: str) -> list[Zone]:
    seen: dict[int, Zone] = {}
    for tp in muscle.trigger_points.all():
        for referral in tp.referrals.all():
            if referral.kind == kind:
                seen.setdefault(referral.zone_id, referral.zone)
    return sorted(seen.values(), key=lambda zone: zone.position)


@login_required
@permission_required(LIBRARY_PERMISSION, raise_exception=True)
def muscle_detail(request, slug: str):
    muscle = get_object_or_404(
        Muscle.objects.with_referrals().prefetch_related(
            Prefetch(
                "factor_links",
                queryset=MuscleFactor.objects.select_related("factor", "source").order_by(
                    "factor__kind", "-weight", "factor__position"
                ),
            ),
            Prefetch("mimics", queryset=MimickedCondition.objects.select_related("condition")),
            "sources",
        ),
        slug=slug,
    )
    groups: dict[str, list[MuscleFactor]] = {}
    for link in muscle.factor_links.all():
        groups.setdefault(link.factor.get_kind_display(), []).append(link)
    context = {
        "muscle": muscle,
        "marks": muscle.referral_marks(),
        "essential": _zone_names(muscle, Referral.Kind.ESSENTIAL),
        "spillover": _zone_names(muscle, Referral.Kind.SPILLOVER),
        "factor_groups": groups,
        "zone_names": zone_names(),
    }
    return render(request, "knowledge/muscle_detail.html", context)


@login_required
@permission_required(LIBRARY_PERMISSION, raise_exception=True)
def zone_list(request):
    zones = Zone.objects.all()
    areas: dict[str, list[Zone]] = {}
    for zone in zones:
        areas.setdefault(zone.get_area_display(), []).append(zone)
    return render(request, "knowledge/zone_list.html", {"areas": areas})


@login_required
@permission_required(LIBRARY_PERMISSION, raise_exception=True)
def zone_detail(request, slug: str):
    zone = get_object_or_404(Zone, slug=slug)
    referrals = (
        Referral.objects.filter(zone=zone)
        .select_related("trigger_point__muscle")
        .order_by("kind", "trigger_point__muscle__name", "trigger_point__position")
    )
    muscles: dict[int, dict] = {}
    for referral in referrals:
        muscle = referral.trigger_point.muscle
        entry = muscles.setdefault(
            muscle.pk, {"muscle": muscle, "kind": referral.kind, "trigger_points": []}
        )
        if referral.kind == Referral.Kind.ESSENTIAL:
            entry["kind"] = Referral.Kind.ESSENTIAL
        entry["trigger_points"].append(referral.trigger_point.label)
    rows = sorted(
        muscles.values(),
        key=lambda row: (row["kind"] != Referral.Kind.ESSENTIAL, row["muscle"].name),
    )
    context = {
        "zone": zone,
        "rows": rows,
        "marks": [{"zone": zone.slug, "side": "both", "level": "essential"}],
        "zone_names": zone_names(),
    }
    return render(request, "knowledge/zone_detail.html", context)
