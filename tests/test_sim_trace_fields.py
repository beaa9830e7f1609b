"""Every field of the event log (issue 13): each event names its region and carries its detail
(attempt number, batch size, overrun minutes, capacity state); the same seed gives the same log;
a rollout resumed from nodes already upgraded (the live forecast) does only the rest; window and
overrun boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from upgradesim.sim import prepare, run_replication
from upgradesim.sim.model import Rollout
from upgradesim.sim.strategies import build_strategy

from .simplans import make_plan


def events(edit, strategy, seed=0):
    return run_replication(prepare(make_plan(edit)), strategy, seed, 0, keep_events=True)


def retries(d):
    d["tiers"]["db"].update(failure_prob=1.0, retries=2)
    d["rollback"]["failed_nodes_per_batch"] = None
    d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 3, "tiers": ["db"]}]


def pairs(d):
    d["regions"][0]["nodes"] = {"app": 4, "db": 1}
    d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 2}]


def test_each_attempt_is_numbered_and_every_event_names_its_region():
    record, log = events(retries, "s")
    node = [(e, at, region, detail) for n, e, at, region, detail in log if n == "eu/db/001"]
    assert node == [
        ("upgrade_start", 0.0, "eu", "1"), ("upgrade_failed", 20.0, "eu", ""), ("failure_detected", 25.0, "eu", ""),
        ("node_rolled_back", 34.0, "eu", ""), ("upgrade_start", 34.0, "eu", "2"), ("upgrade_failed", 54.0, "eu", ""),
        ("failure_detected", 59.0, "eu", ""), ("node_rolled_back", 68.0, "eu", ""), ("upgrade_start", 68.0, "eu", "3"),
        ("upgrade_failed", 88.0, "eu", ""), ("failure_detected", 93.0, "eu", ""), ("node_rolled_back", 102.0, "eu", "")]
    assert record["nodes_failed"] == 3 and record["nodes_final_failed"] == 1 and record["duration_min"] == 102.0
    # the capacity state: out of service while being upgraded or rolled back, erring after a bad upgrade
    capacity = [(at, detail) for n, e, at, _, detail in log if e == "capacity"][:5]
    assert capacity == [(0.0, "servers=15 other=1000.0 down=0 err=0.0"), (0.0, "servers=15 other=0.0 down=1 err=0.0"),
                        (20.0, "servers=15 other=1000.0 down=0 err=1.0"), (25.0, "servers=15 other=0.0 down=1 err=0.0"),
                        (34.0, "servers=15 other=1000.0 down=0 err=0.0")]
    assert log[-2:] == [("rollout", "rollout_complete", 102.0, "", "102.0"), ("rollout", "rollout_end", 102.0, "", "")]


def test_batches_carry_their_size_and_side_by_side_nodes_finish_together():
    record, log = events(pairs, "s")
    assert [(e, at, r, d) for n, e, at, r, d in log if e == "batch_start"] == [
        ("batch_start", 0.0, "eu", "1"), ("batch_start", 20.0, "eu", "2"), ("batch_start", 30.0, "eu", "2")]
    assert [(n, e, at, r, d) for n, e, at, r, d in log if n.startswith("eu/app")] == [
        ("eu/app/001", "upgrade_start", 20.0, "eu", "1"), ("eu/app/002", "upgrade_start", 20.0, "eu", "1"),
        ("eu/app/001", "upgrade_done", 30.0, "eu", ""), ("eu/app/002", "upgrade_done", 30.0, "eu", ""),
        ("eu/app/003", "upgrade_start", 30.0, "eu", "1"), ("eu/app/004", "upgrade_start", 30.0, "eu", "1"),
        ("eu/app/003", "upgrade_done", 40.0, "eu", ""), ("eu/app/004", "upgrade_done", 40.0, "eu", "")]
    assert record["duration_min"] == 40.0 and record["nodes_upgraded"] == 5


def test_nodes_of_one_batch_finish_in_order_of_their_durations():
    def edit(d):
        pairs(d)
        d["tiers"]["app"]["upgrade_min"] = {"dist": "triangular", "low": 5, "mode": 10, "high": 15}
    _, log = events(edit, "s", seed=3)
    done = [(n, at) for n, e, at, _, _ in log if e == "upgrade_done" and n.startswith("eu/app")]
    first = [at for n, e, at, _, _ in log if e == "upgrade_start" and n == "eu/app/001"][0]
    assert [at for _, at in done[:2]] == sorted(at for _, at in done[:2]) and done[0][1] > first
    starts = [at for n, e, at, _, _ in log if e == "batch_start"]
    assert starts[2] == max(at for _, at in done[:2])  # the next batch waits for the slower node


@pytest.mark.parametrize("strategy, edit", [("s", retries), ("s", pairs)])
def test_the_same_seed_gives_the_same_log_and_another_seed_may_not(strategy, edit):
    def noisy(d):
        edit(d)
        d["tiers"]["app"]["upgrade_min"] = {"dist": "triangular", "low": 5, "mode": 10, "high": 15}
        d["tiers"]["db"]["upgrade_min"] = {"dist": "triangular", "low": 15, "mode": 20, "high": 25}
    a, b, c = events(noisy, strategy, 7), events(noisy, strategy, 7), events(noisy, strategy, 8)
    assert a == b and a[1] != c[1]


def _resumed(edit, done, strategy="s", capacity=None):
    prep = prepare(make_plan(edit))
    ro = Rollout(prep, build_strategy(prep.plan, strategy), np.random.SeedSequence(0, spawn_key=(0,)),
                 keep_events=True, done=frozenset(done))
    record = ro.run()
    if capacity is not None:
        capacity.extend((at, d) for _, e, at, _, d in ro.events if e == "capacity")
    return record, [(n, e, at) for n, e, at, _, _ in ro.events if e not in ("capacity", "rollout_complete", "rollout_end")]


def test_a_resumed_rollout_upgrades_only_the_rest():
    capacity = []
    record, log = _resumed(pairs, {0, 1}, capacity=capacity)  # eu/app/001 and 002 were upgraded before
    # 2 new + 2 old app nodes serve from the start (5 servers each); the db node goes out first
    assert capacity[:2] == [(0.0, "servers=20 other=1000.0 down=0 err=0.0"), (0.0, "servers=20 other=0.0 down=1 err=0.0")]
    assert log == [("eu", "batch_start", 0.0), ("eu/db/001", "upgrade_start", 0.0), ("eu/db/001", "upgrade_done", 20.0),
                   ("eu", "batch_start", 20.0), ("eu/app/003", "upgrade_start", 20.0),
                   ("eu/app/004", "upgrade_start", 20.0), ("eu/app/003", "upgrade_done", 30.0),
                   ("eu/app/004", "upgrade_done", 30.0)]
    assert (record["nodes_upgraded"], record["nodes_not_started"], record["duration_min"]) == (5, 0, 30.0)
    assert record["downtime_min"] == 20.0 and record["completed"]


def test_a_resumed_region_whose_database_is_done_has_migrated():
    def edit(d):
        pairs(d)
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "restore_min": 15}
    _, log = _resumed(edit, {4})  # the db node: already upgraded, so already migrated
    assert not any(e.startswith("migration") for _, e, _ in log)
    assert log[:2] == [("eu", "batch_start", 0.0), ("eu/app/001", "upgrade_start", 0.0)]
    _, fresh = _resumed(edit, {0})
    assert [(e, at) for _, e, at in fresh if e.startswith("migration")] == [("migration_start", 20.0),
                                                                           ("migration_done", 30.0)]
    def failing(d):
        edit(d)
        d["tiers"]["app"]["failure_prob"] = 1.0
    record, log = _resumed(failing, {4})  # a rollback restores the schema the earlier work migrated
    assert ("eu", "schema_restore", 22.0) in log and record["rolled_back"]
    assert log[-2:] == [("eu/db/001", "revert_start", 37.0), ("eu/db/001", "reverted", 46.0)]
    assert record["downtime_min"] == 15.0 + 9.0  # the restore, then the earlier-upgraded db node reverting


def _window(d, minutes, overrun_limit):
    d["regions"][0]["nodes"] = {"app": 1, "db": 0}
    d["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 7,
                     "one_off_windows": [{"start": "2027-03-01T00:00:00", "end": f"2027-03-01T00:{minutes:02d}:00"}]}
    d["rollback"]["window_overrun_min"] = overrun_limit
    d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]


@pytest.mark.parametrize("window, limit, overruns, rolled_back", [
    (10, 0.5, 0, False),  # ends exactly at the window's end: no overrun
    (9, 1, 1, False),   # one minute over, limit one: not more than the limit
    (8, 1, 1, True),    # two minutes over a limit of one: rollback
])
def test_overrun_boundaries(window, limit, overruns, rolled_back):
    def edit(d):
        _window(d, window, limit)
        d["calendar"]["on_window_close"] = "finish"
    record, log = events(edit, "s")
    assert record["window_overruns"] == overruns and record["rolled_back"] == rolled_back
    assert record["overrun_min"] == pytest.approx(max(0, 10 - window))
    over = [(r, d) for n, e, at, r, d in log if e == "window_overrun"]
    assert over == ([("eu", repr(float(10 - window)))] if overruns else [])
    if rolled_back:
        assert record["rollback_reason"] == "window_overrun"


def test_the_horizon_is_logged_once_with_its_region():
    def edit(d):
        d["regions"].append({**d["regions"][0], "name": "us"})
        d["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 7, "windows": ["sat 01:00-01:15"]}
    record, log = events(edit, "one-by-one")
    assert [(n, e, r) for n, e, at, r, d in log if e == "horizon_reached"] == [("eu", "horizon_reached", "eu")]
    assert record["horizon_exceeded"] and record["nodes_not_started"] == 8


def test_a_defect_manifests_once_after_exposure_and_errs_on_the_new_nodes():
    """The release meets traffic when the first app node is back (30); the defect shows 15 minutes
    later (45): from then the new nodes err at 10%, with every serving app node new: 10 rps x 10% x 5 min."""
    def edit(d):
        d["release"].update(defect_prob=1.0, defect_error_pct=10, defect_manifest_h=0.25)
        d["rollback"]["error_rate_pct"] = None
    record, log = events(edit, "one-by-one")
    assert [(n, e, at) for n, e, at, _, _ in log if n == "release"] == [("release", "defect_present", 0.0),
                                                                        ("release", "defect_manifest", 45.0)]
    errs = [(at, d.split("err=")[1]) for n, e, at, _, d in log if e == "capacity" and at >= 40]
    assert [(at, float(err)) for at, err in errs] == [(40.0, 0.0), (40.0, 0.0), (45.0, 0.1), (50.0, pytest.approx(0.1))]
    assert record["error_requests"] == pytest.approx(300.0) and record["defect_shipped"]


def test_blue_green_holds_the_second_stack_per_tier():
    def edit(d):
        d["strategies"] = [{"name": "bg", "kind": "blue_green", "cutover_min": 5, "keep_blue_h": 1}]
    record, log = events(edit, "bg")
    assert [(n, at, r, d) for n, e, at, r, d in log if e == "second_stack"] == [
        ("rollout", 25.0, "", "nodes=4 since=0.0 app=3 db=1"), ("rollout", 85.0, "", "nodes=4 since=25.0 app=3 db=1")]
    assert record["extra_node_hours"] == pytest.approx(4 * 85 / 60)


@pytest.mark.parametrize("limit, rolled_back", [(4, True), (5, False)])
def test_a_big_bang_counts_the_failures_of_every_tier_group(limit, rolled_back):
    """db (1) then app (3) fail in one big-bang batch: 4 failures, against the per-batch limit."""
    def edit(d):
        d["tiers"]["db"]["failure_prob"] = d["tiers"]["app"]["failure_prob"] = 1.0
        d["rollback"] = {"failed_nodes_per_batch": limit}
    record, _ = events(edit, "bang")
    assert record["nodes_failed"] == 4 and record["rolled_back"] == rolled_back
    assert record["rollback_reason"] == ("failed_nodes" if rolled_back else "")
    assert record["downtime_min"] == 56.0  # db 20 + detect 5 + rollback 9, then app 10 + 5 + 7


def test_a_region_without_the_first_tier_group_still_upgrades_the_next():
    def edit(d):
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"app": 2}, "traffic": {"hourly_rps": [10] * 24}})
    record, log = events(edit, "bang")
    assert [(n, e, at) for n, e, at, _, _ in log if n.startswith("us") and e != "capacity"] == [
        ("us", "batch_start", 0.0), ("us/app/001", "upgrade_start", 0.0), ("us/app/002", "upgrade_start", 0.0),
        ("us/app/001", "upgrade_done", 10.0), ("us/app/002", "upgrade_done", 10.0)]
    assert record["nodes_upgraded"] == 6


def test_no_bake_when_its_hours_are_zero():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 10, "db": 1}
        d["strategies"] = [{"name": "roll", "kind": "rolling", "batch_size": 5},
                           {"name": "can", "kind": "canary", "fraction": 0.2, "bake_h": 0, "then": "roll"},
                           {"name": "can2", "kind": "canary", "fraction": 0.2, "bake_h": 0.5, "then": "roll"}]
    _, log = events(edit, "can")
    assert not any(e == "bake_start" for _, e, _, _, _ in log)
    _, log = events(edit, "can2")
    assert [(n, e, at, d) for n, e, at, _, d in log if e == "bake_start"] == [("rollout", "bake_start", 10.0, "0.5h")]


def test_a_retry_that_succeeds():
    def edit(d):
        d["tiers"]["db"].update(failure_prob=0.5, retries=3)
        d["rollback"]["failed_nodes_per_batch"] = None
        d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1, "tiers": ["db"]}]
    record, log = events(edit, "s")  # seed 0: the first attempt fails, the second succeeds
    assert [(e, at, r, d) for n, e, at, r, d in log if n == "eu/db/001"] == [
        ("upgrade_start", 0.0, "eu", "1"), ("upgrade_failed", 20.0, "eu", ""), ("failure_detected", 25.0, "eu", ""),
        ("node_rolled_back", 34.0, "eu", ""), ("upgrade_start", 34.0, "eu", "2"), ("upgrade_done", 54.0, "eu", "")]
    assert (record["nodes_failed"], record["nodes_final_failed"], record["nodes_upgraded"]) == (1, 0, 1)
    assert record["duration_min"] == 54.0 and record["nodes_not_started"] == 3  # the app tier is out of scope


def test_each_region_comes_back_after_its_big_bang():
    """eu's window opens at 00:00, us's at 05:00: each region is down for its own 30 minutes only."""
    def edit(d):
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"app": 3, "db": 1},
                             "traffic": {"hourly_rps": [10] * 24}})
        d["regions"][0]["windows"] = ["mon 00:00-02:00"]
        d["regions"][1]["windows"] = ["mon 05:00-07:00"]
        d["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 7, "windows": ["mon 00:00-07:00"]}
    record, log = events(edit, "bang")
    assert [(n, at) for n, e, at, _, _ in log if e == "batch_start"] == [("eu", 0.0), ("us", 300.0)]
    assert record["downtime_min"] == 60.0 and record["duration_min"] == 330.0


def test_events_are_kept_only_when_asked():
    record, log = run_replication(prepare(make_plan()), "one-by-one", 0, 0)
    assert log == [] and record["completed"]
