"""Intake forms: what the client tells the clinic before the first treatment.

A draft keeps the raw form state in `Intake.draft`, so nothing typed is ever lost, whatever its
validity. Submitting validates everything and writes the structured rows (pain reports, factors,
red-flag answers, alerts) in one transaction; from then on the intake is not edited in place:
therapists add amendments, or a new intake is started.
"""

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clinic.history import tracked
from clinic.models import Client
from knowledge.models import Factor, RedFlag, RedFlagLevel, Zone

MAIN_COMPLAINT_MAX = 2000
GOALS_MAX = 1000
MEDICATIONS_MAX = 1000
DURATION_MAX = 100
OTHER_FACTOR_MAX = 300
FACTOR_DETAIL_MAX = 200
PROCEDURE_MAX = 200
CONSENT_NAME_MAX = 200
AMENDMENT_MAX = 4000


def never_deleted(name: str) -> pgtrigger.Protect:
    """Intake rows are health records: the database refuses to delete them (TRUNCATE aside)."""
    return pgtrigger.Protect(name=name, operation=pgtrigger.Delete)


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Reviewed"


class IntakeSource(models.TextChoices):
    STAFF = "staff", "Entered by staff"
    ONLINE = "online", "Online (client)"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"


class PainQuality(models.TextChoices):
    ACHING = "aching", "Aching"
    SHARP = "sharp", "Sharp"
    BURNING = "burning", "Burning"
    NUMBNESS = "numbness", "Numbness"
    TINGLING = "tingling", "Tingling"
    CRAMPING = "cramping", "Cramping"


class PainPattern(models.TextChoices):
    CONSTANT = "constant", "Constant"
    INTERMITTENT = "intermittent", "Comes and goes"


class WorseAt(models.TextChoices):
    NIGHT = "night", "At night"
    MORNING = "morning", "In the morning"
    ACTIVITY = "activity", "With activity"
    REST = "rest", "At rest"


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNSURE = "unsure", "Not sure"


class SurgeryAnswer(models.TextChoices):
    NONE = "none", "No surgery"
    PLANNED = "planned", "Surgery planned"
    DONE = "done", "Surgery in the past"


class IntakeQuerySet(models.QuerySet):
    def submitted(self):
        return self.exclude(status=IntakeStatus.DRAFT)

    def to_review(self):
        """Submitted and not yet reviewed, oldest first (they have waited longest)."""
        return (
            self.filter(status=IntakeStatus.SUBMITTED, client__archived_at__isnull=True)
            .select_related("client", "submitted_by")
            .order_by("submitted_at", "id")
        )

    def for_client(self, client):
        return self.filter(client=client).select_related("created_by").order_by("-created_at")

    def with_details(self):
        return self.select_related(
            "client", "created_by", "submitted_by", "reviewed_by"
        ).prefetch_related(
            models.Prefetch("pain_reports", PainReport.objects.select_related("zone")),
            models.Prefetch("factors", IntakeFactor.objects.select_related("factor")),
            models.Prefetch("red_flag_answers", RedFlagAnswer.objects.select_related("red_flag")),
            "alerts",
            models.Prefetch("amendments", Amendment.objects.select_related("author")),
        )


@tracked
class Intake(models.Model):
    Status = IntakeStatus
    Source = IntakeSource

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="intakes")
    status = models.CharField(max_length=10, choices=IntakeStatus.choices, default="draft")
    source = models.CharField(max_length=8, choices=IntakeSource.choices, default="staff")

    main_complaint = models.TextField(max_length=MAIN_COMPLAINT_MAX, blank=True)
    onset_date = models.DateField("pain started on", null=True, blank=True)
    onset_duration = models.CharField("pain for how long", max_length=DURATION_MAX, blank=True)
    goals = models.TextField("wants to get back to", max_length=GOALS_MAX, blank=True)
    medications = models.TextField(max_length=MEDICATIONS_MAX, blank=True)
    other_factors = models.JSONField(
        default=dict, blank=True, help_text="Free text per factor kind, for what the list lacks."
    )
    surgery = models.CharField(
        max_length=8, choices=SurgeryAnswer.choices, default=SurgeryAnswer.NONE
    )
    surgery_procedure = models.CharField(max_length=PROCEDURE_MAX, blank=True)
    surgery_side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    surgery_date = models.DateField(null=True, blank=True)
    consent_name = models.CharField(max_length=CONSENT_NAME_MAX, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for an intake the client started through an online link.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Optimistic concurrency: every save must name the version it started from.
    version = models.PositiveIntegerField(default=1)
    # Which open form (one per page load) saved last: its own autosaves never conflict with it.
    draft_editor = models.CharField(max_length=32, blank=True)
    # The raw form state while a draft (field name to list of values): never lost, never invalid.
    draft = models.JSONField(default=dict, blank=True)
    # Filled at review by the suggestions issue: what was suggested then, kept with the intake.
    suggestions = models.JSONField(default=list, blank=True)
    suggested_at = models.DateTimeField(null=True, blank=True)

    objects = IntakeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_intake", "Can review intakes and see suggested trigger points")]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="intake_client_created"),
            models.Index(
                fields=["submitted_at"],
                name="intake_to_review",
                condition=Q(status="submitted"),
            ),
        ]
        triggers = [never_deleted("intake_undeletable")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=IntakeStatus.values), name="intake_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=IntakeSource.values), name="intake_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(surgery__in=SurgeryAnswer.values), name="intake_surgery_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (
                    Q(submitted_at__isnull=False)
                    & Q(consent_at__isnull=False)
                    & ~Q(consent_name="")
                ),
                name="intake_submitted_has_consent",
            ),
            models.CheckConstraint(
                condition=~Q(status="reviewed")
                | (Q(reviewed_at__isnull=False) & Q(reviewed_by__isnull=False)),
                name="intake_reviewed_has_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(source="online") | Q(created_by__isnull=False),
                name="intake_staff_has_creator",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="intake_version_positive"),
        ]

    def __str__(self) -> str:
        return f"Intake {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("intake:detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == IntakeStatus.DRAFT

    @property
    def is_online(self) -> bool:
        return self.source == IntakeSource.ONLINE

    @property
    def worst_alert_level(self) -> str | None:
        levels = {alert.level for alert in self.alerts.all()}
        for level in (RedFlagLevel.REFER, RedFlagLevel.CAUTION, RedFlagLevel.LOCAL):
            if level in levels:
                return level
        return None


