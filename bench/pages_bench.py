"""Benchmark the key pages against a running server (gunicorn, production settings).

Run by `make bench`, which seeds the bench database, starts gunicorn with KNOTWORK_BENCH=1 and
sets BENCH_URL; by hand:

    DATABASE_URL=… BENCH_URL=http://127.0.0.1:8765 .venv/bin/python bench/pages_bench.py

It logs in over real HTTP (a login POST with its CSRF token), then for each key page: 200
sequential requests for the server time (the `Server-Timing` header, p50 and p95) and the
queries per request (`X-Queries`), then `wrk -t2 -c16 -d10s` for the throughput, next to the
bare view measured in the same run: before the first page and after each, each page compared
with the mean of the bare runs either side of it (the bare view's row gives their median).
The database is read through Django only to pick the records to open. Results are merged
into bench/results.json under "clients" and "pages".
"""

import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.models import Client  # noqa: E402
from clinic.scale import (  # noqa: E402
    BENCH_PASSWORD,
    BENCH_THERAPIST,
    PROGRESS_CLIENT_SESSIONS,
)
from intake.models import Intake, IntakeStatus  # noqa: E402
from treatments.models import Session  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARM_UP = 10
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
SEARCH = "smi"
TARGET_P95_MS = 100
TARGET_SEARCH_P95_MS = 20
TARGET_QUERIES = 12
TARGET_RATIO = 0.40


class Browser:
    """Just enough of a browser: one keep-alive connection and a cookie jar."""

    def __init__(self, base: str):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data

    def login(self, username: str, password: str) -> None:
        response, page = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or not match:
            raise SystemExit(f"bench: the login page answered {response.status}")
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
            }
        )
        response, _ = self.request(
            "POST",
            "/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.host}:{self.port}/login/",
            },
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"bench: logging in as {username} failed ({response.status})")


def pick_pages() -> dict[str, str]:
    """The records each key page opens: the busy cases, not the empty ones."""
    from django.contrib.auth import get_user_model

    therapist = get_user_model().objects.get(username=BENCH_THERAPIST)
    hundred = (
        Session.objects.values("client_id")
        .annotate(n=Count("id"))
        .filter(n=PROGRESS_CLIENT_SESSIONS)
        .order_by("client_id")
        .first()
    )
    if hundred is None:
        raise SystemExit("bench: no client with 100 sessions; is the bench database seeded?")
    client_id = hundred["client_id"]
    intake = (
        Intake.objects.filter(status=IntakeStatus.SUBMITTED)
        .annotate(n=Count("pain_reports"))
        .order_by("-n", "-submitted_at")
        .first()
    )
    today = timezone.localdate()
    # The therapist's day with most sessions in the last fortnight: a full day to show.
    busiest = (
        Session.objects.filter(
            therapist=therapist,
            starts_at__date__gte=today - timezone.timedelta(days=14),
            starts_at__date__lte=today,
        )
        .values("starts_at__date")
        .annotate(n=Count("id"))
        .order_by("-n", "-starts_at__date")
        .first()
    )
    day = busiest["starts_at__date"] if busiest else today
    note = (
        Session.objects.filter(
            therapist=therapist, signed_at__isnull=True, status__in=["planned", "completed"]
        )
        .annotate(n=Count("findings"))
        .order_by("-n", "-starts_at")
        .first()
    )
    return {
        "client_search": f"/clients/?q={SEARCH}",
        "client_page": f"/clients/{client_id}/",
        "intake_review": f"/intakes/{intake.pk}/review/",
        "schedule_day": f"/schedule/?date={day.isoformat()}&therapist={therapist.pk}",
        "progress": f"/clients/{client_id}/progress/",
        "session_note": f"/clients/{note.client_id}/sessions/{note.pk}/note/",
        "bare": "/bench/bare",
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def measure(browser: Browser, path: str) -> dict:
    timings, queries = [], []
    for number in range(WARM_UP + REQUESTS):
        response, _ = browser.request("GET", path)
        if response.status != 200:
            raise SystemExit(f"bench: {path} answered {response.status}")
        if number < WARM_UP:
            continue
        timing = response.headers.get("Server-Timing", "")
        match = re.search(r"dur=([0-9.]+)", timing)
        if not match:
            raise SystemExit("bench: no Server-Timing header; is KNOTWORK_BENCH=1 set?")
        timings.append(float(match.group(1)))
        queries.append(int(response.headers.get("X-Queries", "0")))
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        # Per request as a rule; once a minute the session's "last seen" is saved (one more).
        "queries": int(statistics.median(queries)),
        "queries_max": max(queries),
    }


def wrk(base: str, path: str, cookie: str) -> float:
    command = [
        shutil.which("wrk") or "wrk",
        "-t2",
        "-c16",
        f"-d{WRK_SECONDS}s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
        base + path,
    ]
    output = subprocess.run(  # noqa: S603 (wrk with our own arguments)
        command, check=True, capture_output=True, text=True
    ).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"bench: wrk got error responses from {path}:\n{output}")
    match = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    if not match:
        raise SystemExit(f"bench: could not read wrk's output:\n{output}")
    return float(match.group(1))


def main() -> None:
    base = os.environ.get("BENCH_URL", "http://127.0.0.1:8765").rstrip("/")
    pages = pick_pages()
    browser = Browser(base)
    browser.login(BENCH_THERAPIST, BENCH_PASSWORD)
    cookie = browser.cookie_header()

    figures = {}
    for name, path in pages.items():
        figures[name] = measure(browser, path)
    # The bare view is measured before the first page and after each: a page is compared with
    # the mean of the bare runs either side of it. On a shared machine the bare view's
    # throughput drifts by a fifth from one minute to the next; one bare run at the start
    # made every ratio depend on that one moment.
    bare_runs = [wrk(base, pages["bare"], cookie)]
    for name, path in pages.items():
        if name == "bare":
            continue
        rps = wrk(base, path, cookie)
        bare_runs.append(wrk(base, pages["bare"], cookie))
        beside = (bare_runs[-2] + bare_runs[-1]) / 2
        figures[name]["rps"] = round(rps, 1)
        figures[name]["bare_rps"] = round(beside, 1)
        figures[name]["throughput_ratio"] = round(rps / beside, 3)
    figures["bare"]["rps"] = round(statistics.median(bare_runs), 1)
    figures["bare"]["bare_runs"] = [round(rps, 1) for rps in bare_runs]
    figures["bare"]["throughput_ratio"] = 1.0

    clients = Client.objects.count()
    print(f"\n{clients:,} clients; server time from Server-Timing, {REQUESTS} requests a page")
    header = f"{'page':<15} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'rps':>8} {'ratio':>6}  met"
    print(header)
    print("-" * len(header))
    for name, row in figures.items():
        limit = TARGET_SEARCH_P95_MS if name == "client_search" else TARGET_P95_MS
        met = (
            row["p95_ms"] <= limit
            and row["queries"] <= TARGET_QUERIES
            and row["throughput_ratio"] >= TARGET_RATIO
        )
        print(
            f"{name:<15} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['queries']:>8}"
            f" {row['rps']:>8.1f} {row['throughput_ratio']:>6.2f}  {'yes' if met else 'NO'}"
        )
    print(f"targets: p95 <= {TARGET_P95_MS} ms (search <= {TARGET_SEARCH_P95_MS} ms), queries")
    print(f"<= {TARGET_QUERIES}, throughput >= {TARGET_RATIO:.0%} of the bare view's")

    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results["clients"] = clients
    results["pages"] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
