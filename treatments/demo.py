"""Demo treatments: plans, a few weeks of sessions with findings, surgery and outcome measures.

Written through the services, so the demo obeys every rule real records do (signing locks,
no double booking). Deterministic: the same clients get the same story each time.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from clinic.models import Client
from knowledge.models import Muscle
from treatments import services
from treatments.measures import LEFS_ITEMS
from treatments.models import Session, TreatmentGiven

HEEL_MUSCLES = ("soleus", "quadratus-plantae", "abductor-hallucis", "gastrocnemius")
PAIN_BEFORE = (7, 7, 6, 5, 5, 4, 3, 3)
PAIN_AFTER = (5, 4, 4, 3, 3, 2, 2, 1)
# (muscle, state and tenderness per session): active, then latent, then resolved.
HEEL_FINDINGS = {
    "soleus": ["active:3"] * 3 + ["latent:2"] * 3 + ["resolved:0"] * 2,
    "quadratus-plantae": ["active:3"] * 2 + ["active:2"] * 2 + ["latent:1"] * 3 + ["resolved:0"],
    "abductor-hallucis": ["active:2"] + ["latent:1"] * 3 + ["resolved:0"] * 4,
    "gastrocnemius": ["latent:1"] * 5 + ["resolved:0"] * 3,
}
PSFS_ACTIVITIES = (
    "Walking the dog for 30 minutes",
    "First steps in the morning",
    "Standing at work",
)
PSFS_SCORES = {0: (3, 2, 4), 4: (5, 5, 6), 7: (8, 7, 8)}
LEFS_TOTALS = {0: 38, 4: 49, 7: 62}
HEEL_NPRS = {0: 7, 3: 5, 7: 3}


def _at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def lefs_items(total: int) -> list[int]:
    """Twenty ratings 0-4 adding up to `total`."""
    base, extra = divmod(total, len(LEFS_ITEMS))
    return [min(4, base + (1 if index < extra else 0)) for index in range(len(LEFS_ITEMS))]


def _note(session: Session, actor, *, data: dict, findings=(), treatments=(), sign=True):
    session = services.session_note_save(
        request=None,
        actor=actor,
        session=session,
        version=session.version,
        data=data,
        findings=list(findings),
        treatments=list(treatments),
    )
    if sign:
        services.session_sign(request=None, actor=actor, session=session, version=session.version)
    return session


@transaction.atomic
def seed() -> dict[str, int]:
    """Add the demo treatments once: nothing happens when sessions already exist."""
    if Session.objects.exists():
        return {"sessions": 0}
    clients = list(Client.objects.active().order_by("id")[:8])
    if len(clients) < 8:
        return {"sessions": 0}
    tom = User.objects.get(username="therapist")
    priya = User.objects.get(username="therapist2")
    reception = User.objects.get(username="reception")
    muscles = Muscle.objects.in_bulk(
        [*HEEL_MUSCLES, "tibialis-anterior", "fibularis-longus", "vastus-medialis"],
        field_name="slug",
    )
    today = timezone.localdate()

    # The heel-pain story: eight weekly signed sessions, knee surgery between the fourth and
    # the fifth, pain and findings settling, PSFS and LEFS improving, a plan due for review.
    heel = clients[0]
    plan = services.plan_create(
        request=None,
        actor=tom,
        client=heel,
        data={
            "goals": "Walk the dog for 30 minutes without heel pain; stand through a work shift.",
            "planned_sessions": 8,
            "frequency": "weekly",
            "start_date": today - timedelta(days=56),
            "review_date": today - timedelta(days=2),
        },
        muscles=[muscles[slug] for slug in HEEL_MUSCLES],
    )
    episode = services.surgery_create(
        request=None,
        actor=tom,
        client=heel,
        data={
            "procedure": "Knee arthroscopy, meniscus trim",
            "side": "left",
            "date": today - timedelta(days=30),
            "status": "done",
            "surgeon": "Mr K. Okafor, Southmead Hospital",
            "clearance": "Surgeon's letter: massage below the knee from two weeks post-op.",
        },
    )
    for days_before, text in (
        (12, "Pre-op: keep calf and foot work light; no deep pressure behind the knee."),
    ):
        services.surgery_note_add(
            request=None,
            actor=tom,
            episode=episode,
            noted_on=episode.date - timedelta(days=days_before),
            text=text,
        )
    for days_after, text in (
        (8, "Post-op: portals healing, swelling around the knee; calf and foot work only."),
        (15, "Post-op: full weight bearing; knee flexion 110 degrees. Resume soleus work."),
    ):
        services.surgery_note_add(
            request=None,
            actor=tom,
            episode=episode,
            noted_on=episode.date + timedelta(days=days_after),
            text=text,
        )
    home_care = services.home_care_from([muscles[slug] for slug in HEEL_MUSCLES])
    for index in range(8):
        day = today - timedelta(days=56 - 7 * index)
        session = services.session_book(
            request=None,
            actor=reception,
            client=heel,
            therapist=tom,
            starts_at=_at(day, 10),
            minutes=60,
        )
        findings = []
        for slug, states in HEEL_FINDINGS.items():
            state, tenderness = states[index].split(":")
            findings.append(
                {
                    "muscle": muscles[slug],
                    "trigger_point": None,
                    "side": "right",
                    "state": state,
                    "tenderness": int(tenderness),
                    "referral_reproduced": state == "active",
                }
            )
        _note(
            session,
            tom,
            data={
                "subjective": (
                    f"Right heel pain {PAIN_BEFORE[index]}/10 this week, worst on first steps "
                    "in the morning."
                ),
                "objective": "Taut bands in soleus and the foot muscles; see findings.",
                "assessment": (
                    "Improving steadily."
                    if index
                    else "Heel pain referred from soleus and quadratus plantae trigger points."
                ),
                "plan": "Continue weekly; progress the calf stretches.",
                "pain_before": PAIN_BEFORE[index],
                "pain_after": PAIN_AFTER[index],
                "home_care": home_care,
            },
            findings=findings,
            treatments=[
                {
                    "technique": TreatmentGiven.Technique.ISCHEMIC_COMPRESSION,
                    "muscle": muscles["soleus"],
                    "side": "right",
                    "pressure": "firm",
                    "minutes": 10,
                },
                {
                    "technique": TreatmentGiven.Technique.STRIPPING,
                    "muscle": muscles["quadratus-plantae"],
                    "side": "right",
                    "pressure": "moderate",
                    "minutes": 8,
                },
                {
                    "technique": TreatmentGiven.Technique.STRETCH,
                    "muscle": muscles["gastrocnemius"],
                    "side": "right",
                    "pressure": "",
                    "minutes": 5,
                },
                {
                    "technique": TreatmentGiven.Technique.HEAT,
                    "muscle": None,
                    "side": "",
                    "pressure": "",
                    "minutes": 10,
                },
            ],
        )
        if index in HEEL_NPRS:
            services.measure_record(
                request=None,
                actor=tom,
                client=heel,
                kind="nprs",
                answers={"score": HEEL_NPRS[index]},
                measured_on=day,
                session=session,
                zone=None,
            )
        if index in PSFS_SCORES:
            services.measure_record(
                request=None,
                actor=tom,
                client=heel,
                kind="psfs",
                answers={
                    "activities": [
                        {"activity": a, "score": s}
                        for a, s in zip(PSFS_ACTIVITIES, PSFS_SCORES[index], strict=True)
                    ]
                },
                measured_on=day,
                session=session,
            )
        if index in LEFS_TOTALS:
            services.measure_record(
                request=None,
                actor=tom,
                client=heel,
                kind="lefs",
                answers={"items": lefs_items(LEFS_TOTALS[index])},
                measured_on=day,
                session=session,
            )
    from knowledge.models import Zone

    plantar_heel = Zone.objects.filter(slug="plantar-heel").first()
    if plantar_heel:
        for index, score in HEEL_NPRS.items():
            services.measure_record(
                request=None,
                actor=tom,
                client=heel,
                kind="nprs",
                answers={"score": score},
                measured_on=today - timedelta(days=56 - 7 * index),
                zone=plantar_heel,
            )
    count = 8

    # An ankle client of Priya's: three signed sessions.
    ankle = clients[1]
    services.plan_create(
        request=None,
        actor=priya,
        client=ankle,
        data={
            "goals": "Run 5 km on trails without the ankle giving way.",
            "planned_sessions": 6,
            "frequency": "weekly",
            "start_date": today - timedelta(days=21),
            "review_date": today + timedelta(days=21),
        },
        muscles=[muscles["tibialis-anterior"], muscles["fibularis-longus"]],
    )
    for index, (before, after, state) in enumerate(
        ((6, 4, "active"), (5, 3, "active"), (4, 2, "latent"))
    ):
        day = today - timedelta(days=21 - 7 * index)
        session = services.session_book(
            request=None,
            actor=reception,
            client=ankle,
            therapist=priya,
            starts_at=_at(day, 15),
            minutes=45,
        )
        _note(
            session,
            priya,
            data={
                "subjective": "Outer ankle ache after trail runs.",
                "objective": "Fibularis longus tender, reproduces lateral ankle pain.",
                "assessment": "Fibularis trigger points; ankle stable on testing.",
                "plan": "Continue; add balance work.",
                "pain_before": before,
                "pain_after": after,
            },
            findings=[
                {
                    "muscle": muscles["fibularis-longus"],
                    "trigger_point": None,
                    "side": "right",
                    "state": state,
                    "tenderness": 2 if state == "active" else 1,
                    "referral_reproduced": state == "active",
                },
            ],
            treatments=[
                {
                    "technique": TreatmentGiven.Technique.ISCHEMIC_COMPRESSION,
                    "muscle": muscles["fibularis-longus"],
                    "side": "right",
                    "pressure": "moderate",
                    "minutes": 10,
                },
            ],
        )
        count += 1

    # A note Tom has not signed, four days on: it shows on his dashboard.
    knee = clients[2]
    late = services.session_book(
        request=None,
        actor=reception,
        client=knee,
        therapist=tom,
        starts_at=_at(today - timedelta(days=4), 11),
        minutes=60,
    )
    _note(
        late,
        tom,
        data={
            "subjective": "Knee pain going down stairs, 5/10.",
            "objective": "Vastus medialis trigger point, active.",
            "pain_before": 5,
            "pain_after": 3,
        },
        findings=[
            {
                "muscle": muscles["vastus-medialis"],
                "trigger_point": None,
                "side": "left",
                "state": "active",
                "tenderness": 2,
                "referral_reproduced": True,
            },
        ],
        sign=False,
    )
    count += 1

    # Today's schedule, and the heel client's next visit.
    for client, therapist, hour, minute, minutes in (
        (heel, tom, 10, 0, 60),
        (clients[3], tom, 11, 30, 60),
        (clients[4], tom, 14, 0, 45),
        (clients[5], priya, 9, 30, 60),
        (clients[6], priya, 13, 0, 60),
        (clients[7], priya, 16, 0, 30),
        (knee, tom, 10, 0, 60),
    ):
        day = today if client is not knee else today + timedelta(days=3)
        services.session_book(
            request=None,
            actor=reception,
            client=client,
            therapist=therapist,
            starts_at=_at(day, hour, minute),
            minutes=minutes,
        )
        count += 1
    return {"sessions": count, "plan": plan.pk}
