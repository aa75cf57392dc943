"""Script payloads stored in every free-text field come back escaped on every page that shows them.

Each free-text field of the clinical and contact models gets its own payload (numbered, so a
page that shows it can be told apart), stored directly in the database as an import or SQL
could. Every page that shows these records is then fetched by a clinic admin, who may see all
of them: no page may contain a payload raw, and each field's payload must appear, escaped, on
at least one page. A further test lists the models' text fields, so that a field added later
without a place in this table fails here first.
"""

import io
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from clinic.models import AuditEvent, Client
from intake.models import Amendment, Intake, IntakeFactor
from intake.services import intake_create, intake_save_draft
from tests.factories import SessionFactory, UserFactory, intake_answers, submitted_intake
from treatments import services
from treatments.models import (
    Addendum,
    OutcomeMeasure,
    ReferralLetter,
    SurgeryEpisode,
    SurgeryNote,
    TreatmentPlan,
)

pytestmark = pytest.mark.django_db

APPS = ("clinic", "intake", "treatments")

# Every free-text field of the clinical and contact models, by model.
TEXT_FIELDS = {
    "clinic.Client": (
        "first_name",
        "last_name",
        "preferred_name",
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "gp_details",
    ),
    "clinic.AuditEvent": ("object_id", "detail"),
    "intake.Intake": (
        "main_complaint",
        "onset_duration",
        "goals",
        "medications",
        "other_factors",
        "surgery_procedure",
        "consent_name",
        "draft",
    ),
    "intake.IntakeFactor": ("detail",),
    "intake.Amendment": ("text",),
    "treatments.TreatmentPlan": ("goals",),
    "treatments.Session": (
        "cancel_reason",
        "subjective",
        "objective",
        "assessment",
        "plan",
        "home_care",
    ),
    "treatments.Addendum": ("reason", "text"),
    "treatments.SurgeryEpisode": ("procedure", "surgeon", "clearance"),
    "treatments.SurgeryNote": ("text",),
    "treatments.OutcomeMeasure": ("answers",),
    "treatments.ReferralLetter": ("recipient_name", "recipient_address", "reason", "findings"),
}
# Text fields that hold no text a person typed, and why.
NOT_FREE_TEXT = {
    "clinic.Client.phone_digits": "the digits of the phone number, never shown",
    "clinic.AuditEvent.object_type": "a model label the app writes",
    "intake.Intake.draft_editor": "an editor id of token characters (anything else is dropped)",
    "intake.Intake.suggestions": "written by the app from the knowledge base",
    "intake.IntakeAlert.flag": "a red flag's slug from the knowledge base",
    "intake.IntakeAlert.message": "written by the app from the knowledge base",
    "intake.OnlineIntakeLink.token_hash": "a hash",
    "intake.OnlineIntakeLink.emailed_to": "a copy of Client.email, covered there",
}

FIELD_NUMBERS = {
    f"{model}.{name}": number
    for number, (model, name) in enumerate(
        (model, name) for model, names in TEXT_FIELDS.items() for name in names
    )
}


def _text_fields():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if any(f.name == "pgh_obj" for f in model._meta.fields):
                continue  # a change-history table: a copy of a table checked here
            for field in model._meta.fields:
                free = isinstance(field, models.CharField | models.TextField | models.JSONField)
                if free and not field.choices:
                    yield f"{model._meta.label}.{field.name}"


def test_every_text_field_of_the_clinical_models_is_in_the_table():
    missing = [
        name for name in _text_fields() if name not in FIELD_NUMBERS and name not in NOT_FREE_TEXT
    ]
    assert not missing, f"add these fields to TEXT_FIELDS (and a page that shows them): {missing}"


# Payloads: one kind at a time, numbered per field; each short enough for a phone number.


def _script(n):
    return f"<script>alert({n})</script>", f"&lt;script&gt;alert({n})&lt;/script&gt;"


def _attribute(n):
    return f'"><img src=x onerror=f({n})>', f"&quot;&gt;&lt;img src=x onerror=f({n})&gt;"


def _javascript(n):
    return f"javascript:alert({n})", f"javascript:alert({n})"


def _template(n):
    return "{{ 7*7 }}" + f"z{n}", "{{ 7*7 }}" + f"z{n}"


KINDS = {
    "script": _script,
    "attribute": _attribute,
    "javascript": _javascript,
    "template": _template,
}


