# Two commands for a newcomer: `make run` and `make test`. Needs Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
# The suite on every core (pytest-xdist), each test file whole on one worker, so a
# file's module fixtures (a browser journey's server) are built once, its steps in order.
# Files go out in the suite's own order (its slow files first, tests/conftest.py), not
# xdist's largest-first, which left a slow file running alone at the end. More
# workers than cores: the slow files spend much of their time waiting on Chromium,
# gunicorn and schedulers in other processes, and the extra workers fill it. On
# SQLite two a core (on 2 cores: 4 workers 241 s, 3 workers 265 s); on PostgreSQL
# one more than the cores, as the server's own processes want the cores too (4
# workers 307 s, 3 workers 291 s).
WORKERS := $(if $(TEST_DATABASE_URL),$(shell expr $$(nproc) + 1),$(shell expr $$(nproc) \* 2))
PARALLEL := -n $(WORKERS) --dist loadfile --no-loadscope-reorder
# Python keeps the bytecode it compiles (and pytest its rewritten test modules)
# even where the machine's environment says not to: every worker, and every app,
# scheduler and gunicorn process the tests start, would otherwise compile the
# whole package again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-quick test-a-year-ahead install lint format calendar-parsers browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Migrate the SQLite database, load demo data the first time, serve on :5000
## with the scheduler (email, offer expiry) beside it; Ctrl-C stops both.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	SCHEDULER_OUTBOX_SECONDS=5 $(FLASK) scheduler run & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

## The independent calendar parsers the tests use (ical.js from npm, libical from apt).
calendar-parsers:
	bash tools/calendar-parsers/install.sh

## Debian's Chromium headless shell (apt) and axe-core (npm) for the browser journeys in tests/browser.
browser:
	bash tools/browser/install.sh

## Lint (ruff, and the import layers in pyproject.toml) and run every test
## (set TEST_DATABASE_URL to run them on PostgreSQL).
test: install calendar-parsers browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS)

## While you work: every test but the slow ones (real processes, browser journeys,
## the crawl of every form, the benches); `make test` and CI run them all.
test-quick: install
	$(BIN)/pytest $(PARALLEL) -m "not slow" $(PYTEST_ARGS)

## Every test with the clock a year ahead (Debian's faketime): none may depend on today's date.
test-a-year-ahead: install calendar-parsers browser
	bash tools/faketime/install.sh
	faketime -f +365d $(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS)

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
