"""Edges of the rollout record (issue 13): a rollout shorter than a minute keeps its length, a
defect ships with a single upgraded node, a failed node that is rolled back alone serves errors
until detected and is downtime while it rolls back."""

from __future__ import annotations

from .test_sim_triggers_exact import run


def test_a_rollout_under_a_minute_keeps_its_length():
    def edit(d):
        d["tiers"]["app"]["upgrade_min"] = 0.5
        d["tiers"]["db"]["upgrade_min"] = 0.25
    record, log, _ = run(edit, "bang")
    assert (record["duration_min"], record["downtime_min"], record["finished_at_min"]) == (0.75, 0.75, 0.75)
    assert log[-1] == ("rollout", "rollout_complete", 0.75)


def test_a_defect_ships_with_one_upgraded_node():
    def edit(d):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        d["regions"][0]["nodes"] = {"app": 1}
        d["release"].update(defect_prob=1.0, defect_tiers=["app"])
        d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10}}
    record, _, events = run(edit, "bang")
    assert record["defect_shipped"] and record["completed"] and not record["rolled_back"]
    assert ("release", "defect_present", 0.0) in [e[:3] for e in events]


def test_a_lone_failed_node_is_rolled_back_without_stopping_the_rollout():
    """The db node fails at 20, errs (serving) until detected at 25 and is out while it rolls back
    (9 min): downtime 20 + 9 = 29 min; then the app nodes upgrade one by one to 64."""
    def edit(d):
        d["tiers"]["db"]["failure_prob"] = 1.0
        d["rollback"] = {"failed_nodes_per_batch": None, "error_rate_pct": None, "sla_breach_min": None,
                         "window_overrun_min": None}
    record, log, _ = run(edit)
    assert (record["downtime_min"], record["duration_min"], record["completed"], record["rolled_back"]) == (
        29.0, 64.0, False, False)
    assert log[:5] == [("eu", "batch_start", 0.0), ("eu/db/001", "upgrade_start", 0.0),
                       ("eu/db/001", "upgrade_failed", 20.0), ("eu/db/001", "failure_detected", 25.0),
                       ("eu/db/001", "node_rolled_back", 34.0)]
