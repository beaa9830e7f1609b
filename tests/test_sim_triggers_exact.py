"""The error-rate and SLA triggers and the fleet error rate, exactly (issue 13): thresholds are
strict, the fleet rate weighs regions by demand, the SLA alarm fires when the breach minutes reach
the limit, a defect errs only on the tiers of the upgraded product."""

from __future__ import annotations

import pytest

from upgradesim.sim import prepare, run_replication

from .simplans import make_plan

QUIET = {"capacity", "rollout_end", "second_stack", "defect_present", "horizon_reached"}


def run(edit, strategy="one-by-one"):
    record, events = run_replication(prepare(make_plan(edit)), strategy, 0, 0, keep_events=True)
    return record, [e[:3] for e in events if e[1] not in QUIET], events


def failing_app(limit):
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 4, "db": 1}
        d["tiers"]["app"]["failure_prob"] = 1.0
        d["rollback"] = {"failed_nodes_per_batch": None, "error_rate_pct": limit}
    return edit


def test_the_error_rate_limit_is_strict():
    """One failed app node of four errs on a quarter of the requests: 25%."""
    record, log, _ = run(failing_app(25))
    assert not record["rolled_back"] and record["max_error_rate_pct"] == 25.0
    record, log, _ = run(failing_app(24.9))
    assert record["rollback_reason"] == "error_rate" and ("rollout", "rollback_triggered", 30.0) in log
    assert log.index(("eu/app/001", "upgrade_failed", 30.0)) < log.index(("rollout", "rollback_triggered", 30.0))


def test_the_fleet_error_rate_weighs_regions_by_demand():
    """eu (30 rps) has a failing app node of four (25%); us (10 rps) upgrades another tier cleanly:
    the fleet errs on 25% x 30 / 40 = 18.75% of its requests."""
    def edit(d):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"},
                           {"name": "web", "tier": "web", "product": "shop", "version": "1"}]
        d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10, "detect_min": 5, "rollback_min": 7,
                              "failure_prob": 1.0},
                      "web": {"capacity_rps": 100, "upgrade_min": 10}}
        d["regions"] = [{"name": "eu", "tz": "UTC", "nodes": {"app": 4}, "traffic": {"hourly_rps": [30] * 24}},
                        {"name": "us", "tz": "UTC", "nodes": {"web": 4}, "traffic": {"hourly_rps": [10] * 24}}]
        d["rollback"] = {"failed_nodes_per_batch": None, "error_rate_pct": 18.7}
        d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]
    record, log, _ = run(edit, "s")
    assert record["max_error_rate_pct"] == pytest.approx(18.75) and record["rollback_reason"] == "error_rate"
    assert ("rollout", "rollback_triggered", 10.0) in log


@pytest.mark.parametrize("limit, at, breach", [(5, 25.0, 17.0), (10.5, 30.5, 34.0)])
def test_the_sla_alarm_fires_when_the_breach_reaches_the_limit(limit, at, breach):
    """Two app nodes of 100 rps for 150 rps: with one out from minute 20 the region breaches its p95
    target (the db node's own upgrade, 0-20, is downtime, not breach)."""
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 2, "db": 1}
        d["regions"][0]["traffic"] = {"hourly_rps": [150] * 24}
        d["rollback"] = {"failed_nodes_per_batch": None, "sla_breach_min": limit}
    record, log, _ = run(edit)
    assert [e for e in log if e[1] == "rollback_triggered"] == [("rollout", "rollback_triggered", at)]
    assert record["rollback_reason"] == "sla_breach" and record["sla_breach_min"] == pytest.approx(breach)


def test_no_sla_alarm_without_a_limit_or_a_breach():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 2, "db": 1}
        d["regions"][0]["traffic"] = {"hourly_rps": [150] * 24}
        d["rollback"] = {"failed_nodes_per_batch": None}
    record, _, _ = run(edit)
    assert not record["rolled_back"] and record["sla_breach_min"] == pytest.approx(20.0)  # measured, not acted on
    def calm(d):
        d["rollback"] = {"failed_nodes_per_batch": None, "sla_breach_min": 1}
    record, _, _ = run(calm)
    assert not record["rolled_back"] and record["sla_breach_min"] == 0.0


def test_a_defect_errs_only_on_the_upgraded_products_tiers():
    """At minute 36 app/001 is new, app/002 out, app/003 old: the app tier errs on half its share
    (10% / 2 serving); the new db node (another product) does not err."""
    def edit(d):
        d["release"].update(defect_prob=1.0, defect_error_pct=10, defect_manifest_h=0.1)
        d["rollback"]["error_rate_pct"] = None
    record, log, events = run(edit)
    assert ("release", "defect_manifest", 36.0) in log
    at_manifest = [e[4] for e in events if e[1] == "capacity" and e[2] == 36.0]
    assert at_manifest == ["servers=10 other=1000.0 down=0 err=0.05"]
    assert record["max_error_rate_pct"] == pytest.approx(10.0)


def test_the_fleet_error_rate_is_judged_when_a_node_gains_an_error_share():
    """eu's app/001 fails at 10 and errs (half of eu's app) until detected at 40: with us serving as
    much, the fleet errs on 25%. us goes down at 15 (its db upgrading) — no node gained an error
    share then, so the rate is not judged again: the peak recorded stays 25%, not the 50% that eu
    alone would show until 35 (see the note on check_error_rate)."""
    def edit(d):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"},
                           {"name": "web", "tier": "web", "product": "shop", "version": "1"},
                           {"name": "db", "tier": "db", "product": "postgresql", "version": "12"}]
        d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10, "detect_min": 30, "rollback_min": 7,
                              "failure_prob": 1.0},
                      "web": {"capacity_rps": 100, "upgrade_min": 7.5},
                      "db": {"capacity_rps": 1000, "upgrade_min": 20, "after": ["web"]}}
        d["regions"] = [{"name": "eu", "tz": "UTC", "nodes": {"app": 2}, "traffic": {"hourly_rps": [10] * 24}},
                        {"name": "us", "tz": "UTC", "nodes": {"web": 2, "db": 1}, "traffic": {"hourly_rps": [10] * 24}}]
        d["rollback"] = {"failed_nodes_per_batch": None, "error_rate_pct": None, "sla_breach_min": None,
                         "window_overrun_min": None}
    record, log, _ = run(edit)
    assert record["max_error_rate_pct"] == 25.0
    assert log[7:11] == [("eu/app/001", "upgrade_failed", 10.0), ("us/web/002", "upgrade_done", 15.0),
                         ("us", "batch_start", 15.0), ("us/db/001", "upgrade_start", 15.0)]
