from datetime import date

import factory
from django.contrib.auth.models import Group, User

from clinic.models import Client, digits_only


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            self.is_staff = extracted == "Clinic admin"
            self.save()


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=date(1940, 1, 1), end_date=date(2008, 1, 1)
    )
    phone = factory.Sequence(lambda n: f"07700 9{n:05d}")
    phone_digits = factory.LazyAttribute(lambda c: digits_only(c.phone))
    email = factory.LazyAttribute(lambda c: f"{c.first_name}.{c.last_name}@example.com".lower())


# Intake


def intake_answers(**overrides) -> dict[str, str]:
    """Every red-flag question answered "no", except those given: {slug: answer}."""
    from knowledge.models import RedFlag

    answers = dict.fromkeys(RedFlag.objects.values_list("slug", flat=True), "no")
    answers.update(overrides)
    return answers


def intake_post(
    *,
    version: int,
    pain: dict[str, int] | None = None,
    factors: tuple[str, ...] = (),
    answers: dict[str, str] | None = None,
    action: str = "submit",
    **fields,
) -> dict:
    """A complete, valid intake form post. `pain` maps "zone:side" to an intensity."""
    pain = {"anterior-knee:left": 6} if pain is None else pain
    data: dict = {
        "version": str(version),
        "action": action,
        "main_complaint": "Knee pain going down stairs",
        "onset_date": "",
        "onset_duration": "about 3 months",
        "goals": "Running 5 km again",
        "pain_zones": list(pain),
        "factors": list(factors),
        "surgery": "none",
        "medications": "None",
        "consent_name": "Maria Lopez",
    }
    for value, intensity in pain.items():
        zone, side = value.split(":")
        data[f"pain__{zone}__{side}__intensity"] = str(intensity)
    for slug, answer in (answers if answers is not None else intake_answers()).items():
        data[f"rf__{slug}"] = answer
    data.update(fields)
    return data


class IntakeFactory(factory.django.DjangoModelFactory):
    """A draft intake; use `submitted_intake` for one with rows and alerts."""

    class Meta:
        model = "intake.Intake"

    client = factory.SubFactory(ClientFactory)
    created_by = factory.SubFactory(UserFactory)


def submitted_intake(*, client=None, actor=None, online: bool = False, **post):
    """An intake submitted through the service, as the form would: rows, alerts and all."""
    from intake.forms import IntakeForm, Vocabulary
    from intake.models import IntakeSource
    from intake.services import intake_create, intake_submit

    actor = actor or UserFactory(role="Receptionist")
    client = client or ClientFactory()
    intake = intake_create(
        request=None,
        actor=None if online else actor,
        client=client,
        source=IntakeSource.ONLINE if online else IntakeSource.STAFF,
    )
    vocabulary = Vocabulary.load()
    form = IntakeForm(
        intake_post(version=intake.version, **post), vocabulary=vocabulary, submitting=True
    )
    assert form.is_valid(), form.errors
    return intake_submit(
        request=None,
        actor=None if online else actor,
        intake=intake,
        data=form.to_data(),
        version=intake.version,
        vocabulary=vocabulary,
    )


# Treatments


def aware(day, hour: int = 10, minute: int = 0):
    """A clinic-local, timezone-aware datetime."""
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _past_hour(n: int):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return now - timedelta(days=1, hours=n)


def _plus_an_hour(session):
    from datetime import timedelta

    return session.starts_at + timedelta(minutes=60)


def _soleus():
    from knowledge.models import Muscle

    return Muscle.objects.get(slug="soleus")


class TreatmentPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "treatments.TreatmentPlan"

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SubFactory(UserFactory, role="Therapist")
    created_by = factory.LazyAttribute(lambda plan: plan.therapist)
    goals = "Walk the dog without heel pain"


class SessionFactory(factory.django.DjangoModelFactory):
    """A booked hour; `starts_at` defaults to a distinct hour from yesterday backwards."""

    class Meta:
        model = "treatments.Session"

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SubFactory(UserFactory, role="Therapist")
    starts_at = factory.Sequence(_past_hour)
    ends_at = factory.LazyAttribute(_plus_an_hour)
    booked_by = factory.LazyAttribute(lambda s: s.therapist)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "treatments.Finding"

    session = factory.SubFactory(SessionFactory)
    client = factory.SelfAttribute("session.client")
    muscle = factory.LazyFunction(_soleus)
    side = "left"
    state = "active"
    tenderness = 2
