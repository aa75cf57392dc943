"""Demo data: one login per role and a waiting room of realistic clients.

Deterministic (a fixed random seed), so screenshots and walkthroughs look the same each time.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from clinic.models import Client, digits_only

DEMO_PASSWORD = "knotwork-demo-2026"  # noqa: S105 (demo logins only, printed by make run)
# Clinic admins must use two-factor: the demo admin gets an authenticator device whose key
# `seed_demo --logins` prints (and `seed_demo --code admin` shows its current code).
DEMO_DEVICE_NAME = "Demo authenticator"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: str


DEMO_LOGINS = (
    DemoLogin("reception", "Rosa", "Delgado", roles.RECEPTIONIST),
    DemoLogin("therapist", "Tom", "Hartley", roles.THERAPIST),
    DemoLogin("therapist2", "Priya", "Raman", roles.THERAPIST),
    DemoLogin("admin", "Alex", "Morgan", roles.CLINIC_ADMIN),
)

_FIRST = [
    "Olivia",
    "Jack",
    "Amelia",
    "Noah",
    "Isla",
    "Leo",
    "Ava",
    "Oscar",
    "Mia",
    "Harry",
    "Grace",
    "George",
    "Sophie",
    "Arthur",
    "Chloe",
    "Freddie",
    "Ella",
    "Theo",
    "Lily",
    "Alfie",
    "Hannah",
    "Samuel",
    "Zara",
    "Mohammed",
    "Niamh",
    "Ewan",
    "Aisha",
    "Tomasz",
    "Mei",
    "Kwame",
    "Margaret",
    "Brian",
]
_LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "O'Brien",
    "Nowak",
    "Okafor",
    "Chen",
    "MacLeod",
    "Fitzgerald",
    "Hughes",
    "Edwards",
]
_STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Avenue",
    "Mill Road",
    "Queen Street",
]
_TOWNS = ["Bristol", "Bath", "Clifton", "Keynsham", "Portishead"]


def seed_staff() -> list[DemoLogin]:
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "email": f"{login.username}@clinic.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        # The admin site is where clinic admins edit the knowledge base.
        user.is_staff = login.role == roles.CLINIC_ADMIN
        user.save()
        user.groups.set([Group.objects.get(name=login.role)])
        if login.role == roles.CLINIC_ADMIN and not demo_device(user.username):
            TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    return list(DEMO_LOGINS)


def demo_device(username: str) -> TOTPDevice | None:
    """The authenticator device the demo made for this demo login, if any."""
    return TOTPDevice.objects.filter(
        user__username=username, name=DEMO_DEVICE_NAME, confirmed=True
    ).first()


def seed_clients(count: int = 30) -> list[Client]:
    rng = random.Random(20261128)  # noqa: S311 (repeatable demo data, not security)
    admin = User.objects.get(username="reception")
    today = timezone.localdate()
    clients = []
    used = set()
    while len(clients) < count:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if (first, last) in used:
            continue
        used.add((first, last))
        age_days = rng.randint(17 * 365, 82 * 365)
        phone = f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        clients.append(
            Client(
                first_name=first,
                last_name=last,
                date_of_birth=today - timedelta(days=age_days),
                phone=phone,
                phone_digits=digits_only(phone),
                email=f"{first}.{last}".lower().replace("'", "") + "@example.com",
                address=f"{rng.randint(1, 120)} {rng.choice(_STREETS)}\n{rng.choice(_TOWNS)}",
                emergency_contact_name=f"{rng.choice(_FIRST)} {last}",
                emergency_contact_phone=f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                created_by=admin,
                created_at=timezone.now() - timedelta(days=rng.randint(0, 400)),
            )
        )
    for client in clients:
        client.full_clean()
    return Client.objects.bulk_create(clients)


@transaction.atomic
def seed(*, clients: int = 30) -> dict[str, int]:
    """Create the demo logins and, when there are no clients yet, the demo clients."""
    seed_staff()
    created = 0
    if not Client.objects.exists():
        created = len(seed_clients(clients))
    from intake.demo import seed as seed_intakes
    from treatments.demo import seed as seed_treatments

    seed_intakes()
    seed_treatments()
    return {"clients": created}
