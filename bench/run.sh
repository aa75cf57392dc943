#!/usr/bin/env bash
# `make bench`: the suggestion engine's timings, then the key pages under gunicorn.
#
# The pages run against their own database, knotwork_bench on the project-local cluster (or
# KNOTWORK_BENCH_DATABASE_URL), seeded with BENCH_CLIENTS clients (100,000) the first time; the
# dev database is never touched. gunicorn serves it with production settings (DEBUG off,
# 2 workers) plus KNOTWORK_BENCH=1, which adds the timing headers and the bare view.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
clients="${BENCH_CLIENTS:-100000}"
workers="${BENCH_WORKERS:-2}"

if [ -n "${KNOTWORK_BENCH_DATABASE_URL:-}" ]; then
  url="$KNOTWORK_BENCH_DATABASE_URL"
else
  bin/localdb start >/dev/null
  local_url="$(bin/localdb url)"
  server="${local_url%/*}"
  if ! psql "$server/postgres" -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'knotwork_bench'" | grep -q 1; then
    echo "bench: creating the database knotwork_bench"
    psql "$server/postgres" -qc "CREATE DATABASE knotwork_bench"
  fi
  url="$server/knotwork_bench"
fi

export DATABASE_URL="$url" DJANGO_SETTINGS_MODULE=clinic.settings
$bin/python manage.py migrate --noinput --verbosity 0
if [ "$(psql "$url" -tAc 'SELECT EXISTS (SELECT 1 FROM clinic_client)')" != "t" ]; then
  echo "bench: seeding $clients clients (once; about 5 minutes for 100,000)"
  $bin/python manage.py seed_scale --clients "$clients"
fi

$bin/python bench/suggest_bench.py

port="$($bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="var/bench-gunicorn.log"
KNOTWORK_DEBUG=0 KNOTWORK_BENCH=1 KNOTWORK_SECRET_KEY="bench-only-$(date +%s)-not-a-secret" \
  $bin/gunicorn clinic.wsgi:application --bind "127.0.0.1:$port" --workers "$workers" \
  --log-level warning >"$log" 2>&1 &
gunicorn_pid=$!
trap 'kill "$gunicorn_pid" 2>/dev/null; wait "$gunicorn_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if $bin/python -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2)" 2>/dev/null; then
    break
  fi
  kill -0 "$gunicorn_pid" 2>/dev/null || { cat "$log" >&2; echo "bench: gunicorn did not start" >&2; exit 1; }
  sleep 0.2
done
echo "bench: gunicorn ($workers workers, production settings) on 127.0.0.1:$port"
BENCH_URL="http://127.0.0.1:$port" $bin/python bench/pages_bench.py
