"""The knowledge base: which muscles' trigger points send pain where, and what wakes them.

Content is loaded from the reviewed files in knowledge/data/ and edited by clinic admins in the
Django admin. Slugs are stable identifiers shared with the intake, the JSON format and the tests.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from clinic.history import tracked
from knowledge.querysets import MuscleQuerySet

_slug_pattern = Q(slug__regex=r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class SourceKind(models.TextChoices):
    BOOK = "book", "Book"
    WEB = "web", "Web page"


class ZoneArea(models.TextChoices):
    TRUNK_PELVIS = "trunk-pelvis", "Trunk and pelvis"
    HIP_BUTTOCK = "hip-buttock", "Hip and buttock"
    THIGH = "thigh", "Thigh"
    KNEE = "knee", "Knee"
    LEG = "leg", "Leg"
    ANKLE = "ankle", "Ankle"
    HEEL = "heel", "Heel"
    FOOT = "foot", "Foot"
    TOES = "toes", "Toes"


class ZoneView(models.TextChoices):
    FRONT = "front", "Front"
    BACK = "back", "Back"
    SOLE = "sole", "Soles"


class FactorKind(models.TextChoices):
    ACTIVITY = "activity", "Activities"
    FOOTWEAR = "footwear", "Footwear"
    INJURY = "injury", "Injuries and history"
    STRUCTURAL = "structural", "Body structure"
    HABIT = "habit", "Habits and other strains"
    CONDITION = "condition", "Diagnoses already given"
    SYMPTOM = "symptom", "Symptoms"


class RedFlagLevel(models.TextChoices):
    REFER = "refer", "Refer: do not treat"
    CAUTION = "caution", "Caution: treat with changes"
    LOCAL = "local", "Local: avoid the area"


class MuscleRegion(models.TextChoices):
    TRUNK_PELVIS = "trunk-pelvis", "Trunk and pelvis"
    HIP_BUTTOCK = "hip-buttock", "Hip and buttock"
    THIGH = "thigh", "Thigh"
    KNEE = "knee", "Knee"
    LEG = "leg", "Leg"
    FOOT = "foot", "Foot"


class ReferralKind(models.TextChoices):
    ESSENTIAL = "essential", "Essential"
    SPILLOVER = "spillover", "Spillover"


class Source(models.Model):
    Kind = SourceKind

    key = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    author = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(max_length=20, blank=True)
    chapter = models.CharField(max_length=60, blank=True)
    pages = models.CharField(max_length=60, blank=True)
    url = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["book", "web"]), name="source_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    @property
    def citation(self) -> str:
        parts = [self.author, self.title]
        if self.volume:
            parts.append(f"vol. {self.volume}")
        if self.chapter:
            parts.append(f"ch. {self.chapter}")
        if self.pages:
            parts.append(f"pp. {self.pages}")
        if self.year:
            parts.append(str(self.year))
        return ", ".join(part for part in parts if part)


@tracked
class Zone(models.Model):
    Area = ZoneArea

    View = ZoneView

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    area = models.CharField(max_length=16, choices=ZoneArea.choices)
    view = models.CharField(
        max_length=8, choices=ZoneView.choices, help_text="Where the zone sits on the body map."
    )
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # The matching SNOMED CT body structure, for exports (FHIR bodySite). Empty where no code
    # was checked to match the zone: a wrong code is worse than none.
    snomed_code = models.CharField(
        "SNOMED CT code",
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[1-9][0-9]{5,17}$", "A SNOMED CT code is 6 to 18 digits.")],
        help_text="The body structure concept id, e.g. 53840002 for the calf. Leave empty "
        "when unsure.",
    )
    snomed_display = models.CharField(
        "SNOMED CT term", max_length=200, blank=True, help_text="The concept's preferred term."
    )

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.CheckConstraint(condition=_slug_pattern, name="zone_slug_format"),
            models.CheckConstraint(condition=Q(area__in=ZoneArea.values), name="zone_area_valid"),
            models.CheckConstraint(condition=Q(view__in=ZoneView.values), name="zone_view_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:zone_detail", args=[self.slug])

    def clean(self):
        if self.snomed_code and not self.snomed_display:
            raise ValidationError(
                {"snomed_display": "Give the term of the SNOMED CT code, as the browser shows it."}
            )
        if self.snomed_display and not self.snomed_code:
            raise ValidationError({"snomed_code": "Give the code of this SNOMED CT term."})


@tracked
class Factor(models.Model):
    Kind = FactorKind

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    hint = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.CheckConstraint(condition=_slug_pattern, name="factor_slug_format"),
            models.CheckConstraint(
                condition=Q(kind__in=FactorKind.values), name="factor_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@tracked
class RedFlag(models.Model):
    Level = RedFlagLevel

    slug = models.SlugField(max_length=60, unique=True)
    question = models.CharField(max_length=300)
    level = models.CharField(max_length=8, choices=RedFlagLevel.choices)
    message = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [
            models.CheckConstraint(condition=_slug_pattern, name="redflag_slug_format"),
            models.CheckConstraint(
                condition=Q(level__in=RedFlagLevel.values), name="redflag_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.slug


@tracked
class Muscle(models.Model):
    Region = MuscleRegion

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    other_names = models.CharField(max_length=200, blank=True, help_text="Comma-separated.")
    region = models.CharField(max_length=16, choices=MuscleRegion.choices)
    description = models.TextField()
    locating = models.TextField("how to find its trigger points")
    self_care = models.TextField("self-care advice for the client")
    symptoms = models.TextField(blank=True, help_text="One symptom per line.")
    confidence = models.CharField(max_length=8, choices=Confidence.choices, default=Confidence.HIGH)
    confidence_note = models.TextField(
        blank=True, help_text="What is unverified or low-confidence about this entry."
    )
    ts_ref = models.CharField("Travell & Simons reference", max_length=300)
    sources = models.ManyToManyField(Source, related_name="muscles", blank=True)

    objects = MuscleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=_slug_pattern, name="muscle_slug_format"),
            models.CheckConstraint(
                condition=Q(region__in=MuscleRegion.values), name="muscle_region_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="muscle_confidence_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:muscle_detail", args=[self.slug])

    @property
    def symptom_list(self) -> list[str]:
        return [line.strip() for line in self.symptoms.splitlines() if line.strip()]

    @property
    def other_name_list(self) -> list[str]:
        return [name.strip() for name in self.other_names.split(",") if name.strip()]

    def referral_marks(self) -> list[dict]:
        """Body-map marks of the muscle's referral zones; essential wins over spillover.

        Reads `trigger_points` and their `referrals`: prefetch them (`with_referrals()`).
        """
        kinds: dict[str, str] = {}
        for trigger_point in self.trigger_points.all():
            for referral in trigger_point.referrals.all():
                if kinds.get(referral.zone.slug) != ReferralKind.ESSENTIAL:
                    kinds[referral.zone.slug] = referral.kind
        return [{"zone": slug, "side": "both", "level": kind} for slug, kind in kinds.items()]


@tracked
class TriggerPoint(models.Model):
    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="trigger_points")
    label = models.CharField(max_length=100)
    location = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    zones = models.ManyToManyField(Zone, through="Referral", related_name="trigger_points")

    class Meta:
        ordering = ["muscle", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["muscle", "label"], name="triggerpoint_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.muscle}: {self.label}"


@tracked
class Referral(models.Model):
    Kind = ReferralKind

    trigger_point = models.ForeignKey(
        TriggerPoint, on_delete=models.CASCADE, related_name="referrals"
    )
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["trigger_point", "kind", "zone__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger_point", "zone"], name="referral_unique_zone_per_trigger_point"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReferralKind.values), name="referral_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_point} → {self.zone} ({self.kind})"


@tracked
class MuscleFactor(models.Model):
    """A factor that activates or perpetuates a muscle's trigger points, or a symptom of them."""

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="factor_links")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="muscle_links")
    weight = models.FloatField(
        default=0.7,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0 to 1: 1 for a link that tells this muscle apart, 0.3 or less when unsure.",
    )
    note = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="factor_links")

    class Meta:
        ordering = ["muscle", "-weight", "factor__slug"]
        constraints = [
            models.UniqueConstraint(fields=["muscle", "factor"], name="musclefactor_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1), name="musclefactor_weight_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} ← {self.factor} ({self.weight:g})"


class MimickedCondition(models.Model):
    """A condition a muscle's trigger points mimic or coexist with."""

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="mimics")
    name = models.CharField(max_length=200)
    condition = models.ForeignKey(
        Factor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mimicked_by",
        limit_choices_to={"kind": "condition"},
    )

    class Meta:
        ordering = ["muscle", "name"]
        constraints = [
            models.UniqueConstraint(fields=["muscle", "name"], name="mimic_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


@tracked
class EngineWeight(models.Model):
    """A number the suggestion engine reads; admins tune it without a deploy."""

    key = models.SlugField(max_length=40, unique=True)
    value = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(10.0)])
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lte=10), name="engineweight_value_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value:g}"
