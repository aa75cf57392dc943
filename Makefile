# Knotwork: `make run` serves the app, `make test` runs every test. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# An explicit DATABASE_URL wins; otherwise the project-local cluster in var/ is used.
DB_ENV = DATABASE_URL="$${DATABASE_URL:-$$(bin/localdb url)}"
PIP_ENV = PIP_CONSTRAINT=$(CURDIR)/requirements/build-constraints.txt PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: help setup venv db migrate run serve seed test lint format stop clean-db bench backup restore

help:
	@echo "make run    set up and serve Knotwork on http://$(HOST):$(PORT)/ with demo data"
	@echo "make test   set up and run the whole test suite, browser tests included"
	@echo "make lint   ruff check and format check"
	@echo "make setup  venv, dependencies, local database, migrations"
	@echo "make seed   load the demo data (logins and clients)"
	@echo "make serve  serve with gunicorn under production settings"
	@echo "make bench  measure page and suggestion speed"
	@echo "make stop   stop the local database"
	@echo "make backup         dump the database to var/backups/ (pg_dump)"
	@echo "make restore FILE=  replace the database with a dump (pg_restore; asks first)"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/build-constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_ENV) $(BIN)/pip install --quiet --upgrade "pip>=24,<27"
	$(PIP_ENV) $(BIN)/pip install --quiet ".[dev]"
	@touch $@

db:
	@if [ -z "$${DATABASE_URL:-}" ]; then bin/localdb start; fi

migrate: venv db
	$(DB_ENV) $(BIN)/python manage.py migrate --noinput

setup: venv db migrate

seed: setup
	$(DB_ENV) $(BIN)/python manage.py seed_demo

run: setup
	$(DB_ENV) $(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Knotwork is at http://$(HOST):$(PORT)/"
	@$(DB_ENV) $(BIN)/python manage.py seed_demo --logins
	@echo ""
	$(DB_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production-style serving: gunicorn, DEBUG off, static files collected and served by whitenoise.
WORKERS ?= 2
serve: setup
	$(DB_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "  Knotwork (gunicorn, $(WORKERS) workers) at http://$(HOST):$(PORT)/"
	$(DB_ENV) KNOTWORK_DEBUG=0 $(BIN)/gunicorn clinic.wsgi:application \
		--bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - \
		--access-logformat '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# The suite runs in one worker process per core (pytest-xdist), each with its own test database.
TEST_WORKERS ?= auto
test: setup
	bin/ensure-chromium
	$(DB_ENV) $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

stop:
	@if [ -z "$${DATABASE_URL:-}" ]; then bin/localdb stop; fi

# The suggestion engine, then the key pages served by gunicorn against knotwork_bench (seeded
# with 100,000 clients the first time; BENCH_CLIENTS changes that). See docs/performance.md.
bench: setup
	bin/ensure-wrk
	bench/run.sh

# Backups: pg_dump custom format into var/backups/knotwork-<UTC time>.dump (or FILE=...).
backup: db
	@$(DB_ENV) bin/backup dump $(FILE)

# Replaces the database's contents with FILE; asks first unless CI=true.
restore: db
	@if [ -z "$(FILE)" ]; then echo "make restore needs FILE=var/backups/<name>.dump" >&2; exit 2; fi
	@$(DB_ENV) bin/backup restore "$(FILE)"
