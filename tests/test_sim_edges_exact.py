"""Edges of the rollout record (issue 13): a rollout shorter than a minute keeps its length, a
defect ships with a single upgraded node, a failed node that is rolled back alone serves errors
until detected and is downtime while it rolls back."""

from __future__ import annotations

import numpy as np
import pytest

from upgradesim.sim import prepare, run_replication
from upgradesim.sim.model import Rollout
from upgradesim.sim.strategies import build_strategy

from .simplans import make_plan
from .test_sim_triggers_exact import run

NO_TRIGGERS = {"failed_nodes_per_batch": None, "error_rate_pct": None, "sla_breach_min": None,
               "window_overrun_min": None}  # no rollback trigger armed


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
        d["rollback"] = dict(NO_TRIGGERS)
    record, log, _ = run(edit)
    assert (record["downtime_min"], record["duration_min"], record["completed"], record["rolled_back"]) == (
        29.0, 64.0, False, False)
    assert log[:5] == [("eu", "batch_start", 0.0), ("eu/db/001", "upgrade_start", 0.0),
                       ("eu/db/001", "upgrade_failed", 20.0), ("eu/db/001", "failure_detected", 25.0),
                       ("eu/db/001", "node_rolled_back", 34.0)]


def _capacity(events, region):
    return [e[4] for e in events if e[1] == "capacity" and e[0] == region]


def test_other_tiers_exactly_at_the_peak_breach():
    """A db of 30 rps for a flat 30 rps: a queue at 100% breaches, so the region is never 'safe':
    while the app nodes upgrade one by one (30 min) every minute breaches; the db's own 20 minutes
    out are downtime."""
    def edit(d):
        d["regions"][0]["traffic"] = {"hourly_rps": [30] * 24}
        d["tiers"]["db"]["capacity_rps"] = 30
        d["rollback"]["failed_nodes_per_batch"] = None
    record, _, _ = run(edit)
    assert (record["sla_breach_min"], record["duration_min"], record["downtime_min"]) == (30.0, 50.0, 20.0)


def test_a_region_without_the_bottleneck_tier_has_no_servers():
    def edit(d):
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"db": 1}, "traffic": {"hourly_rps": [10] * 24}})
    _, _, events = run(edit)
    assert _capacity(events, "us")[:2] == ["servers=0 other=1000.0 down=0 err=0.0", "servers=0 other=0.0 down=1 err=0.0"]


def test_new_version_nodes_of_other_tiers_count_at_the_overhead_factor():
    """+25% CPU: an upgraded db node serves 1000 / 1.25 = 800 rps; an upgraded app node 4 of its 5 servers."""
    def edit(d):
        d["release"]["overheads"] = {"cpu_pct": 25}
    _, _, events = run(edit)
    assert _capacity(events, "eu")[2:4] == ["servers=15 other=800.0 down=0 err=0.0", "servers=10 other=800.0 down=0 err=0.0"]


def test_no_demand_no_error_rate():
    def edit(d):
        d["regions"][0]["traffic"] = {"hourly_rps": [0] * 24}
        d["tiers"]["app"]["failure_prob"] = 1.0
        d["rollback"] = dict(NO_TRIGGERS)
    record, _, _ = run(edit)
    assert record["max_error_rate_pct"] == 0.0


def test_a_down_region_is_left_out_of_the_fleet_error_rate_and_the_others_still_count():
    """At minute 10 "a-eu" is down (its only db node upgrading) and one us web node of four fails:
    the fleet rate is us's own 25%, not 0 (the down region is skipped, not the end of the sum)."""
    def edit(d):
        d["components"].append({"name": "web", "tier": "web", "product": "shop", "version": "1"})
        d["tiers"]["web"] = {"capacity_rps": 100, "upgrade_min": 10, "detect_min": 5, "rollback_min": 7,
                             "failure_prob": 1.0}
        d["regions"][0]["name"] = "a-eu"
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"web": 4}, "traffic": {"hourly_rps": [10] * 24}})
        d["rollback"] = dict(NO_TRIGGERS)
    record, log, _ = run(edit)
    assert record["max_error_rate_pct"] == 25.0
    assert log[3:5] == [("us/web/001", "upgrade_start", 0.0), ("us/web/001", "upgrade_failed", 10.0)]


def _failing_past_the_table(d):
    """A one-day horizon (528 tabled hours with the three weeks beyond) and an app node failing at 40020."""
    d["calendar"]["horizon_days"] = 1
    d["regions"][0]["nodes"] = {"app": 2, "db": 1}
    d["tiers"]["app"].update(upgrade_min=40000, failure_prob=1.0)
    d["rollback"] = dict(NO_TRIGGERS)


def test_a_failure_past_the_demand_table_uses_its_last_hour():
    """Demand is tabled for the horizon plus three weeks (528 hours here); a node failing at minute
    40020 is weighed by the last hour's demand."""
    record, log, _ = run(_failing_past_the_table)
    assert record["max_error_rate_pct"] == 50.0 and ("eu/app/001", "upgrade_failed", 40020.0) in log


