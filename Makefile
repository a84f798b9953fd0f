# FieldOps Dispatch: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
SEED_ARGS ?= --technicians 40 --work-orders 300 --seed 1 --history-days 60

# Find services (or start private ones) and export DATABASE_URL / REDIS_URL.
WITH_SERVICES = envs="$$(scripts/ensure-services.sh)" && eval "$$envs"

.PHONY: help venv demo test lint format bench bench-board bench-dashboard bench-phone bench-solver services-stop services-clean clean

help:
	@echo "make demo          install, start services, migrate, load demo data, run web + worker + beat"
	@echo "make test          the whole test suite (PostgreSQL, Redis, Celery, Chromium)"
	@echo "make lint          ruff (lint + format check) and import-linter contracts"
	@echo "make bench         speed figures of the board, the dashboard and the solver"
	@echo "make bench-solver  solver quality on Solomon / Homberger against VROOM and PyVRP"

$(STAMP): pyproject.toml requirements.lock
	@py="$$(scripts/find-python.sh)" && echo "Creating $(VENV) with $$py" && \
	if [ ! -x "$(PYTHON)" ]; then "$$py" -m venv $(VENV); fi && \
	$(PYTHON) -m pip install -q --upgrade pip && \
	$(PYTHON) -m pip install -q -c requirements.lock -e '.[dev]' && \
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@$(WITH_SERVICES) && \
	export NOTIFY_PUBLIC_BASE_URL="$${NOTIFY_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}" && \
	$(PYTHON) manage.py migrate --noinput -v0 && \
	$(PYTHON) manage.py collectstatic --noinput -v0 && \
	$(PYTHON) manage.py seed_demo $(SEED_ARGS) && \
	export DEMO_BANNER="$$(printf '%s\n' \
	  "" \
	  "  FieldOps Dispatch is running at http://$(HOST):$(PORT)/" \
	  "  Logins (password: demo): dispatcher, office, manager, admin, tech01 … tech40" \
	  "  Ctrl-C stops web, worker and beat." \
	  "")" && \
	HOST=$(HOST) PORT=$(PORT) exec scripts/run-demo.sh

test: $(STAMP)
	@$(WITH_SERVICES) && \
	CHROMIUM="$$(scripts/ensure-chromium.sh)" && export CHROMIUM && \
	PRISM="$$(scripts/ensure-prism.sh)" && export PRISM && \
	AXE="$$(scripts/ensure-axe.sh)" && export AXE && \
	$(PYTHON) manage.py collectstatic --noinput -v0 && \
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: bench-board bench-dashboard bench-phone bench-solver

bench-board: $(STAMP)
	@$(WITH_SERVICES) && $(PYTHON) bench/board.py

bench-dashboard: $(STAMP)
	@$(WITH_SERVICES) && $(PYTHON) bench/dashboard.py

bench-phone: $(STAMP)
	@$(WITH_SERVICES) && $(PYTHON) manage.py collectstatic --noinput -v0 && $(PYTHON) bench/phone.py

bench-solver: $(STAMP)
	@$(PYTHON) -m pip install -q -c requirements.lock -e '.[bench]' && \
	$(PYTHON) bench/solver.py $(SOLVER_ARGS)

services-stop:
	scripts/ensure-services.sh stop

services-clean:
	scripts/ensure-services.sh clean

clean:
	rm -rf $(VENV) .var .pytest_cache .ruff_cache

.PHONY: bench-notify
bench-notify: $(STAMP)
	@$(WITH_SERVICES) && $(PYTHON) bench/notify.py $(NOTIFY_ARGS)
