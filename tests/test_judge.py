"""The judge: known answers, hard cases a rank test alone misses, like-with-like, scores, CLI."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from upgradesim.cli import cli
from upgradesim.judge import (
    DEFAULT_CONFIG,
    JudgeConfig,
    MetricRule,
    hodges_lehmann,
    judge_frames,
    rank_test,
    rate_test,
)
from upgradesim.judge.config import load_judge_config
from upgradesim.store import Store

T0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
CONT = JudgeConfig(default=MetricRule(match="*"))


def frame(values, metric="m", service="svc", start=T0, step_min=60, host="h1"):
    ts = [start + dt.timedelta(minutes=step_min * i) for i in range(len(values))]
    return pd.DataFrame({"ts": pd.to_datetime(ts), "service": service, "metric": metric,
                         "value": np.asarray(values, float), "region": "eu", "host": host})


def one(base, cand, config=CONT, mode="control"):
    verdict = judge_frames(base, cand, config, mode=mode)
    return verdict.metrics.iloc[0], verdict


def test_hodges_lehmann_known_answer():
    shift, low, high = hodges_lehmann(np.array([1.0, 2, 3]), np.array([4.0, 5, 6]))
    assert shift == 3.0  # median of the 9 differences 1,2,2,3,3,3,4,4,5
    assert (low, high) == (1.0, 5.0)  # n*m = 9 is too small for a narrower distribution-free interval
    x = np.arange(20.0)
    shift, low, high = hodges_lehmann(x, x + 7)
    assert shift == 7.0 and low < 7 < high


def test_mann_whitney_matches_scipy_with_ties():
    rng = np.random.default_rng(1)
    base, cand = rng.integers(0, 5, 40).astype(float), rng.integers(1, 6, 30).astype(float)
    ours = rank_test(base, cand)
    ref = stats.mannwhitneyu(cand, base, alternative="two-sided")
    assert (ours.u, ours.p_value) == pytest.approx((ref.statistic, ref.pvalue))


def test_rate_test_known_answers():
    r = rate_test(0, 1000, 4, 250, alternative="greater")  # share 0.2, all 4 events in the candidate
    assert r.p_value == pytest.approx(0.2**4)
    assert r.ratio == float("inf")
    r = rate_test(20, 1000, 10, 500)
    assert r.ratio == pytest.approx(1.0) and r.p_value == pytest.approx(1.0)
    assert r.low < 1 < r.high


def test_constant_against_constant():
    row, _ = one(frame([5.0] * 10), frame([5.0] * 10))
    assert row["class"] == "Pass" and "both samples are constant at 5" in row.explanation
    row, _ = one(frame([5.0] * 10), frame([6.0] * 10))
    assert row["class"] == "High" and row.fails


def test_ties_without_change_pass():
    rng = np.random.default_rng(4)
    levels = [1.0, 2.0, 3.0]
    row, _ = one(frame(rng.choice(levels, 200)), frame(rng.choice(levels, 200)))
    assert row["class"] == "Pass", row.explanation


def test_empty_and_all_nan_are_nodata():
    row, verdict = one(frame([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), frame([]))
    assert row["class"] == "NoData" and verdict.verdict == "NoData"
    row, _ = one(frame([1.0, 2, 3, 4, 5, 6]), frame([np.nan] * 10))
    assert row["class"] == "NoData" and "0 candidate points" in row.explanation


def test_nan_replace():
    config = JudgeConfig(default=MetricRule(match="*", nan="replace", nan_value=0.0))
    row, _ = one(frame([0.0] * 10), frame([np.nan] * 10), config)
    assert row["class"] == "Pass"  # replaced by 0 like the baseline


def test_seven_of_ten_points_at_100_is_not_a_pass():
    """Reported against Kayenta: this canary passed against a baseline of all 1."""
    row, verdict = one(frame([1.0] * 10), frame([100.0] * 7 + [1.0] * 3))
    assert row["class"] == "High" and row.fails and verdict.verdict != "Pass"
    assert "tail rose" in row.explanation


def test_a_minority_of_terrible_points_is_caught_by_the_tail_check():
    rng = np.random.default_rng(2)
    base = rng.normal(100, 5, 500)
    cand = np.concatenate([rng.normal(100, 5, 470), np.full(30, 400.0)])  # 6% of requests awful
    row, _ = one(frame(base), frame(cand))
    assert row["class"] == "High" and "tail rose" in row.explanation


def test_sparse_error_counts_are_not_a_pass():
    config = DEFAULT_CONFIG
    base = pd.concat([frame([0.0] * 200, "errors"), frame([1000.0] * 200, "requests")])
    cand = pd.concat([frame([0.0] * 46 + [1.0] * 4, "errors"), frame([1000.0] * 50, "requests")])
    verdict = judge_frames(base, cand, config, mode="control")
    row = verdict.metrics.set_index("metric").loc["errors"]
    assert row["class"] == "High" and row.test == "exact-rate" and verdict.verdict == "Fail"
    assert "critical metric errors failed" in verdict.services.reason.iloc[0]


def test_tripled_variance_is_not_a_pass():
    rng = np.random.default_rng(3)
    row, _ = one(frame(rng.normal(100, 10, 400)), frame(rng.normal(100, 10 * np.sqrt(3), 400)))
    assert row["class"] == "High" and "spread grew" in row.explanation


def test_direction_allows_the_good_change():
    config = JudgeConfig(default=MetricRule(match="*", direction="increase"))
    rng = np.random.default_rng(5)
    row, verdict = one(frame(rng.normal(100, 5, 200)), frame(rng.normal(60, 5, 200)), config)
    assert row["class"] == "Low" and not row.fails and verdict.verdict == "Pass"
    assert "allowed" in row.explanation


def seasonal(weeks: int, shift: float = 1.0, seed: int = 0, start=T0, step_min=60):
    """Hourly series with a strong daily and weekly cycle, 2% noise."""
    rng = np.random.default_rng(seed)
    n = weeks * 7 * 24 * 60 // step_min
    ts = [start + dt.timedelta(minutes=step_min * i) for i in range(n)]
    hour = np.array([t.hour for t in ts])
    weekend = np.array([t.weekday() >= 5 for t in ts])
    level = (100 + 80 * np.sin((hour - 6) / 24 * 2 * np.pi)) * np.where(weekend, 0.6, 1.0)
    return frame(level * shift * rng.lognormal(0, 0.02, n), start=start, step_min=step_min)


@pytest.mark.parametrize("weeks", [1, 2, 4])
def test_seasonal_no_false_alarm_on_ordinary_variation(weeks):
    base = seasonal(weeks, seed=1)
    cand = seasonal(1, seed=2, start=T0 + dt.timedelta(weeks=weeks))
    row, verdict = one(base, cand, mode="seasonal")
    assert row["class"] == "Pass", row.explanation
    assert f"in {weeks} baseline week" in verdict.comparison


def test_seasonal_catches_a_real_shift_and_beats_a_naive_comparison():
    base = seasonal(3, seed=1)
    cand = seasonal(1, shift=1.25, seed=2, start=T0 + dt.timedelta(weeks=3))
    row, _ = one(base, cand, mode="seasonal")
    assert row["class"] == "High" and row.effect == pytest.approx(1.25, rel=0.02)
    # a candidate that only covers a weekend: raw values fall, like-with-like says nothing changed
    weekend = seasonal(1, seed=3, start=T0 + dt.timedelta(weeks=3))
    weekend = weekend[weekend.ts.dt.day_of_week >= 5]
    naive, _ = one(base, weekend, mode="control")
    like, _ = one(base, weekend, mode="seasonal")
    assert naive["class"] == "Low" and like["class"] == "Pass"


def test_scores_groups_weights_and_thresholds():
    config = JudgeConfig(groups={"lat": 3, "cpu": 1}, metrics=(
        MetricRule(match="lat*", group="lat"), MetricRule(match="cpu*", group="cpu")))
    rng = np.random.default_rng(6)
    base = pd.concat([frame(rng.normal(100, 5, 200), m) for m in ("lat_a", "lat_b", "cpu")])
    cand = pd.concat([frame(rng.normal(100, 5, 200), "lat_a"), frame(rng.normal(100, 5, 200), "lat_b"),
                      frame(rng.normal(150, 5, 200), "cpu")])
    verdict = judge_frames(base, cand, config, mode="control")
    service = verdict.services.iloc[0]
    assert service.score == pytest.approx(75.0) and service.verdict == "Pass"  # (3*1 + 1*0) / 4
    cand2 = cand.copy()
    cand2.loc[cand2.metric == "lat_b", "value"] += 50
    verdict = judge_frames(base, cand2, config, mode="control")
    assert verdict.services.iloc[0].score == pytest.approx(37.5) and verdict.verdict == "Fail"
    critical = JudgeConfig(metrics=(MetricRule(match="cpu", critical=True),))
    assert judge_frames(base, cand, critical, mode="control").verdict == "Fail"


def test_explanations_and_stable_json():
    rng = np.random.default_rng(7)
    row, verdict = one(frame(rng.normal(100, 5, 100)), frame(rng.normal(130, 5, 100)))
    for part in ("Hodges-Lehmann shift", "Mann-Whitney U=", "p=", "exceeds the allowed 1.1", ": High."):
        assert part in row.explanation
    doc = json.loads(verdict.to_json())
    assert list(doc) == ["verdict", "mode", "comparison", "baseline_window", "candidate_window", "services", "metrics"]
    assert doc["metrics"][0]["class"] == "High"


def test_judge_config_errors_name_the_line(tmp_path):
    path = tmp_path / "judge.yaml"
    path.write_text("alpha: 0.05\nmetrics:\n  - {match: errors, kind: counts}\n  - {match: x, alowed_increase: 2}\n")
    with pytest.raises(Exception) as info:
        load_judge_config(path)
    text = str(info.value)
    assert f"{path}:3: metrics[0].kind(=counts): must be one of 'continuous' or 'count'" in text
    assert f"{path}:4: metrics[1].alowed_increase: unknown key (did you mean 'allowed_increase'?)" in text


def test_store_judge_and_cli(tmp_path):
    db = tmp_path / "j.duckdb"
    base = seasonal(2, seed=1)
    cand = seasonal(1, shift=1.3, seed=2, start=T0 + dt.timedelta(weeks=2))
    pd.concat([base, cand]).to_parquet(tmp_path / "t.parquet")
    with Store(db) as store:
        store.ingest([tmp_path / "t.parquet"])
    cut = (T0 + dt.timedelta(weeks=2)).isoformat()
    runner = CliRunner()
    result = runner.invoke(cli, ["judge", "--db", str(db), "--baseline", f"..{cut}", "--candidate", f"{cut}..", "--json"])
    assert result.exit_code == 2, result.output
    doc = json.loads(result.output)
    assert doc["verdict"] == "Fail" and doc["mode"] == "seasonal"
    with Store(db) as store:
        stored = store.verdict()
        assert stored["run"].verdict.iloc[0] == "Fail" and len(stored["metrics"]) == 1
    bad = runner.invoke(cli, ["judge", "--db", str(db), "--baseline", "yesterday"])
    assert bad.exit_code == 1 and "must look like START..END" in bad.output


def test_control_population_same_window(tmp_path):
    rng = np.random.default_rng(8)
    control = pd.concat([frame(rng.normal(100, 5, 300), host=f"web-{i}") for i in range(3)])
    canary = frame(rng.normal(120, 5, 300), host="canary-1")
    db = tmp_path / "c.duckdb"
    pd.concat([control, canary]).to_parquet(tmp_path / "c.parquet")
    with Store(db) as store:
        store.ingest([tmp_path / "c.parquet"])
        from upgradesim.judge import judge
        verdict = judge(store, candidate=(None, None), canary_hosts="canary-*", config=CONT)
    assert verdict.mode == "control" and "canary hosts 'canary-*'" in verdict.comparison
    assert verdict.metrics.iloc[0]["class"] == "High"


def test_large_samples_use_exact_order_statistics():
    from upgradesim.judge.statistics import SORT_PAIRS

    rng = np.random.default_rng(9)
    x, y = rng.normal(0, 1, 700), rng.normal(0.2, 1, 600)
    assert len(x) * len(y) > SORT_PAIRS  # the bisection path
    diffs = np.sort((y[None, :] - x[:, None]).ravel())
    shift, low, high = hodges_lehmann(x, y)
    assert shift == pytest.approx(np.median(diffs), abs=1e-12)
    k = int(np.floor(len(diffs) / 2 - 1.959963984540054 * np.sqrt(len(x) * len(y) * (len(x) + len(y) + 1) / 12)))
    assert (low, high) == pytest.approx((diffs[k - 1], diffs[len(diffs) - k]), abs=1e-12)
