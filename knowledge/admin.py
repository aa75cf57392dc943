"""The knowledge base in the Django admin, for clinic admins.

A muscle is edited on one page: its trigger points with their essential and spillover zones,
its factor links and the conditions it mimics. Every change is kept in the change history
(pghistory, with the acting user) as well as the admin's own log.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.template.loader import render_to_string

from knowledge.body_map import build_map
from knowledge.models import (
    EngineWeight,
    Factor,
    MimickedCondition,
    Muscle,
    MuscleFactor,
    RedFlag,
    Referral,
    Source,
    TriggerPoint,
    Zone,
)

admin.site.site_header = "Knotwork administration"
admin.site.site_title = "Knotwork admin"
admin.site.index_title = "Knowledge base and staff"


class ZoneChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Zone.objects.all(),
            to_field_name="slug",
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 8}),
            error_messages={
                "invalid_choice": "%(value)s is not a zone of the body map; pick zones from "
                "the list.",
            },
            **kwargs,
        )

    def label_from_instance(self, obj: Zone) -> str:
        return f"{obj.name} ({obj.get_view_display().lower()})"


class TriggerPointForm(forms.ModelForm):
    essential_zones = ZoneChoiceField(label="Essential zones")
    spillover_zones = ZoneChoiceField(label="Spillover zones")

    class Meta:
        model = TriggerPoint
        fields = ["label", "location", "position"]
        widgets = {"location": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            referrals = list(self.instance.referrals.all())
            self.fields["essential_zones"].initial = [
                r.zone.slug for r in referrals if r.kind == Referral.Kind.ESSENTIAL
            ]
            self.fields["spillover_zones"].initial = [
                r.zone.slug for r in referrals if r.kind == Referral.Kind.SPILLOVER
            ]

    def clean(self):
        cleaned = super().clean()
        both = set(cleaned.get("essential_zones") or []) & set(cleaned.get("spillover_zones") or [])
        if both:
            names = ", ".join(sorted(zone.name for zone in both))
            raise ValidationError(
                f"A zone is either essential or spillover for a trigger point, not both: {names}."
            )
        return cleaned

    def save_referrals(self) -> None:
        """Make the trigger point's referrals match the two zone lists."""
        wanted = {zone.pk: Referral.Kind.SPILLOVER for zone in self.cleaned_data["spillover_zones"]}
        wanted |= {
            zone.pk: Referral.Kind.ESSENTIAL for zone in self.cleaned_data["essential_zones"]
        }
        existing = {r.zone_id: r for r in self.instance.referrals.all()}
        for zone_id, referral in existing.items():
            if zone_id not in wanted:
                referral.delete()
            elif referral.kind != wanted[zone_id]:
                referral.kind = wanted[zone_id]
                referral.save(update_fields=["kind"])
        Referral.objects.bulk_create(
            Referral(trigger_point=self.instance, zone_id=zone_id, kind=kind)
            for zone_id, kind in wanted.items()
            if zone_id not in existing
        )


class TriggerPointFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not kept:
            raise ValidationError("A muscle needs at least one trigger point.")
        if not any(form.cleaned_data.get("essential_zones") for form in kept):
            raise ValidationError(
                "A muscle needs at least one essential referral zone: pick one in "
                "“Essential zones” for one of its trigger points."
            )


class TriggerPointInline(admin.StackedInline):
    model = TriggerPoint
    form = TriggerPointForm
    formset = TriggerPointFormSet
    extra = 0
    min_num = 1
    fields = [("label", "position"), "location", ("essential_zones", "spillover_zones")]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("referrals", queryset=Referral.objects.select_related("zone"))
            )
        )


