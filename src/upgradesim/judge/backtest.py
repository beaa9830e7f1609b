"""The judge replayed over history with no change in it: its own false-alarm rate, and thresholds
calibrated to a target rate.

Rolling pairs: a candidate window of ``candidate_hours`` starting every ``step_hours``, judged
against the ``baseline_days`` before it, all inside the given window (default: everything before
the plan's cutover). Every alarm in such a replay is a false alarm by construction (the period
held no change). Calibration raises each metric's ``allowed_increase``/``allowed_decrease`` to the
(1 - target) quantile of the effects that alarmed, so at most ``target`` of the replays would
have alarmed on the strength of the effect.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from .config import DEFAULT_CONFIG, JudgeConfig
from .verdict import _judge_all

__all__ = ["Backtest", "backtest", "BACKTEST_COLUMNS"]

BACKTEST_COLUMNS = ["service", "metric", "pairs", "alarms", "false_alarm_rate", "inconclusive"]


@dataclass(frozen=True)
class Backtest:
    baseline_days: float
    candidate_hours: float
    pairs: int
    alarm_rate: float  # over all (pair, metric) judgements
    metrics: pd.DataFrame  # BACKTEST_COLUMNS
    effects: dict = field(default_factory=dict)  # (service, metric) -> effects of the alarms (ratios)
    config: dict = field(default_factory=dict)

    def overlay(self, target: float = 0.05) -> dict:
        """The replayed judge config with calibrated rules first (first match wins) for the metrics
        whose false-alarm rate exceeds ``target``: a file ``judge --config`` takes as it is."""
        config = JudgeConfig.model_validate(self.config)
        rules = []
        for row in self.metrics.itertuples():
            if row.pairs == 0 or row.false_alarm_rate <= target:
                continue
            effects = np.asarray(self.effects.get((row.service, row.metric), []), float)
            ups, downs = effects[effects > 1], effects[(effects > 0) & (effects < 1)]
            # allow enough that at most floor(target x replays) would still alarm on their effect
            allowed = int(math.floor(target * row.pairs + 1e-9))
            rule = config.rule(row.metric).model_dump(mode="json") | {"match": row.metric}
            before = dict(rule)
            ups, downs = np.sort(ups)[::-1], np.sort(downs)
            if len(ups) > allowed:
                rule["allowed_increase"] = max(rule["allowed_increase"], round(float(ups[allowed]) * 1.01, 4))
            if len(downs) > allowed:
                rule["allowed_decrease"] = min(rule["allowed_decrease"], round(float(downs[allowed]) * 0.99, 4))
            if rule != before:
                rules.append(rule)
        doc = config.model_dump(mode="json")
        doc["metrics"] = rules + [r for r in doc["metrics"]]
        JudgeConfig.model_validate(doc)  # what is written must load
        return doc

    def to_dict(self) -> dict:
        from ..documents import json_records

        return {"baseline_days": self.baseline_days, "candidate_hours": self.candidate_hours, "pairs": self.pairs,
                "alarm_rate": self.alarm_rate, "metrics": json_records(self.metrics)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def backtest(store, *, window=(None, None), baseline_days: float = 7, candidate_hours: float = 24,
             step_hours: float | None = None, services=None, config: JudgeConfig | None = None,
             max_pairs: int = 60) -> Backtest:
    """Replay the judge over quiet history in the store (see the module text)."""
    config = config or DEFAULT_CONFIG
    rng = store.telemetry_range()
    if rng["rows"] == 0:
        raise DataError(f"{store.path}: no telemetry stored to backtest on (run ingest first)")
    start = pd.Timestamp(window[0] if window[0] is not None else rng["start"])
    end = pd.Timestamp(window[1] if window[1] is not None else rng["end"])
    start, end = (t if t.tzinfo else t.tz_localize("UTC") for t in (start, end))
    base_len, cand_len = pd.Timedelta(days=baseline_days), pd.Timedelta(hours=candidate_hours)
    step = pd.Timedelta(hours=step_hours or candidate_hours)
    first = start + base_len
    if first + cand_len > end:
        raise DataError(f"backtest: the history ({start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}) is shorter than "
                        f"a {baseline_days:g}-day baseline plus a {candidate_hours:g}-hour candidate")
    names = list(services or store.services())
    data = store.series(names, (start.to_pydatetime(), end.to_pydatetime()))
    starts = []
    t = first
    while t + cand_len <= end:
        starts.append(t)
        t += step
    if len(starts) > max_pairs:  # evenly spread, always including the newest
        idx = np.unique(np.linspace(0, len(starts) - 1, max_pairs).round().astype(int))
        starts = [starts[i] for i in idx]
    tally: dict = {}
    effects: dict = {}
    for t0 in starts:
        lo, mid, hi = (int(x.timestamp()) for x in (t0 - base_len, t0, t0 + cand_len))
        base, cand = {}, {}
        for key, (sec, value, total) in data.items():
            a, b, c = np.searchsorted(sec, [lo, mid, hi])
            base[key] = (sec[a:b], value[a:b], total[a:b])
            cand[key] = (sec[b:c], value[b:c], total[b:c])
        for row in _judge_all(names, base, cand, config, "seasonal"):
            if row["class"] == "Error":
                raise DataError(f"backtest: {row['service']} {row['explanation']}")
            key = (row["service"], row["metric"])
            t_ = tally.setdefault(key, [0, 0, 0])
            if row["class"] in ("Inconclusive", "NoData"):
                t_[2] += 1
                continue
            t_[0] += 1
            if row["fails"]:
                t_[1] += 1
                if math.isfinite(row["effect"]):
                    effects.setdefault(key, []).append(float(row["effect"]))
    rows = [{"service": s, "metric": m, "pairs": p, "alarms": a, "false_alarm_rate": a / p if p else math.nan,
             "inconclusive": i} for (s, m), (p, a, i) in sorted(tally.items())]
    frame = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    judged = int(frame["pairs"].sum()) if len(frame) else 0
    rate = float(frame["alarms"].sum() / judged) if judged else math.nan
    return Backtest(float(baseline_days), float(candidate_hours), len(starts), rate, frame, effects,
                    config.model_dump(mode="json"))
