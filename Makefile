# The two commands a new user needs: `make run` and `make test`.
# Both do all set-up on a fresh machine with only Python >= 3.11, make and the package registries.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.oncotrial-installed

.PHONY: run test lint typecheck pytest venv clean help

help:
	@echo "make run   - set up .venv and the database (accounts, demo trial), serve http://127.0.0.1:8000"
	@echo "make test  - set up .venv, then ruff, mypy (core) and pytest (with doctests)"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3 --version)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@$(BIN)/oncotrial run

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# mypy --strict (configured in pyproject.toml) over the whole package: the core and the shell.
typecheck: $(STAMP)
	$(BIN)/mypy src/oncotrial

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