def records_with_payloads(kind: str) -> list[str]:
    """One of each clinical record, every free-text field holding its payload; the pages
    that show them. tests/test_backup.py round-trips the same records."""
    payload = {name: KINDS[kind](number)[0] for name, number in FIELD_NUMBERS.items()}

    def values(model: str) -> dict:
        return {name: payload[f"{model}.{name}"] for name in TEXT_FIELDS[model]}

    therapist = UserFactory(username="tess", first_name="Tess", role="Therapist")
    receptionist = UserFactory(username="rosa", first_name="Rosa", role="Receptionist")
    client = Client.objects.create(date_of_birth="1980-01-01", **values("clinic.Client"))

    intake = submitted_intake(
        client=client,
        actor=receptionist,
        factors=("running", "fall"),
        answers=intake_answers(**{"varicose-veins": "yes"}),  # an alert too
    )
    intake_text = values("intake.Intake")
    Intake.objects.filter(pk=intake.pk).update(
        **{k: v for k, v in intake_text.items() if k not in ("other_factors", "draft")},
        other_factors={"activity": intake_text["other_factors"]},
        surgery="planned",
    )
    IntakeFactor.objects.filter(intake=intake).update(**values("intake.IntakeFactor"))
    Amendment.objects.create(intake=intake, author=therapist, **values("intake.Amendment"))
    draft = intake_create(request=None, actor=receptionist, client=client)
    intake_save_draft(
        request=None,
        actor=receptionist,
        intake=draft,
        data=MultiValueDict({"goals": [intake_text["draft"]]}),
        version=draft.version,
    )

    plan = TreatmentPlan.objects.create(
        client=client,
        therapist=therapist,
        created_by=therapist,
        **values("treatments.TreatmentPlan"),
    )
    note = {k: v for k, v in values("treatments.Session").items() if k != "cancel_reason"}
    signed = SessionFactory(client=client, therapist=therapist, treatment_plan=plan, **note)
    services.session_sign(request=None, actor=therapist, session=signed, version=signed.version)
    Addendum.objects.create(session=signed, author=therapist, **values("treatments.Addendum"))
    unsigned = SessionFactory(client=client, therapist=therapist, **note)
    cancelled = SessionFactory(
        client=client,
        therapist=therapist,
        status="cancelled",
        cancel_reason=payload["treatments.Session.cancel_reason"],
    )
    episode = SurgeryEpisode.objects.create(
        client=client,
        status="done",
        date=timezone.localdate() - timedelta(days=10),
        created_by=therapist,
        **values("treatments.SurgeryEpisode"),
    )
    SurgeryNote.objects.create(
        episode=episode, author=therapist, **values("treatments.SurgeryNote")
    )
    OutcomeMeasure.objects.create(
        client=client,
        kind="psfs",
        answers={
            "activities": [{"activity": payload["treatments.OutcomeMeasure.answers"], "score": 4}]
        },
        score=4,
        recorded_by=therapist,
    )
    AuditEvent.objects.create(
        action="view",
        client=client,
        object_type="clinic.client",
        object_id=payload["clinic.AuditEvent.object_id"],
        detail={"fields": [payload["clinic.AuditEvent.detail"]]},
    )

    c = client.pk
    pages = [
        reverse("client_list"),
        reverse("client_detail", args=[c]),
        reverse("client_update", args=[c]),
        reverse("audit_list"),
        reverse("intake:detail", args=[intake.pk]),
        reverse("intake:review", args=[intake.pk]),
        reverse("intake:summary_print", args=[intake.pk]),
        reverse("intake:to_review"),
        reverse("intake:edit", args=[draft.pk]),
        reverse("treatments:plan_detail", args=[c, plan.pk]),
        reverse("treatments:plan_update", args=[c, plan.pk]),
        reverse("treatments:session_detail", args=[c, signed.pk]),
        reverse("treatments:session_print", args=[c, signed.pk]),
        reverse("treatments:session_note", args=[c, unsigned.pk]),
        reverse("treatments:session_detail", args=[c, cancelled.pk]),
        reverse("treatments:schedule_day") + f"?date={cancelled.local_start.date().isoformat()}",
        reverse("treatments:surgery_detail", args=[c, episode.pk]),
        reverse("treatments:surgery_update", args=[c, episode.pk]),
        reverse("treatments:progress", args=[c]),
        reverse("treatments:measure_create", args=[c, "psfs"]),  # the activities named before
        reverse("treatments:progress_report", args=[c]),
    ]
    pages += _referral_letter_pages(client, therapist, values)
    return pages


def _referral_letter_pages(client, author, values) -> list[str]:
    kind = ReferralLetter._meta.get_field("recipient_kind").choices[0][0]
    letter = ReferralLetter.objects.create(
        client=client, author=author, recipient_kind=kind, **values("treatments.ReferralLetter")
    )
    return [reverse("treatments:letter_detail", args=[client.pk, letter.pk])]


def _record_download(http) -> dict[str, str]:
    """The HTML files of the record a client asks for (an access request), by name."""
    client_pk = Client.objects.get().pk
    url = reverse("client_access_request", args=[client_pk])
    response = http.post(url)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {
            f"{url} {name}": archive.read(name).decode()
            for name in archive.namelist()
            if name.endswith(".html")
        }


@pytest.mark.parametrize("kind", KINDS)
def test_payloads_in_every_free_text_field_come_back_escaped(as_admin, kind):
    pages = records_with_payloads(kind)
    bodies = {}
    for url in pages:
        response = as_admin.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.content.decode()
    bodies.update(_record_download(as_admin))
    shown = " ".join(bodies.values())
    for field, number in FIELD_NUMBERS.items():
        raw, escaped = KINDS[kind](number)
        if kind == "script" or kind == "attribute":
            pages_with_raw = [url for url, body in bodies.items() if raw in body]
            assert not pages_with_raw, f"{field} shown unescaped on {pages_with_raw}"
        if kind == "template":
            assert f"49z{number}" not in shown, f"{field} was rendered as a template"
        assert escaped in shown, f"{field} is shown on none of the pages fetched"
    for url, body in bodies.items():
        assert 'href="javascript:' not in body and 'src="javascript:' not in body, url
