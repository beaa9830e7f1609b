"""The post-upgrade / canary verdict: every metric judged like with like, explained in words.

Two comparisons:

- **seasonal** (before/after): the candidate against the baseline, with a daily or weekly cycle
  taken out of both when the baseline proves one (:mod:`.series`).
- **control** (canary): candidate hosts against control hosts over the same window.

Each metric is judged by :func:`.metric.judge_metric` (level, tail, excursion or rate checks);
services get a weighted score; a critical metric decides its service. Overall verdicts, worst
first: ``Error`` (a computation failed: exit 1), ``Fail``, ``Marginal``, ``Inconclusive``,
``NoData``, ``Pass``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..documents import json_records, json_value
from .config import DEFAULT_CONFIG, JudgeConfig
from .metric import _EMPTY, METRIC_COLUMNS, Samples, _row, judge_metric

__all__ = ["Verdict", "judge_frames", "judge", "METRIC_COLUMNS", "SERVICE_COLUMNS", "EXIT_CODES", "samples_by_series"]

SERVICE_COLUMNS = ["service", "verdict", "score", "reason"]
_ORDER = {"Error": 5, "Fail": 4, "Marginal": 3, "Inconclusive": 2, "NoData": 1, "Pass": 0}
EXIT_CODES = {"Pass": 0, "Error": 1, "Fail": 2, "Marginal": 3, "Inconclusive": 3, "NoData": 3}


@dataclass(frozen=True)
class Verdict:
    """The result of a judge run: overall verdict, one row per service, one row per metric."""

    verdict: str
    services: pd.DataFrame
    metrics: pd.DataFrame
    mode: str
    comparison: str
    baseline_window: tuple
    candidate_window: tuple
    config: dict = field(default_factory=dict)
    verdict_id: str | None = None  # set when read back from a store
    created_at: object = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_dict(self) -> dict:
        """A stable JSON-ready document (each metric's checks as objects, not text)."""
        metrics = json_records(self.metrics)
        for row in metrics:
            row["checks"] = json.loads(row["checks"]) if isinstance(row.get("checks"), str) else row.get("checks")
        return {
            "verdict": self.verdict,
            "mode": self.mode,
            "comparison": self.comparison,
            "baseline_window": [json_value(x) for x in self.baseline_window],
            "candidate_window": [json_value(x) for x in self.candidate_window],
            "services": json_records(self.services),
            "metrics": metrics,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def judge(store, *, baseline=(None, None), candidate=(None, None), services=None, config: JudgeConfig | None = None,
          canary_hosts: str | None = None, control_hosts: str | None = None, save: bool = True,
          false_alarms: dict | None = None, workers: int = 1) -> Verdict:
    """Judge the candidate against the baseline from the store's telemetry, and store the verdict.

    With ``canary_hosts`` (a glob) the comparison is canary hosts against control hosts
    (``control_hosts``, or every other host) over the candidate window. Telemetry is aggregated
    per timestamp in DuckDB and read a batch of services at a time. ``false_alarms`` maps
    (service, metric) to a backtested false-alarm rate shown beside each verdict (by default the
    store's newest backtest, when there is one).
    """
    config = config or DEFAULT_CONFIG
    names = list(services or store.services())
    mode = "control" if canary_hosts else "seasonal"
    if canary_hosts:
        cand_series = store.series(names, candidate, hosts_like=canary_hosts)
        base_series = (store.series(names, candidate, hosts_like=control_hosts) if control_hosts
                       else store.series(names, candidate, hosts_not_like=canary_hosts))
    else:
        base_series = store.series(names, baseline)
        cand_series = store.series(names, candidate)
    rows = _judge_all(names, base_series, cand_series, config, mode, workers)
    if canary_hosts:
        comparison = (f"canary hosts {canary_hosts!r} against control hosts "
                      f"{control_hosts or 'all others'!r} over the same window")
        baseline = candidate
    else:
        comparison = _seasonal_text(rows)
    if false_alarms is None and hasattr(store, "false_alarm_rates"):
        false_alarms = store.false_alarm_rates()
    verdict = _verdict(rows, names, config, mode, comparison, baseline, candidate, false_alarms)
    if save:
        store.write_verdict(verdict)
    return verdict


def _seasonal_text(rows) -> str:
    cycles = sorted({r["cycle"] for r in rows if r.get("cycle")})
    found = [c for c in cycles if c != "none"]
    text = "candidate against the baseline"
    if found:
        return text + f", with the {' or '.join(found)} cycle the baseline shows taken out of both"
    return text + " (no daily or weekly cycle proven in the baseline)"


def samples_by_series(frame: pd.DataFrame) -> dict[tuple[str, str], Samples]:
    """Long rows (ts, service, metric, value[, host]) as one sample per series and timestamp:
    the hosts' mean (value) and sum (total), times in epoch seconds."""
    if not len(frame):
        return {}
    ts = pd.to_datetime(frame["ts"], utc=True)
    work = pd.DataFrame({"service": frame["service"].astype(str), "metric": frame["metric"].astype(str),
                         "t": ts.to_numpy(dtype="datetime64[s]").view("int64"),
                         "value": pd.to_numeric(frame["value"], errors="coerce")})
    grouped = work.groupby(["service", "metric", "t"], sort=True)["value"]
    agg = pd.DataFrame({"value": grouped.mean(), "total": grouped.sum(min_count=1)}).reset_index()
    out = {}
    for (service, metric), part in agg.groupby(["service", "metric"]):  # agg is sorted already
        out[(service, metric)] = (part["t"].to_numpy(np.int64), part["value"].to_numpy(float),
                                  part["total"].to_numpy(float))
    return out


def judge_frames(base: pd.DataFrame, cand: pd.DataFrame, config: JudgeConfig | None = None, *, mode: str = "seasonal",
                 comparison: str | None = None, baseline_window=(None, None), candidate_window=(None, None),
                 false_alarms: dict | None = None) -> Verdict:
    """Judge two long-form samples (ts, service, metric, value[, host]) metric by metric."""
    config = config or DEFAULT_CONFIG
    b, c = samples_by_series(base), samples_by_series(cand)
    services = sorted({s for s, _ in b} | {s for s, _ in c})
    rows = _judge_all(services, b, c, config, mode)
    if comparison is None:
        comparison = _seasonal_text(rows) if mode == "seasonal" else "candidate against control"
    return _verdict(rows, services, config, mode, comparison, baseline_window, candidate_window, false_alarms)


_SHARED: dict = {}  # the series a forked worker reads (inherited, never pickled)


def _judge_chunk(services) -> list[dict]:
    base, cand, config, mode = _SHARED["args"]
    return _judge_serial(services, base, cand, config, mode)


def _judge_all(services, base: dict, cand: dict, config, mode, workers: int = 1) -> list[dict]:
    """Every metric of every service; with ``workers`` > 1, services are split over forked processes
    (same rows in the same order whatever the number of workers)."""
    services = list(services)
    if workers <= 1 or len(services) < 2 * workers:
        return _judge_serial(services, base, cand, config, mode)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    chunks = [services[i::workers * 4] for i in range(workers * 4)]
    _SHARED["args"] = (base, cand, config, mode)
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            parts = list(pool.map(_judge_chunk, chunks))
    finally:
        _SHARED.clear()
    by_service: dict = {}
    for part in parts:
        for row in part:
            by_service.setdefault(row["service"], []).append(row)
    return [row for service in services for row in by_service.get(service, [])]


def _judge_serial(services, base: dict, cand: dict, config, mode) -> list[dict]:
    rows = []
    by_service: dict = {}
    for s, m in list(base) + list(cand):
        by_service.setdefault(s, set()).add(m)
    for service in services:
        for metric in sorted(by_service.get(service, ())):
            if config.ignored(metric):
                continue
            rule = config.rule(metric)
            den = rule.denominator  # read for counts and rates; a continuous metric ignores it
            try:
                rows.append(judge_metric(
                    service, metric, rule, config, base.get((service, metric), _EMPTY),
                    cand.get((service, metric), _EMPTY), base.get((service, den)), cand.get((service, den)),
                    seasonal=mode == "seasonal"))
            except Exception as exc:  # noqa: BLE001 - recorded as Error, which makes the verdict an error (exit 1)
                rows.append(_row(service, metric, rule, "Error", rule.kind,
                                 explanation=f"{metric}: could not be judged ({type(exc).__name__}: {exc}): Error."))
    return rows


def _verdict(rows, services, config, mode, comparison, baseline_window, candidate_window, false_alarms=None) -> Verdict:
    metrics_df = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    if false_alarms and len(metrics_df):
        metrics_df["false_alarm_rate"] = [false_alarms.get((s, m), math.nan)
                                          for s, m in zip(metrics_df["service"], metrics_df["metric"], strict=True)]
    services_df, overall = _scores(metrics_df, config, list(services))
    return Verdict(overall, services_df, metrics_df, mode, comparison, tuple(baseline_window),
                   tuple(candidate_window), config.model_dump(mode="json"))


# ----------------------------------------------------------------------------- scores


def _scores(metrics: pd.DataFrame, config: JudgeConfig, services: list[str]) -> tuple[pd.DataFrame, str]:
    rows = []
    for service in services:
        m = metrics[metrics["service"] == service]
        errors = m[m["class"] == "Error"]
        if len(errors):
            rows.append({"service": service, "verdict": "Error", "score": math.nan,
                         "reason": "could not judge " + ", ".join(errors["metric"]) + " (an internal error)"})
            continue
        judged = m[m["class"].isin(["Pass", "High", "Low"])]
        missing_critical = m[m["critical"] & m["class"].isin(["NoData", "Inconclusive"])]
        if judged.empty:
            verdict = "NoData" if (m["class"] == "NoData").all() else "Inconclusive"
            reason = ("no metric had data" if verdict == "NoData" else "no metric could be judged: "
                      + "; ".join(m["explanation"].head(3)))
            if len(missing_critical) and config.critical_missing == "fail":
                verdict = "Fail"
            rows.append({"service": service, "verdict": verdict, "score": math.nan, "reason": reason})
            continue
        total = weights = 0.0
        for group, g in judged.groupby("group"):
            w = config.weight(group)
            total += w * (1 - g["fails"].mean())
            weights += w
        score = 100 * total / weights
        critical = judged[judged["fails"] & judged["critical"]]
        failing = judged[judged["fails"]]
        if not critical.empty:
            verdict = "Fail"
            reason = f"critical metric {', '.join(critical['metric'])} failed"
        elif len(missing_critical):
            verdict = "Fail" if config.critical_missing == "fail" else "Inconclusive"
            reason = (f"critical metric {', '.join(missing_critical['metric'])} could not be judged "
                      f"({', '.join(missing_critical['class'])})")
        else:
            verdict = "Pass" if score >= config.pass_score else "Marginal" if score >= config.marginal_score else "Fail"
            reason = (f"score {score:.0f} "
                      f"({'>=' if verdict == 'Pass' else '<'} {config.pass_score:g} pass, {config.marginal_score:g} marginal)"
                      + (f"; failing: {', '.join(failing['metric'])}" if len(failing) else "; every metric passed"))
            unjudged = m[m["class"].isin(["NoData", "Inconclusive"])]
            if len(unjudged):
                reason += f"; not judged: {', '.join(unjudged['metric'])}"
        rows.append({"service": service, "verdict": verdict, "score": score, "reason": reason})
    frame = pd.DataFrame(rows, columns=SERVICE_COLUMNS)
    overall = max(frame["verdict"], key=_ORDER.get) if len(frame) else "NoData"
    return frame, overall
