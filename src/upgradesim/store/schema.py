"""The store's schema: tables, their columns documented (the data dictionary), and its version."""

from __future__ import annotations

from ..sim.records import EVENT_FIELDS, REPLICATION_FIELDS, SUMMARY_FIELDS

__all__ = ["SCHEMA_VERSION", "TABLES", "DDL", "MIGRATIONS", "data_dictionary"]

SCHEMA_VERSION = 7

# version -> statements that bring a store of that version to the next one (run in one transaction,
# after a copy of the file is kept beside it)
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "ALTER TABLE verdict_metrics RENAME COLUMN statistic TO baseline_value",
        "ALTER TABLE verdict_metrics RENAME COLUMN shift TO candidate_value",
        *[f'ALTER TABLE verdict_metrics ADD COLUMN "{c}" {t}' for c, t in (
            ("n_eff_baseline", "DOUBLE"), ("n_eff_candidate", "DOUBLE"), ("variation", "DOUBLE"), ("cycle", "VARCHAR"),
            ("false_alarm_rate", "DOUBLE"), ("checks", "VARCHAR"))],
    ],
    # readiness results name the plan they were computed from, so a report can say STALE
    2: ["ALTER TABLE readiness_runs ADD COLUMN plan_hash VARCHAR DEFAULT ''"],
    # cost of a strategy: rollback work and the priced node-hours (stored runs before schema 4: NULL)
    3: [f'ALTER TABLE sim_replications ADD COLUMN "{c}" DOUBLE' for c in ("rollback_node_hours", "cost_node_hours",
                                                                          "cost")],
    # decisions and evidence: optimize fronts, forecasts, evidence records (new tables, created
    # from TABLES when the store is opened)
    4: [],
    # configuration files kept for restore, pipeline findings, table sizes (new tables)
    5: [],
    # a readiness assessment read back whole: upgrade order, cycles, notes, workflows, resources
    6: [*[f'ALTER TABLE readiness_runs ADD COLUMN "{c}" VARCHAR DEFAULT \'{d}\'' for c, d in (
        ("upgrade_order", "[]"), ("cycles", "[]"), ("meta", "{}"))]],
}

_SIM_TYPES = {
    "strategy": "VARCHAR", "replication": "INTEGER", "seed": "UBIGINT", "rolled_back": "BOOLEAN",
    "rollback_reason": "VARCHAR", "nodes_failed": "INTEGER", "window_overruns": "INTEGER", "defect": "BOOLEAN",
    "defect_shipped": "BOOLEAN", "horizon_exceeded": "BOOLEAN", "completed": "BOOLEAN", "nodes_upgraded": "INTEGER",
    "nodes_final_failed": "INTEGER", "nodes_rolled_back": "INTEGER", "nodes_not_started": "INTEGER",
}

