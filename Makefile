# The front door: `make run` serves the dashboard with demo data, `make test` runs everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 13) and "Keydesk needs Python 3.13 or newer (found " + sys.version.split()[0] + "); pyenv reads .python-version." or 0)'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo $(if $(DEMO_PASSWORD),--password $(DEMO_PASSWORD))
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) staticfiles
