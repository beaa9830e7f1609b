"""judge backtest: the judge's own false-alarm rate on quiet history, stored, shown, calibrated."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner

from upgradesim.cli import cli
from upgradesim.judge import JudgeConfig, MetricRule, judge
from upgradesim.judge.backtest import backtest
from upgradesim.store import Store

T0 = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)


def quiet_store(tmp_path, days=21):
    rng = np.random.default_rng(3)
    n = days * 24 * 4
    ts = pd.date_range(T0, periods=n, freq="15min")
    hour = ts.hour.to_numpy()
    cycle = 100 + 40 * np.sin((hour - 8) / 24 * 2 * np.pi)
    frames = [pd.DataFrame({"ts": ts, "service": "svc", "metric": "latency_ms", "value": cycle * rng.lognormal(0, 0.05, n),
                            "host": "h1"}),
              pd.DataFrame({"ts": ts, "service": "svc", "metric": "noisy", "value": 50 * rng.lognormal(0, 0.4, n),
                            "host": "h1"})]
    pd.concat(frames).to_parquet(tmp_path / "q.parquet")
    db = tmp_path / "q.duckdb"
    with Store(db) as store:
        store.ingest([tmp_path / "q.parquet"])
    return db


STRICT = JudgeConfig(alpha=0.4, metrics=(MetricRule(match="latency*", kind="continuous", direction="increase"),
                              MetricRule(match="noisy", kind="continuous", allowed_increase=1.0, allowed_decrease=1.0,
                                         excursions=False, tails=())))


def test_backtest_measures_stores_and_calibrates(tmp_path):
    db = quiet_store(tmp_path)
    with Store(db) as store:
        plain = backtest(store, baseline_days=7, candidate_hours=24)
        assert plain.pairs == 13  # days 8..20, one a day (the last day ends after the newest point)
        assert plain.metrics.set_index("metric")["false_alarm_rate"]["latency_ms"] == 0  # quiet history, quiet judge
        result = backtest(store, baseline_days=7, candidate_hours=24, config=STRICT)
        rates = result.metrics.set_index("metric")["false_alarm_rate"]
        assert rates["noisy"] > 0.2  # no allowance and alpha 0.4: day-to-day noise alarms
        store.write_backtest(result)
        assert store.false_alarm_rates()[("svc", "noisy")] == rates["noisy"]
        cut = T0 + dt.timedelta(days=14)
        verdict = judge(store, baseline=(None, cut), candidate=(cut, cut + dt.timedelta(days=1)), config=STRICT, save=False)
        shown = verdict.metrics.set_index("metric")["false_alarm_rate"]
        assert shown["noisy"] == rates["noisy"]
        overlay = result.overlay(0.05)
        calibrated = JudgeConfig.model_validate(overlay)
        assert calibrated.rule("noisy").allowed_increase > 1.0 or calibrated.rule("noisy").allowed_decrease < 1.0
        again = backtest(store, baseline_days=7, candidate_hours=24, config=calibrated)
        assert again.metrics.set_index("metric")["false_alarm_rate"]["noisy"] <= 0.05 + 1e-9


def test_backtest_cli_and_errors(tmp_path):
    db = quiet_store(tmp_path, days=10)
    out = tmp_path / "overlay.yaml"
    result = CliRunner().invoke(cli, ["judge", "backtest", "--db", str(db), "--overlay", str(out)])
    assert result.exit_code in (0, 2), result.output
    assert "replays of a 24-hour candidate against 7 days" in result.output
    assert JudgeConfig.model_validate(yaml.safe_load(out.read_text()))
    short = CliRunner().invoke(cli, ["judge", "backtest", "--db", str(db), "--baseline-days", "20"])
    assert short.exit_code == 1 and "shorter than a 20-day baseline" in short.output
