"""Treatments. For now only the surgery episode, created from an intake's surgery answers;
the treatments issue adds plans, sessions, notes and outcome measures around it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clinic.models import Client


class SurgeryStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"


class SurgerySide(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"


class SurgeryEpisode(models.Model):
    Status = SurgeryStatus

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="surgery_episodes")
    procedure = models.CharField(max_length=200)
    side = models.CharField(max_length=5, choices=SurgerySide.choices, blank=True)
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

    class Meta:
        ordering = ["client", "-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SurgeryStatus.values), name="surgery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=["", *SurgerySide.values]), name="surgery_side_valid"
            ),
            models.CheckConstraint(condition=~Q(procedure=""), name="surgery_procedure_required"),
        ]

    def __str__(self) -> str:
        return self.procedure
