# Vectis developer commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` serves plain http on $(HOST): development mode, even with DATABASE_URL set
# (which alone would mean production). VECTIS_ENV=production make run to try the https rules.
VECTIS_ENV ?= development
export VECTIS_ENV

.PHONY: run test install install-dev lint format migrate clean contract bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

migrate: install
	$(BIN)/python manage.py migrate --noinput

## Install, migrate, seed the demo account, print credentials and serve on $(HOST):$(PORT).
run: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Install with the dev tools, lint, then run the whole test suite.
test: install-dev lint
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles vectis.sqlite3 .pytest_cache .ruff_cache
## Contract run: schemathesis against a server of the project (tests/contract/run.py); CONTRACT_ARGS=--deep
contract: install-dev ; $(BIN)/python tests/contract/run.py $(CONTRACT_ARGS)
bench: install-dev ; $(BIN)/python bench/run.py $(BENCH_ARGS)  # order pipeline vs its database (bench/README.md); BENCH_ARGS=--quick
