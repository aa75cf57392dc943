"""Generated records at scale, for `manage.py seed_scale` and the page benchmark.

Everything is drawn from one seeded random generator, so a seed and a client count give the same
records every time (dates are relative to the day of the run). Rows go in with COPY on one
connection whose `session_replication_role` is `replica`: the history and lock triggers (and
the foreign-key checks, which are triggers too) do not fire while seeding; check and exclusion
constraints still hold, as they are enforced by the table and its indexes. The generator never
double-books a therapist, so the exclusion constraint is met rather than bypassed.

Distributions, per client: sessions follow a log-normal law (median about 7, a long tail up to
300; 1 client in 10 has none yet); most clients have one intake, the busiest a second or third.
"""

from __future__ import annotations

import gc
import json
import math
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from psycopg.pq import TransactionStatus

from clinic import roles

BENCH_PASSWORD = "knotwork-bench-2026"  # noqa: S105 (a documented login for a bench database)
BENCH_THERAPIST = "bench-therapist"
BENCH_RECEPTIONIST = "bench-reception"
BENCH_ADMIN = "bench-admin"
# The client whose progress page the bench opens: exactly this many sessions.
PROGRESS_CLIENT_SESSIONS = 100

THERAPISTS = 60
SLOTS_PER_DAY = 10  # 08:00 to 18:00, an hour each
FIRST_HOUR = 8
YEARS = 8
FUTURE_DAYS = 60
INTAKE_TEMPLATES = 400

_FIRST = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily "
    "Ella Poppy Evie Elsie Charlotte Evelyn Sienna Daisy Phoebe Sophie Harper Alice Matilda Ruby "
    "Millie Ann Anna Hannah Sarah Emma Lucy Jessica Laura Rachel Claire Helen Joanne Karen Susan "
    "Noah Oliver George Arthur Leo Muhammad Harry Oscar Archie Henry Theodore Freddie Jack Charlie "
    "Theo Alfie Jacob Thomas Finley Arlo William Lucas Roman Tommy Isaac Teddy Alexander Luca "
    "Edward James Joshua Albie Elijah Max Mohammed Reuben Mason Sebastian Rory Jude Louie Benjamin "
    "Ethan Adam Hugo Joseph Reggie Ronnie Daniel David Michael Paul Mark Andrew Peter Richard "
    "Stephen Simon Ian Gary Neil Martin Kevin Chris Robert John Priya Aisha Fatima Zara Amir Omar "
    "Yusuf Ravi Anil Deepa Mei Wei Lin Kenji Yuki Sanjay Nadia Layla Ines Mateo Diego Carmen Sofia"
).split()
_LAST = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood "
    "Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James "
    "Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter "
    "Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson "
    "Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt "
    "Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker "
    "Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson "
    "Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West "
    "Lawrence "
    "Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan "
    "Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory "
    "Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter "
    "Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates "
    "Henderson "
    "Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls "
    "Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman "
    "Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston "
    "Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins "
    "Read Miles Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater "
    "Austin Sullivan Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton "
    "Woodward"
).split()
_STREETS = "High Street,Station Road,Church Lane,Park Avenue,Mill Road,Queen Street,Victoria Road"
_TOWNS = "Bristol,Bath,Clifton,Keynsham,Portishead,Weston,Yate,Thornbury"
_SUBJECTIVE = (
    "Pain down since last visit, sleeping better.",
    "Knee ached after a 10 km run at the weekend.",
    "Heel pain first thing in the morning, easing after a few steps.",
    "Calf cramping at night twice this week.",
    "Stairs still hard, especially going down.",
    "Walked to work every day without pain.",
    "Flare-up after a long day on her feet at work.",
    "Reports the home stretches help; did them most days.",
)
_OBJECTIVE = (
    "Taut band in the lateral gastrocnemius, local twitch on snapping palpation.",
    "Tender point in vastus medialis reproducing the knee pain.",
    "Soleus tender, ankle dorsiflexion 10 degrees short on the left.",
    "Plantar fascia tender at the medial heel; intrinsic foot muscles tight.",
    "Gluteus medius trigger point refers to the lateral thigh.",
    "Range of motion full; mild tenderness only.",
)
_ASSESSMENT = (
    "Improving; trigger points less irritable than last time.",
    "Myofascial pain consistent with the referral pattern; responding to treatment.",
    "Slower progress: load at work is the main perpetuating factor.",
    "Near resolution; moving to maintenance.",
)
_PLAN = (
    "Continue weekly; review footwear next time.",
    "Two more sessions, then review with LEFS.",
    "Add calf stretch to home care; reassess in a fortnight.",
    "Maintenance monthly.",
)
_HOME_CARE = (
    "Calf stretch against the wall, 3 x 30 s, twice a day.",
    "Tennis ball under the foot for 2 minutes each evening.",
    "Heat on the thigh for 15 minutes before bed.",
    "",
)
_COMPLAINTS = (
    "Pain at the front of the knee when climbing stairs.",
    "Heel pain in the morning for three months.",
    "Aching calf after running.",
    "Pain on the outside of the hip and thigh.",
    "Burning pain in the sole of the foot.",
    "Ankle pain since a sprain last year.",
)
_GOALS = ("Run a half marathon", "Walk the dog without pain", "Play football again", "Sleep well")
_CANCEL = ("Client unwell", "Work commitment", "Therapist unwell", "Rebooked by phone")
_TECHNIQUES = ("ischemic-compression", "stripping", "stretch", "pin-and-stretch", "cross-fiber")
_PRESSURES = ("light", "moderate", "firm", "deep")
_SIDES = ("left", "right", "both")
_QUALITIES = ("aching", "sharp", "burning", "numbness", "tingling", "cramping")
_WORSE = ("night", "morning", "activity", "rest")


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def _row(*values) -> str:
    return "\t".join(_text(value) for value in values)