def test_a_migration_may_start_within_the_first_minute():
    def edit(d):
        d["tiers"]["db"]["upgrade_min"] = 0.5
        d["migration"] = {"rows": 6000, "rows_per_s": 100}
    _, log, _ = run(edit)
    assert [e for e in log if e[1].startswith("migration")] == [("eu", "migration_start", 0.5),
                                                                  ("eu", "migration_done", 1.5)]


def test_a_new_stack_migrates_offline_without_downtime():
    """Blue-green: the new stack's schema migration (10 min, offline) blocks no one; the 5 minutes
    of downtime are the cut-over's."""
    def edit(d):
        d["strategies"].append({"name": "bg", "kind": "blue_green"})
        d["migration"] = {"rows": 60000, "rows_per_s": 100}
    record, log, _ = run(edit, "bg")
    assert (record["downtime_min"], record["duration_min"]) == (5.0, 35.0)
    assert [e for e in log if e[1].startswith("migration")] == [("eu", "migration_start", 20.0),
                                                                  ("eu", "migration_done", 30.0)]


def test_a_blocking_phase_under_a_minute_still_blocks():
    def edit(d):
        d["migration"] = {"rows": 1, "rows_per_s": 1, "phases": [{"minutes": 10, "blocking": False},
                                                                   {"minutes": 0.5, "blocking": True}]}
    record, _, _ = run(edit)
    assert (record["downtime_min"], record["duration_min"]) == (20.5, 60.5)


def test_a_retry_after_a_failed_attempt_takes_the_node_out_again_and_succeeds():
    """Seed 5 fails the db node's first attempt (of three) and not its second: out 0-20, erring
    (serving) 20-25, out while it rolls back 25-34, out again for the retry 34-54, then on the new
    version at the overhead factor (800 rps). A node that made it is no failed node: no rollback
    at failed_nodes_per_batch=1."""
    def edit(d):
        d["tiers"]["db"].update(failure_prob=0.5, retries=2)
        d["rollback"] = {"failed_nodes_per_batch": 1, "error_rate_pct": None, "sla_breach_min": None,
                         "window_overrun_min": None}
        d["release"]["overheads"] = {"cpu_pct": 25}
    record, events = run_replication(prepare(make_plan(edit)), "one-by-one", 5, 0, keep_events=True)
    assert [e[1:] for e in events[8:14]] == [
        ("capacity", 34.0, "eu", "servers=15 other=1000.0 down=0 err=0.0"), ("node_rolled_back", 34.0, "eu", ""),
        ("capacity", 34.0, "eu", "servers=15 other=0.0 down=1 err=0.0"), ("upgrade_start", 34.0, "eu", "2"),
        ("capacity", 54.0, "eu", "servers=15 other=800.0 down=0 err=0.0"), ("upgrade_done", 54.0, "eu", "")]
    assert {k: record[k] for k in ("downtime_min", "duration_min", "rolled_back", "nodes_failed", "completed")} == {
        "downtime_min": 49.0, "duration_min": 84.0, "rolled_back": False, "nodes_failed": 1, "completed": True}


def test_tiers_upgraded_side_by_side_finish_in_groups_of_the_same_instant():
    """A simultaneous big bang of two app nodes (10 min) and the db node (20 min): the two app
    nodes come back in one change at 10 (one capacity line), the db at 20; the region is down
    while any tier has no node serving, so for all 20 minutes."""
    def edit(d):
        d["components"][1].pop("depends_on")
        d["regions"][0]["nodes"] = {"app": 2, "db": 1}
        d["strategies"].append({"name": "sim", "kind": "big_bang", "sequencing": "simultaneous"})
    record, _, events = run(edit, "sim")
    assert (record["downtime_min"], record["duration_min"]) == (20.0, 20.0)
    assert [e[:5] for e in events if e[2] > 0] == [
        ("eu", "capacity", 10.0, "eu", "servers=10 other=0.0 down=1 err=0.0"),
        ("eu/app/001", "upgrade_done", 10.0, "eu", ""), ("eu/app/002", "upgrade_done", 10.0, "eu", ""),
        ("eu", "capacity", 20.0, "eu", "servers=10 other=1000.0 down=1 err=0.0"),
        ("eu/db/001", "upgrade_done", 20.0, "eu", ""),
        ("eu", "capacity", 20.0, "eu", "servers=10 other=1000.0 down=0 err=0.0"),
        ("rollout", "rollout_complete", 20.0, "", "20.0"), ("rollout", "rollout_end", 20.0, "", "")]


def test_a_tier_with_no_nodes_in_a_region_is_no_capacity_limit_there():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 3, "db": 0}
    record, _, events = run(edit)
    assert _capacity(events, "eu")[:2] == ["servers=15 other=inf down=0 err=0.0", "servers=10 other=inf down=0 err=0.0"]
    assert (record["downtime_min"], record["sla_breach_min"]) == (0.0, 0.0)


