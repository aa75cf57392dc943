"""Fill a database with records at scale (100,000 clients, about a million sessions).

    DATABASE_URL=postgres://…/knotwork_bench .venv/bin/python manage.py seed_scale --clients 100000

The database must be migrated and hold no clients; never point this at a real clinic's database.
`make bench` creates, migrates and seeds its own database, `knotwork_bench`, when it is missing.
"""

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from clinic.scale import BENCH_PASSWORD, BENCH_THERAPIST, ScaleSeeder


class Command(BaseCommand):
    help = "Seed an empty, migrated database with generated records at scale (bulk COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same records).")
        parser.add_argument(
            "--database-url",
            help="Seed this database instead of the current one (DATABASE_URL).",
        )
        parser.add_argument(
            "--no-vacuum", action="store_true", help="Skip the VACUUM ANALYZE at the end."
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        if options["clients"] < 1:
            raise CommandError("--clients must be at least 1.")
        url = options["database_url"]
        if url:
            with psycopg.connect(url) as pg:
                counts = self._seed(pg, options)
                pg.commit()
                pg.autocommit = True
                self._finish(pg, options)
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                counts = self._seed(cursor.connection, options)
            self._finish(connection.cursor().connection, options)
        rows = ", ".join(f"{name} {value:,}" for name, value in counts.items() if name != "seconds")
        self.stdout.write(self.style.SUCCESS(f"Seeded in {counts['seconds']} s: {rows}."))
        self.stdout.write(f"Bench login: {BENCH_THERAPIST} / {BENCH_PASSWORD}")

    def _seed(self, pg, options) -> dict:
        with pg.cursor() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM clinic_client)")
            if cur.fetchone()[0]:
                raise CommandError(
                    "This database already has clients: seed_scale needs an empty one."
                )
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cur.fetchone()[0]:
                raise CommandError(
                    "seed_scale turns triggers off while it writes, which needs a superuser."
                )
        seeder = ScaleSeeder(
            pg, clients=options["clients"], seed=options["seed"], progress=not options["quiet"]
        )
        return seeder.run().as_dict()

    def _finish(self, pg, options) -> None:
        """Fresh statistics (and a visibility map, so index-only scans work) for the planner."""
        with pg.cursor() as cur:
            if options["no_vacuum"] or not pg.autocommit:
                cur.execute("ANALYZE")
            else:
                cur.execute("VACUUM (ANALYZE)")
