"""Reads of treatment records. Models import these; nothing here imports the models at load."""

from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone

UNSIGNED_AFTER = timedelta(days=2)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The clinic-local start of `day` and of the next day, as aware datetimes."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)
    return start, end


class SessionQuerySet(models.QuerySet):
    def booked(self):
        """On the calendar: not cancelled (a no-show still took the slot)."""
        return self.exclude(status="cancelled")

    def between(self, start: date, end: date):
        """Sessions starting on clinic-local days start..end inclusive."""
        return self.filter(starts_at__gte=day_bounds(start)[0], starts_at__lt=day_bounds(end)[1])

    def on_day(self, day: date):
        return self.between(day, day)

    def for_therapist(self, user):
        return self.filter(therapist=user)

    def for_schedule(self):
        return self.select_related("client", "therapist").order_by("starts_at", "therapist_id")

    def unsigned_overdue(self, *, now: datetime | None = None):
        """Sessions that took place over two days ago and whose note is still unsigned."""
        now = now or timezone.now()
        return (
            self.filter(
                signed_at__isnull=True,
                status__in=["planned", "completed"],
                starts_at__lt=now - UNSIGNED_AFTER,
                client__archived_at__isnull=True,
            )
            .select_related("client", "therapist")
            .order_by("starts_at")
        )

    def with_note(self, *, addenda: bool = True):
        """With the note's findings, treatments and (unless `addenda=False`, for the edit form
        of an unsigned note, which has none) addenda."""
        from treatments.models import Addendum, Finding, TreatmentGiven

        prefetches = [
            Prefetch("findings", Finding.objects.select_related("muscle", "trigger_point__muscle")),
            Prefetch("treatments", TreatmentGiven.objects.select_related("muscle")),
        ]
        if addenda:
            prefetches.append(Prefetch("addenda", Addendum.objects.select_related("author")))
        return self.select_related(
            "client", "therapist", "signed_by", "notes_updated_by", "treatment_plan"
        ).prefetch_related(*prefetches)


class TreatmentPlanQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status="active")

    def due_for_review(self, *, today: date | None = None):
        today = today or timezone.localdate()
        return (
            self.active()
            .filter(review_date__lte=today, client__archived_at__isnull=True)
            .select_related("client", "therapist")
            .order_by("review_date", "id")
        )

    def with_muscles(self):
        from treatments.models import PlanMuscle

        return self.select_related("client", "therapist", "created_by").prefetch_related(
            Prefetch(
                "plan_muscles",
                PlanMuscle.objects.select_related("muscle", "added_by").order_by("added_at", "id"),
            )
        )


class SurgeryEpisodeQuerySet(models.QuerySet):
    def with_notes(self):
        from treatments.models import SurgeryNote

        return self.prefetch_related(
            Prefetch("notes", SurgeryNote.objects.select_related("author", "episode"))
        )


class OutcomeMeasureQuerySet(models.QuerySet):
    def of_kind(self, kind: str):
        return self.filter(kind=kind).order_by("measured_on", "id")

    def overall(self):
        return self.filter(Q(zone__isnull=True))
