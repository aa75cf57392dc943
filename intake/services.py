"""Writes to intakes: each validates, writes atomically and records an audit event.

Red-flag answers of "not sure" count as "yes" when alerts are computed: a question the client
cannot answer is one the therapist must ask before treating, so the alert shows (marked as coming
from a "not sure" answer) rather than staying silent.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent, Client
from intake.forms import IntakeData, Vocabulary, sanitise_state
from intake.models import (
    Amendment,
    Answer,
    Intake,
    IntakeAlert,
    IntakeFactor,
    IntakeSource,
    IntakeStatus,
    OnlineIntakeLink,
    PainReport,
    RedFlagAnswer,
    SurgeryAnswer,
)
from knowledge.alerts import alerts_for
from treatments.models import SurgeryEpisode

logger = logging.getLogger(__name__)

LINK_DAYS_DEFAULT = 7
# An editor id is ours (secrets.token_urlsafe); anything else posted in it is dropped.
_EDITOR_JUNK = re.compile(r"[^A-Za-z0-9_-]")
TOKEN_BYTES = 32


class IntakeConflictError(Exception):
    """The intake changed since the form was opened (another tab, another person)."""

    def __init__(self, intake: Intake):
        self.intake = intake
        super().__init__("The intake was changed since this form was opened.")


class IntakeNotDraftError(Exception):
    """The intake was already submitted: it is not edited in place."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _locked(intake: Intake, version: int | None, editor: str = "") -> Intake:
    """The intake row, locked for this transaction; refuses stale versions and non-drafts.

    A save from the form that saved last is not a conflict even with an older version: its
    autosave and its Save button may cross in flight, and both carry that one person's typing.
    """
    current = Intake.objects.select_for_update().get(pk=intake.pk)
    if current.status != IntakeStatus.DRAFT:
        raise IntakeNotDraftError
    same_editor = bool(editor) and editor == current.draft_editor
    if version != current.version and not same_editor:
        raise IntakeConflictError(current)
    return current


def intake_create(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    source: str = IntakeSource.STAFF,
    state: dict | None = None,
) -> Intake:
    intake = Intake(
        client=client,
        source=source,
        created_by=actor if source == IntakeSource.STAFF else None,
        draft=sanitise_state(state or {}),
    )
    intake.full_clean()
    with transaction.atomic():
        intake.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=client,
            obj=intake,
            detail={"source": source},
        )
    return intake


def intake_save_draft(
    *,
    request: HttpRequest | None,
    actor,
    intake: Intake,
    data,
    version: int | None,
    editor: str = "",
    autosave: bool = False,
) -> Intake:
    """Keep the form state as typed (sanitised), whatever its validity; bump the version.

    `editor` identifies the open form (see `_locked`); a stale `version` from another form
    raises IntakeConflictError and writes nothing.
    """
    state = sanitise_state(data)
    editor = _EDITOR_JUNK.sub("", str(editor or ""))[:32]
    with transaction.atomic():
        current = _locked(intake, version, editor)
        if current.draft == state and current.draft_editor == editor:
            return current
        current.draft = state
        current.draft_editor = editor
        current.version += 1
        current.save(update_fields=["draft", "draft_editor", "version", "updated_at"])
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=current.client,
            obj=current,
            detail={"draft": True, "autosave": autosave, "version": current.version},
        )
    return current


def intake_submit(
    *,
    request: HttpRequest | None,
    actor,
    intake: Intake,
    data: IntakeData,
    version: int | None,
    editor: str = "",
    vocabulary: Vocabulary | None = None,
    link: OnlineIntakeLink | None = None,
) -> Intake:
    """Write the validated intake, its pain, factors and answers, and snapshot its alerts.

    All or nothing: a failure leaves the draft as it was. For an online intake pass the link,
    which is used up in the same transaction.
    """
    vocabulary = vocabulary or Vocabulary.load()
    now = timezone.now()
    with transaction.atomic():
        current = _locked(intake, version, editor)
        current.main_complaint = data.main_complaint
        current.onset_date = data.onset_date
        current.onset_duration = data.onset_duration
        current.goals = data.goals
        current.medications = data.medications
        current.other_factors = dict(data.other_factors)
        current.surgery = data.surgery
        current.surgery_procedure = data.surgery_procedure
        current.surgery_side = data.surgery_side
        current.surgery_date = data.surgery_date
        current.consent_name = data.consent_name
        current.consent_at = now
        current.status = IntakeStatus.SUBMITTED
        current.submitted_at = now
        current.submitted_by = actor
        current.version += 1
        current.draft = {}
        current.full_clean()
        missing = set(vocabulary.red_flags) - set(data.answers)
        if missing:
            raise ValidationError("Every red-flag question must be answered before submitting.")
        if not data.pain:
            raise ValidationError("An intake needs at least one area that hurts.")
        current.save()

        pain = [
            PainReport(
                intake=current,
                zone=vocabulary.zones[p.zone],
                side=p.side,
                intensity=p.intensity,
                qualities=list(p.qualities),
                pattern=p.pattern,
                worse_at=list(p.worse_at),
            )
            for p in data.pain
        ]
        factors = [
            IntakeFactor(intake=current, factor=vocabulary.factors[slug], detail=detail)
            for slug, detail in data.factors
        ]
        answers = [
            RedFlagAnswer(intake=current, red_flag=vocabulary.red_flags[slug], answer=answer)
            for slug, answer in data.answers.items()
        ]
        for row in (*pain, *factors, *answers):
            row.clean_fields(exclude=["intake", "zone", "factor", "red_flag"])
        PainReport.objects.bulk_create(pain)
        IntakeFactor.objects.bulk_create(factors)
        RedFlagAnswer.objects.bulk_create(answers)

        raised = [s for s, a in data.answers.items() if a in (Answer.YES, Answer.UNSURE)]
        unsure = {s for s, a in data.answers.items() if a == Answer.UNSURE}
        IntakeAlert.objects.bulk_create(
            IntakeAlert(
                intake=current,
                flag=alert.flag,
                level=alert.level,
                message=alert.message,
                unsure=alert.flag in unsure,
                position=position,
            )
            for position, alert in enumerate(alerts_for(raised))
        )

        if data.surgery in (SurgeryAnswer.PLANNED, SurgeryAnswer.DONE):
            episode = SurgeryEpisode(
                client=current.client,
                procedure=data.surgery_procedure,
                side=data.surgery_side,
                date=data.surgery_date,
                status=data.surgery,
                source_intake=current,
                created_by=actor,
            )
            episode.full_clean(exclude=["client", "source_intake", "created_by"])
            episode.save()

        if link is not None:
            link.used_at = now
            link.save(update_fields=["used_at"])
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.SUBMIT,
            client=current.client,
            obj=current,
            detail={
                "pain_reports": len(pain),
                "factors": len(factors),
                "alerts": len(raised),
                "online": link is not None,
            },
        )
    return current


