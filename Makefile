# Two commands on a fresh machine: `make run` and `make test`.
#   make run [HOST=127.0.0.1] [PORT=8000]   runtime dependencies only, then quickstart
#   make test [PYTEST_ARGS=...]             adds the dev extras, runs the suite
#   make interop                            installs the client libraries (cached), runs their tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CKSUM := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Two stamps: the runtime install (make run) and the dev extras on top of it (make test, lint).
RUNTIME_STAMP := $(VENV)/.runtime-$(CKSUM)
DEV_STAMP := $(VENV)/.dev-$(CKSUM)

.PHONY: run test lint format install install-dev interop docs-test clean

$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	rm -f $(VENV)/.runtime-* $(VENV)/.installed-*
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	rm -f $(VENV)/.dev-*
	touch $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

run: $(RUNTIME_STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py quickstart --addrport $(HOST):$(PORT)

test: $(DEV_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# The client-library interop tests: installs each client once into ~/.cache/dcr-interop
# ($$DCR_INTEROP_CACHE), then runs them. `make test` runs them only once they are installed.
interop: $(DEV_STAMP)
	DCR_INTEROP_INSTALL=1 $(BIN)/pytest -m interop $(PYTEST_ARGS)

# Every ```console block of README.md and docs/*.md, run against a live server (also in make test).
docs-test: $(DEV_STAMP)
	$(BIN)/pytest tests/docs $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Load test under gunicorn (SQLite WAL, or PostgreSQL when DATABASE_URL points there); see
# docs/performance.md. BENCH_DURATION, BENCH_CONCURRENCY, BENCH_CLIENTS, BENCH_WORKERS
# and BENCH_THREADS tune it; results go to bench/results/.
.PHONY: bench bench-peer bench-smoke
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

# The same load against node-oidc-provider (npm, cached under ~/.cache/dcr-bench) in the same run.
bench-peer: $(DEV_STAMP)
	$(BIN)/python -m bench --peer

# A few seconds, every operation once under gunicorn; fails on any error (called by .ci/run).
bench-smoke: $(DEV_STAMP)
	$(BIN)/python -m bench --smoke
