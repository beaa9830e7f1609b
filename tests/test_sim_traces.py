"""Exact event traces and closed forms on tiny deterministic plans."""

from __future__ import annotations

import math

import pytest

from upgradesim.sim import prepare, run_replication

from .simplans import make_plan, single_tier

# events that make the figures derivable from the trace; test_sim_trace_figures checks them
BOOKKEEPING = {"capacity", "rollout_complete", "rollout_end", "second_stack", "defect_present", "horizon_reached"}


def trace(plan, strategy, seed=0):
    record, events = run_replication(prepare(plan), strategy, seed, 0, keep_events=True)
    return record, [(node, event, at) for node, event, at, _, _ in events if event not in BOOKKEEPING]


def test_rolling_one_by_one_trace_db_first():
    record, log = trace(make_plan(), "one-by-one")
    assert log == [
        ("eu", "batch_start", 0.0),
        ("eu/db/001", "upgrade_start", 0.0), ("eu/db/001", "upgrade_done", 20.0),
        ("eu", "batch_start", 20.0),
        ("eu/app/001", "upgrade_start", 20.0), ("eu/app/001", "upgrade_done", 30.0),
        ("eu", "batch_start", 30.0),
        ("eu/app/002", "upgrade_start", 30.0), ("eu/app/002", "upgrade_done", 40.0),
        ("eu", "batch_start", 40.0),
        ("eu/app/003", "upgrade_start", 40.0), ("eu/app/003", "upgrade_done", 50.0),
    ]
    assert record["duration_min"] == 50.0
    assert record["downtime_min"] == 20.0  # the only db node was out for 20 minutes
    assert record["completed"] and record["nodes_upgraded"] == 4


def test_big_bang_trace_and_downtime():
    record, log = trace(make_plan(), "bang")
    assert log == [
        ("eu", "batch_start", 0.0),
        ("eu/db/001", "upgrade_start", 0.0), ("eu/db/001", "upgrade_done", 20.0),
        ("eu/app/001", "upgrade_start", 20.0), ("eu/app/002", "upgrade_start", 20.0),
        ("eu/app/003", "upgrade_start", 20.0),
        ("eu/app/001", "upgrade_done", 30.0), ("eu/app/002", "upgrade_done", 30.0),
        ("eu/app/003", "upgrade_done", 30.0),
    ]
    assert record["duration_min"] == 30.0 and record["downtime_min"] == 30.0
    assert record["unserved_requests"] == pytest.approx(10 * 60 * 30)


def test_failure_detection_rollback_trigger_and_revert():
    def edit(data):
        data["tiers"]["app"]["failure_prob"] = 1.0
    record, log = trace(make_plan(edit), "one-by-one")
    assert log == [
        ("eu", "batch_start", 0.0),
        ("eu/db/001", "upgrade_start", 0.0), ("eu/db/001", "upgrade_done", 20.0),
        ("eu", "batch_start", 20.0),
        ("eu/app/001", "upgrade_start", 20.0), ("eu/app/001", "upgrade_failed", 30.0),
        ("eu/app/001", "failure_detected", 35.0), ("eu/app/001", "node_rolled_back", 42.0),
        ("rollout", "rollback_triggered", 42.0),
        ("eu/db/001", "revert_start", 42.0), ("eu/db/001", "reverted", 51.0),
    ]
    assert record["rolled_back"] and record["rollback_reason"] == "failed_nodes"
    assert (record["nodes_rolled_back"], record["nodes_final_failed"], record["nodes_not_started"]) == (1, 1, 2)
    assert record["error_requests"] == pytest.approx(10 * 60 * 5 / 3)  # 1 of 3 app nodes failing for 5 min


def test_retry_after_failure():
    def edit(data):
        data["tiers"]["db"].update(failure_prob=1.0, retries=2)
        data["rollback"]["failed_nodes_per_batch"] = None
        data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 3, "tiers": ["db"]}]
    record, log = trace(make_plan(edit), "s")
    starts = [at for node, event, at in log if event == "upgrade_start"]
    assert starts == [0.0, 34.0, 68.0]  # 20 upgrade + 5 detect + 9 rollback per attempt
    assert record["nodes_failed"] == 3 and record["nodes_final_failed"] == 1 and not record["rolled_back"]


