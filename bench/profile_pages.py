"""Profile the key pages in-process: where a request's CPU goes, without gunicorn or wrk.

A development aid next to `make bench` (which measures under gunicorn): it serves each key page
through Django's test client, logged in as the bench therapist, with the production settings
(DEBUG off, the cached template loader), and prints the mean CPU time per request, or with
`--profile` the top functions by cumulative CPU time (cProfile). CPU time (`time.process_time`)
rather than wall time, so the figures move less with the neighbours' load.

    DATABASE_URL=…/knotwork_bench .venv/bin/python bench/profile_pages.py [--profile] [page …]
"""

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("KNOTWORK_DEBUG", "0")
os.environ.setdefault("KNOTWORK_SECRET_KEY", "profile-only-not-a-secret")
# The bare view and the X-Queries header (clinic/bench.py).
os.environ.setdefault("KNOTWORK_BENCH", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.pages_bench import pick_pages  # noqa: E402
from clinic.scale import BENCH_THERAPIST  # noqa: E402

CSRF = re.compile(rb'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"')


def _print_queries(client: Client, path: str) -> None:
    """One request's queries, each with its time."""
    timed: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(timer):
        client.get(path)
    for ms, sql in timed:
        print(f"  {ms:6.2f} ms  {sql[:150]}")


def _explain(client: Client, path: str, number: int) -> None:
    """`EXPLAIN (ANALYZE, BUFFERS)` of the request's query `number` (0 is the first), run again
    with the same parameters."""
    captured: list[tuple[str, object]] = []

    def grab(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(grab):
        client.get(path)
    sql, params = captured[number]
    print(sql)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="page names (default: all)")
    parser.add_argument("-n", type=int, default=30, help="requests a page (default 30)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", metavar="DIR", help="write each page's HTML into DIR (to diff)")
    parser.add_argument("--queries", action="store_true", help="print each query and its time")
    parser.add_argument("--explain", type=int, metavar="N", help="EXPLAIN ANALYZE query N (from 0)")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key (tottime…)")
    args = parser.parse_args()

    pages = pick_pages()
    client = Client(SERVER_NAME="localhost")
    client.force_login(get_user_model().objects.get(username=BENCH_THERAPIST))
    for name, path in pages.items():
        if args.pages and name not in args.pages:
            continue
        for _ in range(3):  # warm: templates compiled, caches filled
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
        queries = response.headers.get("X-Queries", "?")
        if args.save:
            # The CSRF token changes with every response; blank it so two runs diff cleanly.
            html = re.sub(CSRF, rb'\1""', response.content)
            Path(args.save).mkdir(parents=True, exist_ok=True)
            (Path(args.save) / f"{name}.html").write_bytes(html)
        if args.queries:
            _print_queries(client, path)
        if args.explain is not None:
            _explain(client, path, args.explain)
            continue
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        started, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(args.n):
            client.get(path)
        if profiler:
            profiler.disable()
        cpu = (time.process_time() - started) / args.n * 1000
        elapsed = (time.perf_counter() - wall) / args.n * 1000
        size = len(response.content) // 1024
        print(
            f"{name:<15} cpu {cpu:7.2f} ms  wall {elapsed:7.2f} ms"
            f"  {queries:>3} queries  {size:>4} KB"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