def test_a_defect_manifests_once_after_the_first_exposure():
    """The first app node serves the new version at 30 (after the db's 20 and its own 10); the
    defect shows 0.1 h = 6 min later, once, however many nodes follow."""
    def edit(d):
        d["release"].update(defect_prob=1.0, defect_tiers=["app"],
                            defect_manifest_h={"dist": "fixed", "value": 0.1})
        d["rollback"] = dict(NO_TRIGGERS)
    record, _, events = run(edit)
    assert [e[:3] for e in events if e[1].startswith("defect")] == [("release", "defect_present", 0.0),
                                                                    ("release", "defect_manifest", 36.0)]
    assert record["max_error_rate_pct"] == pytest.approx(20.0)


def test_a_defect_is_not_shipped_when_no_node_was_upgraded():
    def edit(d):
        d["tiers"]["app"]["failure_prob"] = 1.0
        d["tiers"]["db"]["failure_prob"] = 1.0
        d["release"].update(defect_prob=1.0)
        d["rollback"] = dict(NO_TRIGGERS)
    record, _, _ = run(edit)
    assert (record["defect_shipped"], record["completed"], record["rolled_back"], record["nodes_failed"]) == (
        False, False, False, 4)


def test_a_rollout_under_way_starts_from_its_upgraded_nodes_and_reverts_them():
    """A forecast's Rollout with the db node already upgraded (800 rps at +25% CPU): the app node
    fails, the rollback reverts the db node (out 22-31). The db is no defect tier: nothing is
    exposed before an app node serves the new version (none does), so the defect never shows."""
    def edit(d):
        d["release"]["overheads"] = {"cpu_pct": 25}
        d["release"].update(defect_prob=1.0, defect_tiers=["app"], defect_manifest_h={"dist": "fixed", "value": 0.1})
        d["tiers"]["app"]["failure_prob"] = 1.0
    plan = make_plan(edit)
    prep = prepare(plan)
    db = frozenset(s.k for s in prep.nodes if s.tier == "db")
    rollout = Rollout(prep, build_strategy(plan, "one-by-one"), np.random.SeedSequence(0), keep_events=True, done=db)
    record = rollout.run()
    assert [e[1:] for e in rollout.events if e[1] == "capacity"] == [
        ("capacity", t, "eu", f"servers={s} other={o} down={d} err={x}") for t, s, o, d, x in [
            (0.0, 15, 800.0, 0, 0.0), (0.0, 10, 800.0, 0, 0.0), (10.0, 15, 800.0, 0, 0.3333333333333333),
            (15.0, 10, 800.0, 0, 0.0), (22.0, 15, 800.0, 0, 0.0), (22.0, 15, 0.0, 1, 0.0), (31.0, 15, 1000.0, 0, 0.0)]]
    assert not any(e[1] == "defect_manifest" for e in rollout.events)
    assert {k: record[k] for k in ("downtime_min", "duration_min", "rolled_back", "nodes_rolled_back")} == {
        "downtime_min": 9.0, "duration_min": 31.0, "rolled_back": True, "nodes_rolled_back": 1}


def test_a_region_is_down_while_any_tier_is_empty():
    """Rolling, tiers side by side, whole tiers per batch: app (0-10) and db (0-20) are both out;
    when app serves again the region stays down until db does (no outage is forced here)."""
    def edit(d):
        d["components"][1].pop("depends_on")
        d["regions"][0]["nodes"] = {"app": 2, "db": 1}
        d["strategies"].append({"name": "sim", "kind": "rolling", "batch_size": 2, "sequencing": "simultaneous"})
    record, log, _ = run(edit, "sim")
    assert (record["downtime_min"], record["duration_min"]) == (20.0, 20.0)
    assert log[5:8] == [("eu/app/001", "upgrade_done", 10.0), ("eu/app/002", "upgrade_done", 10.0),
                        ("eu/db/001", "upgrade_done", 20.0)]


def test_past_the_demand_table_the_last_hour_weighs_the_regions():
    """At minute 40020 (past the 528 tabled hours) the last tabled hour is 23:00, when eu serves
    30 rps against us's 10: eu's failing app node (half of its app) errs on 50% x 30 / 40 = 37.5%
    of the fleet's requests (at 22:00 it would be 25%)."""
    def edit(d):
        _failing_past_the_table(d)
        d["components"].append({"name": "web", "tier": "web", "product": "shop", "version": "1"})
        d["tiers"]["web"] = {"capacity_rps": 100, "upgrade_min": 10}
        d["regions"][0]["traffic"] = {"hourly_rps": [10] * 23 + [30]}
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"web": 2}, "traffic": {"hourly_rps": [10] * 24}})
    record, log, _ = run(edit)
    assert record["max_error_rate_pct"] == 37.5 and ("eu/app/001", "upgrade_failed", 40020.0) in log


def test_a_tier_another_region_has_is_no_limit_where_this_region_has_none_of_it():
    """eu has no db node, us has one: db is a tier of the rollout, yet eu's capacity is its app's alone."""
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 3, "db": 0}
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"app": 1, "db": 1},
                             "traffic": {"hourly_rps": [10] * 24}})
    _, _, events = run(edit)
    assert _capacity(events, "eu")[:2] == ["servers=15 other=inf down=0 err=0.0", "servers=10 other=inf down=0 err=0.0"]
