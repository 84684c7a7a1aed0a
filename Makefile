# Two commands for a fresh machine (see README.md):
#   make build   validate the skill, compile AGENTS.md, write dist/dbos-python-<version>.zip (+ .sha256),
#                the unpacked dist/dbos-python/ folder and the askill copy dist/askill/dbos-python/
#   make test    ruff, mypy --strict, then pytest: tooling, linter, fuzzing, every code example (SQLite, and
#                PostgreSQL when DBOS_TEST_POSTGRES_URL is set), coverage, and the example apps
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: build test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/skilltools build
	$(BIN)/skilltools build --dir
	$(BIN)/skilltools build --target askill
	$(BIN)/skilltools coverage --write

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

clean:
	rm -rf dist $(VENV)
