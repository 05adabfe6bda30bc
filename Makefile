# Vectis developer commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers of `make test` (each with its own test database and Redis database)
TEST_WORKERS ?= 2
# `make run` serves plain http on $(HOST): development mode, even with DATABASE_URL set
# (which alone would mean production). VECTIS_ENV=production make run to try the https rules.
VECTIS_ENV ?= development
export VECTIS_ENV

.PHONY: run test install install-dev lint format migrate clean contract bench

# Installed once, again only when pyproject.toml changes (the stamps record it).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

$(BIN)/python:
	@echo "Creating a virtualenv in $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Vectis and its dependencies into $(VENV) (a minute or two the first time)..."
	@$(BIN)/python -m pip install --progress-bar on --disable-pip-version-check -e . \
		| { grep -v '^Requirement already satisfied' || true; }
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Vectis with its development tools into $(VENV)..."
	@$(BIN)/python -m pip install --progress-bar on --disable-pip-version-check -e '.[dev]' \
		| { grep -v '^Requirement already satisfied' || true; }
	@touch $@ $(STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

## Install (once), migrate, seed the demo account, serve on $(HOST):$(PORT) with the periodic
## work in-process, and print the demo credentials. ROTATE=1 gives the demo client a new secret.
run: install
	@$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) $(if $(ROTATE),--rotate)

## Install with the dev tools, lint, then run the whole test suite.
test: install-dev lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles vectis.sqlite3 .pytest_cache .ruff_cache .demo-credentials.json
## Contract run: schemathesis against a server of the project (tests/contract/run.py); CONTRACT_ARGS=--deep
contract: install-dev ; $(BIN)/python tests/contract/run.py $(CONTRACT_ARGS)
bench: install-dev ; $(BIN)/python bench/run.py $(BENCH_ARGS)  # order pipeline vs its database (bench/README.md); BENCH_ARGS=--quick
