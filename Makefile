# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test lint serve migrate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: migrate a SQLite file under var/, load the demo district, serve on http://127.0.0.1:$(PORT)
demo: $(STAMP)
	$(BIN)/jiebang db upgrade
	$(BIN)/jiebang demo
	$(BIN)/jiebang serve --host 127.0.0.1 --port $(PORT)

## make test: lint, type-check and run the whole suite (SQLite and PostgreSQL)
test: $(STAMP)
	$(BIN)/ruff check market alliances migrations tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix market alliances migrations tests bench
	$(BIN)/ruff format market alliances migrations tests bench

clean:
	rm -rf $(VENV) var/*.sqlite3*
