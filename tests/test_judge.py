"""The judge: known answers, hard cases a rank test alone misses, like-with-like, scores, CLI."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from upgradesim.cli import cli
from upgradesim.judge import (
    DEFAULT_CONFIG,
    JudgeConfig,
    MetricRule,
    judge_frames,
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


def test_rate_test_known_answers():
    r = rate_test(0, 1000, 4, 250, alternative="greater")  # share 0.2, all 4 events in the candidate
    assert r.p_value == pytest.approx(0.2**4)
    assert r.ratio == float("inf")
    r = rate_test(20, 1000, 10, 500)
    assert r.ratio == pytest.approx(1.0) and r.p_value == pytest.approx(1.0)
    assert r.low < 1 < r.high


def checks_of(row) -> dict:
    return {c["name"]: c for c in json.loads(row.checks)}


def test_constant_against_constant_respects_the_allowed_change():
    row, _ = one(frame([5.0] * 10), frame([5.0] * 10))
    assert row["class"] == "Pass" and "both samples are constant (5 before, 5 after)" in row.explanation
    row, _ = one(frame([5.0] * 10), frame([6.0] * 10))
    assert row["class"] == "High" and row.fails and row.effect == pytest.approx(1.2)
    row, _ = one(frame([1.0] * 10), frame([1.05] * 10))  # Kayenta: 5% with 10% allowed is no High
    assert row["class"] == "Pass" and "within what is allowed" in row.explanation
    row, _ = one(frame([1.0] * 10), frame([0.8] * 10))
    assert row["class"] == "Low" and row.fails  # direction either: a fall counts too


def test_ties_without_change_pass():
    rng = np.random.default_rng(4)
    levels = [1.0, 2.0, 3.0]
    row, _ = one(frame(rng.normal(2, 0.3, 200).round()), frame(rng.normal(2, 0.3, 200).round()))
    assert row["class"] == "Pass", row.explanation
    row, _ = one(frame(rng.choice(levels, 200)), frame(rng.choice(levels, 200)))
    assert row["class"] == "Pass", row.explanation


def test_empty_all_nan_and_short_samples_are_never_a_pass():
    row, verdict = one(frame([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), frame([]))
    assert row["class"] == "NoData" and verdict.verdict == "NoData" and verdict.exit_code == 3
    row, _ = one(frame([1.0, 2, 3, 4, 5, 6]), frame([np.nan] * 10))
    assert row["class"] == "NoData" and "no candidate points" in row.explanation
    row, verdict = one(frame([1.0, 2, 3, 4, 5, 6]), frame([1.0, 2.0]))
    assert row["class"] == "Inconclusive" and "fewer than 5" in row.explanation
    assert verdict.verdict == "Inconclusive" and verdict.exit_code == 3
    row, _ = one(frame([1.0, 2, 3, 4, 5, 6, np.inf]), frame([np.inf] * 3 + [2.0] * 2))
    assert row["class"] == "Inconclusive" and "4 infinite values dropped" in row.explanation


def test_nan_replace():
    config = JudgeConfig(default=MetricRule(match="*", nan="replace", nan_value=0.0))
    row, _ = one(frame([0.0] * 10), frame([np.nan] * 10), config)
    assert row["class"] == "Pass"  # replaced by 0 like the baseline


def test_seven_of_ten_points_at_100_is_not_a_pass():
    """Reported against Kayenta: this canary passed against a baseline of all 1."""
    row, verdict = one(frame([1.0] * 10), frame([100.0] * 7 + [1.0] * 3))
    assert row["class"] == "High" and row.fails and verdict.verdict != "Pass"
    assert row.explanation.startswith("m: median 6930% above the baseline (70.3 vs 1;")


def test_tail_only_regression_is_caught_by_the_tail_check_not_the_median():
    rng = np.random.default_rng(2)
    base = rng.normal(100, 5, 2000)
    cand = rng.normal(100, 5, 500)
    cand[rng.random(500) < 0.10] *= 3  # one request in ten now three times slower
    row, _ = one(frame(base), frame(cand))
    checks = checks_of(row)
    assert checks["level"]["status"] == "ok" and checks["p95"]["status"] == "high"
    assert row["class"] == "High" and "p95" in row.explanation and row.fails


def test_tail_checks_need_points_and_say_so():
    rng = np.random.default_rng(3)
    config = JudgeConfig(default=MetricRule(match="*", direction="increase"))
    row, _ = one(frame(rng.normal(100, 5, 400)), frame(rng.normal(100, 5, 60)), config)
    checks = checks_of(row)
    assert checks["p99"]["status"] == "inconclusive" and "at least 100 needed" in checks["p99"]["text"]
    assert row["class"] == "Pass" and "not checked" in row.explanation


def test_brief_spike_is_caught_by_the_excursion_check():
    rng = np.random.default_rng(11)
    base = 100 + rng.normal(0, 3, 2880)
    cand = 100 + rng.normal(0, 3, 1440)
    cand[700:712] *= 5  # twelve minutes at five times the level; the day's median is unchanged
    row, _ = one(frame(base, step_min=1), frame(cand, step_min=1, start=T0 + dt.timedelta(days=2)), mode="seasonal")
    checks = checks_of(row)
    assert checks["level"]["status"] == "ok" and checks["excursion"]["status"] == "high"
    assert row["class"] == "High" and "a run of" in row.explanation
    assert checks["excursion"]["extra"]["window_points"] in (4, 8)


def test_sparse_error_counts_are_not_a_pass():
    config = DEFAULT_CONFIG
    base = pd.concat([frame([0.0] * 200, "errors"), frame([1000.0] * 200, "requests")])
    cand = pd.concat([frame([0.0] * 46 + [1.0] * 4, "errors"), frame([1000.0] * 50, "requests")])
    verdict = judge_frames(base, cand, config, mode="control")
    row = verdict.metrics.set_index("metric").loc["errors"]
    assert row["class"] == "High" and row.test == "rate" and verdict.verdict == "Fail"
    assert "critical metric errors failed" in verdict.services.reason.iloc[0]


def test_auto_kind_treats_sparse_integers_as_counts():
    rng = np.random.default_rng(12)
    base = rng.poisson(0.05, 2000).astype(float)
    cand = rng.poisson(0.5, 500).astype(float)
    row, _ = one(frame(base), frame(cand))
    assert row.kind == "count" and row.test == "rate" and row["class"] == "High"
    same, _ = one(frame(base), frame(rng.poisson(0.05, 500).astype(float)))
    assert same.kind == "count" and same["class"] == "Pass"


def test_overdispersed_counts_are_not_mistaken_for_a_change():
    rng = np.random.default_rng(13)
    n_b, n_c = 24 * 14, 24
    burst = rng.gamma(0.5, 2.0, n_b + n_c)  # errors come in bursts
    errors = rng.poisson(5 * burst).astype(float)
    base = pd.concat([frame(errors[:n_b], "errors"), frame([1000.0] * n_b, "requests")])
    start = T0 + dt.timedelta(hours=n_b)
    cand = pd.concat([frame(errors[n_b:], "errors", start=start), frame([1000.0] * n_c, "requests", start=start)])
    row = judge_frames(base, cand, DEFAULT_CONFIG, mode="control").metrics.set_index("metric").loc["errors"]
    assert checks_of(row)["rate"]["extra"]["dispersion"] > 3


def test_tripled_variance_is_not_a_pass():
    rng = np.random.default_rng(3)
    row, _ = one(frame(rng.normal(100, 10, 2000)), frame(rng.normal(100, 10 * np.sqrt(3), 500)))
    assert row["class"] == "High" and "p95" in row.explanation and checks_of(row)["level"]["status"] == "ok"


def test_direction_allows_the_good_change():
    config = JudgeConfig(default=MetricRule(match="*", direction="increase"))
    rng = np.random.default_rng(5)
    row, verdict = one(frame(rng.normal(100, 5, 200)), frame(rng.normal(60, 5, 200)), config)
    assert row["class"] == "Low" and not row.fails and verdict.verdict == "Pass"
    assert "allowed" in row.explanation


def test_a_high_tail_never_hides_a_significant_low():
    config = JudgeConfig(default=MetricRule(match="*", direction="decrease"))
    rng = np.random.default_rng(14)
    base = rng.normal(100, 5, 2000)
    cand = rng.normal(60, 5, 500)
    cand[:60] = 400  # a fatter upper tail as well
    row, verdict = one(frame(base), frame(cand), config)
    assert row["class"] == "Low" and row.fails and verdict.verdict == "Fail"


def test_a_change_inside_a_wide_allowance_passes_on_every_check():
    """Kayenta: a distribution moving within an explicitly allowed 13x must not fail on its tail."""
    config = JudgeConfig(default=MetricRule(match="*", direction="increase", allowed_increase=13))
    rng = np.random.default_rng(15)
    row, _ = one(frame(rng.lognormal(0, 0.3, 2000)), frame(5 * rng.lognormal(0, 0.3, 500)), config)
    assert row["class"] == "Pass", row.explanation
    assert all(c["status"] in ("ok", "inconclusive") for c in checks_of(row).values())


def test_min_change_floor():
    rng = np.random.default_rng(16)
    base, cand = frame(rng.normal(1.0, 0.01, 500)), frame(rng.normal(1.5, 0.01, 500))
    assert one(base, cand)[0]["class"] == "High"
    floor = JudgeConfig(default=MetricRule(match="*", min_change=1.0))
    assert one(base, cand, floor)[0]["class"] == "Pass"


def test_critical_metric_without_data_decides_the_service():
    rng = np.random.default_rng(17)
    base = pd.concat([frame(rng.normal(100, 5, 200), "lat"), frame(rng.normal(10, 1, 200), "crit")])
    cand = frame(rng.normal(100, 5, 200), "lat")
    config = JudgeConfig(metrics=(MetricRule(match="crit", critical=True),))
    verdict = judge_frames(base, cand, config, mode="control")
    assert verdict.verdict == "Inconclusive" and "critical metric crit could not be judged (NoData)" in \
        verdict.services.reason.iloc[0]
    strict = JudgeConfig(metrics=(MetricRule(match="crit", critical=True),), critical_missing="fail")
    assert judge_frames(base, cand, strict, mode="control").verdict == "Fail"


def test_a_metric_that_cannot_be_computed_is_an_error_not_a_pass(monkeypatch, tmp_path):
    import importlib

    verdict_module = importlib.import_module("upgradesim.judge.verdict")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(verdict_module, "judge_metric", broken)
    rng = np.random.default_rng(18)
    verdict = judge_frames(frame(rng.normal(100, 5, 50)), frame(rng.normal(100, 5, 50)), CONT, mode="control")
    assert verdict.verdict == "Error" and verdict.exit_code == 1
    assert "could not be judged (ZeroDivisionError: planted)" in verdict.metrics.iloc[0].explanation
    db = tmp_path / "e.duckdb"
    pd.concat([frame(rng.normal(100, 5, 50), host="canary-1"), frame(rng.normal(100, 5, 50), host="web-1")]).to_parquet(
        tmp_path / "e.parquet")
    with Store(db) as store:
        store.ingest([tmp_path / "e.parquet"])
    result = CliRunner().invoke(cli, ["judge", "--db", str(db), "--canary-hosts", "canary-*"])
    assert result.exit_code == 1, result.output


def seasonal(weeks: float, shift: float = 1.0, seed: int = 0, start=T0, step_min=60):
    """Hourly series with a strong daily and weekly cycle, AR(1) noise, day-level wander."""
    rng = np.random.default_rng(seed)
    n = int(weeks * 7 * 24 * 60 // step_min)
    ts = [start + dt.timedelta(minutes=step_min * i) for i in range(n)]
    hour = np.array([t.hour for t in ts])
    weekend = np.array([t.weekday() >= 5 for t in ts])
    level = (100 + 80 * np.sin((hour - 6) / 24 * 2 * np.pi)) * np.where(weekend, 0.6, 1.0)
    noise = np.zeros(n)
    e = rng.normal(0, 0.02, n)
    for i in range(1, n):
        noise[i] = 0.7 * noise[i - 1] + e[i]
    return frame(level * shift * np.exp(noise), start=start, step_min=step_min)


@pytest.mark.parametrize("weeks", [1, 2, 4])
def test_seasonal_no_false_alarm_on_ordinary_variation(weeks):
    base = seasonal(weeks, seed=1)
    cand = seasonal(1 / 7, seed=2, start=T0 + dt.timedelta(weeks=weeks))
    row, verdict = one(base, cand, mode="seasonal")
    assert row["class"] == "Pass", row.explanation
    assert row.cycle in ("daily-weekpart", "weekly") and "cycle the baseline shows taken out" in verdict.comparison


def test_cycle_is_chosen_by_evidence():
    rng = np.random.default_rng(19)
    flat = frame(100 + rng.normal(0, 2, 24 * 14))
    cand = frame(100 + rng.normal(0, 2, 24), start=T0 + dt.timedelta(days=14))
    row, verdict = one(flat, cand, mode="seasonal")
    assert row.cycle == "none" and "no daily or weekly cycle in 14 baseline days" in row.explanation
    assert "no daily or weekly cycle proven" in verdict.comparison
    short = frame(100 + rng.normal(0, 2, 30))
    row, _ = one(short, frame(100 + rng.normal(0, 2, 24), start=T0 + dt.timedelta(hours=30)), mode="seasonal")
    assert "less than two days" in row.explanation
    weekly = seasonal(3, seed=3)
    row, _ = one(weekly, seasonal(1 / 7, seed=4, start=T0 + dt.timedelta(weeks=3)), mode="seasonal")
    assert row.cycle in ("weekly", "daily-weekpart")


def test_seasonal_catches_a_real_shift_and_beats_a_naive_comparison():
    base = seasonal(3, seed=1)
    cand = seasonal(1 / 7, shift=1.25, seed=2, start=T0 + dt.timedelta(weeks=3))
    row, _ = one(base, cand, mode="seasonal")
    assert row["class"] == "High" and row.effect == pytest.approx(1.25, rel=0.03)
    assert row.n_eff_baseline == 21 and row.n_eff_candidate == 1  # one-day periods of the baseline
    # a candidate that only covers a weekend: raw values fall, like-with-like says nothing changed
    weekend = seasonal(1, seed=3, start=T0 + dt.timedelta(weeks=3))
    weekend = weekend[weekend.ts.dt.day_of_week >= 5]
    from scipy import stats

    naive = stats.mannwhitneyu(weekend["value"], base["value"], alternative="two-sided")
    like, _ = one(base, weekend, mode="seasonal")
    assert naive.pvalue < 0.01 and like["class"] == "Pass", like.explanation


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
    row, verdict = one(frame(rng.normal(100, 5, 400)), frame(rng.normal(130, 5, 100)))
    for part in ("median 29% above the baseline (128.5 vs 99.57; p=",  "comparable baseline periods (4 of 100 points) varied by at most",
                 ": High."):
        assert part in row.explanation, row.explanation
    doc = json.loads(verdict.to_json())
    assert list(doc) == ["verdict", "mode", "comparison", "baseline_window", "candidate_window", "services", "metrics"]
    metric = doc["metrics"][0]
    assert metric["class"] == "High" and metric["n_eff_baseline"] == 4 and metric["n_eff_candidate"] == 1
    assert [c["name"] for c in metric["checks"]] == ["level", "p95", "p5", "excursion"]
    assert metric["checks"][0]["status"] == "high" and metric["checks"][0]["effect"] == pytest.approx(1.3, rel=0.02)


def test_judge_config_errors_name_the_line(tmp_path):
    path = tmp_path / "judge.yaml"
    path.write_text("alpha: 0.05\nmetrics:\n  - {match: errors, kind: counts}\n  - {match: x, alowed_increase: 2}\n")
    from upgradesim.errors import DataError

    with pytest.raises(DataError) as info:
        load_judge_config(path)
    text = str(info.value)
    assert f"{path}:3: metrics[0].kind(=counts): must be one of 'continuous', 'count' or 'auto'" in text
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
        assert stored.verdict == "Fail" and len(stored.metrics) == 1 and stored.mode == "seasonal"
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




def test_parallel_workers_give_the_same_verdict():
    rng = np.random.default_rng(20)
    base = pd.concat([frame(rng.normal(100 + s, 5, 300), f"m{m}", service=f"s{s}") for s in range(6) for m in range(2)])
    cand = pd.concat([frame(rng.normal(100 + s * 10, 5, 100), f"m{m}", service=f"s{s}") for s in range(6) for m in range(2)])
    from upgradesim.judge.verdict import _judge_all, samples_by_series

    b, c = samples_by_series(base), samples_by_series(cand)
    services = sorted({s for s, _ in b})
    one_worker = pd.DataFrame(_judge_all(services, b, c, CONT, "control", workers=1))
    two_workers = pd.DataFrame(_judge_all(services, b, c, CONT, "control", workers=2))
    pd.testing.assert_frame_equal(one_worker, two_workers)
    assert set(one_worker["class"]) >= {"Pass", "High"}


def test_a_baseline_too_short_for_a_tail_check_says_so():
    rng = np.random.default_rng(21)
    row, _ = one(frame(rng.normal(100, 5, 45)), frame(rng.normal(100, 5, 40)))
    p95 = checks_of(row)["p95"]
    assert p95["status"] == "inconclusive"
    assert p95["text"] == "p95: the baseline holds 2 comparable periods of 20 points, at least 3 needed"
    assert row["class"] == "Pass" and "not checked: p95: the baseline holds 2" in row.explanation


def test_duplicate_timestamps_are_averaged_not_double_counted():
    base = pd.concat([frame([10.0] * 20), frame([10.0] * 20)])  # every point twice
    cand = pd.concat([frame([10.0] * 20), frame([30.0] * 20)])  # two hosts: the mean is 20
    row, _ = one(base, cand)
    assert row.baseline_n == 20 and row.candidate_n == 20 and row["class"] == "High"
    assert row.effect == pytest.approx(2.0)


def test_a_rare_slow_request_is_caught_by_the_tail_not_the_median():
    rng = np.random.default_rng(22)
    base = rng.normal(100, 5, 4000)
    cand = rng.normal(100, 5, 2000)
    cand[rng.random(2000) < 0.02] *= 3  # one request in fifty: p95 unchanged, p99 three times higher
    config = JudgeConfig(default=MetricRule(match="*", direction="increase", excursions=False))
    row, _ = one(frame(base), frame(cand), config)
    checks = checks_of(row)
    assert checks["level"]["status"] == "ok" and checks["p99"]["status"] == "high"
    assert checks["p99"]["effect"] > 1.5 and row["class"] == "High" and row.fails