@tracked
class PainReport(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="pain_reports")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=5, choices=Side.choices, default=Side.BOTH)
    intensity = models.PositiveSmallIntegerField()
    qualities = ArrayField(
        models.CharField(max_length=10, choices=PainQuality.choices), default=list, blank=True
    )
    pattern = models.CharField(max_length=12, choices=PainPattern.choices, blank=True)
    worse_at = ArrayField(
        models.CharField(max_length=10, choices=WorseAt.choices), default=list, blank=True
    )

    class Meta:
        ordering = ["intake", "zone__position", "side"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "zone", "side"], name="painreport_one_per_zone_side"
            ),
            models.CheckConstraint(
                condition=Q(intensity__gte=0) & Q(intensity__lte=10),
                name="painreport_intensity_0_10",
            ),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="painreport_side_valid"),
            models.CheckConstraint(
                condition=Q(pattern__in=["", *PainPattern.values]),
                name="painreport_pattern_valid",
            ),
            models.CheckConstraint(
                condition=Q(qualities__contained_by=PainQuality.values),
                name="painreport_qualities_valid",
            ),
            models.CheckConstraint(
                condition=Q(worse_at__contained_by=WorseAt.values),
                name="painreport_worse_at_valid",
            ),
        ]
        triggers = [never_deleted("painreport_undeletable")]

    def __str__(self) -> str:
        return f"{self.zone} ({self.side}): {self.intensity}/10"

    @property
    def place(self) -> str:
        return str(self.zone) if self.side == Side.BOTH else f"{self.zone}, {self.side}"

    @property
    def quality_labels(self) -> str:
        return ", ".join(PainQuality(q).label.lower() for q in self.qualities)

    @property
    def worse_labels(self) -> str:
        return ", ".join(WorseAt(w).label.lower() for w in self.worse_at)


@tracked
class IntakeFactor(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="factors")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+")
    detail = models.CharField(
        max_length=FACTOR_DETAIL_MAX, blank=True, help_text="When it happened, or what exactly."
    )

    class Meta:
        ordering = ["intake", "factor__position"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "factor"], name="intakefactor_unique"),
        ]
        triggers = [never_deleted("intakefactor_undeletable")]

    def __str__(self) -> str:
        return str(self.factor)


@tracked
class RedFlagAnswer(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="red_flag_answers")
    red_flag = models.ForeignKey(RedFlag, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=6, choices=Answer.choices)

    class Meta:
        ordering = ["intake", "red_flag__position"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "red_flag"], name="redflaganswer_unique"),
            models.CheckConstraint(
                condition=Q(answer__in=Answer.values), name="redflaganswer_answer_valid"
            ),
        ]
        triggers = [never_deleted("redflaganswer_undeletable")]

    def __str__(self) -> str:
        return f"{self.red_flag}: {self.answer}"


@tracked
class IntakeAlert(models.Model):
    """An alert as computed at submit: kept as it was, whatever the knowledge base says later."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="alerts")
    flag = models.SlugField(max_length=60)
    level = models.CharField(max_length=8, choices=RedFlagLevel.choices)
    message = models.TextField()
    unsure = models.BooleanField(
        default=False, help_text="Raised by a 'not sure' answer: check with the client."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["intake", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RedFlagLevel.values), name="intakealert_level_valid"
            ),
        ]
        triggers = [never_deleted("intakealert_undeletable")]

    def __str__(self) -> str:
        return f"{self.level}: {self.flag}"

    @property
    def flag_label(self) -> str:
        return self.flag.replace("-", " ").capitalize()

    @property
    def level_class(self) -> str:
        return {"refer": "danger", "caution": "warning", "local": "info"}.get(self.level, "info")


@tracked
class Amendment(models.Model):
    """A dated note added to a submitted intake; never changed once written."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    text = models.TextField(max_length=AMENDMENT_MAX)

    class Meta:
        ordering = ["intake", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="amendment_text_required"),
        ]
        triggers = [never_deleted("amendment_undeletable")]

    def __str__(self) -> str:
        return f"Amendment {self.pk} to intake {self.intake_id}"


class OnlineIntakeLinkQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(used_at__isnull=True, expires_at__gt=timezone.now())


@tracked
class OnlineIntakeLink(models.Model):
    """A single-use link a client opens to fill in their intake. Only the token's hash is kept."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="intake_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.EmailField(blank=True)
    intake = models.OneToOneField(
        Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="online_link"
    )

    objects = OnlineIntakeLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="onlinelink_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(intake__isnull=False),
                name="onlinelink_used_has_intake",
            ),
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 (a hash pattern)
                name="onlinelink_hash_format",
            ),
        ]
        triggers = [never_deleted("onlinelink_undeletable")]

    def __str__(self) -> str:
        return f"Online intake link {self.pk}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
