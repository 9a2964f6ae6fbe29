# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test e2e chromium lint serve migrate clean

# The venv's own pip installs uv (Astral's installer, from PyPI), which installs the project: it fetches and unpacks
# in parallel, about 45 s on a fresh machine where pip took over three minutes. Should uv be unavailable, pip does it.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv && $(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]' \
		|| $(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make demo: migrate a SQLite file under var/, load the demo district, serve on http://127.0.0.1:$(PORT)
demo: $(STAMP)
	$(BIN)/jiebang db upgrade
	$(BIN)/jiebang demo
	$(BIN)/jiebang serve --host 127.0.0.1 --port $(PORT)

## make test: lint, type-check and run the whole suite (SQLite and PostgreSQL; tests/e2e in Chromium)
# One pytest worker per core (-n auto), each with its own SQLite file and PostgreSQL database. loadgroup hands
# out tests one by one, except the browser journeys, which go together to one worker (one Chromium, one live
# server per database); the slowest tests are listed at the end so that a newly slow one is seen.
test: $(STAMP) chromium
	$(BIN)/ruff check market alliances migrations tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=20

## make e2e: only the browser journeys (tests/e2e); rewrites docs/screenshots/
e2e: $(STAMP) chromium
	$(BIN)/python -m pytest tests/e2e

# The e2e tests drive Debian's Chromium, never a browser downloaded by `playwright install`; a CJK font makes
# the Chinese pages (and the screenshots) render as people see them. Installing needs root, as in CI.
chromium:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk)

lint: $(STAMP)
	$(BIN)/ruff check --fix market alliances migrations tests bench
	$(BIN)/ruff format market alliances migrations tests bench

clean:
	rm -rf $(VENV) var/*.sqlite3*
