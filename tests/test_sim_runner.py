"""The Monte Carlo runner: reproducibility, common random numbers, Dask, results, CLI gate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from upgradesim import load_plan, sample_plan_path
from upgradesim.cli import cli
from upgradesim.errors import SimulationError
from upgradesim.sim import REPLICATION_FIELDS, compare, simulate
from upgradesim.sim.tolerance import check_tolerance, recommend

PLAN = load_plan(sample_plan_path())


def test_same_seed_same_frames_for_one_and_two_workers():
    a = compare(PLAN, ["rolling-25pct", "blue-green"], replications=24, seed=42, workers=1)
    b = compare(PLAN, ["rolling-25pct", "blue-green"], replications=24, seed=42, workers=2)
    pd.testing.assert_frame_equal(a.replications, b.replications)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    c = compare(PLAN, ["rolling-25pct", "blue-green"], replications=24, seed=43, workers=1)
    assert not a.replications.equals(c.replications)


def test_dask_local_cluster_gives_the_same_frames():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        d = compare(PLAN, ["canary-then-rolling"], replications=16, seed=9, scheduler=cluster.scheduler_address)
    local = compare(PLAN, ["canary-then-rolling"], replications=16, seed=9)
    pd.testing.assert_frame_equal(d.replications, local.replications)


def test_common_random_numbers_across_strategies():
    """The same replication draws the same node outcomes whatever the strategy."""
    a = simulate(PLAN, "rolling-4", replications=30, seed=5)
    b = simulate(PLAN, "rolling-25pct", replications=30, seed=5)
    # a comparison on common random numbers is sharper than on independent draws
    indep = simulate(PLAN, "rolling-25pct", replications=30, seed=6)
    paired = (a.replications.downtime_min.values - b.replications.downtime_min.values).std()
    unpaired = (a.replications.downtime_min.values - indep.replications.downtime_min.values).std()
    assert paired < unpaired
    # a migration failure is a property of the replication, not of the strategy
    fa = a.replications.rollback_reason.eq("migration_failed")
    fb = b.replications.rollback_reason.eq("migration_failed")
    assert fa.sum() > 0 and (fa == fb).mean() > 0.9


def test_records_follow_the_data_dictionary(tmp_path):
    result = simulate(PLAN, "big-bang", replications=5, seed=1, keep_events=2)
    assert list(result.replications.columns) == list(REPLICATION_FIELDS)
    assert set(result.events.replication) == {0, 1}
    assert result.meta["plan_hash"] and result.meta["package_version"] and result.meta["seed"] == 1
    paths = result.to_parquet(tmp_path / "run.parquet")
    back = pd.read_parquet(paths[0])
    pd.testing.assert_frame_equal(back, result.replications)
    assert len(pd.read_parquet(paths[1])) == len(result.events)


def test_seed_may_be_a_generator_and_bad_arguments_are_refused():
    result = simulate(PLAN, "big-bang", replications=3, seed=np.random.default_rng(1))
    assert len(result.replications) == 3
    with pytest.raises(SimulationError, match="no strategy 'nope'"):
        simulate(PLAN, "nope", replications=3)
    with pytest.raises(SimulationError, match=r"replications\(=0\) must be >= 1"):
        simulate(PLAN, "big-bang", replications=0)
    with pytest.raises(SimulationError, match="seed"):
        simulate(PLAN, "big-bang", replications=1, seed=-1)


def test_summary_intervals_contain_their_estimates():
    result = compare(PLAN, replications=40, seed=3)
    s = result.summary
    assert set(s.strategy) == {x.name for x in PLAN.strategies}
    assert ((s.low <= s.estimate + 1e-9) & (s.estimate <= s.high + 1e-9)).all()
    big_bang = s[(s.strategy == "big-bang") & (s.figure == "downtime_min")].estimate.iloc[0]
    blue_green = s[(s.strategy == "blue-green") & (s.figure == "downtime_min")].estimate.iloc[0]
    assert big_bang > 5 * blue_green  # an outage per region against a 10-minute cutover


def test_recommendation_fits_the_tolerance():
    result = compare(PLAN, replications=60, seed=3)
    name, reason = recommend(result.summary, PLAN.risk)
    assert name in {s.name for s in PLAN.strategies}
    assert all(c.status != "breach" for c in check_tolerance(result.summary, PLAN.risk, name))
    assert name in reason and "within tolerance" in reason
    strict = PLAN.risk.model_copy(update={"max_expected_downtime_min": 0.0})
    name, reason = recommend(result.summary, strict)
    assert reason.startswith("no strategy fits")


def _plan_with_risk(tmp_path, **risk):
    text = sample_plan_path().read_text()
    head, rest = text.split("\nrisk:", 1)
    tail = rest[rest.index("\nchosen_strategy:"):]
    path = tmp_path / "plan.yaml"
    risk = {k: float(v) for k, v in risk.items()}
    path.write_text(head + "\nrisk: " + yaml.safe_dump(risk, default_flow_style=True) + tail)
    return path


@pytest.mark.parametrize("strategy", ["blue-green"])
def test_check_exit_codes(tmp_path, strategy):
    runner = CliRunner()
    args = ["--strategy", strategy, "--replications", "60", "--seed", "2", "--json"]
    est = simulate(PLAN, strategy, replications=60, seed=2).summary.set_index("figure").loc["downtime_min"]

    ok = runner.invoke(cli, ["check", str(_plan_with_risk(tmp_path, max_expected_downtime_min=est.high + 1)), *args])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["status"] == "within"

    breach = runner.invoke(cli, ["check", str(_plan_with_risk(tmp_path, max_expected_downtime_min=est.estimate / 2)), *args])
    assert breach.exit_code == 2
    doc = json.loads(breach.output)
    assert doc["status"] == "breach" and "BREACH by" in doc["checks"][0]["message"]

    straddle = (est.estimate + est.high) / 2
    unsure = runner.invoke(cli, ["check", str(_plan_with_risk(tmp_path, max_expected_downtime_min=straddle)), *args])
    assert unsure.exit_code == 3
    check = json.loads(unsure.output)["checks"][0]
    assert check["status"] == "inconclusive" and check["replications_needed"] > 60

    error = runner.invoke(cli, ["check", str(tmp_path / "missing.yaml")])
    assert error.exit_code == 1 and "file not found" in error.output


def test_compare_cli_prints_table_and_recommendation(tmp_path):
    result = CliRunner().invoke(cli, ["compare", str(sample_plan_path()), "--strategies", "big-bang,blue-green",
                                      "-n", "20", "--seed", "1", "--out", str(tmp_path / "c.parquet")])
    assert result.exit_code == 0, result.output
    assert "duration p50 (h)" in result.output and "P(rollback)" in result.output
    assert "recommended: " in result.output
    assert (tmp_path / "c.parquet").exists() and (tmp_path / "c.summary.parquet").exists()
    bad = CliRunner().invoke(cli, ["compare", str(sample_plan_path()), "--strategies", "big-bang,nope", "-n", "2"])
    assert bad.exit_code == 1 and "no strategy 'nope'" in bad.output and "Traceback" not in bad.output


def test_the_strategy_table_formats_each_figure_with_its_interval():
    import pandas as pd

    from upgradesim.tables import FIGURE_LABELS, interval_table, text_table

    rows = [{"strategy": s, "figure": f, "estimate": e, "low": e * 0.5, "high": e * 2, "n": 10}
            for s, e in (("a", 120.0), ("bb", 0.25)) for f, _, _ in FIGURE_LABELS]
    frame = interval_table(pd.DataFrame(rows))
    assert list(frame["strategy"]) == ["a", "bb"]
    assert frame.loc[0, "duration p50 (h)"] == "2 [1, 4]"  # minutes shown as hours
    assert frame.loc[0, "downtime (min)"] == "120 [60, 240]"
    assert frame.loc[1, "P(rollback)"] == "0.25 [0.125, 0.5]"
    assert frame.loc[1, "extra node-hours"] == "0.25 [0.125, 0.5]"
    text = text_table(pd.DataFrame({"x": ["a", "bbb"], "y": ["1", "22"]}))
    assert text == "x    y\na    1\nbbb  22"


def test_demand_from_the_telemetry_baseline(tmp_path):
    """A region whose traffic names a metric takes its demand from the store (--db)."""
    from upgradesim import write_sample
    from upgradesim.store import Store

    files = write_sample(tmp_path, baseline_weeks=1, post_days=1, step_min=60, seed=2)
    text = files.plan.read_text()
    start = text.index("  - name: eu-west")
    block = text[start:text.index("  - name: us-east")]
    traffic = block[block.index("    traffic:"):block.index("    # Sunday work")]
    files.plan.write_text(text.replace(traffic, "    traffic: {metric: order-api/requests}\n"))
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        store.ingest(files.telemetry)
    runner = CliRunner()
    without = runner.invoke(cli, ["simulate", str(files.plan), "-s", "rolling-25pct", "-n", "3"])
    assert without.exit_code == 1 and "demand comes from telemetry" in without.output
    with_db = runner.invoke(cli, ["simulate", str(files.plan), "-s", "rolling-25pct", "-n", "3", "--db", str(db), "--json"])
    assert with_db.exit_code == 0, with_db.output
    assert json.loads(with_db.stdout)["summary"] and "stored run" in with_db.stderr


def test_the_capacity_curve_cache_is_bounded_in_bytes(monkeypatch):
    from upgradesim import load_plan, sample_plan_path
    from upgradesim.sim import prepare

    monkeypatch.setenv("UPGRADESIM_CURVE_CACHE_MB", "0.5")
    prep = prepare(load_plan(sample_plan_path()))
    assert prep.cache_bytes == int(0.5 * 1024 * 1024)
    region = prep.regions[0]
    first = prep.curve(region, 10, 1e9)
    for servers in range(11, 200):
        prep.curve(region, servers, 1e9)
    assert prep._curve_bytes <= prep.cache_bytes and len(prep._curves) < 190
    assert (region, 10, round(1e9, 6)) not in prep._curves  # the least recently used went first
    again = prep.curve(region, 10, 1e9)
    assert again is not first and (again.breach_min == first.breach_min).all()  # recomputed, the same
    monkeypatch.setenv("UPGRADESIM_CURVE_CACHE_MB", "lots")
    import pytest as _pytest

    from upgradesim.errors import SimulationError

    with _pytest.raises(SimulationError, match="UPGRADESIM_CURVE_CACHE_MB"):
        prepare(load_plan(sample_plan_path()))
