# Vigil: `make run` starts it, `make test` tests it. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test fuzz worker scheduler lint format demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed  ## Vigil on http://127.0.0.1:5000 with SQLite, an embedded queue, a worker and the scheduler
	$(BIN)/python -m app.launcher

# axe-core (npm) for the accessibility checks of the browser tests; without npm those tests say so.
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
$(AXE): | $(BIN)/python
	-npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4.14.1

test: $(VENV)/.dev-installed $(AXE)  ## the whole suite (PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

fuzz: $(VENV)/.dev-installed  ## thousands of generated API and webhook requests from the OpenAPI document (FUZZ_EXAMPLES=5000)
	VIGIL_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),5000) $(BIN)/python -m pytest tests/api/test_api_fuzz.py $(PYTEST_ARGS)

demo: $(VENV)/.run-installed  ## Vigil + the local PagerDuty (pdsim) with a seeded account to link
	$(BIN)/python -m app.demo

bench: $(VENV)/.dev-installed  ## benchmarks at full size; figures go to BENCHMARKS.md (set DATABASE_URL for PostgreSQL)
	$(BIN)/python -m bench.sync --write
	$(BIN)/python -m bench.dashboard --write
	$(BIN)/python -m bench.alerts --write

worker: $(VENV)/.run-installed  ## one RQ worker on all queues (production: run several)
	$(BIN)/python worker.py

scheduler: $(VENV)/.run-installed  ## the periodic scheduler (production: run one)
	$(BIN)/python worker.py --cron

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
