"""Treatments: plans, booked sessions and their notes, surgery episodes, outcome measures.

A session is both a booking (time, therapist, status: what reception handles) and, once it
happens, the clinical note (what only therapists and clinic admins read). Signing locks the
note: database triggers refuse any change to a signed session's content and to its findings
and treatments; corrections are addenda, which are append-only.
"""

from datetime import date, timedelta

import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clinic.history import tracked
from clinic.models import Client
from treatments.querysets import (
    OutcomeMeasureQuerySet,
    SessionQuerySet,
    SurgeryEpisodeQuerySet,
    TreatmentPlanQuerySet,
)

NOTE_MAX = 8000
HOME_CARE_MAX = 4000
GOALS_MAX = 2000
REASON_MAX = 300


def _undeletable(name: str) -> pgtrigger.Protect:
    # Health records are never hard-deleted, by the app or by SQL (domain.md, "Records rules");
    # TRUNCATE, which the test suite flushes with, is not a row delete. Findings, treatments
    # given and a plan's target muscles are working rows an unsigned note or an open plan
    # replaces; the child lock freezes those of a signed note and the history keeps every one.
    return pgtrigger.Protect(name=name, operation=pgtrigger.Delete)


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"


# Kept for the name the first migration used.
SurgerySide = Side


class SurgeryStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class Frequency(models.TextChoices):
    TWICE_WEEKLY = "twice-weekly", "Twice a week"
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    AS_NEEDED = "as-needed", "As needed"


class MuscleSource(models.TextChoices):
    SUGGESTION = "suggestion", "From the intake's suggestions"
    LIBRARY = "library", "From the library"


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no-show", "No-show"


class FindingState(models.TextChoices):
    ACTIVE = "active", "Active"
    LATENT = "latent", "Latent"
    RESOLVED = "resolved", "Resolved"


class Technique(models.TextChoices):
    ISCHEMIC_COMPRESSION = "ischemic-compression", "Ischemic compression"
    STRIPPING = "stripping", "Stripping massage"
    STRETCH = "stretch", "Stretch"
    SPRAY_STRETCH = "spray-stretch", "Spray (or ice) and stretch"
    MUSCLE_ENERGY = "muscle-energy", "Muscle energy technique"
    PIR = "post-isometric-relaxation", "Post-isometric relaxation"
    PIN_STRETCH = "pin-and-stretch", "Pin and stretch"
    MYOFASCIAL_RELEASE = "myofascial-release", "Myofascial release"
    CROSS_FIBER = "cross-fiber", "Cross-fibre friction"
    HEAT = "heat", "Heat"
    ICE = "ice", "Ice"
    CUPPING = "cupping", "Cupping"
    INSTRUMENT = "instrument-assisted", "Instrument-assisted"
    EFFLEURAGE = "effleurage", "Effleurage"
    OTHER = "other", "Other"


class Pressure(models.TextChoices):
    LIGHT = "light", "Light"
    MODERATE = "moderate", "Moderate"
    FIRM = "firm", "Firm"
    DEEP = "deep", "Deep"


class MeasureKind(models.TextChoices):
    NPRS = "nprs", "NPRS (pain, 0 to 10)"
    PSFS = "psfs", "PSFS (patient-specific function)"
    LEFS = "lefs", "LEFS (lower extremity function)"


@tracked
class TreatmentPlan(models.Model):
    Status = PlanStatus

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="treatment_plans")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="treatment_plans",
        help_text="The therapist responsible for the plan.",
    )
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default="active")
    goals = models.TextField(max_length=GOALS_MAX, blank=True)
    planned_sessions = models.PositiveSmallIntegerField("number of sessions", default=6)
    frequency = models.CharField(max_length=14, choices=Frequency.choices, default="weekly")
    start_date = models.DateField(default=timezone.localdate)
    review_date = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, editable=False)
    source_intake = models.ForeignKey(
        "intake.Intake",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="treatment_plans",
    )
    muscles = models.ManyToManyField(
        "knowledge.Muscle", through="PlanMuscle", related_name="treatment_plans"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: every save names the version it started from.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = TreatmentPlanQuerySet.as_manager()

    class Meta:
        ordering = ["client", "-start_date", "-id"]
        indexes = [
            models.Index(fields=["client", "-start_date"], name="plan_client_start"),
            models.Index(
                fields=["review_date"], name="plan_review_due", condition=Q(status="active")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="active"), name="plan_one_active_per_client"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values), name="plan_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_sessions__gte=1) & Q(planned_sessions__lte=52),
                name="plan_sessions_1_52",
            ),
            models.CheckConstraint(
                condition=Q(review_date__isnull=True) | Q(review_date__gte=models.F("start_date")),
                name="plan_review_after_start",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
        ]
        triggers = [_undeletable("plan_undeletable")]

    def __str__(self) -> str:
        return f"Plan from {self.start_date:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("treatments:plan_detail", args=[self.client_id, self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE

    @property
    def review_due(self) -> bool:
        return (
            self.is_active
            and self.review_date is not None
            and self.review_date <= timezone.localdate()
        )