class MuscleFactorInline(admin.TabularInline):
    model = MuscleFactor
    extra = 0
    autocomplete_fields = ["factor", "source"]
    fields = ["factor", "weight", "note", "source"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("factor", "source")


class MimickedConditionInline(admin.TabularInline):
    model = MimickedCondition
    extra = 0
    autocomplete_fields = ["condition"]


class ZoneFilter(admin.SimpleListFilter):
    title = "referral zone"
    parameter_name = "zone"

    def lookups(self, request, model_admin):
        return [(zone.slug, zone.name) for zone in Zone.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(trigger_points__referrals__zone__slug=self.value()).distinct()
        return queryset


class FactorFilter(admin.SimpleListFilter):
    title = "factor"
    parameter_name = "factor"

    def lookups(self, request, model_admin):
        return [(factor.slug, f"{factor.name} ({factor.kind})") for factor in Factor.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(factor_links__factor__slug=self.value()).distinct()
        return queryset


@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "region",
        "confidence",
        "essential_zone_names",
        "trigger_point_count",
        "factor_count",
    ]
    list_filter = ["region", "confidence", ZoneFilter, FactorFilter]
    search_fields = ["name", "other_names", "slug"]
    readonly_fields = ["referral_map"]
    filter_horizontal = ["sources"]
    inlines = [TriggerPointInline, MuscleFactorInline, MimickedConditionInline]
    fieldsets = [
        (None, {"fields": [("name", "slug"), "other_names", ("region", "confidence")]}),
        ("Referral map", {"fields": ["referral_map"]}),
        ("For therapists", {"fields": ["description", "locating", "symptoms", "self_care"]}),
        ("Evidence", {"fields": ["ts_ref", "confidence_note", "sources"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                tp_count=Count("trigger_points", distinct=True),
                link_count=Count("factor_links", distinct=True),
            )
            .with_referrals()
        )

    @admin.display(description="Essential zones")
    def essential_zone_names(self, muscle: Muscle) -> str:
        names = sorted(
            {
                referral.zone.name
                for tp in muscle.trigger_points.all()
                for referral in tp.referrals.all()
                if referral.kind == Referral.Kind.ESSENTIAL
            }
        )
        return ", ".join(names)

    @admin.display(description="Trigger points", ordering="tp_count")
    def trigger_point_count(self, muscle: Muscle) -> int:
        return muscle.tp_count

    @admin.display(description="Factor links", ordering="link_count")
    def factor_count(self, muscle: Muscle) -> int:
        return muscle.link_count

    @admin.display(description="Referral map (as saved)")
    def referral_map(self, muscle: Muscle) -> str:
        if not muscle.pk:
            return "The map appears once the muscle is saved."
        return render_to_string(
            "knowledge/_referral_map.html",
            {"map": build_map(muscle.referral_marks(), mode="display"), "id_prefix": "admin-bm"},
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is TriggerPoint:
            for inline_form in formset.forms:
                if inline_form.cleaned_data and not inline_form.cleaned_data.get("DELETE"):
                    inline_form.save_referrals()


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "area", "view", "snomed_code", "muscle_names"]
    list_filter = ["area", "view"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("trigger_points__muscle")

    @admin.display(description="Muscles referring here")
    def muscle_names(self, zone: Zone) -> str:
        return ", ".join(sorted({tp.muscle.name for tp in zone.trigger_points.all()}))

    def get_readonly_fields(self, request, obj=None):
        # Slugs are shared with intakes and the JSON format: fixed once created.
        return ["slug"] if obj else []


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "hint"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "hint"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []


@admin.register(RedFlag)
class RedFlagAdmin(admin.ModelAdmin):
    list_display = ["slug", "question", "level"]
    list_filter = ["level"]
    search_fields = ["slug", "question", "message"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []


@admin.register(EngineWeight)
class EngineWeightAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "description"]
    list_editable = ["value"]

    def get_readonly_fields(self, request, obj=None):
        return ["key"] if obj else []


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "kind", "muscle_names"]
    list_filter = ["kind"]
    search_fields = ["key", "title", "author", "url"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("muscles")

    @admin.display(description="Cited for")
    def muscle_names(self, source: Source) -> str:
        return ", ".join(muscle.name for muscle in source.muscles.all())


@admin.register(MuscleFactor)
class MuscleFactorAdmin(admin.ModelAdmin):
    list_display = ["muscle", "factor", "weight", "source"]
    list_filter = ["factor__kind", "muscle__region"]
    search_fields = ["muscle__name", "factor__name", "factor__slug", "note"]
    list_select_related = ["muscle", "factor", "source"]
    autocomplete_fields = ["muscle", "factor", "source"]
