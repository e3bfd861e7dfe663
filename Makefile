# LearnApp developer commands. `make run` and `make test` install everything they need.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app learnapp
DEV := LEARNAPP_ENV=development
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: translations install browser run test unit e2e test-pg lint fmt bandit check clean bench bench-scale loadtest fleet worker beat screenshots

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Interface translations: extract every marked string into messages.pot, merge it into each
# locale's messages.po (new strings arrive empty or fuzzy: translate them, then run this again),
# and compile the .mo files the app reads. The .mo files are committed, so a fresh clone runs.
TRANSLATIONS := learnapp/translations
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k msg --no-location --sort-output \
		--project=LearnApp --copyright-holder=LearnApp --msgid-bugs-address= -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

# Debian's Chromium for the browser tests (never a browser download). Needs root or sudo;
# without it the browser tests are skipped with a message saying so.
browser:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium not installed: browser tests will be skipped (apt-get install chromium)"; fi

run: install
	$(DEV) $(FLASK) db upgrade
	@# A broken course is reported and keeps its last good version; the site still starts.
	-$(DEV) $(FLASK) courses sync
	@echo "Admin accounts:"; $(DEV) $(FLASK) users list --role admin
	@echo "LearnApp: http://127.0.0.1:5000  (log in with an account created by 'flask users create')"
	$(DEV) $(FLASK) run --host 127.0.0.1 --port 5000 --no-debugger --reload

# The whole suite on SQLite, browser tests included.
test: install browser
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not e2e"

e2e: install browser
	$(BIN)/pytest -m e2e

# The suite (without browser tests) on PostgreSQL.
test-pg: install
	LEARNAPP_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m "not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The pictures README shows (docs/screenshots/*.png), taken from a live test server with the
# shipped NMT course; each page passes axe before it is photographed.
screenshots: install browser
	@test -x /usr/bin/chromium || { echo "screenshots need Debian's chromium (make browser)"; exit 1; }
	$(BIN)/pytest tests/e2e/screenshots.py -q -p no:cacheprovider

# Security report (bandit); findings are printed for review, they do not fail the build.
bandit: install
	-$(BIN)/bandit -c pyproject.toml -r learnapp -q

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint test test-pg

# Benchmarks and the exam load test (bench/README.md). Run by hand, never in CI; each run is
# bounded and stops its own gunicorn, Redis and temp folders. PostgreSQL runs use their own
# databases (learnapp_bench, learnapp_bench_scale, learnapp_load), never `test`.
BENCH_ARGS ?=
STUDENTS ?= 500
WORKERS ?= 4
FAULTS ?=
LOAD_BACKENDS ?= pg sqlite

bench: install
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

bench-scale: install
	$(BIN)/python bench/bench.py --scale $(BENCH_ARGS)

# `make loadtest FAULTS=1`: SIGKILL workers, stop Redis, restart PostgreSQL (all clients!).
loadtest: install
	@status=0; for backend in $(LOAD_BACKENDS); do \
	  $(BIN)/python bench/loadtest.py --backend $$backend --students $(STUDENTS) \
	    --workers $(WORKERS) $(if $(FAULTS),--faults) || status=1; \
	done; exit $$status

# Two app hosts behind Debian's HAProxy on 127.0.0.1, one PostgreSQL database (learnapp_fleet),
# a private Redis and the job runner; then the exam with one host killed (bench/fleet.py).
# By hand, never in CI; needs haproxy (apt-get install haproxy) and redis-server.
FLEET_WORKERS ?= 2
fleet: install
	@command -v haproxy >/dev/null || { echo "make fleet needs Debian's haproxy: apt-get install haproxy"; exit 1; }
	$(BIN)/python bench/fleet.py --students $(STUDENTS) --workers $(FLEET_WORKERS)

# The job runner for a development database, in the foreground (make run needs neither: without
# LEARNAPP_JOBS_BROKER_URL jobs run in-process). Set LEARNAPP_JOBS_BROKER_URL=redis://... first.
worker: install
	$(DEV) $(BIN)/celery -A learnapp.jobs.worker worker --loglevel INFO

beat: install
	$(DEV) $(BIN)/celery -A learnapp.jobs.worker beat --loglevel INFO --schedule instance/beat-schedule

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