def intake_mark_reviewed(*, request: HttpRequest | None, actor, intake: Intake) -> Intake:
    with transaction.atomic():
        current = Intake.objects.select_for_update().get(pk=intake.pk)
        if current.status != IntakeStatus.SUBMITTED:
            return current
        current.status = IntakeStatus.REVIEWED
        current.reviewed_by = actor
        current.reviewed_at = timezone.now()
        current.version += 1
        current.full_clean()
        current.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "version", "updated_at"]
        )
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            client=current.client,
            obj=current,
            detail={"reviewed": True},
        )
    return current


def amendment_add(*, request: HttpRequest | None, actor, intake: Intake, text: str) -> Amendment:
    if intake.status == IntakeStatus.DRAFT:
        raise IntakeNotDraftError("A draft is edited, not amended.")
    amendment = Amendment(intake=intake, author=actor, text=text)
    amendment.full_clean()
    with transaction.atomic():
        amendment.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=intake.client,
            obj=amendment,
            detail={"intake": intake.pk},
        )
    return amendment


@dataclass(frozen=True)
class NewLink:
    link: OnlineIntakeLink
    token: str  # shown once to staff; only its hash is stored
    emailed: bool


def email_is_configured() -> bool:
    """Sending is real unless the backend only prints or discards messages."""
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    return backend not in ("console", "dummy")


def online_link_create(
    *,
    request: HttpRequest | None,
    actor,
    client: Client,
    days: int = LINK_DAYS_DEFAULT,
    send_email: bool = False,
    build_url=None,
) -> NewLink:
    """A single-use link for the client; emails it when asked, configured and possible.

    `build_url(token)` makes the absolute address for the email.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    link = OnlineIntakeLink(
        client=client,
        token_hash=hash_token(token),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    emailed = bool(send_email and client.email and email_is_configured() and build_url)
    if emailed:
        link.emailed_to = client.email
    link.full_clean(exclude=["created_by", "client"])
    with transaction.atomic():
        link.save()
        audit_record(
            request=request,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            client=client,
            obj=link,
            detail={"days": days, "emailed": emailed},
        )
    if emailed:
        first = client.preferred_name or client.first_name
        expires = timezone.localtime(link.expires_at)
        try:
            send_mail(
                subject="Your intake form before your first treatment",
                message=(
                    f"Hello {first},\n\nPlease fill in your intake form before your first "
                    f"treatment:\n\n{build_url(token)}\n\nThe link works once and until "
                    f"{expires:%A %-d %B %Y, %H:%M}. It takes about 10 minutes.\n\n"
                    "If you did not expect this email, you can ignore it."
                ),
                from_email=None,
                recipient_list=[client.email],
            )
        except Exception:  # a mail server down must not lose the link: staff can copy it
            logger.exception("sending online intake link %s failed", link.pk)
            emailed = False
    return NewLink(link=link, token=token, emailed=emailed)


def online_intake_start(*, request: HttpRequest | None, link: OnlineIntakeLink) -> Intake:
    """The draft behind an online link, created the first time the client opens it."""
    with transaction.atomic():
        locked = OnlineIntakeLink.objects.select_for_update().get(pk=link.pk)
        if locked.intake_id:
            return Intake.objects.get(pk=locked.intake_id)
        intake = intake_create(
            request=request, actor=None, client=link.client, source=IntakeSource.ONLINE
        )
        locked.intake = intake
        locked.save(update_fields=["intake"])
        link.intake = intake
    return intake