class Progress:
    """A one-line progress bar on stderr: phase, bar, rows written, seconds so far."""

    WIDTH = 30

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total = max(total, 1)
        self.done = 0
        self.phase = ""
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self._shown = -1.0

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self._show(force=True)

    def advance(self, rows: int) -> None:
        self.done += rows
        self._show()

    def _show(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._shown < 0.25:
            return
        self._shown = now
        filled = min(self.WIDTH, int(self.WIDTH * self.done / self.total))
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(
            f"\r[{bar}] {self.done:>10,} rows  {now - self.started:6.1f} s  {self.phase:<28}"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self._show(force=True)
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class ClientPlan:
    """What one client will have: sessions, intakes, the muscles their notes keep finding."""

    client_id: int
    therapist: int
    sessions: int
    muscles: list[int]
    side: str
    first_day: int = 0
    days: list[int] = field(default_factory=list)


@dataclass
class SeedCounts:
    users: int = 0
    clients: int = 0
    intakes: int = 0
    pain_reports: int = 0
    intake_factors: int = 0
    red_flag_answers: int = 0
    alerts: int = 0
    plans: int = 0
    plan_muscles: int = 0
    sessions: int = 0
    findings: int = 0
    treatments: int = 0
    measures: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class ScaleSeeder:
    """Writes the generated records through a psycopg 3 connection (`pg`)."""

    def __init__(self, pg, *, clients: int, seed: int = 2026, progress: bool = True):
        self.pg = pg
        self.n_clients = clients
        self.rng = random.Random(seed)  # noqa: S311 (generated records, not security)
        self.counts = SeedCounts()
        # Rough row total for the progress bar: about 42 rows per client all told.
        self.progress = Progress(total=clients * 42, enabled=progress)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = datetime.now(tz=self.tz)
        self.today = self.now.date()
        self.days = YEARS * 365
        self.day0 = self.today - timedelta(days=self.days - FUTURE_DAYS)
        self._slot_cache: dict[int, list[tuple[datetime, str, str]]] = {}

    # -- helpers -----------------------------------------------------------------------------

    def _scalar(self, sql: str, params=()):
        with self.pg.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return row[0] if row else None

    def _rows(self, sql: str, params=()):
        with self.pg.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def _next_id(self, table: str) -> int:
        return (self._scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}") or 0) + 1  # noqa: S608

    def _copy(self, table: str, columns: tuple[str, ...], lines) -> int:
        """COPY the lines in, with the table's secondary indexes built afterwards in bulk."""
        if not lines:
            return 0
        saved = self._drop_indexes(table)
        written = self._copy_lines(table, columns, lines)
        self._restore_indexes(table, saved)
        return written

    def _drop_indexes(self, table: str):
        # Unique and exclusion constraints, then plain indexes; the primary key stays (ids come
        # in ascending order, so it only appends). All in the seeding transaction: an error puts
        # every index back.
        constraints = self._rows(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'x')",
            (table,),
        )
        indexes = self._rows(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            (table,),
        )
        with self.pg.cursor() as cur:
            for name, _definition in constraints:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cur.execute(f"DROP INDEX {name}")
        return constraints, indexes

    def _restore_indexes(self, table: str, saved, show: bool = True) -> None:
        constraints, indexes = saved
        phase = self.progress.phase
        if show:
            self.progress.set_phase(f"indexes {table.split('_', 1)[1]}"[:28])
        with self.pg.cursor() as cur:
            for _name, definition in indexes:
                cur.execute(definition)
            for name, definition in constraints:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        if show:
            self.progress.set_phase(phase)

    def _copy_lines(self, table: str, columns: tuple[str, ...], lines) -> int:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        written = 0
        batch: list[str] = []
        with self.pg.cursor() as cur, cur.copy(sql) as copy:
            for line in lines:
                batch.append(line)
                if len(batch) >= 10_000:
                    copy.write("\n".join(batch) + "\n")
                    written += len(batch)
                    self.progress.advance(len(batch))
                    batch.clear()
            if batch:
                copy.write("\n".join(batch) + "\n")
                written += len(batch)
                self.progress.advance(len(batch))
        return written

    def _slots(self, day: int) -> list[tuple]:
        """The day's hourly slots in the clinic's time zone, with the texts a session needs:
        (start, start, end, notes written, signed, booked, date)."""
        slots = self._slot_cache.get(day)
        if slots is None:
            on = self.day0 + timedelta(days=day)
            slots = []
            for slot in range(SLOTS_PER_DAY):
                start = datetime(on.year, on.month, on.day, FIRST_HOUR + slot, tzinfo=self.tz)
                slots.append(
                    (
                        start,
                        start.isoformat(),
                        (start + timedelta(minutes=55)).isoformat(),
                        (start + timedelta(hours=1)).isoformat(),
                        (start + timedelta(hours=2)).isoformat(),
                        (start - timedelta(days=7)).isoformat(),
                        on.isoformat(),
                    )
                )
            self._slot_cache[day] = slots
        return slots

    def _at(self, day: int, hour: int = 9, minute: int = 0) -> datetime:
        on = self.day0 + timedelta(days=day)
        return datetime(on.year, on.month, on.day, hour, minute, tzinfo=self.tz)

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> SeedCounts:
        started = time.monotonic()
        # Millions of small tuples and strings, none of them in a cycle: the cyclic garbage
        # collector would walk them all again and again for nothing.
        collecting = gc.isenabled()
        gc.disable()
        with self.pg.cursor() as cur:
            # Superuser only; history, lock and foreign-key triggers stay silent on this connection.
            cur.execute("SET session_replication_role = replica")
            # Index builds after the COPYs: memory to sort in, both cores.
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute("SET max_parallel_maintenance_workers = 2")
            # One commit at the end: no need to wait for its WAL flush (a crash loses the seed).
            cur.execute("SET LOCAL synchronous_commit = off")
        try:
            self._load_reference()
            self._seed_users()
            plans = self._seed_clients()
            self._place_sessions(plans)
            self._seed_sessions(plans)
            self._reset_sequences()
        finally:
            if collecting:
                gc.enable()
            # After an error the rollback undoes the SET by itself.
            if self.pg.info.transaction_status != TransactionStatus.INERROR:
                with self.pg.cursor() as cur:
                    cur.execute("SET session_replication_role = DEFAULT")
                    cur.execute("RESET maintenance_work_mem")
                    cur.execute("RESET max_parallel_maintenance_workers")
        self.progress.finish()
        self.counts.seconds = round(time.monotonic() - started, 1)
        return self.counts

    def _load_reference(self) -> None:
        self.progress.set_phase("knowledge base")
        self.zones = self._rows("SELECT id, slug FROM knowledge_zone ORDER BY position, id")
        self.factors = self._rows("SELECT id, slug FROM knowledge_factor ORDER BY position, id")
        self.red_flags = self._rows(
            "SELECT id, slug, level, message FROM knowledge_redflag ORDER BY position, id"
        )
        muscles = self._rows("SELECT id FROM knowledge_muscle ORDER BY id")
        self.muscles = [row[0] for row in muscles]
        self.points: dict[int, list[int]] = {m: [] for m in self.muscles}
        for point_id, muscle_id in self._rows(
            "SELECT id, muscle_id FROM knowledge_triggerpoint ORDER BY id"
        ):
            self.points[muscle_id].append(point_id)
        groups = dict(self._rows("SELECT name, id FROM auth_group"))
        missing = [role for role in roles.ROLES if role not in groups]
        if missing or not self.zones or not self.muscles:
            raise RuntimeError("the database is not migrated (roles or knowledge base missing)")
        self.groups = groups
        self._intake_templates()

    def _intake_templates(self) -> None:
        """A pool of pain pictures; each intake takes one, and its ranking is computed once."""
        from intake.suggestions import _referral_patterns
        from knowledge.intake_json import IntakeInput, PainReport
        from knowledge.suggest import suggest

        rng = self.rng
        self.templates = []
        for _ in range(min(INTAKE_TEMPLATES, 2 * self.n_clients)):
            zones = rng.sample(self.zones, rng.choice((1, 1, 2, 2, 3, 4)))
            pain = []
            for zone_id, slug in zones:
                pain.append(
                    (
                        zone_id,
                        slug,
                        rng.choice(_SIDES),
                        rng.randint(2, 9),
                        "{" + ",".join(rng.sample(_QUALITIES, rng.randint(0, 2))) + "}",
                        rng.choice(("", "constant", "intermittent")),
                        "{" + ",".join(rng.sample(_WORSE, rng.randint(0, 2))) + "}",
                    )
                )
            factors = rng.sample(self.factors, rng.randint(0, 6))
            ranked = [
                s.as_dict()
                for s in suggest(
                    IntakeInput(
                        pain=tuple(PainReport(zone=p[1], side=p[2], intensity=p[3]) for p in pain),
                        factors=tuple(slug for _, slug in factors),
                    ),
                    limit=10,
                )
            ]
            patterns = _referral_patterns([item["muscle"] for item in ranked])
            for position, item in enumerate(ranked, start=1):
                item["rank"] = position
                item["referrals"] = patterns.get(item["muscle"], [])
            self.templates.append((pain, factors, json.dumps(ranked)))

    def _seed_users(self) -> None:
        self.progress.set_phase("staff")
        password = make_password(BENCH_PASSWORD)
        joined = self._at(0).isoformat()
        people = [(BENCH_RECEPTIONIST, "Rita", "Desk", roles.RECEPTIONIST, False)]
        people.append((BENCH_ADMIN, "Ada", "Admin", roles.CLINIC_ADMIN, True))
        for index in range(THERAPISTS):
            username = BENCH_THERAPIST if index == 0 else f"therapist{index:02d}"
            people.append(
                (username, self.rng.choice(_FIRST), self.rng.choice(_LAST), roles.THERAPIST, False)
            )
        ids = []
        with self.pg.cursor() as cur:
            for username, first, last, role, staff in people:
                cur.execute(
                    "INSERT INTO auth_user (password, is_superuser, username, first_name,"
                    " last_name, email, is_staff, is_active, date_joined)"
                    " VALUES (%s, false, %s, %s, %s, %s, %s, true, %s) RETURNING id",
                    (password, username, first, last, f"{username}@clinic.example", staff, joined),
                )
                user_id = cur.fetchone()[0]
                cur.execute(
                    "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                    (user_id, self.groups[role]),
                )
                ids.append(user_id)
        self.receptionist, self.admin = ids[0], ids[1]
        self.therapists = ids[2:]
        self.counts.users = len(ids)

    def _session_count(self) -> int:
        rng = self.rng
        if rng.random() < 0.10:
            return 0
        # Log-normal: median about 7, mean about 11, a long tail (10 a client, zeros counted).
        return min(300, max(1, int(rng.lognormvariate(math.log(7.2), 1.0))))

    def _seed_clients(self) -> list[ClientPlan]:
        self.progress.set_phase("clients")
        rng = self.rng
        base = self._next_id("clinic_client")
        plans = []
        lines = []
        created = self._at(0).isoformat()
        archived_at = self._at(self.days - FUTURE_DAYS - 30).isoformat()
        streets, towns = _STREETS.split(","), _TOWNS.split(",")
        for index in range(self.n_clients):
            client_id = base + index
            sessions = PROGRESS_CLIENT_SESSIONS if index == 0 else self._session_count()
            therapist = 0 if index == 0 else rng.randrange(THERAPISTS)
            plans.append(
                ClientPlan(
                    client_id=client_id,
                    therapist=therapist,
                    sessions=sessions,
                    muscles=rng.sample(self.muscles, 4),
                    side=rng.choice(_SIDES),
                )
            )
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            preferred = rng.choice(_FIRST) if rng.random() < 0.05 else ""
            born = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 70))
            phone = f"07{rng.randrange(100_000_000, 999_999_999)}"
            email = f"{first}.{last}{rng.randrange(1000)}@example.com".lower().replace("'", "")
            address = f"{rng.randrange(1, 200)} {rng.choice(streets)}, {rng.choice(towns)}"
            archived = rng.random() < 0.01
            lines.append(
                _row(
                    client_id,
                    first,
                    last,
                    preferred,
                    born.isoformat(),
                    phone,
                    phone,
                    email,
                    address,
                    "",
                    "",
                    "",
                    created,
                    created,
                    self.receptionist,
                    archived_at if archived else None,
                    self.admin if archived else None,
                )
            )
        columns = (
            "id first_name last_name preferred_name date_of_birth phone phone_digits email address"
            " emergency_contact_name emergency_contact_phone gp_details created_at updated_at"
            " created_by_id archived_at archived_by_id"
        ).split()
        self.counts.clients = self._copy("clinic_client", tuple(columns), lines)
        return plans

    def _place_sessions(self, plans: list[ClientPlan]) -> None:
        """Choose each client's session days; a full day for their therapist moves to the next.

        Sessions are weekly-ish from a random first day; a therapist sees at most
        SLOTS_PER_DAY clients a day and never on Sunday.
        """
        self.progress.set_phase("planning sessions")
        rng = self.rng
        horizon = self.days + 400
        used = [bytearray(horizon) for _ in range(THERAPISTS)]
        sunday = [(self.day0 + timedelta(days=d)).weekday() == 6 for d in range(horizon)]
        for plan in plans:
            n = plan.sessions
            if n == 0:
                plan.first_day = rng.randrange(self.days - FUTURE_DAYS - 200, self.days - 5)
                continue
            if plan.client_id == plans[0].client_id:
                # The progress client: 100 sessions, all in the past, the last one a week ago.
                cadence = 7
                first = self.days - FUTURE_DAYS - 7 - 7 * (n - 1)
            else:
                cadence = 7 if 7 * n < self.days // 2 else max(1, self.days // (n + 1))
                first = rng.randrange(0, max(1, self.days - cadence * n))
            plan.first_day = first
            day = first
            busy = used[plan.therapist]
            for _ in range(n):
                while sunday[day] or busy[day] >= SLOTS_PER_DAY:
                    day += 1
                plan.days.append(day * SLOTS_PER_DAY + busy[day])
                busy[day] += 1
                day += cadence + rng.choice((0, 0, 0, 1, -1))
                day = max(day, plan.days[-1] // SLOTS_PER_DAY + 1)

    def _intake_ids(self, plans: list[ClientPlan]) -> tuple[dict[int, int], dict[int, int]]:
        """About 1.5 intakes per client: one each, a second or third for the busiest clients.

        Returns each client's extra intakes and the id of their first (ids are handed out in
        client order, so they are known before any intake is written).
        """
        target = int(self.n_clients * 1.5)
        extra = {plan.client_id: 0 for plan in plans}
        busiest = sorted(plans, key=lambda p: -p.sessions)
        remaining = target - len(plans)
        for rounds in (1, 2):
            for plan in busiest:
                if remaining <= 0 or plan.sessions < 4 * (rounds + 1):
                    break
                extra[plan.client_id] += 1
                remaining -= 1
        intake_id = self._next_id("intake_intake")
        first_intake: dict[int, int] = {}
        for plan in plans:
            first_intake[plan.client_id] = intake_id
            intake_id += 1 + extra[plan.client_id]
        return extra, first_intake

    def _intake_lines(self, plans: list[ClientPlan], extra: dict[int, int], first_intake):
        """The COPY lines of the intakes and their pain reports, factors, answers and alerts."""
        rng = self.rng
        intakes, pains, factors, answers, alerts = [], [], [], [], []
        recent = self.days - FUTURE_DAYS - 21
        for plan in plans:
            count = 1 + extra[plan.client_id]
            intake_id = first_intake[plan.client_id]
            if plan.sessions:
                first_day = plan.days[0] // SLOTS_PER_DAY
                span = plan.days[-1] // SLOTS_PER_DAY - first_day
            else:
                first_day, span = plan.first_day, 0
            therapist = self.therapists[plan.therapist]
            for number in range(count):
                day = max(0, first_day - rng.randint(1, 14)) + (span * number) // count
                at = self._at(day, 8, rng.randrange(60))
                submitted = at + timedelta(minutes=20)
                reviewed = at + timedelta(hours=30)
                status = "reviewed"
                if plan.sessions == 0 and day >= recent and rng.random() < 0.5:
                    status = "submitted"
                if plan.sessions == 0 and day >= recent and rng.random() < 0.05:
                    status = "draft"
                pain, chosen, ranked = rng.choice(self.templates)
                stored = status == "reviewed" and rng.random() < 0.25
                is_draft = status == "draft"
                intakes.append(
                    _row(
                        intake_id,
                        plan.client_id,
                        status,
                        "staff",
                        rng.choice(_COMPLAINTS),
                        "about three months",
                        rng.choice(_GOALS),
                        "",
                        "{}",
                        "none",
                        "",
                        "",
                        "" if is_draft else "The client",
                        None if is_draft else submitted.isoformat(),
                        at.isoformat(),
                        (reviewed if status == "reviewed" else submitted).isoformat(),
                        self.receptionist,
                        None if is_draft else submitted.isoformat(),
                        None if is_draft else self.receptionist,
                        reviewed.isoformat() if status == "reviewed" else None,
                        therapist if status == "reviewed" else None,
                        1,
                        "",
                        "{}",
                        ranked if stored else "[]",
                        reviewed.isoformat() if stored else None,
                    )
                )
                if not is_draft:
                    for zone_id, _slug, side, intensity, qualities, pattern, worse in pain:
                        pains.append(
                            _row(intake_id, zone_id, side, intensity, qualities, pattern, worse)
                        )
                    for factor_id, _slug in chosen:
                        factors.append(_row(intake_id, factor_id, ""))
                    if status == "submitted":
                        # The intakes waiting for review carry their full screening answers.
                        for flag_id, *_ in self.red_flags:
                            answers.append(_row(intake_id, flag_id, "no"))
                    if rng.random() < 0.03:
                        _flag_id, slug, level, message = rng.choice(self.red_flags)
                        alerts.append(_row(intake_id, slug, level, message, False, 0))
                intake_id += 1
        return intakes, pains, factors, answers, alerts

    def _copy_intakes(self, intakes, pains, factors, answers, alerts) -> None:
        self.progress.set_phase("intakes")
        columns = (
            "id client_id status source main_complaint onset_duration goals medications"
            " other_factors surgery surgery_procedure surgery_side consent_name consent_at"
            " created_at updated_at created_by_id submitted_at submitted_by_id reviewed_at"
            " reviewed_by_id version draft_editor draft suggestions suggested_at"
        ).split()
        self.counts.intakes = self._copy("intake_intake", tuple(columns), intakes)
        self.progress.set_phase("pain reports, factors")
        self.counts.pain_reports = self._copy(
            "intake_painreport",
            ("intake_id", "zone_id", "side", "intensity", "qualities", "pattern", "worse_at"),
            pains,
        )
        self.counts.intake_factors = self._copy(
            "intake_intakefactor", ("intake_id", "factor_id", "detail"), factors
        )
        self.counts.red_flag_answers = self._copy(
            "intake_redflaganswer", ("intake_id", "red_flag_id", "answer"), answers
        )
        self.counts.alerts = self._copy(
            "intake_intakealert",
            ("intake_id", "flag", "level", "message", "unsure", "position"),
            alerts,
        )

    def _plan_ids(self, plans: list[ClientPlan]) -> dict[int, int]:
        """One treatment plan for each client with 3 sessions or more, ids in client order."""
        plan_id = self._next_id("treatments_treatmentplan")
        plan_of: dict[int, int] = {}
        for plan in plans:
            if plan.sessions >= 3:
                plan_of[plan.client_id] = plan_id
                plan_id += 1
        return plan_of

    def _plan_lines(self, plans: list[ClientPlan], intake_of, plan_of) -> tuple[list, list]:
        """The plans' COPY lines (active when recent) and their muscles."""
        rng = self.rng
        rows, muscles = [], []
        for plan in plans:
            plan_id = plan_of.get(plan.client_id)
            if plan_id is None:
                continue
            start_day = plan.days[0] // SLOTS_PER_DAY
            last_day = plan.days[-1] // SLOTS_PER_DAY
            start = self.day0 + timedelta(days=start_day)
            active = last_day >= self.days - FUTURE_DAYS - 30
            ended = None if active else (self.day0 + timedelta(days=last_day)).isoformat()
            therapist = self.therapists[plan.therapist]
            created = self._at(start_day, 8).isoformat()
            rows.append(
                _row(
                    plan_id,
                    plan.client_id,
                    therapist,
                    "active" if active else "completed",
                    rng.choice(_GOALS),
                    min(52, plan.sessions),
                    "weekly",
                    start.isoformat(),
                    (start + timedelta(days=42)).isoformat(),
                    ended,
                    intake_of.get(plan.client_id),
                    created,
                    therapist,
                    created,
                    1,
                )
            )
            for muscle_id in plan.muscles[: rng.randint(1, 3)]:
                muscles.append(
                    _row(
                        plan_id,
                        muscle_id,
                        "suggestion",
                        intake_of.get(plan.client_id),
                        created,
                        therapist,
                    )
                )
        return rows, muscles

    def _copy_plans(self, rows, muscles) -> None:
        self.progress.set_phase("treatment plans")
        columns = (
            "id client_id therapist_id status goals planned_sessions frequency start_date"
            " review_date ended_on source_intake_id created_at created_by_id updated_at version"
        ).split()
        self.counts.plans = self._copy("treatments_treatmentplan", tuple(columns), rows)
        self.counts.plan_muscles = self._copy(
            "treatments_planmuscle",
            ("plan_id", "muscle_id", "source", "source_intake_id", "added_at", "added_by_id"),
            muscles,
        )

    def _seed_sessions(self, plans: list[ClientPlan]) -> None:
        """Sessions in time order (ids follow the calendar, as in real use), then every other row.

        The hot loops build COPY lines with f-strings (every value here is free of tabs and
        backslashes). The ids of intakes and plans are handed out first, so the sessions can
        name their plan before any plan is written. While PostgreSQL builds the session indexes
        (the exclusion constraint's, which checks every session against the others, is the slow
        one and cannot use a second core), this process writes the lines of the findings,
        treatments, measures, intakes and plans: two cores at work. Then those tables' COPYs.
        """
        self.progress.set_phase("sessions")
        extra, intake_of = self._intake_ids(plans)
        plan_of = self._plan_ids(plans)
        rng = self.rng
        random_ = rng.random
        choice = rng.choice
        order = []
        for index, plan in enumerate(plans):
            for number, key in enumerate(plan.days):
                order.append((key, plan.therapist, index, number))
        order.sort()
        first_id = self._next_id("treatments_session")
        completed = []  # (session id, plan index, number, pain before, date, notes time, therapist)
        now = self.now
        recent = now - timedelta(days=4)
        null = r"\N"
        receptionist = self.receptionist
        therapists = self.therapists
        slots_of = self._slots

        def lines():
            session_id = first_id
            for key, therapist_index, index, number in order:
                plan = plans[index]
                day, slot = divmod(key, SLOTS_PER_DAY)
                slot_texts = slots_of(day)[slot]
                start, start_text, end_text, notes_text, signed_text, booked, on = slot_texts
                therapist = therapists[therapist_index]
                plan_id = plan_of.get(plan.client_id)
                plan_text = null if plan_id is None else plan_id
                if start >= now:
                    yield (
                        f"{session_id}\t{plan.client_id}\t{therapist}\t{start_text}\t{end_text}"
                        f"\tplanned\t\t{plan_text}\t\t\t\t\t{null}\t{null}\t\t{null}\t{null}"
                        f"\t{booked}\t{receptionist}\t{null}\t{null}\t{booked}\t1"
                    )
                else:
                    draw = random_()
                    if draw < 0.10:
                        status, reason = (
                            ("cancelled", choice(_CANCEL)) if draw < 0.06 else ("no-show", "")
                        )
                        yield (
                            f"{session_id}\t{plan.client_id}\t{therapist}\t{start_text}\t{end_text}"
                            f"\t{status}\t{reason}\t{plan_text}\t\t\t\t\t{null}\t{null}\t\t{null}"
                            f"\t{null}\t{booked}\t{receptionist}\t{null}\t{null}\t{booked}\t1"
                        )
                    else:
                        share = number / max(1, plan.sessions - 1)
                        before = max(0, min(10, int(7 - 4 * share) + int(random_() * 3) - 1))
                        after = max(0, before - int(random_() * 4))
                        if start < recent or random_() < 0.5:
                            signed, signer, updated = signed_text, therapist, signed_text
                        else:
                            signed, signer, updated = null, null, notes_text
                        yield (
                            f"{session_id}\t{plan.client_id}\t{therapist}\t{start_text}\t{end_text}"
                            f"\tcompleted\t\t{plan_text}\t{choice(_SUBJECTIVE)}\t{choice(_OBJECTIVE)}"
                            f"\t{choice(_ASSESSMENT)}\t{choice(_PLAN)}\t{before}\t{after}"
                            f"\t{choice(_HOME_CARE)}\t{signed}\t{signer}\t{booked}\t{receptionist}"
                            f"\t{notes_text}\t{therapist}\t{updated}\t1"
                        )
                        completed.append(
                            (session_id, index, number, before, on, notes_text, therapist)
                        )
                session_id += 1

        columns = (
            "id client_id therapist_id starts_at ends_at status cancel_reason treatment_plan_id"
            " subjective objective assessment plan pain_before pain_after home_care signed_at"
            " signed_by_id booked_at booked_by_id notes_updated_at notes_updated_by_id updated_at"
            " version"
        ).split()
        saved = self._drop_indexes("treatments_session")
        # The lines are made as COPY sends them: PostgreSQL parses while Python writes.
        self.counts.sessions = self._copy_lines("treatments_session", tuple(columns), lines())
        order.clear()
        self.progress.set_phase("indexes session; other rows")
        failure: list[BaseException] = []

        def restore() -> None:
            try:
                self._restore_indexes("treatments_session", saved, show=False)
            except BaseException as error:
                failure.append(error)

        worker = threading.Thread(target=restore)
        worker.start()
        try:
            findings, treatments, measures = self._session_rows(plans, completed)
            completed.clear()
            intakes = self._intake_lines(plans, extra, intake_of)
            plan_rows = self._plan_lines(plans, intake_of, plan_of)
        finally:
            worker.join()
        if failure:
            raise failure[0]
        self._copy_intakes(*intakes)
        del intakes
        self._copy_plans(*plan_rows)
        del plan_rows
        self.progress.set_phase("findings")
        self.counts.findings = self._copy(
            "treatments_finding",
            (
                "session_id",
                "client_id",  # the session's (a trigger keeps it; triggers are off here)
                "muscle_id",
                "trigger_point_id",
                "side",
                "state",
                "tenderness",
                "referral_reproduced",
                "position",
            ),
            findings,
        )
        del findings
        self.progress.set_phase("treatments given")
        self.counts.treatments = self._copy(
            "treatments_treatmentgiven",
            ("session_id", "technique", "muscle_id", "side", "pressure", "minutes", "position"),
            treatments,
        )
        self.progress.set_phase("outcome measures")
        self.counts.measures = self._copy(
            "treatments_outcomemeasure",
            (
                "client_id",
                "kind",
                "measured_on",
                "session_id",
                "intake_id",
                "zone_id",
                "answers",
                "score",
                "recorded_by_id",
                "recorded_at",
            ),
            measures,
        )

    def _session_rows(self, plans: list[ClientPlan], completed: list[tuple]):
        """Findings (1 to 3), the treatment given and outcome measures of completed sessions."""
        rng = self.rng
        random_ = rng.random
        choice = rng.choice
        null = r"\N"
        findings, treatments, measures = [], [], []
        points_of = self.points
        counts = (1, 1, 2, 2, 2, 3, 3)
        for session_id, index, number, before, on, notes_text, therapist in completed:
            plan = plans[index]
            share = number / max(1, plan.sessions - 1)
            state = "active" if share < 0.5 else ("latent" if share < 0.85 else "resolved")
            tenderness = max(0, 3 - int(share * 4))
            side = plan.side
            muscles = plan.muscles
            offset = int(random_() * 4)
            for position in range(choice(counts)):
                muscle_id = muscles[(offset + position) % 4]
                points = points_of[muscle_id]
                point = choice(points) if points and random_() < 0.9 else null
                reproduced = "t" if random_() < 0.3 else "f"
                findings.append(
                    f"{session_id}\t{plan.client_id}\t{muscle_id}\t{point}\t{side}\t{state}"
                    f"\t{tenderness}\t{reproduced}\t{position}"
                )
            treatments.append(
                f"{session_id}\t{choice(_TECHNIQUES)}\t{muscles[0]}\t{side}"
                f"\t{choice(_PRESSURES)}\t{choice((10, 15, 20, 30))}\t0"
            )
            if number % 2 == 0:
                measures.append(
                    f"{plan.client_id}\tnprs\t{on}\t{session_id}\t{null}\t{null}"
                    f'\t{{"score": {before}}}\t{before}\t{therapist}\t{notes_text}'
                )
            if number % 6 == 0:
                level = int(1 + 3 * share)
                items = [max(0, min(4, level + int(random_() * 3) - 1)) for _ in range(20)]
                measures.append(
                    f"{plan.client_id}\tlefs\t{on}\t{session_id}\t{null}\t{null}"
                    f'\t{{"items": {items}}}\t{sum(items)}\t{therapist}\t{notes_text}'
                )
        return findings, treatments, measures

    def _reset_sequences(self) -> None:
        """Identity columns start after the explicit ids COPY wrote."""
        self.progress.set_phase("sequences")
        for table in (
            "clinic_client",
            "intake_intake",
            "treatments_treatmentplan",
            "treatments_session",
        ):
            self._scalar(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
