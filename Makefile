# The quick start and the everyday commands. `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup install migrate messages seed serve worker beat bench lint format check clean

# `.env.example` leaves DEBUG off; the development targets (and what they build first) turn it and
# the local Midtrans simulator on, unless the environment says otherwise.
run serve test setup migrate messages seed lint check: export DEBUG ?= 1
run serve test setup migrate seed lint check: export MIDTRANS_SIMULATOR ?= 1

run: setup seed  ## Set up, migrate, load demo data and serve on SQLite (no other servers).
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C stops)"
	DEBUG=1 MIDTRANS_SIMULATOR=1 PORTAL_URL="$${PORTAL_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py runserver $(HOST):$(PORT)

test: install messages  ## The whole test suite (PostgreSQL when DATABASE_URL is set, else SQLite).
	$(PY) -m pytest $(PYTEST_ARGS)

setup: install messages migrate

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed .env var

.env:
	cp .env.example .env

var:
	mkdir -p var/staticfiles

messages: install  ## Compile the translations (needs GNU gettext's msgfmt, else uses polib).
	$(PY) manage.py compile_translations

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate  ## Demo data (idempotent) and the demo logins.
	DEBUG=1 $(PY) manage.py seed_demo

serve: install  ## Serve without seeding.
	DEBUG=1 MIDTRANS_SIMULATOR=1 PORTAL_URL="$${PORTAL_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py runserver $(HOST):$(PORT)

worker: install  ## A Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0).
	$(VENV)/bin/celery -A pdam worker --loglevel=INFO --concurrency=2

beat: install  ## Celery beat with the schedule from pdam/celery.py.
	$(VENV)/bin/celery -A pdam beat --loglevel=INFO

bench: install  ## Benchmarks on the PostgreSQL in DATABASE_URL; BENCH_CUSTOMERS scales them down.
	$(PY) manage.py bench

lint: install  ## ruff, the import-direction contract and the migrations check.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: lint test

clean:
	rm -rf var .pytest_cache .ruff_cache