@tracked
class PlanMuscle(models.Model):
    Source = MuscleSource

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="plan_muscles")
    muscle = models.ForeignKey("knowledge.Muscle", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=MuscleSource.choices, default="library")
    source_intake = models.ForeignKey(
        "intake.Intake", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "muscle"], name="planmuscle_unique"),
            models.CheckConstraint(
                condition=Q(source__in=MuscleSource.values), name="planmuscle_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(self.muscle)


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


# Columns a signature freezes: everything but the bookkeeping (version, updated_at).
SIGNED_COLUMNS = (
    "client_id",
    "therapist_id",
    "starts_at",
    "ends_at",
    "status",
    "cancel_reason",
    "treatment_plan_id",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "pain_before",
    "pain_after",
    "home_care",
    "signed_at",
    "signed_by_id",
)
_signed_changed = " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in SIGNED_COLUMNS)

# Child rows of a note (findings, treatments) follow their session: none may be added, changed
# or removed once it is signed. The parent is checked on both sides of an UPDATE.
_CHILD_LOCK_FUNC = """
    IF (TG_OP <> 'INSERT' AND EXISTS (
            SELECT 1 FROM treatments_session s WHERE s.id = OLD.session_id
            AND s.signed_at IS NOT NULL))
       OR (TG_OP <> 'DELETE' AND EXISTS (
            SELECT 1 FROM treatments_session s WHERE s.id = NEW.session_id
            AND s.signed_at IS NOT NULL)) THEN
        RAISE EXCEPTION 'The session note is signed: it cannot be changed. Add an addendum.'
            USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
"""


def _child_lock(name: str) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        func=_CHILD_LOCK_FUNC,
    )


