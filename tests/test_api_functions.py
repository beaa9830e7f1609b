"""upgradesim.api: the functions notebooks and the CLI share, with exact results on small cases."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from upgradesim import api, sample_plan_path
from upgradesim.errors import DataError, PlanError

from .simplans import make_plan


def test_load_accepts_a_path_or_a_plan_and_validate_lists_summary_and_warnings(tmp_path):
    plan = api.load(sample_plan_path())
    assert api.load(plan) is plan
    checked = api.validate(sample_plan_path())
    assert checked.plan.name == plan.name and checked.summary[0].startswith("plan: ")
    assert checked.warnings == []
    frame = checked.to_frame()
    assert list(frame["kind"].unique()) == ["summary"] and len(frame) == len(checked.summary)
    assert checked.to_dict()["summary"] == checked.summary
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    with pytest.raises(PlanError):
        api.validate(bad)


def test_compare_returns_a_comparison_with_recommendation_table_and_dict(tmp_path):
    plan = make_plan()
    result = api.compare(plan, replications=20, seed=3, out=tmp_path / "r.parquet")
    assert set(result.to_frame()["strategy"]) == {"one-by-one", "bang"}
    assert result.recommended in ("one-by-one", "bang") and result.reason
    doc = result.to_dict()
    assert doc["recommendation"] == {"strategy": result.recommended, "reason": result.reason}
    assert doc["meta"]["replications"] == 20 and doc["meta"]["seed"] == 3
    assert [p.name for p in result.written] == ["r.parquet", "r.events.parquet", "r.summary.parquet"]
    # the same as the simulation function underneath, figure for figure
    from upgradesim.sim import compare

    direct = compare(plan, replications=20, seed=3)
    pd.testing.assert_frame_equal(result.summary, direct.summary)


def test_check_uses_the_chosen_strategy_and_reports_status_and_exit_code():
    def edit(data, limit):
        data["chosen_strategy"] = "bang"
        data["risk"] = {"max_expected_downtime_min": limit}
    within = api.check(make_plan(lambda d: edit(d, 1000)), replications=20, seed=1)
    assert (within.strategy, within.status, within.exit_code) == ("bang", "within", 0)
    breach = api.check(make_plan(lambda d: edit(d, 1)), replications=20, seed=1)
    assert (breach.status, breach.exit_code) == ("breach", 2)  # big bang is down 20 minutes, always
    assert breach.to_frame().loc[0, "status"] == "breach"
    with pytest.raises(PlanError, match="chosen_strategy"):
        api.check(make_plan(), replications=5)


def test_what_if_applies_validated_changes_and_caches():
    plan = api.load(sample_plan_path())
    base = api.what_if(plan, "rolling-4", replications=30, seed=2)
    bigger = api.what_if(plan, "rolling-4", strategy_changes={"batch_size": 8}, replications=30, seed=2)
    assert api.what_if(plan, "rolling-4", strategy_changes={"batch_size": 8}, replications=30, seed=2) is bigger
    est = {n: r.summary.set_index("figure").loc["duration_p50_min", "estimate"] for n, r in
           (("base", base), ("bigger", bigger))}
    assert est["bigger"] < est["base"]  # twice the batch: fewer batches, shorter rollout
    riskier = api.what_if(plan, "rolling-4", changes={"tiers": {"app": {"failure_prob": 0.3}}}, replications=30, seed=2)
    p = {n: r.summary.set_index("figure").loc["p_rollback", "estimate"] for n, r in (("base", base), ("r", riskier))}
    assert p["r"] > p["base"]
    with pytest.raises(PlanError, match=r"batch_size\(=0\)"):
        api.what_if(plan, "rolling-4", strategy_changes={"batch_size": 0})
    with pytest.raises(KeyError):
        api.what_if(plan, "nope", strategy_changes={"batch_size": 2})


def test_snapshot_and_drift_through_the_api(tmp_path):
    prod, staging = tmp_path / "prod", tmp_path / "staging"
    for folder, pool in ((prod, 10), (staging, 12)):
        folder.mkdir()
        (folder / "app.yaml").write_text(f"pool: {pool}\nname: shop\n")
    db = tmp_path / "s.duckdb"
    snap = api.snapshot(prod, env="prod", tag="t1", db=db)
    assert (snap.env, snap.tag, snap.files, snap.keys, snap.secrets) == ("prod", "t1", 1, 2, 0)
    assert snap.to_frame().loc[0, "keys"] == 2
    api.snapshot(staging, env="staging", tag="t1", db=db)
    found = api.drift(db, env="staging", baseline_env="prod", as_of=dt.date(2026, 12, 1))
    assert found.baseline == ("prod", "t1") and found.current == ("staging", "t1")
    assert list(found.to_frame()[["key", "change", "status"]].itertuples(index=False, name=None)) == [
        ("pool", "changed", "unapproved")]
    assert found.exit_code == 2 and found.to_dict()["counts"] == {"unapproved": 1}


def test_judge_needs_windows_or_a_cutover(tmp_path):
    from upgradesim import Store

    db = tmp_path / "s.duckdb"
    with Store(db):
        pass
    with pytest.raises(DataError, match="baseline and candidate windows"):
        api.judge(db)
    with pytest.raises(DataError, match="cutover_at is not set"):
        api.judge(db, plan=make_plan())
