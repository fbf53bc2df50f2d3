# ServicePoint — developer and CI entry points (GNU make).
#
#   make run                      demo branch server on http://127.0.0.1:8000/
#   make run HOST=0.0.0.0         listen on the branch network (kiosks, displays,
#                                 counters on other machines); put it behind the
#                                 branch firewall, never on the internet
#   make test PYTEST_ARGS='-k crash -x'
#
# Works on a fresh Debian machine with Python 3.11: the venv is created on first
# use and the project is (re)installed only when pyproject.toml changes.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
HOST        ?= 127.0.0.1
PORT        ?= 8000
# Database path; empty = the server's default (instance/servicepoint.db or $$SERVICEPOINT_DB).
DB          ?=
PYTEST_ARGS ?=
BENCH_ARGS  ?=

DB_OPT := $(if $(DB),--db $(DB),)

.PHONY: help install run init test test-fast lint messages mutation e2e screenshots bench bench-quick clean distclean

help: ## list the targets
	@echo "ServicePoint make targets:"
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: HOST=$(HOST) PORT=$(PORT) DB=$(DB) PYTHON=$(PYTHON)"
	@echo "           PYTEST_ARGS='...' BENCH_ARGS='...'"
	@echo "           SERVICEPOINT_REQUIRE_ALL=1 makes missing chromium/socat a failure (CI)"

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "error: no python3.11/python3 on PATH" >&2; exit 1; fi
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "need Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV) || { echo "error: venv creation failed; on Debian: apt-get install python3-venv" >&2; rm -rf $(VENV); exit 1; }

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with test extras (only when pyproject.toml changed)

init: $(STAMP) ## create/migrate the database and seed the demo branch (idempotent)
	$(VENV)/bin/servicepoint $(DB_OPT) init --demo --history-days 22

run: init ## run the demo branch server (HOST=0.0.0.0 for the branch network, PORT=8000)
	$(VENV)/bin/servicepoint $(DB_OPT) serve --host $(HOST) --port $(PORT)

test: $(STAMP) ## run every test (unit, web, integration, e2e with Debian chromium, hardware)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## run the tests that start no browser and no server process
	$(PY) -m pytest -m 'not e2e and not slow' $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (F, E9, B, I) over the code and tests, mypy over servicepoint/ and hardware/
	$(VENV)/bin/ruff check servicepoint kiosk counter display manager hardware tests bench
	$(VENV)/bin/mypy

messages: $(STAMP) ## extract new texts into every .po catalog and list what each language lacks
	$(PY) -m servicepoint.messages update

mutation: $(STAMP) ## mutation testing of the domain and use cases with mutmut (not in `make test`; minutes)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(PY) bench/mutation_score.py

e2e: $(STAMP) ## run only the real-Chromium end-to-end tests
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

screenshots: $(STAMP) ## run the e2e tests and keep their screenshots in screenshots/
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)
	@ls -1 screenshots/*.png 2>/dev/null || true

bench: $(STAMP) ## run the ticket-issue benchmark (minutes; BENCH_ARGS='--runs 5')
	$(PY) bench/issue_load.py $(BENCH_ARGS)

bench-quick: $(STAMP) ## a short benchmark run (about a minute)
	$(PY) bench/issue_load.py --quick $(BENCH_ARGS)

clean: ## remove caches, build output, screenshots and bench results (keeps .venv and instance/)
	rm -rf .pytest_cache .hypothesis .mypy_cache .ruff_cache mutants build dist screenshots bench/results
	find . -path ./.venv -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean ## clean, and remove .venv too (never the branch database in instance/)
	rm -rf $(VENV) *.egg-info