# table -> {column: (type, meaning)}
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "meta": {
        "key": ("VARCHAR PRIMARY KEY", "setting name (schema_version, created_at, created_by)"),
        "value": ("VARCHAR", "its value"),
    },
    "ingest_ledger": {
        "ingest_id": ("BIGINT PRIMARY KEY", "one per ingested file"),
        "file": ("VARCHAR", "path as given"),
        "sha256": ("VARCHAR UNIQUE", "content hash: the same content is never ingested twice"),
        "format": ("VARCHAR", "csv or parquet; wide when a mapping was applied"),
        "rows": ("BIGINT", "rows stored in telemetry"),
        "quarantined": ("BIGINT", "rows put in quarantine"),
        "ingested_at": ("TIMESTAMPTZ", "when"),
    },
    "telemetry": {
        "ts": ("TIMESTAMPTZ NOT NULL", "sample time (UTC)"),
        "service": ("VARCHAR NOT NULL", "service name"),
        "metric": ("VARCHAR NOT NULL", "metric name (latency_p95_ms, errors, requests, cpu_pct, ...)"),
        "value": ("DOUBLE NOT NULL", "the value; NaN is kept, the judge decides"),
        "region": ("VARCHAR", "label, optional"),
        "host": ("VARCHAR", "label, optional"),
        "env": ("VARCHAR", "label, optional"),
        "phase": ("VARCHAR", "label, optional (baseline, canary, ...)"),
        "ingest_id": ("BIGINT NOT NULL", "the ledger row it came from"),
    },
    "quarantine": {
        "ingest_id": ("BIGINT", "ledger row of the file"),
        "file": ("VARCHAR", "path as given"),
        "row_number": ("BIGINT", "1-based data row in the file (header not counted)"),
        "reason": ("VARCHAR", "unparseable time, non-numeric value, missing value, missing service/metric"),
        "raw": ("VARCHAR", "the row as read, JSON"),
    },
    "baselines": {
        "window_start": ("TIMESTAMPTZ", "baseline window start (inclusive)"),
        "window_end": ("TIMESTAMPTZ", "baseline window end (exclusive)"),
        "service": ("VARCHAR", ""), "metric": ("VARCHAR", ""),
        "hour_of_week": ("INTEGER", "0 = Monday 00:00-01:00 UTC ... 167"),
        "n": ("BIGINT", "samples"), "mean": ("DOUBLE", ""), "std": ("DOUBLE", "sample standard deviation"),
        "p50": ("DOUBLE", ""), "p95": ("DOUBLE", ""), "p99": ("DOUBLE", ""),
        "computed_at": ("TIMESTAMPTZ", ""),
    },
    "daily_peaks": {
        "window_start": ("TIMESTAMPTZ", ""), "window_end": ("TIMESTAMPTZ", ""),
        "day": ("DATE", "UTC day"), "service": ("VARCHAR", ""), "metric": ("VARCHAR", ""),
        "region": ("VARCHAR", ""), "peak": ("DOUBLE", "highest per-timestamp sum over the region's hosts"),
    },
    "sim_runs": {
        "run_id": ("VARCHAR PRIMARY KEY", "uuid"), "created_at": ("TIMESTAMPTZ", ""),
        "plan_name": ("VARCHAR", ""), "plan_hash": ("VARCHAR", "sha256 of the validated plan"),
        "seed": ("UBIGINT", "root seed"), "replications": ("INTEGER", "per strategy"),
        "strategies": ("VARCHAR", "comma-separated"), "package_version": ("VARCHAR", ""),
    },
    "sim_replications": {"run_id": ("VARCHAR", "sim_runs row")} | {
        k: (_SIM_TYPES.get(k, "DOUBLE"), v) for k, v in REPLICATION_FIELDS.items()},
    "sim_summary": {"run_id": ("VARCHAR", "sim_runs row")} | {
        k: ("VARCHAR" if k in ("strategy", "figure") else "INTEGER" if k == "n" else "DOUBLE", v)
        for k, v in SUMMARY_FIELDS.items()},
    "sim_events": {"run_id": ("VARCHAR", "sim_runs row")} | {
        k: ("INTEGER" if k == "replication" else "DOUBLE" if k == "at_min" else "VARCHAR", v)
        for k, v in EVENT_FIELDS.items()},
    "verdict_runs": {
        "verdict_id": ("VARCHAR PRIMARY KEY", "uuid"), "created_at": ("TIMESTAMPTZ", ""),
        "mode": ("VARCHAR", "seasonal (same hours of week of the baseline) or control (control hosts, same time)"),
        "baseline_start": ("TIMESTAMPTZ", ""), "baseline_end": ("TIMESTAMPTZ", ""),
        "candidate_start": ("TIMESTAMPTZ", ""), "candidate_end": ("TIMESTAMPTZ", ""),
        "verdict": ("VARCHAR", "Pass, Marginal, Fail or NoData over all services"),
        "config": ("VARCHAR", "the judge configuration used, JSON"),
        "comparison": ("VARCHAR", "what was compared with what, in a sentence"),
    },
    "verdicts": {
        "verdict_id": ("VARCHAR", "verdict_runs row"), "service": ("VARCHAR", ""),
        "verdict": ("VARCHAR", "Pass, Marginal, Fail, NoData"), "score": ("DOUBLE", "0..100"),
        "reason": ("VARCHAR", "one sentence"),
    },
    "verdict_metrics": {
        "verdict_id": ("VARCHAR", ""), "service": ("VARCHAR", ""), "metric": ("VARCHAR", ""),
        "kind": ("VARCHAR", "continuous or count"), "direction": ("VARCHAR", "increase, decrease or either is bad"),
        "class": ("VARCHAR", "Pass, High, Low, Inconclusive, NoData, Error"),
        "fails": ("BOOLEAN", "counts against the score"),
        "critical": ("BOOLEAN", ""), "group": ("VARCHAR", ""),
        "test": ("VARCHAR", "the checks run: level+p95+p99+excursion, rate or constant"),
        "p_value": ("DOUBLE", "of the check that decided the class"),
        "effect": ("DOUBLE", "candidate/baseline ratio of the deciding check's statistic (median, quantile, rate)"),
        "baseline_value": ("DOUBLE", "the deciding statistic in the baseline"),
        "candidate_value": ("DOUBLE", "the deciding statistic in the candidate"),
        "low": ("DOUBLE", "95% interval of the rate ratio (counts)"), "high": ("DOUBLE", ""),
        "threshold": ("VARCHAR", "what it was held to"),
        "baseline_n": ("BIGINT", "points"), "candidate_n": ("BIGINT", "points"),
        "n_eff_baseline": ("DOUBLE", "effective sample size: independent blocks (or dispersion-scaled events)"),
        "n_eff_candidate": ("DOUBLE", ""),
        "variation": ("DOUBLE", "largest relative deviation of a comparable baseline period from the baseline"),
        "cycle": ("VARCHAR", "none, daily or weekly: the cycle proven in the baseline and taken out"),
        "baseline_p95": ("DOUBLE", ""), "candidate_p95": ("DOUBLE", ""),
        "baseline_p99": ("DOUBLE", ""), "candidate_p99": ("DOUBLE", ""),
        "false_alarm_rate": ("DOUBLE", "backtested share of quiet periods this metric would have failed"),
        "checks": ("VARCHAR", "every check's numbers, JSON"),
        "explanation": ("VARCHAR", "plain words: why this class"),
    },
    "backtest_runs": {
        "backtest_id": ("VARCHAR PRIMARY KEY", "uuid"), "created_at": ("TIMESTAMPTZ", ""),
        "baseline_days": ("DOUBLE", ""), "candidate_hours": ("DOUBLE", ""), "pairs": ("INTEGER", "replays"),
        "alarm_rate": ("DOUBLE", "share of (pair, metric) judgements that failed"),
        "config": ("VARCHAR", "the judge configuration replayed, JSON"),
    },
    "backtest_metrics": {
        "backtest_id": ("VARCHAR", ""), "service": ("VARCHAR", ""), "metric": ("VARCHAR", ""),
        "pairs": ("INTEGER", "replays with a judgement"), "alarms": ("INTEGER", "replays that failed"),
        "false_alarm_rate": ("DOUBLE", "alarms / pairs"), "inconclusive": ("INTEGER", ""),
    },
    "readiness_runs": {
        "readiness_id": ("VARCHAR PRIMARY KEY", "uuid"), "created_at": ("TIMESTAMPTZ", ""),
        "plan_name": ("VARCHAR", ""), "as_of": ("DATE", "the date the assessment answers for"),
        "decision": ("VARCHAR", "go or no-go"), "score": ("DOUBLE", "0..100"),
        "blockers": ("INTEGER", ""), "warnings": ("INTEGER", ""), "lifecycle_source": ("VARCHAR", "snapshot file"),
        "plan_hash": ("VARCHAR", "sha256 of the validated plan assessed (empty: stored before schema 3)"),
        "upgrade_order": ("VARCHAR", "JSON list: components to upgrade, dependencies first ([] before schema 7)"),
        "cycles": ("VARCHAR", "JSON list of dependency cycles among them"),
        "meta": ("VARCHAR", "JSON: lifecycle source, capacity source, advisories, plan"),
    },
    "findings": {
        "readiness_id": ("VARCHAR", "readiness_runs row"), "id": ("VARCHAR", "DEP-001, LC-004, ..."),
        "area": ("VARCHAR", "dependency, lifecycle, capacity, security, customization, workflow"),
        "severity": ("VARCHAR", "blocker, warning, info"), "component": ("VARCHAR", "component, tier in region, or workflow"),
        "message": ("VARCHAR", ""), "evidence": ("VARCHAR", ""), "recommendation": ("VARCHAR", ""),
    },
    "component_readiness": {
        "readiness_id": ("VARCHAR", ""), "component": ("VARCHAR", ""), "tier": ("VARCHAR", ""),
        "product": ("VARCHAR", ""), "version": ("VARCHAR", ""), "target_version": ("VARCHAR", ""),
        "readiness": ("VARCHAR", "ready, conditionally ready, not ready, unknown"), "blockers": ("INTEGER", ""),
        "warnings": ("INTEGER", ""), "coverage": ("VARCHAR", "which checks had data"),
        "lifecycle_status": ("VARCHAR", ""), "days_to_eol": ("DOUBLE", "negative: past end of life"),
        "urgency_rank": ("INTEGER", "1 = most urgent"),
    },
    "readiness_lifecycle": {
        "readiness_id": ("VARCHAR", ""), "component": ("VARCHAR", ""), "product": ("VARCHAR", "endoflife.date id"),
        "version": ("VARCHAR", ""), "cycle": ("VARCHAR", "release cycle the version belongs to"),
        "support_end": ("DATE", "end of active support"), "eol": ("DATE", "end of security support"),
        "days_to_eol": ("DOUBLE", "from the as-of date; negative: past"),
        "status": ("VARCHAR", "supported, security_only, ends_within_a_year, ends_during_rollout, "
                              "ends_before_rollout, past_eol, unknown"),
        "urgency_rank": ("INTEGER", "1 = most urgent"),
    },
    "readiness_capacity": {
        "readiness_id": ("VARCHAR", ""), "region": ("VARCHAR", ""), "tier": ("VARCHAR", ""), "nodes": ("INTEGER", ""),
        "capacity_rps": ("DOUBLE", ""), "utilisation": ("DOUBLE", "peak today, 0..1"),
        "projected": ("DOUBLE", "peak with the target's CPU overhead"), "headroom": ("DOUBLE", "1 - projected"),
        "batch_out": ("INTEGER", "nodes the chosen strategy takes out at once"),
        "utilisation_during_batch": ("DOUBLE", "at the busiest window hour with a batch out (inf: none left)"),
        "source": ("VARCHAR", "measured peak (telemetry) or plan peak demand / capacity"),
    },
    "readiness_workflows": {
        "readiness_id": ("VARCHAR", ""), "workflow": ("VARCHAR", ""), "criticality": ("VARCHAR", ""),
        "components": ("VARCHAR", "comma-separated"), "blocked_by": ("VARCHAR", "its components with blockers"),
        "warnings_in": ("VARCHAR", "its components with warnings"),
        "needs": ("VARCHAR", "parallel run, extra acceptance testing or standard testing"),
    },
    "readiness_resources": {
        "readiness_id": ("VARCHAR", ""), "region": ("VARCHAR", ""), "tier": ("VARCHAR", "(all): the region's storage"),
        "resource": ("VARCHAR", "memory, storage or storage for two copies"), "nodes": ("INTEGER", ""),
        "per_node": ("DOUBLE", "capacity per node"), "used": ("DOUBLE", "peak use per node"),
        "after": ("DOUBLE", "with the target's requirement"), "during": ("DOUBLE", "during the rollout"),
        "unit": ("VARCHAR", "MB or GB"), "source": ("VARCHAR", "plan or telemetry"),
    },
    "config_snapshots": {
        "snapshot_id": ("VARCHAR PRIMARY KEY", "uuid"), "env": ("VARCHAR", "environment (prod, staging, ...)"),
        "tag": ("VARCHAR", "name of this state (pre-upgrade, approved-2026-11, ...)"),
        "taken_at": ("TIMESTAMPTZ", ""), "root": ("VARCHAR", "the folder read"),
        "files": ("INTEGER", "configuration files read"),
        "file_hashes": ("VARCHAR", "JSON {file: sha256 of its bytes}"),
    },
    "config_entries": {
        "snapshot_id": ("VARCHAR", ""), "file": ("VARCHAR", "path relative to the root"),
        "key": ("VARCHAR", "flattened key path: section.key, list[0].key"),
        "value": ("VARCHAR", "the value as text; a secret is only its keyed fingerprint (fp:...)"),
        "type": ("VARCHAR", "str, int, float, bool, null, list, map, or secret"),
        "secret": ("BOOLEAN", "true: the value was replaced by a fingerprint"),
    },
    "config_files": {
        "snapshot_id": ("VARCHAR", ""), "file": ("VARCHAR", "path relative to the root"),
        "content": ("BLOB", "the file's bytes, each secret value replaced by SECRET-FP-<fingerprint>; NULL: not kept"),
        "note": ("VARCHAR", "why the text was not kept (a secret that could not be replaced in place)"),
    },
    "pipeline_findings": {
        "scan_id": ("VARCHAR", "uuid of one `upgradesim pipelines` run"), "scanned_at": ("TIMESTAMPTZ", ""),
        "plan": ("VARCHAR", "plan name"), "plan_hash": ("VARCHAR", ""), "file": ("VARCHAR", "definition file"),
        "line": ("INTEGER", "1-based"), "component": ("VARCHAR", "plan component referred to"),
        "kind": ("VARCHAR", "image, setup action, tool version, dependency, ..."),
        "found": ("VARCHAR", "the version the file pins"), "required": ("VARCHAR", "the plan's target"),
        "suggestion": ("VARCHAR", "the line with the target version"),
        "status": ("VARCHAR", "stale (does not admit the target) or unknown (no version given)"),
    },
    "table_sizes": {
        "db_table": ("VARCHAR", "table name as the migration SQL names it (schema.table or table)"),
        "rows": ("BIGINT", "live rows"), "bytes": ("BIGINT", "table size on disk, indexes excluded"),
        "index_bytes": ("BIGINT", "size of its indexes"), "measured_at": ("TIMESTAMPTZ", ""),
        "source": ("VARCHAR", "file the sizes were read from"),
    },
    "audit_log": {
        "seq": ("BIGINT PRIMARY KEY", "1, 2, 3, ...: position in the chain"),
        "ts": ("TIMESTAMPTZ", "when the step happened"), "change_id": ("VARCHAR", ""),
        "step": ("VARCHAR", "runbook step"), "actor": ("VARCHAR", "person or system"),
        "role": ("VARCHAR", "executor, validator, approver, ..."), "action": ("VARCHAR", ""),
        "outcome": ("VARCHAR", "ok, failed, rolled_back, ..."), "details": ("VARCHAR", "JSON"),
        "prev_hash": ("VARCHAR", "hash of the previous record"),
        "hash": ("VARCHAR", "HMAC-SHA256, keyed with the store key, of prev_hash and this record"),
    },
    "optimize_runs": {
        "run_id": ("VARCHAR PRIMARY KEY", "uuid"), "created_at": ("TIMESTAMPTZ", ""),
        "plan_name": ("VARCHAR", ""), "plan_hash": ("VARCHAR", "sha256 of the validated plan"),
        "seed": ("UBIGINT", "root seed"), "budget": ("INTEGER", "designs screened"),
        "recommended": ("INTEGER", "the recommended point of the front"),
        "document": ("VARCHAR", "JSON: the front, the plan's strategy on it, meta (OptimizeResult.to_dict)"),
    },
    "forecast_runs": {
        "forecast_id": ("VARCHAR PRIMARY KEY", "uuid"), "created_at": ("TIMESTAMPTZ", ""),
        "plan_name": ("VARCHAR", ""), "plan_hash": ("VARCHAR", "sha256 of the validated plan"),
        "change_id": ("VARCHAR", ""), "now": ("TIMESTAMPTZ", "the moment forecast"),
        "decision": ("VARCHAR", "continue, pause, rollback or complete"),
        "document": ("VARCHAR", "JSON: figures and reasons (Forecast.to_dict)"),
        "remaining": ("VARCHAR", "JSON: nodes left at each simulated minute, for the burn-down"),
    },
    "evidence": {
        "evidence_id": ("VARCHAR PRIMARY KEY", "uuid"), "kind": ("VARCHAR", "regression, smoke, uat, probe, ..."),
        "change_id": ("VARCHAR", ""), "env": ("VARCHAR", "staging, prod, ..."),
        "recorded_at": ("TIMESTAMPTZ", "when it was added"), "observed_at": ("TIMESTAMPTZ", "when it happened"),
        "recorded_by": ("VARCHAR", "who added it"), "source": ("VARCHAR", "the file's name"),
        "digest": ("VARCHAR", "HMAC-SHA256 of the file's bytes, keyed with the store key"),
        "summary": ("VARCHAR", "JSON: what gates read (pass rate, outcome, ...)"),
        "details": ("VARCHAR", "JSON: test cases, transactions, people, probe results"),
    },
    "debt_items": {
        "item_id": ("VARCHAR PRIMARY KEY", "uuid"), "component": ("VARCHAR", ""),
        "kind": ("VARCHAR", "deferred_upgrade, customisation, workaround, unsupported_version"),
        "title": ("VARCHAR", ""), "owner": ("VARCHAR", ""), "created": ("DATE", ""), "due": ("DATE", ""),
        "effort_days": ("DOUBLE", "estimated effort"), "interest_per_month": ("DOUBLE", "the cost of waiting"),
        "interest_note": ("VARCHAR", ""), "links": ("VARCHAR", "JSON list: finding ids, advisories, tickets"),
        "status": ("VARCHAR", "open or closed"), "closed": ("DATE", ""), "source": ("VARCHAR", "the file, or proposed"),
    },
    "incidents": {
        "incident_id": ("VARCHAR PRIMARY KEY", "the ticket id"), "opened": ("TIMESTAMPTZ", ""),
        "closed": ("TIMESTAMPTZ", ""), "priority": ("VARCHAR", "P1-P4"), "service": ("VARCHAR", "service or CI"),
        "summary": ("VARCHAR", ""), "change_id": ("VARCHAR", "the change it was triaged against"),
        "component": ("VARCHAR", "the plan component it concerns"), "team": ("VARCHAR", ""),
        "on_call": ("VARCHAR", ""), "likely_caused": ("BOOLEAN", "by the change"),
        "reasons": ("VARCHAR", "JSON list"),
    },
    "upgrade_history": {
        "change_id": ("VARCHAR", ""), "started_at": ("TIMESTAMPTZ", ""), "finished_at": ("TIMESTAMPTZ", ""),
        "requested_at": ("TIMESTAMPTZ", "when the change was raised (for lead time)"),
        "downtime_min": ("DOUBLE", ""),
        "outcome": ("VARCHAR", "successful, successful_with_issues, unsuccessful"),
        "rolled_back": ("BOOLEAN", ""), "incidents_p1": ("INTEGER", ""), "incidents_p2": ("INTEGER", ""),
        "incidents_p3": ("INTEGER", ""),
    },
}

DDL = [
    f"CREATE TABLE IF NOT EXISTS {name} (" + ", ".join(f'"{c}" {t}' for c, (t, _) in cols.items()) + ")"
    for name, cols in TABLES.items()
]


def data_dictionary() -> list[dict]:
    """Every table and column with its type and meaning (rows for a DataFrame or a README)."""
    return [{"table": t, "column": c, "type": ty.split()[0], "meaning": m}
            for t, cols in TABLES.items() for c, (ty, m) in cols.items()]