@tracked
class Session(models.Model):
    Status = SessionStatus

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sessions")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default="planned")
    cancel_reason = models.CharField(max_length=REASON_MAX, blank=True)
    treatment_plan = models.ForeignKey(
        TreatmentPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )

    subjective = models.TextField(max_length=NOTE_MAX, blank=True)
    objective = models.TextField(max_length=NOTE_MAX, blank=True)
    assessment = models.TextField(max_length=NOTE_MAX, blank=True)
    plan = models.TextField("plan for next time", max_length=NOTE_MAX, blank=True)
    pain_before = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_after = models.PositiveSmallIntegerField(null=True, blank=True)
    home_care = models.TextField("home care given", max_length=HOME_CARE_MAX, blank=True)

    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    booked_at = models.DateTimeField(default=timezone.now, editable=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    notes_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency for the note: every save names the version it started from.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        permissions = [
            ("view_clinical_notes", "Can read session notes, findings and pain scores"),
            ("change_clinical_notes", "Can write session notes, findings and pain scores"),
            ("sign_session", "Can sign the notes of their own sessions"),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts"),
            # A client's sessions in time order, with the columns of the progress page's
            # charts and table in the index (an index-only scan, not a heap page a session).
            models.Index(
                fields=["client", "starts_at", "id"],
                include=["status", "pain_before", "pain_after"],
                name="session_client_starts",
            ),
            models.Index(fields=["therapist", "starts_at"], name="session_therapist_starts"),
            models.Index(
                fields=["therapist", "starts_at"],
                name="session_unsigned",
                condition=Q(signed_at__isnull=True, status__in=["planned", "completed"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__lte=models.F("starts_at") + timedelta(hours=4)),
                name="session_at_most_4_hours",
            ),
            models.CheckConstraint(
                condition=Q(pain_before__isnull=True) | Q(pain_before__lte=10),
                name="session_pain_before_0_10",
            ),
            models.CheckConstraint(
                condition=Q(pain_after__isnull=True) | Q(pain_after__lte=10),
                name="session_pain_after_0_10",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by=models.F("therapist"), status="completed"),
                name="session_signed_by_own_therapist",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="session_cancel_has_reason",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="session_version_positive"),
            ExclusionConstraint(
                name="session_no_double_booking",
                expressions=[
                    ("therapist", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="cancelled"),
                violation_error_message="The therapist already has a session at that time.",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="session_signed_no_update",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(f"OLD.signed_at IS NOT NULL AND ({_signed_changed})"),
                func="RAISE EXCEPTION 'Session % is signed: its note cannot be changed. "
                "Add an addendum.', OLD.id USING ERRCODE = 'P0001';",
            ),
            pgtrigger.Trigger(
                name="session_signed_no_delete",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                condition=pgtrigger.Condition("OLD.signed_at IS NOT NULL"),
                func="RAISE EXCEPTION 'Session % is signed: it cannot be deleted.', OLD.id "
                "USING ERRCODE = 'P0001';",
            ),
            # Named to fire after the signed-note check, whose message says more.
            _undeletable("session_undeletable"),
            # A session's record is the client's: never moved to another client (its findings
            # keep the client too, `finding_client_of_session`). It fires before the signed-note
            # check (name order), so moving a signed session gets this message: both refuse it.
            pgtrigger.Trigger(
                name="session_client_kept",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition("OLD.client_id IS DISTINCT FROM NEW.client_id"),
                func="RAISE EXCEPTION 'Session % belongs to its client: it cannot be moved to "
                "another client.', OLD.id USING ERRCODE = 'P0001';",
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"Session {local:%d %b %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("treatments:session_detail", args=[self.client_id, self.pk])

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_booked(self) -> bool:
        """Still on the calendar: planned or completed, not cancelled or missed."""
        return self.status in (SessionStatus.PLANNED, SessionStatus.COMPLETED)

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at)

    @property
    def local_end(self):
        return timezone.localtime(self.ends_at)

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def can_be_moved(self) -> bool:
        return not self.is_signed and self.status == SessionStatus.PLANNED


@tracked(exclude=("client",))  # the session's, as the session_id kept
class Finding(models.Model):
    State = FindingState

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="findings")
    # The session's client, kept by the database (`finding_client_of_session`): a client's
    # findings are read by one index range, without visiting each of their sessions.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    muscle = models.ForeignKey("knowledge.Muscle", on_delete=models.PROTECT, related_name="+")
    trigger_point = models.ForeignKey(
        "knowledge.TriggerPoint", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(max_length=5, choices=Side.choices)
    state = models.CharField(max_length=10, choices=FindingState.choices)
    tenderness = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0 none, 1 mild, 2 moderate, 3 severe (jump sign)."
    )
    referral_reproduced = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["session", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "muscle", "trigger_point", "side"],
                nulls_distinct=False,
                name="finding_one_per_point_side",
            ),
            models.CheckConstraint(
                condition=Q(state__in=FindingState.values), name="finding_state_valid"
            ),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="finding_side_valid"),
            models.CheckConstraint(
                condition=Q(tenderness__isnull=True) | Q(tenderness__lte=3),
                name="finding_tenderness_0_3",
            ),
        ]
        indexes = [
            # The progress page's findings grid: every column it reads, in the index.
            models.Index(
                fields=["client"],
                include=[
                    "session",
                    "muscle",
                    "trigger_point",
                    "side",
                    "state",
                    "tenderness",
                    "position",
                ],
                name="finding_client",
            )
        ]
        triggers = [
            _child_lock("finding_signed_lock"),
            pgtrigger.Trigger(
                name="finding_client_of_session",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func="""
                    NEW.client_id := (
                        SELECT s.client_id FROM treatments_session s WHERE s.id = NEW.session_id
                    );
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} ({self.side}): {self.state}"

    @property
    def place(self) -> str:
        label = self.trigger_point.label if self.trigger_point_id else ""
        parts = [str(self.muscle), label, "" if self.side == Side.BOTH else self.side]
        return ", ".join(part for part in parts if part)


@tracked
class TreatmentGiven(models.Model):
    Technique = Technique
    Pressure = Pressure

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="treatments")
    technique = models.CharField(max_length=28, choices=Technique.choices)
    muscle = models.ForeignKey(
        "knowledge.Muscle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    pressure = models.CharField(max_length=10, choices=Pressure.choices, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["session", "position", "id"]
        verbose_name = "treatment given"
        verbose_name_plural = "treatments given"
        constraints = [
            models.CheckConstraint(
                condition=Q(technique__in=Technique.values), name="treatment_technique_valid"
            ),
            models.CheckConstraint(
                condition=Q(pressure__in=["", *Pressure.values]), name="treatment_pressure_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=["", *Side.values]), name="treatment_side_valid"
            ),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True) | (Q(minutes__gte=1) & Q(minutes__lte=240)),
                name="treatment_minutes_1_240",
            ),
        ]
        triggers = [_child_lock("treatment_signed_lock")]

    def __str__(self) -> str:
        return self.get_technique_display()


@tracked
class Addendum(models.Model):
    """A dated correction or addition to a signed note. Never changed, never removed."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reason = models.CharField(max_length=REASON_MAX)
    text = models.TextField(max_length=NOTE_MAX)

    class Meta:
        ordering = ["session", "created_at", "id"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="addendum_reason_required"),
            models.CheckConstraint(condition=~Q(text=""), name="addendum_text_required"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="addendum_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"Addendum {timezone.localtime(self.created_at):%d %b %Y %H:%M}"


@tracked
class SurgeryEpisode(models.Model):
    Status = SurgeryStatus

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="surgery_episodes")
    procedure = models.CharField(max_length=200)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    date = models.DateField(null=True, blank=True, help_text="Empty when not yet known.")
    status = models.CharField(max_length=8, choices=SurgeryStatus.choices)
    surgeon = models.CharField(max_length=200, blank=True)
    clearance = models.CharField(
        "medical clearance", max_length=300, blank=True, help_text="Who cleared treatment, when."
    )
    source_intake = models.ForeignKey(
        "intake.Intake",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surgery_episodes",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Optimistic concurrency: every save names the version it started from.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = SurgeryEpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["client", "-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SurgeryStatus.values), name="surgery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=["", *Side.values]), name="surgery_side_valid"
            ),
            models.CheckConstraint(condition=~Q(procedure=""), name="surgery_procedure_required"),
            models.CheckConstraint(condition=Q(version__gte=1), name="surgery_version_positive"),
        ]
        triggers = [_undeletable("surgery_undeletable")]

    def __str__(self) -> str:
        return self.procedure

    def get_absolute_url(self) -> str:
        return reverse("treatments:surgery_detail", args=[self.client_id, self.pk])

    @property
    def title(self) -> str:
        side = f" ({self.get_side_display().lower()})" if self.side and self.side != "both" else ""
        return f"{self.procedure}{side}"


