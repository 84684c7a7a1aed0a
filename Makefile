# Two commands for a fresh machine (see README.md):
#   make build   validate the skill, compile AGENTS.md, write dist/dbos-python-<version>.zip (+ .sha256)
#                and the unpacked dist/dbos-python/ folder
#   make test    run every test: tooling, linter, every code example (SQLite, and PostgreSQL when
#                DBOS_TEST_POSTGRES_URL is set), the example apps, ruff and mypy
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

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf dist $(VENV)
