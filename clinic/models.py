import re
from datetime import date, datetime

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from clinic.history import tracked

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y")


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


# Retention (domain.md, "Records rules"): at least 7 years after the last service, and for
# someone who was a minor then, until they turn 25 if that is later.
RETENTION_YEARS = 7
ADULT_AGE = 18
MINOR_RETAINED_UNTIL_AGE = 25


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February moves to 1 March (the later, safer day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def full_name(first_name: str, preferred_name: str, last_name: str) -> str:
    """A client's name as staff see it: "Margaret (Peggy) Lee", or "Ann Lee"."""
    if preferred_name and preferred_name != first_name:
        return f"{first_name} ({preferred_name}) {last_name}"
    return f"{first_name} {last_name}"


class ClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)

    def search(self, query: str):
        """Clients whose name, email, phone or date of birth match what was typed.

        Every word must match a name, so "ann smi" finds Ann Smith; a date finds the date of
        birth; a run of digits finds phone numbers; text with "@" finds email addresses.
        """
        return self.matching(**search_terms(query))

    def matching(self, *, birth_date=None, email=None, digits=None, words=()):
        """Clients matching the terms `search_terms` read from a search (all when none)."""
        if birth_date is not None:
            return self.filter(date_of_birth=birth_date)
        if email is not None:
            return self.filter(email__icontains=email)
        if digits is not None:
            return self.filter(phone_digits__contains=digits)
        condition = Q()
        for word in words:
            condition &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(preferred_name__icontains=word)
            )
        return self.filter(condition) if words else self


def search_terms(query: str) -> dict:
    """What a client search looks for: one of `birth_date`, `email`, `digits`, or up to five
    `words` (a tuple); nothing for an empty search. `ClientQuerySet.matching` takes these."""
    query = (query or "").strip()
    if not query:
        return {}
    birth_date = parse_date(query)
    if birth_date:
        return {"birth_date": birth_date}
    if "@" in query:
        return {"email": query}
    digits = digits_only(query)
    if len(digits) >= 4 and len(digits) >= len(query.replace(" ", "")) - 2:
        return {"digits": digits}
    return {"words": tuple(query.split()[:5])}


@tracked
class Client(models.Model):
    """A person the clinic treats.

    A client is never deleted: a clinic admin archives them (`archived_at`), which hides them
    from searches and makes the record read-only, and can restore them. A database trigger
    refuses any DELETE of a client row, from the app or from SQL, and every change is kept in
    the trigger-based history (`ClientEvent`). The record must be kept until
    `retention_until` at least; nothing in the app deletes it, even after that day.
    """

    first_name = models.CharField("first name", max_length=100)
    last_name = models.CharField("last name", max_length=100)
    preferred_name = models.CharField("preferred name", max_length=100, blank=True)
    date_of_birth = models.DateField("date of birth")
    phone = models.CharField(max_length=32, blank=True)
    phone_digits = models.CharField(max_length=32, blank=True, editable=False)
    email = models.EmailField(max_length=254, blank=True)
    address = models.TextField(max_length=500, blank=True)
    emergency_contact_name = models.CharField("emergency contact", max_length=200, blank=True)
    emergency_contact_phone = models.CharField("emergency contact phone", max_length=32, blank=True)
    gp_details = models.CharField(
        "GP or doctor", max_length=300, blank=True, help_text="Name and practice, for referrals."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Optimistic concurrency: every save names the version it started from. The database
    # default lets bulk loads (seed_scale's COPY) leave it out.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        permissions = [
            ("archive_client", "Can archive and restore clients"),
            ("give_client_record", "Can give a client their whole record (access request)"),
            ("export_records", "Can export records (FHIR, CSV) and import clients from CSV"),
        ]
        indexes = [
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="client_last_trgm"),
            GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="client_first_trgm"),
            GinIndex(
                OpClass(Upper("preferred_name"), name="gin_trgm_ops"), name="client_pref_trgm"
            ),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="client_email_trgm"),
            GinIndex(OpClass("phone_digits", name="gin_trgm_ops"), name="client_phone_trgm"),
            models.Index(fields=["date_of_birth"], name="client_dob"),
            models.Index(fields=["last_name", "first_name", "id"], name="client_name_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_name="") & ~Q(last_name=""), name="client_names_required"
            ),
            models.CheckConstraint(
                condition=Q(date_of_birth__gte=date(1900, 1, 1)), name="client_dob_plausible"
            ),
            models.CheckConstraint(
                condition=Q(archived_at__isnull=True) | Q(archived_by__isnull=False),
                name="client_archived_by_set",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="client_version_positive"),
        ]
        triggers = [
            # Archive instead. TRUNCATE (the test suite's flush) is not a row delete.
            pgtrigger.Protect(name="client_undeletable", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("client_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.preferred_name, self.last_name)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, day: date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @cached_property
    def last_service_on(self) -> date:
        """The day of the last service: a submitted intake or a session that took place.

        A session counts when completed, or when still planned and its time has come (notes are
        often written later). With no service yet, the day the client was registered.
        """
        from django.db.models import Max

        submitted = self.intakes.exclude(status="draft").aggregate(last=Max("submitted_at"))
        sessions = self.sessions.filter(
            Q(status="completed") | Q(status="planned", starts_at__lte=timezone.now())
        ).aggregate(last=Max("starts_at"))
        served = [m for m in (submitted["last"], sessions["last"]) if m is not None]
        return timezone.localdate(max(served) if served else self.created_at)

    @cached_property
    def retention_until(self) -> date:
        """The first day the record may lawfully be destroyed (the app never does it itself).

        7 years after the last service; for a client who was under 18 at the last service,
        until their 25th birthday when that is later.
        """
        last = self.last_service_on
        until = add_years(last, RETENTION_YEARS)
        if self.age_on(last) < ADULT_AGE:
            until = max(until, add_years(self.date_of_birth, MINOR_RETAINED_UNTIL_AGE))
        return until


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    ARCHIVE = "archive", "Archived"
    RESTORE = "restore", "Restored"
    SUBMIT = "submit", "Submitted"
    SIGN = "sign", "Signed"
    EXPORT = "export", "Exported"
    ACCESS_REQUEST = "access-request", "Record given to the client"
    DENIED = "denied", "Access denied"


class AuditEvent(models.Model):
    """Who read or changed which record, when and from where. Append-only: a database trigger
    refuses UPDATE and DELETE, from the app or from SQL."""

    Action = AuditAction

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        help_text="Empty when the client acted through an online link.",
        db_index=False,  # audit_actor_at leads with it
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        db_index=False,  # audit_client_at leads with it
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client", "-at"], name="audit_client_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values),
                name="auditevent_action_valid",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="auditevent_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"
