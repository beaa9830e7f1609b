"""The verdict layer, exactly (issue 13): every branch of the service score and verdict, the
overall order, exit codes, the comparison text, per-timestamp aggregation, and the JSON form."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from upgradesim.judge.config import JudgeConfig, MetricRule
from upgradesim.judge.verdict import (
    EXIT_CODES,
    SERVICE_COLUMNS,
    _judge_serial,
    _scores,
    _seasonal_text,
    _verdict,
    judge_frames,
    samples_by_series,
)

CONFIG = JudgeConfig(groups={"lat": 3.0})


def metric(service, name, cls, *, fails=False, critical=False, group=None, explanation=None):
    return {"service": service, "metric": name, "class": cls, "fails": fails, "critical": critical,
            "group": group or name, "explanation": explanation or f"{name}: {cls}."}


def scores(rows, config=CONFIG, services=None):
    frame = pd.DataFrame(rows)
    services = services or list(dict.fromkeys(frame["service"]))
    table, overall = _scores(frame, config, services)
    return {r.service: (r.verdict, None if math.isnan(r.score) else round(r.score, 6), r.reason)
            for r in table.itertuples()}, overall


def test_an_error_decides_its_service_and_the_whole_verdict():
    table, overall = scores([metric("a", "lat", "Error"), metric("a", "cpu", "Error"), metric("a", "mem", "Pass"),
                             metric("b", "lat", "High", fails=True, critical=True)])
    assert table["a"] == ("Error", None, "could not judge lat, cpu (an internal error)")
    assert table["b"][0] == "Fail" and overall == "Error"  # Error outranks Fail


def test_services_with_nothing_judged():
    table, overall = scores([metric("a", "x", "NoData"), metric("a", "y", "NoData"),
                             metric("b", "x", "NoData"), metric("b", "y", "Inconclusive", explanation="y: too few."),
                             metric("b", "z", "Inconclusive", explanation="z: gaps."),
                             metric("b", "w", "Inconclusive", explanation="w: flat."),
                             metric("b", "v", "Inconclusive", explanation="v: never shown.")])
    assert table["a"] == ("NoData", None, "no metric had data")
    assert table["b"] == ("Inconclusive", None, "no metric could be judged: x: NoData.; y: too few.; z: gaps.")
    assert overall == "Inconclusive"
    critical = [metric("c", "errors", "NoData", critical=True)]
    assert scores(critical)[0]["c"][0] == "NoData"
    assert scores(critical, JudgeConfig(critical_missing="fail"))[0]["c"] == ("Fail", None, "no metric had data")


def test_weighted_score_by_group():
    """lat weighs 3: lat_a passes, lat_b fails (group lat: 0.5); cpu fails (weight 1): (3 x 0.5 + 0) / 4."""
    rows = [metric("s", "lat_a", "Pass", group="lat"), metric("s", "lat_b", "High", fails=True, group="lat"),
            metric("s", "cpu", "High", fails=True)]
    assert scores(rows)[0]["s"] == ("Fail", 37.5, "score 38 (< 75 pass, 50 marginal); failing: lat_b, cpu")
    rows[2] = metric("s", "cpu", "Pass")
    assert scores(rows)[0]["s"] == ("Marginal", 62.5, "score 62 (< 75 pass, 50 marginal); failing: lat_b")
    rows[1] = metric("s", "lat_b", "Low")  # judged, not failing
    assert scores(rows)[0]["s"] == ("Pass", 100.0, "score 100 (>= 75 pass, 50 marginal); every metric passed")


@pytest.mark.parametrize("passing, expected", [(3, "Pass"), (2, "Marginal"), (1, "Fail")])
def test_score_thresholds_are_inclusive(passing, expected):
    """4 equal metrics: 3 pass = 75 (pass, inclusive), 2 pass = 50 (marginal, inclusive), 1 = 25."""
    rows = [metric("s", f"m{i}", "Pass" if i < passing else "High", fails=i >= passing) for i in range(4)]
    assert scores(rows, JudgeConfig())[0]["s"][:2] == (expected, 25.0 * passing)


def test_a_critical_metric_decides():
    rows = [metric("s", "errors", "High", fails=True, critical=True), metric("s", "a", "Pass"), metric("s", "b", "Pass"),
            metric("s", "c", "Pass"), metric("s", "d", "Pass")]
    assert scores(rows)[0]["s"] == ("Fail", 80.0, "critical metric errors failed")
    missing = [metric("s", "errors", "NoData", critical=True), metric("s", "lat", "Pass")]
    assert scores(missing)[0]["s"] == ("Inconclusive", 100.0, "critical metric errors could not be judged (NoData)")
    assert scores(missing, JudgeConfig(critical_missing="fail"))[0]["s"][0] == "Fail"
    unjudged = [metric("s", "x", "Inconclusive"), metric("s", "y", "NoData"), metric("s", "lat", "Pass")]
    assert scores(unjudged)[0]["s"] == ("Pass", 100.0, "score 100 (>= 75 pass, 50 marginal); every metric passed; "
                                                       "not judged: x, y")


def test_overall_is_the_worst_service_and_no_service_is_nodata():
    order = ["Pass", "NoData", "Inconclusive", "Marginal", "Fail", "Error"]
    assert EXIT_CODES == {"Pass": 0, "Error": 1, "Fail": 2, "Marginal": 3, "Inconclusive": 3, "NoData": 3}
    table, overall = _scores(pd.DataFrame(columns=["service", "metric", "class", "fails", "critical", "group",
                                                   "explanation"]), CONFIG, [])
    assert overall == "NoData" and list(table.columns) == SERVICE_COLUMNS and table.empty
    rows = {"Pass": [metric("p", "m", "Pass")], "NoData": [metric("n", "m", "NoData")],
            "Inconclusive": [metric("i", "m", "Inconclusive")],
            "Marginal": [metric("g", "a", "Pass"), metric("g", "b", "High", fails=True)],
            "Fail": [metric("f", "m", "High", fails=True)], "Error": [metric("e", "m", "Error")]}
    for i, worst in enumerate(order):
        together = [r for name in order[: i + 1] for r in rows[name]]
        got = scores(together, JudgeConfig(marginal_score=50, pass_score=75))[1]
        assert got == worst


def test_the_comparison_text():
    assert _seasonal_text([{"cycle": "none"}, {"cycle": ""}, {}]) == (
        "candidate against the baseline (no daily or weekly cycle proven in the baseline)")
    assert _seasonal_text([{"cycle": "weekly"}, {"cycle": "none"}, {"cycle": "daily"}]) == (
        "candidate against the baseline, with the daily or weekly cycle the baseline shows taken out of both")
    assert _seasonal_text([{"cycle": "daily"}]).endswith("with the daily cycle the baseline shows taken out of both")


T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def long(values, metric="lat", service="svc", hosts=None, step=60):
    hosts = hosts or ["h1"] * len(values)
    return pd.DataFrame({"ts": [T0 + dt.timedelta(seconds=step * (i // len(set(hosts)) if len(set(hosts)) > 1 else i))
                                for i in range(len(values))],
                         "service": service, "metric": metric, "value": values, "host": hosts})


def test_samples_are_the_hosts_mean_and_sum_per_timestamp():
    frame = long([1.0, 3.0, 10.0, np.nan, 5.0, 7.0], hosts=["a", "b"] * 3)
    frame = pd.concat([frame, long([2.0], metric="cpu")])
    got = samples_by_series(frame.sample(frac=1, random_state=3))  # any row order
    t, value, total = got[("svc", "lat")]
    start = int(T0.timestamp())
    assert t.tolist() == [start, start + 60, start + 120]
    assert value.tolist() == [2.0, 10.0, 6.0] and total.tolist() == [4.0, 10.0, 12.0]  # NaN left out of both
    assert list(got) == [("svc", "cpu"), ("svc", "lat")] and got[("svc", "cpu")][1].tolist() == [2.0]
    assert samples_by_series(frame.iloc[:0]) == {}
    text = long(["1", "x"])
    assert np.isnan(samples_by_series(text)[("svc", "lat")][1][1])  # an unreadable value is missing


def test_ignored_metrics_and_denominators_are_not_judged_alone():
    config = JudgeConfig(ignore=("debug*",), metrics=(
        MetricRule(match="errors", kind="count", denominator="requests", direction="increase"),))
    base = samples_by_series(pd.concat([long([1.0] * 30, m) for m in ("errors", "requests", "debug_x", "lat")]))
    rows = _judge_serial(["svc"], base, base, config, "control")
    assert [r["metric"] for r in rows] == ["errors", "lat"]
    assert {r["class"] for r in rows} == {"Pass"}


def test_the_json_form_and_false_alarm_rates():
    base = pd.concat([long([10.0 + (i % 3) for i in range(40)], m) for m in ("lat", "cpu")])
    verdict = judge_frames(base, base, JudgeConfig(), mode="control", baseline_window=(T0, None),
                           candidate_window=("2026-01-06", T0), false_alarms={("svc", "lat"): 0.02})
    assert verdict.comparison == "candidate against control" and verdict.exit_code == 0
    doc = json.loads(verdict.to_json())
    assert list(doc) == ["verdict", "mode", "comparison", "baseline_window", "candidate_window", "services", "metrics"]
    assert doc["baseline_window"] == ["2026-01-05T00:00:00+00:00", None]
    assert doc["candidate_window"] == ["2026-01-06", "2026-01-05T00:00:00+00:00"]
    rates = {m["metric"]: m["false_alarm_rate"] for m in doc["metrics"]}
    assert rates == {"cpu": None, "lat": 0.02}
    assert all(isinstance(m["checks"], list) for m in doc["metrics"])
    assert doc["services"] == [{"service": "svc", "verdict": "Pass", "score": 100.0,
                                "reason": "score 100 (>= 75 pass, 50 marginal); every metric passed"}]
    empty = _verdict([], [], JudgeConfig(), "seasonal", "c", (None, None), (None, None))
    assert empty.verdict == "NoData" and empty.exit_code == 3 and empty.metrics.empty


def _telemetry(tmp_path, rows):
    from upgradesim.store import Store

    frame = pd.DataFrame(rows, columns=["ts", "service", "metric", "value", "host"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame.to_parquet(tmp_path / "t.parquet")
    store = Store(tmp_path / "s.duckdb")
    store.ingest([tmp_path / "t.parquet"])
    return store


def _points(service, host, level, n=40, metric="lat"):
    return [(T0 + dt.timedelta(minutes=10 * i), service, metric, level + (i % 3), host) for i in range(n)]


def test_canary_against_named_control_hosts_or_all_others(tmp_path):
    """canary-1 runs 50% slower than web-*; old-* (the other hosts) runs like the canary."""
    from upgradesim.judge.verdict import judge

    rows = (_points("shop", "canary-1", 150) + _points("shop", "web-1", 100) + _points("shop", "web-2", 100)
            + _points("shop", "old-1", 150) + _points("cart", "web-1", 10))
    config = JudgeConfig(metrics=(MetricRule(match="lat", kind="continuous", direction="increase"),))
    with _telemetry(tmp_path, rows) as store:
        named = judge(store, canary_hosts="canary-*", control_hosts="web-*", services=["shop"], config=config,
                      save=False)
        others = judge(store, canary_hosts="canary-*", services=["shop"], config=config, save=True)
        seasonal = judge(store, config=config, save=False, baseline=(None, None), candidate=(None, None))
        stored = store.verdict()
    assert named.comparison == "canary hosts 'canary-*' against control hosts 'web-*' over the same window"
    assert named.verdict == "Fail" and list(named.metrics.service) == ["shop"]
    # means over 40 points of level + (i % 3): 0.975 above the level; the baseline is web-1 and web-2 only
    assert (named.metrics.baseline_value.iloc[0], named.metrics.candidate_value.iloc[0]) == (100.975, 150.975)
    # all others: the mean of web-1, web-2 and old-1 at each time, never the canary itself
    assert others.metrics.baseline_value.iloc[0] == pytest.approx(350 / 3 + 0.975)
    assert others.comparison == "canary hosts 'canary-*' against control hosts 'all others' over the same window"
    assert others.metrics["class"].iloc[0] == "High"  # against web-1, web-2 and old-1 together
    assert others.baseline_window == others.candidate_window == (None, None) and others.mode == "control"
    assert stored.verdict_id and stored.comparison == others.comparison  # saved; the other two were not
    assert seasonal.mode == "seasonal" and sorted(set(seasonal.metrics.service)) == ["cart", "shop"]
    assert seasonal.comparison.startswith("candidate against the baseline")


def test_many_services_over_workers_give_every_row_once():
    from upgradesim.judge.verdict import _judge_all

    base = pd.concat([long([10.0 + (i % 3) for i in range(30)], service=f"s{s:02d}") for s in range(13)])
    b = samples_by_series(base)
    services = sorted({s for s, _ in b})
    serial = _judge_all(services, b, b, JudgeConfig(), "control", workers=1)
    parallel = _judge_all(services, b, b, JudgeConfig(), "control", workers=2)
    assert [r["service"] for r in parallel] == services == [r["service"] for r in serial]
    assert pd.DataFrame(parallel).equals(pd.DataFrame(serial))
    from upgradesim.judge import verdict as verdict_module

    verdict_module._SHARED["args"] = (b, b, JudgeConfig(), "seasonal")  # what a forked worker inherits
    try:
        chunk = verdict_module._judge_chunk(["s03", "s07"])
    finally:
        verdict_module._SHARED.clear()
    assert chunk == _judge_serial(["s03", "s07"], b, b, JudgeConfig(), "seasonal") and chunk[0]["service"] == "s03"
    assert chunk[0]["explanation"].endswith("(the baseline covers less than two days, so no daily cycle can be "
                                            "checked): Pass.")  # judged in the mode it inherited
    ghosts = _judge_all(services + ["zz-ghost"], b, b, JudgeConfig(), "control", workers=2)
    assert [r["service"] for r in ghosts] == services  # a service without series has no rows, over workers too


def test_the_json_text_and_checks_given_as_lists():
    base = long([10.0 + (i % 3) for i in range(40)])
    verdict = judge_frames(base, base, JudgeConfig(), mode="control")
    assert verdict.to_json().startswith('{\n  "verdict": "Pass",\n  "mode": "control",')
    listed = verdict.metrics.assign(checks=[[{"name": "level"}]])
    again = _verdict([], [], JudgeConfig(), "control", "c", (None, None), (None, None))
    shown = type(verdict)(verdict.verdict, verdict.services, listed, "control", "c", (None, None), (None, None))
    assert shown.to_dict()["metrics"][0]["checks"] == [{"name": "level"}] and again.to_dict()["metrics"] == []


def test_the_verdicts_columns_configuration_and_error_rows(monkeypatch):
    from upgradesim.judge import verdict as verdict_module
    from upgradesim.judge.metric import METRIC_COLUMNS

    base = long([10.0 + (i % 3) for i in range(40)])
    config = JudgeConfig(pass_score=80)
    seasonal = judge_frames(base, base, config)
    assert seasonal.mode == "seasonal" and list(seasonal.metrics.columns) == METRIC_COLUMNS
    assert seasonal.config == config.model_dump(mode="json") and seasonal.config["pass_score"] == 80
    assert seasonal.metrics["false_alarm_rate"].isna().all()  # none given: unknown, not zero

    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(verdict_module, "judge_metric", boom)
    broken = judge_frames(base, base, config, mode="control")
    row = broken.metrics.iloc[0]
    assert (row["class"], row["kind"], row["test"]) == ("Error", "auto", "none")
    assert row["explanation"] == "lat: could not be judged (ZeroDivisionError: division by zero): Error."
    assert broken.verdict == "Error" and broken.exit_code == 1 and math.isnan(broken.services.score.iloc[0])


def _cyclic(days, start=T0, seed=1, service="svc"):
    """Hourly latency with a daily cycle (100 +- 30) and a little noise."""
    n = days * 24
    noise = np.random.default_rng(seed).normal(0, 2, n)
    return pd.DataFrame({"ts": [start + dt.timedelta(hours=h) for h in range(n)], "service": service, "metric": "lat",
                         "value": 100 + 30 * np.sin(2 * np.pi * (np.arange(n) % 24) / 24) + noise, "host": "h1"})


LAT = JudgeConfig(metrics=(MetricRule(match="lat", kind="continuous", direction="increase"),))


def test_only_the_seasonal_mode_takes_a_cycle_out():
    base, cand = _cyclic(14), _cyclic(1, T0 + dt.timedelta(days=14), seed=2)
    seasonal, control = judge_frames(base, cand, LAT), judge_frames(base, cand, LAT, mode="control")
    assert (seasonal.metrics.cycle.tolist(), control.metrics.cycle.tolist()) == (["daily"], ["none"])
    assert seasonal.comparison == ("candidate against the baseline, with the daily cycle the baseline shows taken "
                                   "out of both")


def test_a_store_judged_over_two_windows_takes_its_cycle_out_and_keeps_given_false_alarm_rates(tmp_path):
    from upgradesim.judge.verdict import judge

    split = T0 + dt.timedelta(days=14)
    frame = pd.concat([_cyclic(14), _cyclic(1, split, seed=2)])
    rows = list(frame[["ts", "service", "metric", "value", "host"]].itertuples(index=False, name=None))
    with _telemetry(tmp_path, rows) as store:
        seasonal = judge(store, baseline=(T0, split), candidate=(split, split + dt.timedelta(days=1)), config=LAT,
                         save=False, false_alarms={("svc", "lat"): 0.25})
    assert seasonal.metrics.cycle.tolist() == ["daily"] and seasonal.comparison.endswith("taken out of both")
    assert seasonal.metrics.false_alarm_rate.tolist() == [0.25]  # given: the store's own rates do not replace it


def test_samples_put_every_zone_on_utc():
    mixed = pd.DataFrame({"ts": ["2026-01-05T01:00:00+01:00", "2026-01-05T00:00:00Z", "2026-01-05T00:01:00+00:00"],
                          "service": "s", "metric": "m", "value": [1.0, 3.0, 5.0], "host": ["a", "b", "a"]})
    t, value, total = samples_by_series(mixed)[("s", "m")]
    assert t.tolist() == [1767571200, 1767571260] and value.tolist() == [2.0, 5.0] and total.tolist() == [4.0, 5.0]
    ints = samples_by_series(long([1, 2, 4]))[("svc", "lat")]
    assert ints[1].dtype == np.float64 and ints[1].tolist() == [1.0, 2.0, 4.0]


def test_services_without_series_and_metrics_without_a_baseline():
    from upgradesim.judge.verdict import _judge_all

    b = samples_by_series(long([1.0, 2.0]))
    assert [r["service"] for r in _judge_all(["svc", "ghost"], b, b, JudgeConfig(), "control", 1)] == ["svc"]
    steady = long([10.0 + (i % 3) for i in range(40)])
    verdict = judge_frames(steady, pd.concat([steady, long([1.0] * 40, metric="new")]), JudgeConfig(), mode="control")
    row = verdict.metrics.set_index("metric").loc["new"]
    assert (row["class"], row["explanation"]) == ("NoData", "new: no baseline points: NoData.")


def test_an_empty_verdict_keeps_its_columns_and_unknown_rates_stay_numeric():
    from upgradesim.judge.metric import METRIC_COLUMNS

    empty = _verdict([], [], JudgeConfig(), "seasonal", "c", (None, None), (None, None))
    assert list(empty.metrics.columns) == METRIC_COLUMNS
    steady = long([10.0 + (i % 3) for i in range(40)])
    verdict = judge_frames(steady, steady, JudgeConfig(), mode="control", false_alarms={("other", "x"): 0.1})
    assert verdict.metrics.false_alarm_rate.dtype == np.float64 and verdict.metrics.false_alarm_rate.isna().all()


def test_critical_metrics_that_could_not_be_judged_or_failed_are_all_named():
    unsure = [metric("s", "errors", "Inconclusive", critical=True), metric("s", "avail", "NoData", critical=True),
              metric("s", "lat", "Pass")]
    assert scores(unsure)[0]["s"] == ("Inconclusive", 100.0,
                                      "critical metric errors, avail could not be judged (Inconclusive, NoData)")
    failed = [metric("s", "errors", "High", fails=True, critical=True),
              metric("s", "avail", "Low", fails=True, critical=True), metric("s", "lat", "Pass")]
    assert scores(failed)[0]["s"][2] == "critical metric errors, avail failed"
