# The front door: `make run` serves the dashboard with demo data, `make test` runs everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

PYTEST_ARGS ?=

.PHONY: run test test-fast check lint-check format-check migrations-check typecheck pytest lint format bench clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 13) and "Keydesk needs Python 3.13 or newer (found " + sys.version.split()[0] + "); pyenv reads .python-version." or 0)'
	$(PYTHON) -m venv $(VENV)

# PYTHONWARNINGS: setuptools' editable-install warning is about our own package layout, and is
# the same on every install: not something to read on every fresh `make run`.
$(STAMP): $(PY) pyproject.toml
	@echo "Installing Keydesk's dependencies into $(VENV)..."
	@PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --upgrade pip
	@PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# Quiet set-up, then a short block (URL, user, password), then the server's own few lines.
run: $(STAMP)
	@DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	@DEBUG=true $(PY) manage.py schedule_events >/dev/null
	@# The task worker (webhook deliveries, alerts, the hourly scheduled events) runs beside
	@# the server and stops with it.
	@DEBUG=true $(PY) manage.py seed_demo --url http://$(HOST):$(PORT)/ $(if $(DEMO_PASSWORD),--password $(DEMO_PASSWORD))
	@DEBUG=true $(PY) manage.py db_worker >/dev/null 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true DJANGO_RUNSERVER_HIDE_WARNING=true $(PY) manage.py runserver --skip-checks $(HOST):$(PORT)

# `make test` = `make check` then `make pytest`; `make -k test` (as .ci/run does) runs the
# tests even when a check fails, and still fails.
test: check pytest

check: lint-check format-check migrations-check typecheck

lint-check: $(STAMP)
	$(PY) -m ruff check .

format-check: $(STAMP)
	$(PY) -m ruff format --check .

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

# mypy with django-stubs over the apps ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(PY) -m mypy

pytest: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: no browser and no process tests, so no Chromium, gunicorn, Redis or
# schemathesis, spread over every core (pytest-xdist; under a minute on two). `make test` still
# runs everything, in one process, as CI does.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not browser and not process" -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# gunicorn + wrk on loopback, on SQLite and on a throwaway PostgreSQL + Redis (as root), then
# in-process against djangorestframework-api-key (bench/README.md). BENCH_ARGS: e.g.
# "--postgres --redis" (that configuration only), --strict, or `-- --rounds 3` for bench/run.py.
# Needs wrk.
bench: $(STAMP)
	$(PY) -c 'import rest_framework_api_key' 2>/dev/null || $(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles
