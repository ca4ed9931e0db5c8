# Anju 安居: the two commands are `make run` and `make test`; see README.md.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Test workers (pytest-xdist): one per core, at most eight (each has two Redis databases).
# TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test schemathesis system-deps pdf-deps lint format migrations-check bench db-stop \
	clean clean-data

help:
	@echo "make run               demo server on http://127.0.0.1:8000 (migrate + seed_demo first;"
	@echo "                       PORT=8001 HOST=0.0.0.0 to change the address)"
	@echo "make test              the whole test suite (installs Debian packages it needs)"
	@echo "make schemathesis      fuzz every API operation as each role (its own CI step)"
	@echo "make lint              ruff check + ruff format --check"
	@echo "make format            ruff format + ruff check --fix"
	@echo "make migrations-check  fail when a model change has no migration"
	@echo "make bench             run every scripts/bench_*.py"
	@echo "make db-stop           stop the embedded PostgreSQL under var/"
	@echo "make clean             remove caches and build output (keeps var/)"
	@echo "make clean-data        remove var/ (embedded database, uploads)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(STAMP)

run: install pdf-deps
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

system-deps:
	bash scripts/ensure_system_deps.sh

# Only what PDFs need (CJK font, HarfBuzz subsetting, pango): the demo runs without a browser.
pdf-deps:
	bash scripts/ensure_system_deps.sh --pdf

# pytest exits 5 when it collected no test: that is a failure, never a pass.
# Schemathesis runs as its own step (`make schemathesis`), not inside `make test`.
# --durations: the slowest tests in every run's log, so the next cut of CI time has data.
# --dist loadfile: a file's tests run on one worker, so its module fixtures are built once;
# --no-loadscope-reorder keeps tests/conftest.py's order (the longest files first).
test: install system-deps
	@rc=0; $(VENV)/bin/pytest -m "not schemathesis" -n $(TEST_WORKERS) --maxprocesses=8 \
		--dist loadfile --no-loadscope-reorder --durations=30 $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$rc

schemathesis: install
	@rc=0; $(VENV)/bin/pytest -m schemathesis -n $(TEST_WORKERS) --maxprocesses=8 \
		$(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make schemathesis: pytest collected no tests" >&2; fi; \
	exit $$rc

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# Benchmarks run with the test secrets but without DEBUG (which would keep every query in
# memory); they use the embedded PostgreSQL unless DATABASE_URL is set.
bench: install
	@shopt -s nullglob; scripts=(scripts/bench_*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no scripts/bench_*.py yet"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script"; \
		ANJU_TESTING=$${ANJU_TESTING:-1} $(PY) "$$script"; \
	done

# Both stop the server named in var/pgdata/postmaster.pid; clean-data deletes nothing while
# a server still runs on that data.
db-stop:
	@if [ -x $(PY) ]; then $(PY) -m config.embedded_postgres stop var; fi

clean:
	find . -path ./$(VENV) -prune -o -path ./var -prune -o \
		\( -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache -o -name '*.egg-info' \) \
		-prune -exec rm -rf {} +
	rm -rf build dist staticfiles test-results

clean-data:
	@if [ -x $(PY) ]; then $(PY) -m config.embedded_postgres clean var; \
	elif pgrep -f -- "-D $(CURDIR)/var/pgdata" >/dev/null; then \
		echo "a PostgreSQL server runs on var/pgdata: not deleted" >&2; exit 1; \
	else rm -rf var; fi