def test_window_wait_and_halt_rule():
    def edit(data):
        data["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 20,
                            "windows": ["sat 01:00-01:25"], "on_window_close": "halt"}
    record, log = trace(make_plan(edit), "one-by-one")
    batches = [at for node, event, at in log if event == "batch_start"]
    saturday = (5 * 24 + 1) * 60.0
    week = 7 * 24 * 60.0
    # the 20-minute db batch fits 01:00-01:25, no 10-minute app batch fits after it (01:20 + 10 > 01:25);
    # the next Saturday takes two app batches (01:00, 01:10) and the third waits a week more
    assert batches == [saturday, saturday + week, saturday + week + 10, saturday + 2 * week]
    assert record["window_overruns"] == 0


def test_finish_rule_overruns_instead_of_waiting():
    def edit(data):
        data["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 20,
                            "windows": ["sat 01:00-01:45"], "on_window_close": "finish"}
    record, _ = trace(make_plan(edit), "one-by-one")
    saturday = (5 * 24 + 1) * 60.0
    # db 01:00-01:20, app 01:20, 01:30, 01:40: the last starts inside the window and ends at 01:50
    assert record["started_at_min"] == saturday
    assert record["window_overruns"] == 1 and record["overrun_min"] == pytest.approx(5.0)
    assert record["duration_min"] == 50.0


def test_horizon_reached_leaves_nodes_not_started():
    def edit(data):
        data["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 7, "windows": ["sat 01:00-01:15"]}
    record, _ = trace(make_plan(edit), "one-by-one")
    assert record["horizon_exceeded"] and not record["completed"]
    assert record["nodes_not_started"] == 4  # the 20-minute db batch never fits a 15-minute window


def test_offline_migration_takes_the_region_down():
    def edit(data):
        data["migration"] = {"rows": 60000, "rows_per_s": 100}  # 10 minutes
        data["regions"][0]["nodes"]["db"] = 2
        data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]
    record, log = trace(make_plan(edit), "s")
    assert ("eu", "migration_start", 40.0) in log and ("eu", "migration_done", 50.0) in log
    assert record["downtime_min"] == 10.0 and record["migration_min"] == 10.0


