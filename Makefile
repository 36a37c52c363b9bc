# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py quickstart

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Load test under gunicorn (SQLite WAL, or PostgreSQL when DATABASE_URL points there); see
# the README, "Performance". BENCH_DURATION, BENCH_CONCURRENCY, BENCH_CLIENTS, BENCH_WORKERS
# and BENCH_THREADS tune it; results go to bench/results/.
.PHONY: bench bench-peer bench-smoke
bench: $(STAMP)
	$(BIN)/python -m bench

# The same load against node-oidc-provider (npm, cached under ~/.cache/dcr-bench) in the same run.
bench-peer: $(STAMP)
	$(BIN)/python -m bench --peer

# A few seconds, every operation once under gunicorn; fails on any error (called by .ci/run).
bench-smoke: $(STAMP)
	$(BIN)/python -m bench --smoke
