# The two commands of the README: `make dev` runs the stack, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint pytest sandbox clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Ctrl-C is how `kbsync dev` ends (exit 130): not a make error; any other failure still is.
dev: $(STAMP)
	@$(BIN)/kbsync dev || [ $$? -eq 130 ]

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet .github/workflows/

pytest: $(STAMP)
	$(BIN)/pytest

test: lint pytest

sandbox: $(STAMP)
	$(BIN)/kbsync sandbox --data .kbsync/sandbox

clean:
	rm -rf $(VENV) .kbsync .pytest_cache .mypy_cache .ruff_cache