def test_failed_transactional_migration_undoes_and_stops():
    def edit(data):
        data["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "restore_min": 15}
    record, log = trace(make_plan(edit), "one-by-one")
    events = [(e, at) for _, e, at in log if e.startswith("migration") or e in ("rollback_triggered", "reverted")]
    fail_at = events[1][1]
    assert events[0] == ("migration_start", 20.0) and 20.0 <= fail_at <= 30.0
    assert events[2] == ("rollback_triggered", pytest.approx(20.0 + 2 * (fail_at - 20.0)))  # undo as long as the work
    assert record["rollback_reason"] == "migration_failed" and record["nodes_not_started"] == 3


@pytest.mark.parametrize(("n", "b", "d"), [(10, 3, 10.0), (7, 7, 12.5), (12, 1, 4.0), (9, 4, 30.0)])
def test_rolling_closed_form(n, b, d):
    record, _ = run_replication(prepare(single_tier(n, d, kind="rolling", batch_size=b)), "s", 1, 0)
    assert record["duration_min"] == pytest.approx(math.ceil(n / b) * d)
    assert record["downtime_min"] == (d if b >= n else 0.0)


@pytest.mark.parametrize(("n", "d"), [(5, 10.0), (40, 33.0)])
def test_big_bang_closed_form(n, d):
    record, _ = run_replication(prepare(single_tier(n, d, kind="big_bang")), "s", 1, 0)
    assert record["duration_min"] == pytest.approx(d)
    assert record["downtime_min"] == pytest.approx(d)


def test_canary_then_rolling_trace():
    def edit(data):
        data["regions"][0]["nodes"] = {"app": 10, "db": 1}
        data["strategies"] = [
            {"name": "roll", "kind": "rolling", "batch_size": 5},
            {"name": "can", "kind": "canary", "fraction": 0.2, "bake_h": 1, "then": "roll"},
        ]
    record, log = trace(make_plan(edit), "can")
    starts = [(node, at) for node, event, at in log if event == "upgrade_start"]
    assert starts[:2] == [("eu/app/001", 0.0), ("eu/app/002", 0.0)]          # canary: 20% of app
    assert ("rollout", "bake_start", 10.0) in log and ("rollout", "canary_passed", 70.0) in log
    assert ("eu/db/001", 70.0) in starts                                     # then db first
    assert record["duration_min"] == 70 + 20 + 10 + 10 and record["completed"]


def test_blue_green_builds_offline_and_cuts_over():
    def edit(data):
        data["strategies"] = [{"name": "bg", "kind": "blue_green", "cutover_min": 5, "keep_blue_h": 1}]
    record, log = trace(make_plan(edit), "bg")
    assert ("eu", "cutover_start", 20.0) in log and ("eu", "cutover_done", 25.0) in log
    assert record["downtime_min"] == 5.0 and record["duration_min"] == 25.0
    assert record["extra_node_hours"] == pytest.approx(4 * (25 + 60) / 60)


def test_defect_caught_by_canary_gate():
    def edit(data):
        data["release"].update(defect_prob=1.0, defect_error_pct=1, defect_manifest_h=0.5)
        data["regions"][0]["nodes"] = {"app": 10, "db": 1}
        data["strategies"] = [
            {"name": "roll", "kind": "rolling", "batch_size": 5},
            {"name": "can", "kind": "canary", "fraction": 0.2, "bake_h": 2, "then": "roll"},
        ]
    record, log = trace(make_plan(edit), "can")
    assert ("release", "defect_manifest", 40.0) in log  # exposed at 10, manifests 30 minutes later
    assert record["rollback_reason"] == "canary_gate" and record["nodes_rolled_back"] == 2
    assert not record["defect_shipped"]


def test_defect_trips_error_rate_trigger():
    def edit(data):
        data["release"].update(defect_prob=1.0, defect_error_pct=50, defect_manifest_h=0.25)
        data["rollback"]["error_rate_pct"] = 5
    record, log = trace(make_plan(edit), "one-by-one")
    assert ("rollout", "rollback_triggered", 45.0) in log  # app/001 upgraded at 30, +15 min
    assert record["rollback_reason"] == "error_rate"


def _one_tier(d, *, n=2, upgrade=40, **tier):
    d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
    d["regions"][0]["nodes"] = {"app": n}
    d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": upgrade, "rollback_min": 10, **tier}}
    d["rollback"] = {}


def test_window_overrun_of_a_batch_triggers_and_reverts_in_batches():
    def edit(d):
        _one_tier(d)
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T01:00:00"}]
        d["calendar"]["on_window_close"] = "finish"
        d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]
        d["rollback"] = {"window_overrun_min": 5}
    record, log = trace(make_plan(edit), "s")
    assert log == [
        ("eu", "batch_start", 0.0), ("eu/app/001", "upgrade_start", 0.0), ("eu/app/001", "upgrade_done", 40.0),
        ("eu", "batch_start", 40.0), ("eu/app/002", "upgrade_start", 40.0), ("eu/app/002", "upgrade_done", 80.0),
        ("eu", "window_overrun", 80.0), ("rollout", "rollback_triggered", 80.0),
        ("eu/app/001", "revert_start", 80.0), ("eu/app/001", "reverted", 90.0),
        ("eu/app/002", "revert_start", 90.0), ("eu/app/002", "reverted", 100.0)]
    assert (record["rollback_reason"], record["window_overruns"], record["overrun_min"]) == ("window_overrun", 1, 20.0)
    assert (record["duration_min"], record["nodes_rolled_back"], record["nodes_upgraded"]) == (100.0, 2, 0)
    # 19 minutes over is within the limit: no rollback
    def lenient(d):
        edit(d)
        d["rollback"] = {"window_overrun_min": 25}
    record, _ = trace(make_plan(lenient), "s")
    assert not record["rolled_back"] and record["overrun_min"] == 20.0 and record["nodes_upgraded"] == 2


