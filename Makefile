# Two commands: `make demo` and `make test`. Both create .venv when absent and are quick when re-run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= build/demo

.PHONY: demo test test-slow test-all lab lint bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Commands that gate a pipeline exit 2 or 3 on a finding (a breach, a failed verdict, a new log
# pattern); the demo shows the finding and goes on. Exit 1 (an error) stops it.
RUN_GATE = sh -c '"$$@"; s=$$?; [ $$s -ne 1 ] || exit 1' --

demo: $(STAMP)
	$(BIN)/upgradesim init $(DEMO_DIR) --force
	$(BIN)/upgradesim validate $(DEMO_DIR)/plan.yaml
	rm -f $(DEMO_DIR)/upgradesim.duckdb $(DEMO_DIR)/upgradesim.duckdb.key
	$(BIN)/upgradesim ingest $(DEMO_DIR)/telemetry/*.parquet --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim baseline --db $(DEMO_DIR)/upgradesim.duckdb > /dev/null
	$(RUN_GATE) $(BIN)/upgradesim readiness $(DEMO_DIR)/plan.yaml --db $(DEMO_DIR)/upgradesim.duckdb --osv $(DEMO_DIR)/advisories/osv --kev $(DEMO_DIR)/advisories/kev.csv
	$(RUN_GATE) $(BIN)/upgradesim pipelines $(DEMO_DIR)/plan.yaml $(DEMO_DIR)/pipelines --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim advisories $(DEMO_DIR)/plan.yaml --osv $(DEMO_DIR)/advisories/osv --kev $(DEMO_DIR)/advisories/kev.csv
	$(BIN)/upgradesim migration sizes $(DEMO_DIR)/migrations/table_sizes.csv --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim migration lint $(DEMO_DIR)/plan.yaml --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim compare $(DEMO_DIR)/plan.yaml --replications 1000 --seed 7 --workers 2 --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim check $(DEMO_DIR)/plan.yaml --replications 1000 --seed 7 --workers 2
	$(BIN)/upgradesim optimize $(DEMO_DIR)/plan.yaml --budget 40 --seed 7 --workers 2 --emit-overlay $(DEMO_DIR)/optimized.yaml --plot $(DEMO_DIR)/front.png --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim check $(DEMO_DIR)/plan.yaml --overlay $(DEMO_DIR)/optimized.yaml --replications 1000 --seed 7 --workers 2
	for spec in regression-previous.xml@regression@staging regression.xml@regression@staging \
	    uat-business-owner.yaml@uat@staging uat-qa-lead.yaml@uat@staging restore-drill.yaml@dr_drill@staging \
	    training.csv@training@staging performance-prod.csv@performance@prod@2027-02-15T10:00:00Z \
	    performance-staging.csv@performance@staging@2027-02-27T16:00:00Z; do \
	  set -- $$(echo $$spec | tr '@' ' '); \
	  $(BIN)/upgradesim evidence add $(DEMO_DIR)/evidence/$$1 --kind $$2 --env $$3 $${4:+--at $$4} \
	    --change CHG-2027-0142 --plan $(DEMO_DIR)/plan.yaml --db $(DEMO_DIR)/upgradesim.duckdb || exit 1; \
	done
	$(RUN_GATE) $(BIN)/upgradesim evidence check $(DEMO_DIR)/plan.yaml --stage staging --as-of 2027-03-05T12:00:00Z --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim schedule $(DEMO_DIR)/plan.yaml --months 6 --from 2027-03-01 --ics $(DEMO_DIR)/patch-schedule.ics
	$(RUN_GATE) $(BIN)/upgradesim conflicts $(DEMO_DIR)/plan.yaml $(DEMO_DIR)/changes/reporting-upgrade.yaml --calendar $(DEMO_DIR)/changes/calendar.csv
	$(RUN_GATE) $(BIN)/upgradesim debt --add $(DEMO_DIR)/debt/register.yaml --propose $(DEMO_DIR)/plan.yaml --owner dana.ops --as-of 2027-03-05 --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim incidents $(DEMO_DIR)/plan.yaml --add $(DEMO_DIR)/incidents.csv --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim data compare $(DEMO_DIR)/datasets/source $(DEMO_DIR)/datasets/target
	$(RUN_GATE) $(BIN)/upgradesim data pii $(DEMO_DIR)/datasets/staging
	$(RUN_GATE) $(BIN)/upgradesim forecast $(DEMO_DIR)/plan.yaml --log $(DEMO_DIR)/forecast/clean.csv --now 2027-03-13T02:30:00Z --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim forecast $(DEMO_DIR)/plan.yaml --log $(DEMO_DIR)/forecast/troubled.csv --now 2027-03-13T02:30:00Z --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim judge backtest --db $(DEMO_DIR)/upgradesim.duckdb --plan $(DEMO_DIR)/plan.yaml --config $(DEMO_DIR)/judge.yaml --overlay $(DEMO_DIR)/judge-calibrated.yaml
	$(RUN_GATE) $(BIN)/upgradesim judge --db $(DEMO_DIR)/upgradesim.duckdb --plan $(DEMO_DIR)/plan.yaml --config $(DEMO_DIR)/judge.yaml
	$(RUN_GATE) $(BIN)/upgradesim logs-diff $(DEMO_DIR)/logs/app-before.log $(DEMO_DIR)/logs/app-after.log
	rm -rf $(DEMO_DIR)/config-repo $(DEMO_DIR)/config-restored && git init -q $(DEMO_DIR)/config-repo
	$(BIN)/upgradesim config snapshot $(DEMO_DIR)/config/prod --env prod --tag pre-upgrade --git $(DEMO_DIR)/config-repo --change CHG-2027-0142 --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim config restore --env prod --tag pre-upgrade --git $(DEMO_DIR)/config-repo --to $(DEMO_DIR)/config-restored --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim config log --git $(DEMO_DIR)/config-repo --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim config snapshot $(DEMO_DIR)/config/staging --env staging --tag current --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim config drift --baseline-env prod --env staging --exceptions $(DEMO_DIR)/config/exceptions.yaml --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim config drift --env prod --desired $(DEMO_DIR)/iac/terraform.json --desired $(DEMO_DIR)/iac/k8s/orders.yaml --desired $(DEMO_DIR)/iac/ansible/group_vars/prod.yml --exceptions $(DEMO_DIR)/config/exceptions.yaml --as-of 2027-03-01 --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim parity $(DEMO_DIR)/plan.yaml --env staging --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim audit ingest $(DEMO_DIR)/logs/executed-CHG-2026-0077.jsonl --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim audit verify --db $(DEMO_DIR)/upgradesim.duckdb
	$(RUN_GATE) $(BIN)/upgradesim sod --plan $(DEMO_DIR)/plan.yaml --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim runbook $(DEMO_DIR)/runbook.yaml --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim history $(DEMO_DIR)/history.csv --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim kpi --db $(DEMO_DIR)/upgradesim.duckdb
	$(BIN)/upgradesim calibrate --db $(DEMO_DIR)/upgradesim.duckdb --out $(DEMO_DIR)/calibrated-overlay.yaml --check
	$(BIN)/upgradesim report all --plan $(DEMO_DIR)/plan.yaml --db $(DEMO_DIR)/upgradesim.duckdb --out $(DEMO_DIR)/reports
	rm -rf $(DEMO_DIR)/archive
	$(BIN)/upgradesim archive create --change CHG-2026-0077 --out $(DEMO_DIR)/archive --reports $(DEMO_DIR)/reports --db $(DEMO_DIR)/upgradesim.duckdb
	@echo "HTML reports are in $(DEMO_DIR)/reports/ (one folder per report, with its manifest)"

# tests run on every core (pytest-xdist); `make test PYTEST_WORKERS=0` runs them in one process
PYTEST_WORKERS ?= auto

# `make test`: the fast suite (under two minutes on 2 cores); `make test-slow`: only the slow tests
# (notebook rendering, a real browser, the wheel, full searches) with every property-based example;
# `make test-all`: both. CI (.ci/run) runs `make test`, then `make test-slow`.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

test-slow: $(STAMP)
	UPGRADESIM_THOROUGH=1 $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) -m 'slow'

test-all: $(STAMP)
	UPGRADESIM_THOROUGH=1 $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) -m ''

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_judge.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_logs.py

# Mutation testing of the core modules ([tool.upgradesim.mutation] in pyproject.toml), each against its
# own tests; prints the score per module. `make mutation MODULES="judge/verdict.py"` runs only those.
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py $(MODULES)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

clean:
	rm -rf $(VENV) build .pytest_cache
