"""The data dictionary of simulation results: one flat record per replication, one per event.

Instants are ``*_at_min`` (minutes since ``calendar.start``, UTC); durations are ``*_min``.
"""

from __future__ import annotations

__all__ = ["REPLICATION_FIELDS", "EVENT_FIELDS", "SUMMARY_FIELDS"]

REPLICATION_FIELDS: dict[str, str] = {
    "strategy": "name of the strategy in the plan",
    "replication": "replication index, 0-based; the same index means the same random inputs in every strategy",
    "seed": "the root seed of the run",
    "started_at_min": "first moment work touched production (or built the new stack)",
    "finished_at_min": "last node upgraded / cut over, or the end of the rollback",
    "duration_min": "finished_at_min - started_at_min",
    "downtime_min": "minutes during which at least one region had no serving capacity",
    "region_downtime_min": "region-minutes without capacity, summed over regions",
    "sla_breach_min": "region-minutes in which a region was up but its p95 latency (M/M/c) exceeded the target",
    "unserved_requests": "requests that found no capacity (down or overloaded), summed over regions",
    "error_requests": "requests served with an error by a failed-but-undetected node or a manifested defect",
    "max_error_rate_pct": "highest fleet error rate seen, percent of demand",
    "nodes_failed": "failed upgrade attempts (a retried node may fail more than once)",
    "rolled_back": "a rollback trigger fired and the rollout was reverted",
    "rollback_reason": "failed_nodes, error_rate, sla_breach, window_overrun, migration_failed, canary_gate, "
                       "new_stack_failed or parallel_run_mismatch; empty when not rolled back",
    "window_overruns": "batches (or cutovers) that ran past the end of their maintenance window",
    "overrun_min": "minutes past window ends, summed",
    "migration_min": "minutes spent in schema migrations, including lock waits and undo",
    "extra_node_hours": "node-hours of a second stack (blue-green, parallel run)",
    "defect": "the release carried a production-only defect in this replication",
    "defect_shipped": "a defect reached production and no trigger caught it",
    "horizon_exceeded": "some work found no window before the planning horizon",
    "completed": "every node ended upgraded and nothing was rolled back",
    "completed_fraction": "share of nodes that ended upgraded",
    "nodes_upgraded": "nodes whose final state is upgraded",
    "nodes_final_failed": "nodes that exhausted their attempts and stayed on the old version",
    "nodes_rolled_back": "nodes upgraded and then reverted by a rollback",
    "nodes_not_started": "nodes never touched",
    "rollback_node_hours": "node-hours spent reverting nodes after a rollback trigger",
    "cost_node_hours": "extra_node_hours + rollback_node_hours",
    "cost": "the node-hours by tier at the plan's cost.price_per_node_hour (in cost.currency); without prices, "
            "equal to cost_node_hours",
}

EVENT_FIELDS: dict[str, str] = {
    "strategy": "strategy name",
    "replication": "replication index",
    "node": "node id (region/tier/nnn), a region name for region-wide events, or rollout/release",
    "event": "upgrade_start, upgrade_done, upgrade_failed, failure_detected, node_rolled_back, batch_start, "
             "window_overrun, migration_start/done/failed, rollback_triggered, revert_start, reverted, "
             "schema_restore, bake_start, wave_start, canary_start, canary_passed, build_start/done/failed, "
             "cutover_start/done, switch_back, parallel_run_start, defect_manifest; and, so that the trace alone "
             "gives every figure of the record: capacity (a region's servers, other-tier capacity, down flag and "
             "error share after each change), second_stack (nodes held since), defect_present, horizon_reached, "
             "rollout_complete, rollout_end",
    "at_min": "simulation minute",
    "region": "region of the node or event, when it has one",
    "detail": "attempt number, batch size, overrun minutes, reason, or key=value pairs (capacity, second_stack)",
}

SUMMARY_FIELDS: dict[str, str] = {
    "strategy": "strategy name",
    "figure": "duration_min, duration_p50_min, duration_p95_min, downtime_min, sla_breach_min, unserved_requests, "
              "extra_node_hours, cost_node_hours, cost, p_rollback, p_overrun, p_complete, p_defect_shipped",
    "estimate": "mean, quantile or proportion",
    "low": "lower end of the 95% interval (t for means, order statistics for quantiles, Wilson for proportions)",
    "high": "upper end of the 95% interval",
    "n": "replications",
}