def test_parallel_run_mismatch_when_the_defect_shows_during_the_run():
    def edit(d):
        _one_tier(d, upgrade=10)
        d["release"].update({"defect_prob": 1.0, "defect_manifest_h": 1})
        d["strategies"] = [{"name": "p", "kind": "parallel_run", "run_days": 0.5, "cutover_min": 5}]
    record, log = trace(make_plan(edit), "p")
    assert log == [
        ("eu/app/001", "build_start", 0.0), ("eu/app/002", "build_start", 0.0),
        ("eu/app/001", "build_done", 10.0), ("eu/app/002", "build_done", 10.0),
        ("rollout", "parallel_run_start", 10.0), ("rollout", "bake_start", 10.0),
        ("release", "defect_manifest", 70.0), ("rollout", "rollback_triggered", 730.0)]
    # nothing was cut over, so nothing switches back and no region goes down
    assert (record["rollback_reason"], record["duration_min"], record["downtime_min"]) == (
        "parallel_run_mismatch", 730.0, 0.0)
    assert record["extra_node_hours"] == pytest.approx(2 * 730 / 60)  # the second stack held from 0 to 730
    assert (record["nodes_rolled_back"], record["nodes_upgraded"], record["defect_shipped"]) == (2, 0, False)


def test_a_new_stack_that_fails_to_build_rolls_back_without_an_outage():
    def edit(d):
        _one_tier(d, upgrade=10, detect_min=5, failure_prob=1.0)
        d["strategies"] = [{"name": "b", "kind": "blue_green", "cutover_min": 5, "keep_blue_h": 1}]
    record, log = trace(make_plan(edit), "b")
    assert log == [
        ("eu/app/001", "build_start", 0.0), ("eu/app/002", "build_start", 0.0),
        ("eu/app/001", "build_failed", 10.0), ("eu/app/002", "build_failed", 10.0),
        ("rollout", "rollback_triggered", 25.0)]  # failed at 10, noticed 5 later, torn down in 10
    assert (record["rollback_reason"], record["duration_min"], record["downtime_min"]) == ("new_stack_failed", 25.0, 0.0)
    assert (record["nodes_failed"], record["nodes_final_failed"], record["nodes_upgraded"]) == (2, 2, 0)
    assert record["extra_node_hours"] == pytest.approx(2 * 25 / 60)


def test_cost_counts_second_stack_and_rollback_node_hours_at_the_plan_prices():
    def overrun(d, prices):
        _one_tier(d)
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T01:00:00"}]
        d["calendar"]["on_window_close"] = "finish"
        d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]
        d["rollback"] = {"window_overrun_min": 5}
        if prices:
            d["cost"] = {"currency": "USD", "price_per_node_hour": prices}
    # two nodes reverted for 10 minutes each: 20 node-minutes
    record, _ = trace(make_plan(lambda d: overrun(d, None)), "s")
    assert (record["rollback_node_hours"], record["cost_node_hours"], record["cost"]) == (
        pytest.approx(1 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3))  # no prices: cost in node-hours
    record, _ = trace(make_plan(lambda d: overrun(d, {"app": 3.0})), "s")
    assert record["cost"] == pytest.approx(1.0) and record["extra_node_hours"] == 0.0

    def green(d):
        _one_tier(d, upgrade=10, detect_min=5, failure_prob=1.0)
        d["strategies"] = [{"name": "b", "kind": "blue_green", "cutover_min": 5, "keep_blue_h": 1}]
        d["cost"] = {"price_per_node_hour": {"app": 1.2}}
    record, _ = trace(make_plan(green), "b")  # two green nodes held for 25 minutes, nothing reverted
    assert (record["extra_node_hours"], record["rollback_node_hours"]) == (pytest.approx(50 / 60), 0.0)
    assert record["cost"] == pytest.approx(1.0)


def test_cost_prices_name_known_tiers_and_the_cap_is_checked():
    from upgradesim.errors import PlanError
    from upgradesim.sim.tolerance import LIMITS

    with pytest.raises(PlanError, match=r"cost.price_per_node_hour.ap\(=ap\): unknown tier \(did you mean 'app'\?\)"):
        make_plan(lambda d: d.update(cost={"price_per_node_hour": {"ap": 1.0}}))
    with pytest.raises(PlanError, match=r"price_per_node_hour.app\(=-1\)"):
        make_plan(lambda d: d.update(cost={"price_per_node_hour": {"app": -1}}))
    assert LIMITS["max_cost"] == "cost"