def surgery_phase(surgery_date: date | None, day: date) -> str:
    """Where a day sits relative to surgery: "pre-op, 12 days before", "post-op week 3"."""
    if surgery_date is None:
        return "surgery date not set"
    days = (day - surgery_date).days
    if days == 0:
        return "day of surgery"
    if days < 0:
        before = -days
        return f"pre-op, {before} day{'s' if before != 1 else ''} before"
    if days < 7:
        return f"post-op day {days}"
    return f"post-op week {(days - 1) // 7 + 1}"


class SurgeryNotePhase(models.TextChoices):
    PRE = "pre-op", "Pre-operative"
    POST = "post-op", "Post-operative"


@tracked
class SurgeryNote(models.Model):
    """A pre- or post-operative note; its phase follows from its date and the surgery's."""

    episode = models.ForeignKey(SurgeryEpisode, on_delete=models.PROTECT, related_name="notes")
    noted_on = models.DateField("date", default=timezone.localdate)
    text = models.TextField(max_length=NOTE_MAX)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["episode", "noted_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="surgerynote_text_required"),
        ]
        triggers = [
            # Like addenda: a note is a dated record; a correction is a further note.
            pgtrigger.Protect(
                name="surgerynote_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"Surgery note {self.noted_on:%d %b %Y}"

    @property
    def phase(self) -> str:
        return surgery_phase(self.episode.date, self.noted_on)

    @property
    def is_pre_op(self) -> bool:
        return self.episode.date is None or self.noted_on < self.episode.date


@tracked
class OutcomeMeasure(models.Model):
    Kind = MeasureKind

    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        related_name="outcome_measures",
        db_index=False,  # measure_client_date leads with it
    )
    kind = models.CharField(max_length=4, choices=MeasureKind.choices)
    measured_on = models.DateField("date", default=timezone.localdate)
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.PROTECT, related_name="outcome_measures"
    )
    intake = models.ForeignKey(
        "intake.Intake", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    zone = models.ForeignKey(
        "knowledge.Zone",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="NPRS only: the zone rated; empty for overall pain.",
    )
    # The answers as given: NPRS {"score": n}; PSFS {"activities": [{"activity", "score"}]};
    # LEFS {"items": [20 ratings 0-4]}. The score is computed from them by the service.
    answers = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=4, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OutcomeMeasureQuerySet.as_manager()

    class Meta:
        ordering = ["client", "kind", "measured_on", "id"]
        indexes = [
            # A client's measures in date order, with the columns the progress page reads in
            # the index (one index-only range); a kind's are a filter of that short range.
            models.Index(
                fields=["client", "measured_on", "id"],
                include=["kind", "score", "zone"],
                name="measure_client_date",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeasureKind.values), name="measure_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=["nprs", "psfs"]) & Q(score__gte=0) & Q(score__lte=10))
                | (Q(kind="lefs") & Q(score__gte=0) & Q(score__lte=80)),
                name="measure_score_in_range",
            ),
            models.CheckConstraint(
                condition=Q(zone__isnull=True) | Q(kind="nprs"), name="measure_zone_only_nprs"
            ),
        ]
        triggers = [_undeletable("measure_undeletable")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.measured_on:%d %b %Y}: {self.score}"


