"""Demo intakes: a few realistic ones, through the same form and services as real ones.

Called from clinic.demo.seed. Runs once: it does nothing when intakes exist already.
"""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from clinic.models import Client
from intake.forms import IntakeForm, Vocabulary
from intake.models import Intake, IntakeSource
from intake.services import (
    intake_create,
    intake_mark_reviewed,
    intake_save_draft,
    intake_submit,
    online_intake_start,
    online_link_create,
)


def _post(client: Client, *, complaint, duration, goals, pain, factors=(), yes=(), unsure=()):
    data = {
        "main_complaint": [complaint],
        "onset_duration": [duration],
        "goals": [goals],
        "pain_zones": [f"{zone}:{side}" for zone, side, *_ in pain],
        "factors": list(factors),
        "surgery": ["none"],
        "medications": ["None"],
        "consent_name": [f"{client.first_name} {client.last_name}"],
    }
    for zone, side, intensity, qualities, worse in pain:
        data[f"pain__{zone}__{side}__intensity"] = [str(intensity)]
        data[f"pain__{zone}__{side}__qualities"] = list(qualities)
        data[f"pain__{zone}__{side}__worse_at"] = list(worse)
        data[f"pain__{zone}__{side}__pattern"] = ["intermittent"]
    for flag in Vocabulary.load().red_flags:
        data[f"rf__{flag}"] = ["yes" if flag in yes else "unsure" if flag in unsure else "no"]
    return MultiValueDict(data)


def _submit(intake: Intake, data, *, actor, link=None) -> Intake:
    vocabulary = Vocabulary.load()
    saved = intake_save_draft(
        request=None, actor=actor, intake=intake, data=data, version=intake.version
    )
    form = IntakeForm(data, vocabulary=vocabulary, submitting=True, online=link is not None)
    if not form.is_valid():  # pragma: no cover - the demo data is written to be valid
        raise ValueError(f"demo intake invalid: {form.errors.as_json()}")
    return intake_submit(
        request=None,
        actor=actor,
        intake=saved,
        data=form.to_data(),
        version=saved.version,
        vocabulary=vocabulary,
        link=link,
    )


@transaction.atomic
def seed() -> dict[str, int]:
    if Intake.objects.exists():
        return {"intakes": 0}
    clients = list(Client.objects.active().order_by("id")[:11])
    if len(clients) < 11:
        return {"intakes": 0}
    reception = User.objects.get(username="reception")
    therapist = User.objects.get(username="therapist")
    made = 0

    # The heel-pain client whose treatment the treatments demo follows: reviewed.
    heel = clients[0]
    intake = intake_create(request=None, actor=reception, client=heel)
    intake = _submit(
        intake,
        _post(
            heel,
            complaint="Sharp pain under the right heel, worst with the first steps in the morning.",
            duration="about 3 months",
            goals="Walking the dog for half an hour; standing through a shift at work.",
            pain=[
                ("plantar-heel", "right", 7, ["sharp"], ["morning"]),
                ("arch", "right", 4, ["aching"], ["activity"]),
            ],
            factors=[
                "prolonged-standing",
                "worn-out-shoes",
                "first-steps-pain",
                "plantar-fasciitis",
            ],
        ),
        actor=reception,
    )
    intake_mark_reviewed(request=None, actor=therapist, intake=intake)
    made += 1

    # Knee pain on blood thinners: a caution alert, waiting for review.
    knee = clients[2]
    intake = intake_create(request=None, actor=reception, client=knee)
    _submit(
        intake,
        _post(
            knee,
            complaint="Aching at the front of the left knee on stairs and after sitting.",
            duration="6 weeks",
            goals="Climbing the stairs at home without holding the rail.",
            pain=[
                ("anterior-knee", "left", 6, ["aching"], ["activity"]),
                ("anterior-thigh", "left", 3, ["aching"], []),
            ],
            factors=[
                "running",
                "stair-climbing",
                "squats-lunges",
                "pain-stairs",
                "patellofemoral-pain",
            ],
            yes=["anticoagulants"],
        ),
        actor=reception,
    )
    made += 1

    # A swollen calf after a long-haul flight: refer, waiting for review.
    calf = clients[8]
    intake = intake_create(request=None, actor=reception, client=calf)
    _submit(
        intake,
        _post(
            calf,
            complaint="Left calf tight, sore and a bit swollen since flying back from Singapore.",
            duration="5 days",
            goals="Getting back to my running club.",
            pain=[("calf", "left", 6, ["aching", "cramping"], ["activity", "night"])],
            factors=["running", "long-driving", "night-cramps"],
            yes=["calf-swelling-redness-warmth", "recent-surgery-immobilisation"],
        ),
        actor=reception,
    )
    made += 1

    # Filled in online by the client: waiting for review, flagged "online".
    online = clients[9]
    new = online_link_create(request=None, actor=reception, client=online)
    intake = online_intake_start(request=None, link=new.link)
    _submit(
        intake,
        _post(
            online,
            complaint="Burning pain on the outside of my right hip, worse lying on that side.",
            duration="since the summer",
            goals="Sleeping through the night and walking up hills.",
            pain=[
                ("lateral-hip", "right", 5, ["burning", "aching"], ["night", "rest"]),
                ("lateral-thigh", "right", 3, ["aching"], []),
            ],
            factors=["hill-running-walking", "sleep-disturbed", "trochanteric-bursitis"],
            unsure=["varicose-veins"],
        ),
        actor=None,
        link=new.link,
    )
    made += 1

    # A draft started at the desk and not finished.
    draft = clients[10]
    intake = intake_create(
        request=None,
        actor=reception,
        client=draft,
        source=IntakeSource.STAFF,
        state={
            "main_complaint": ["Numb, tingling toes on the left foot after long walks."],
            "pain_zones": ["lesser-toes:left"],
            "pain__lesser-toes__left__qualities": ["numbness", "tingling"],
        },
    )
    Intake.objects.filter(pk=intake.pk).update(created_at=timezone.now() - timedelta(hours=2))
    made += 1
    return {"intakes": made}
