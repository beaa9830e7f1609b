# Two commands: `make demo` and `make test`. Both create .venv when absent and are quick when re-run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= build/demo

.PHONY: demo test test-all lab lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/upgradesim init $(DEMO_DIR) --force
	$(BIN)/upgradesim validate $(DEMO_DIR)/plan.yaml
	$(BIN)/upgradesim compare $(DEMO_DIR)/plan.yaml --replications 200 --seed 7 --workers 2 --out $(DEMO_DIR)/compare.parquet
	$(BIN)/upgradesim check $(DEMO_DIR)/plan.yaml --replications 400 --seed 7 --workers 2 || test $$? -ne 1

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -m ''

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_sim.py

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build .pytest_cache