class RecipientKind(models.TextChoices):
    GP = "gp", "GP or family doctor"
    SURGEON = "surgeon", "Surgeon"
    OTHER = "other", "Other health professional"


LETTER_TEXT_MAX = 8000


class LetterSentError(Exception):
    """A saved referral letter was about to be changed."""


@tracked
class ReferralLetter(models.Model):
    """A letter sent to a GP, a surgeon or another professional: the clinic's copy.

    What was sent stays as it was sent: a database trigger refuses any UPDATE or DELETE, and a
    correction is a new letter. The findings are prefilled from the record and edited by the
    therapist before saving.
    """

    Kind = RecipientKind

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referral_letters")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_kind = models.CharField("to a", max_length=8, choices=RecipientKind.choices)
    recipient_name = models.CharField("recipient's name", max_length=200)
    recipient_address = models.TextField("practice and address", max_length=500, blank=True)
    surgery_episode = models.ForeignKey(
        SurgeryEpisode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referral_letters",
        verbose_name="about the surgery",
    )
    reason = models.TextField("reason for referral", max_length=2000)
    findings = models.TextField("findings and summary", max_length=LETTER_TEXT_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["client", "-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="letter_client_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_kind__in=RecipientKind.values), name="letter_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(recipient_name=""), name="letter_recipient_required"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="letter_reason_required"),
        ]
        triggers = [
            # A letter sent is a letter sent: a correction is a new letter.
            pgtrigger.Protect(
                name="letter_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"Letter to {self.recipient_name}, {timezone.localtime(self.created_at):%d %b %Y}"

    def save(self, *args, **kwargs):
        # The app's side of the append-only trigger, with a message a person can act on.
        if not self._state.adding:
            raise LetterSentError("A saved letter cannot be changed: write a new letter instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("treatments:letter_detail", args=[self.client_id, self.pk])

    @property
    def surgery_phase(self) -> str:
        """Where the letter sits relative to its surgery: "pre-op, 12 days before"."""
        if self.surgery_episode_id is None:
            return ""
        return surgery_phase(self.surgery_episode.date, timezone.localtime(self.created_at).date())
