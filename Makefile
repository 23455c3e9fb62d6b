# Quick start: `make run` (set up and run the baseline), `make test`, `make app`.
# The environment is .venv, built from pyproject.toml with versions pinned by constraints.txt.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint app docs bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/acusim run scenarios/baseline.yaml

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

app: install
	$(BIN)/streamlit run app/Home.py --server.address 127.0.0.1 --server.port 8501

docs: install
	$(BIN)/python -m model.scenario.reference > docs/scenario-reference.md

bench: install
	$(BIN)/python benchmarks/engine_throughput.py
	$(BIN)/python benchmarks/memory_per_case.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/sweep_parallel.py
	$(BIN)/python benchmarks/staffing_search.py
	$(BIN)/python benchmarks/probe_power.py
	@# The browser benchmark needs Chromium (as tests/e2e/appserver.py finds it); skip it without.
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then \
		$(BIN)/python benchmarks/app_latency.py; \
	else echo "benchmarks/app_latency.py skipped: Chromium not found (apt-get install chromium)"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
