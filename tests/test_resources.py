"""Memory and storage in readiness (issue 18.5): per node after the upgrade, with the migration's
rewrite scratch, and the second copy a blue-green or parallel run holds."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.simplans import make_plan
from upgradesim.errors import PlanError
from upgradesim.readiness.resources import check_resources
from upgradesim.store import Store


def plan_with(app=None, db=None, overheads=None, strategy=None, free=None, migration=None):
    def edit(data):
        data["release"]["overheads"] = overheads or {"memory_mb_per_node": 1024, "storage_gb": 50}
        if app is not None:
            data["tiers"]["app"]["resources"] = app
        if db is not None:
            data["tiers"]["db"]["resources"] = db
        if strategy is not None:
            data["strategies"].append(strategy)
            data["chosen_strategy"] = strategy["name"]
        if free is not None:
            data["regions"][0]["storage_free_gb"] = free
        if migration is not None:
            data["migration"] = migration
    return make_plan(edit)


def test_memory_per_node_after_the_upgrade():
    blocked, rows = check_resources(plan_with(app={"memory_mb": 16384, "memory_used_mb": 15600}))
    assert blocked == [{"area": "capacity", "severity": "blocker", "component": "app in eu",
                        "message": "the target needs 16,624 MB of memory per node; the nodes have 16,384",
                        "evidence": "plan: 15,600 MB used of 16,384 MB per node; the target adds 1,024",
                        "recommendation": "give the app nodes in eu at least 18,472 MB of memory before the upgrade"}]
    assert rows == [{"region": "eu", "tier": "app", "resource": "memory", "nodes": 3, "per_node": 16384.0,
                     "used": 15600.0, "after": 16624.0, "during": 16624.0, "unit": "MB", "source": "plan"}]
    warned, _ = check_resources(plan_with(app={"memory_mb": 16384, "memory_used_mb": 14000}))  # 92%
    assert [(f["severity"], f["message"]) for f in warned] == [
        ("warning", "memory per node at 92% (15,024 of 16,384 MB) with the target")]
    assert check_resources(plan_with(app={"memory_mb": 16384, "memory_used_mb": 13000}))[0] == []  # 85%
    assert check_resources(plan_with())[0] == []  # nothing declared, nothing checked


def test_measured_peaks_replace_the_plans_figures():
    plan = plan_with(app={"memory_mb": 16384, "memory_used_mb": 1000})
    found, rows = check_resources(plan, {("eu", "app"): {"memory_used_mb": 15800.0}})
    assert found[0]["severity"] == "blocker" and found[0]["evidence"].startswith("measured peak (telemetry): 15,800 MB")
    assert rows[0]["source"] == "measured peak (telemetry)" and rows[0]["used"] == 15800.0
    # a peak above what a node has is a unit or capacity mistake, not a need: said, not judged
    found, rows = check_resources(plan, {("eu", "app"): {"memory_used_mb": 16385.0}})
    assert [(f["severity"], f["message"], f["recommendation"]) for f in found] == [
        ("warning", "measured memory peak 16,385 MB is more than the 16,384 MB a node has: not judged",
         "check the unit of telemetry's memory_used_mb (per host, in MB) and tiers[app].resources")]
    found, _ = check_resources(plan, {("eu", "app"): {"memory_used_mb": 16384.0}})  # exactly full: a need
    assert [f["severity"] for f in found] == ["blocker"]


def test_the_migration_rewrite_needs_scratch_on_the_database_disks():
    plan = plan_with(db={"storage_gb": 2000, "storage_used_gb": 1150},
                     migration={"rows": 1, "rows_per_s": 1, "tier": "db"})
    assert check_resources(plan, scratch_gb=85.0)[0] == []  # 1,285 of 2,000
    found, rows = check_resources(plan, scratch_gb=900.0)
    assert [(f["severity"], f["component"], f["message"]) for f in found] == [
        ("blocker", "db in eu", "the migration's table rewrite needs 900 GB more disk per db node: 2,100 of 2,000 GB")]
    assert rows[0]["after"] == 1200.0 and rows[0]["during"] == 2100.0
    found, _ = check_resources(plan, scratch_gb=650.0)  # 1,850 of 2,000: 92.5%
    assert [f["severity"] for f in found] == ["warning"]


@pytest.mark.parametrize("kind", ["blue_green", "parallel_run"])
def test_two_copies_need_the_regions_free_storage(kind):
    strategy = {"name": "two", "kind": kind}
    db = {"storage_gb": 2000, "storage_used_gb": 1150}
    found, rows = check_resources(plan_with(db=db, strategy=strategy))
    assert [(f["severity"], f["component"]) for f in found] == [("warning", "storage in eu")]
    assert "needs 1,200 GB for the second copy" in found[0]["message"]  # one db node x (1,150 + 50)
    found, _ = check_resources(plan_with(db=db, strategy=strategy, free=1000))
    assert [(f["severity"], f["recommendation"]) for f in found] == [
        ("blocker", "free 200 GB in eu, or choose a strategy that upgrades in place")]
    assert check_resources(plan_with(db=db, strategy=strategy, free=1200))[0] == []
    assert check_resources(plan_with(db=db))[0] == []  # rolling: upgraded in place


def test_a_canary_is_judged_by_the_strategy_it_hands_over_to():
    def add_bg(data):
        data["tiers"]["db"]["resources"] = {"storage_gb": 2000, "storage_used_gb": 100}
        data["regions"][0]["storage_free_gb"] = 10
        data["strategies"] += [{"name": "bg", "kind": "blue_green"},
                               {"name": "can", "kind": "canary", "then": "bg", "fraction": 0.5}]
        data["chosen_strategy"] = "can"
    found, _ = check_resources(make_plan(add_bg))
    assert [f["severity"] for f in found] == ["blocker"]


def test_used_more_than_the_node_has_is_a_plan_error():
    with pytest.raises(PlanError, match=r"memory_used_mb \(20000\) is more than memory_mb \(16384\)"):
        plan_with(app={"memory_mb": 16384, "memory_used_mb": 20000})


def test_readiness_reads_memory_peaks_from_telemetry(tmp_path):
    from upgradesim import api

    plan_file = tmp_path / "plan.yaml"
    import yaml

    from tests.simplans import BASE

    data = dict(BASE, tiers={**BASE["tiers"], "app": {**BASE["tiers"]["app"], "resources": {"memory_mb": 8192}}})
    plan_file.write_text(yaml.safe_dump(data, sort_keys=False))
    ts = pd.date_range("2027-02-01", periods=3, freq="h", tz="UTC")
    frame = pd.DataFrame({"ts": ts, "service": "app", "metric": "memory_used_mb", "value": [7000.0, 8000.0, 7500.0],
                          "region": "eu", "host": "app-1"})
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.ingest([tmp_path / "t.parquet"])
    ready = api.readiness(plan_file, as_of=dt.date(2027, 3, 1), db=db)
    memory = ready.findings[ready.findings["message"].str.contains("memory")]
    assert memory[["severity", "component"]].values.tolist() == [["warning", "app in eu"]]  # 8,000 of 8,192: 98%
    assert ready.resources[["tier", "used", "source"]].values.tolist() == [["app", 8000.0, "measured peak (telemetry)"]]
