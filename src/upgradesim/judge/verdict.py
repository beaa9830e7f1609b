"""The post-upgrade / canary verdict: every metric judged like with like, explained in a sentence.

Two comparisons:

- **seasonal** (before/after): each candidate point is compared with the same UTC hour of week
  in the baseline weeks. Values are divided by that hour's baseline median (or offset from it when
  a median is zero), so daily and weekly cycles are not mistaken for a regression.
- **control** (canary): candidate hosts against control hosts over the same window.

Continuous metrics: two-sided Mann-Whitney U with the Hodges-Lehmann shift and its interval, an
effect-size threshold on the ratio of means, a tail check (p95/p99) and a spread check
(Brown-Forsythe). Count metrics (errors out of requests): an exact conditional rate test.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..documents import json_records, json_value
from .config import DEFAULT_CONFIG, JudgeConfig, MetricRule
from .statistics import rank_test, rate_test, spread_test

__all__ = ["Verdict", "judge_frames", "judge", "METRIC_COLUMNS"]

METRIC_COLUMNS = ["service", "metric", "kind", "direction", "class", "fails", "critical", "group", "test",
                  "statistic", "p_value", "effect", "shift", "low", "high", "threshold", "baseline_n",
                  "candidate_n", "baseline_p95", "candidate_p95", "baseline_p99", "candidate_p99", "explanation"]
SERVICE_COLUMNS = ["service", "verdict", "score", "reason"]
_ORDER = {"Fail": 3, "Marginal": 2, "Pass": 1, "NoData": 0}


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

    def to_dict(self) -> dict:
        """A stable JSON-ready document."""
        return {
            "verdict": self.verdict,
            "mode": self.mode,
            "comparison": self.comparison,
            "baseline_window": [json_value(x) for x in self.baseline_window],
            "candidate_window": [json_value(x) for x in self.candidate_window],
            "services": json_records(self.services),
            "metrics": json_records(self.metrics),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def judge(store, *, baseline=(None, None), candidate=(None, None), services=None, config: JudgeConfig | None = None,
          canary_hosts: str | None = None, control_hosts: str | None = None, save: bool = True) -> Verdict:
    """Judge the candidate against the baseline from the store's telemetry, and store the verdict.

    With ``canary_hosts`` (a glob) the comparison is canary hosts against control hosts
    (``control_hosts``, or every other host) over the candidate window. Services are read and
    judged one at a time, so memory holds one service's samples, never the whole store.
    """
    config = config or DEFAULT_CONFIG
    names = services or store.services()
    mode = "control" if canary_hosts else "seasonal"
    metric_rows, weeks = [], 0
    for service in names:
        if canary_hosts:
            cand = store.samples([service], candidate, hosts_like=canary_hosts)
            base = (store.samples([service], candidate, hosts_like=control_hosts) if control_hosts
                    else store.samples([service], candidate, hosts_not_like=canary_hosts))
        else:
            base = store.samples([service], baseline, aggregate=True)
            cand = store.samples([service], candidate, aggregate=True)
            weeks = max(weeks, _weeks(base))
        metric_rows.extend(_judge_service(service, base, cand, config, mode))
    if canary_hosts:
        comparison = (f"canary hosts {canary_hosts!r} against control hosts "
                      f"{control_hosts or 'all others'!r} over the same window")
        baseline = candidate
    else:
        comparison = _seasonal_text(weeks)
    verdict = _verdict(metric_rows, names, config, mode, comparison, baseline, candidate)
    if save:
        store.write_verdict(verdict)
    return verdict


def _seasonal_text(weeks: int) -> str:
    if weeks > 1:
        return (f"candidate against the same UTC hours of week in {weeks} baseline weeks (each value divided by "
                "that hour's median in the other baseline weeks)")
    return ("candidate against the same UTC hours of day (weekdays and weekends apart) in 1 baseline week "
            "(each value divided by that hour's median on the other days)")


def judge_frames(base: pd.DataFrame, cand: pd.DataFrame, config: JudgeConfig | None = None, *, mode: str = "seasonal",
                 comparison: str | None = None, baseline_window=(None, None), candidate_window=(None, None)) -> Verdict:
    """Judge two long-form samples (ts, service, metric, value[, host]) metric by metric."""
    config = config or DEFAULT_CONFIG
    if mode == "seasonal":
        base, cand = _aggregate(base), _aggregate(cand)
    services = sorted(set(base["service"]) | set(cand["service"])) if len(base) or len(cand) else []
    by_b = dict(tuple(base.groupby("service"))) if len(base) else {}
    by_c = dict(tuple(cand.groupby("service"))) if len(cand) else {}
    rows = []
    for service in services:
        rows.extend(_judge_service(service, by_b.get(service, base.iloc[:0]), by_c.get(service, cand.iloc[:0]),
                                   config, mode))
    if comparison is None:
        comparison = _seasonal_text(_weeks(base)) if mode == "seasonal" else "candidate against control"
    return _verdict(rows, services, config, mode, comparison, baseline_window, candidate_window)


def _aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per service, metric and timestamp: the hosts' mean (continuous) and sum (counts)."""
    if "total" in frame.columns or not len(frame):
        return frame.assign(total=frame["value"]) if "total" not in frame.columns else frame
    grouped = frame.groupby(["service", "metric", "ts"], as_index=False)["value"]
    out = grouped.mean()
    out["total"] = grouped.sum()["value"].to_numpy()
    return out


def _judge_service(service, b_s, c_s, config, mode) -> list[dict]:
    by_b = dict(tuple(b_s.groupby("metric"))) if len(b_s) else {}
    by_c = dict(tuple(c_s.groupby("metric"))) if len(c_s) else {}
    empty = b_s.iloc[:0] if len(b_s) or not len(c_s) else c_s.iloc[:0]
    rows = []
    for metric in sorted(set(by_b) | set(by_c)):
        if config.ignored(metric):
            continue
        rule = config.rule(metric)
        try:
            b, c = by_b.get(metric, empty), by_c.get(metric, empty)
            if rule.kind == "count":
                den_b = by_b.get(rule.denominator, empty) if rule.denominator else None
                den_c = by_c.get(rule.denominator, empty) if rule.denominator else None
                rows.append(_judge_count(service, metric, rule, config, b, c, den_b, den_c))
            else:
                rows.append(_judge_metric(service, metric, rule, config, b, c, mode))
        except Exception as exc:  # a metric that cannot be judged is reported, not fatal
            rows.append(_row(service, metric, rule, "Error", test="none",
                             explanation=f"{metric}: could not be judged ({type(exc).__name__}: {exc}): Error."))
    return rows


def _verdict(rows, services, config, mode, comparison, baseline_window, candidate_window) -> Verdict:
    metrics_df = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    services_df, overall = _scores(metrics_df, config, list(services))
    return Verdict(overall, services_df, metrics_df, mode, comparison, tuple(baseline_window),
                   tuple(candidate_window), config.model_dump(mode="json"))


# ----------------------------------------------------------------------------- one metric


def _weeks(frame: pd.DataFrame) -> int:
    """Distinct baseline weeks, counted as _like_with_like counts them."""
    if not len(frame):
        return 0
    hours = _hours(frame["ts"])
    return int((hours.max() - hours.min()) // (24 * 7)) + 1


def _clean(values: pd.Series, rule: MetricRule) -> pd.Series:
    return values.dropna() if rule.nan == "remove" else values.fillna(rule.nan_value)


def _row(service, metric, rule, cls, **kw) -> dict:
    row = dict.fromkeys(METRIC_COLUMNS, math.nan)
    row.update(service=service, metric=metric, kind=rule.kind, direction=rule.direction, critical=rule.critical,
               group=rule.group or metric, fails=False, threshold="", baseline_n=0, candidate_n=0)
    row["class"] = cls
    row.update(kw)
    return row


def _judge_metric(service, metric, rule, config, b, c, mode) -> dict:
    b = b.assign(value=_clean(b["value"].astype(float), rule)).dropna(subset=["value"])
    c = c.assign(value=_clean(c["value"].astype(float), rule)).dropna(subset=["value"])
    x, y, scale_note = _like_with_like(b, c, mode)
    n_b, n_c = len(x), len(y)
    if n_b < config.min_points or n_c < config.min_points:
        return _row(service, metric, rule, "NoData", test="none", baseline_n=n_b, candidate_n=n_c,
                    threshold=f"at least {config.min_points} points each",
                    explanation=f"{metric}: {n_b} baseline and {n_c} candidate points, fewer than "
                                f"{config.min_points}: NoData.")
    q = {name: float(np.quantile(v, p)) for name, v, p in (("b95", x, .95), ("c95", y, .95), ("b99", x, .99),
                                                           ("c99", y, .99))}
    mean_b, mean_c = float(np.mean(x)), float(np.mean(y))
    effect = mean_c / mean_b if mean_b else (math.inf if mean_c > 0 else (-math.inf if mean_c < 0 else 1.0))
    threshold = (f"mean ratio within [{rule.allowed_decrease:g}, {rule.allowed_increase:g}], p95/p99 and spread "
                 f"within {rule.tail_ratio:g}x/{rule.spread_ratio:g}x, alpha {config.alpha:g}")
    base_kw = dict(baseline_n=n_b, candidate_n=n_c, baseline_p95=q["b95"], candidate_p95=q["c95"],
                   baseline_p99=q["b99"], candidate_p99=q["c99"], threshold=threshold, effect=effect)
    if np.ptp(x) == 0 and np.ptp(y) == 0:  # both constant: no test needed, nor possible
        if x[0] == y[0]:
            return _row(service, metric, rule, "Pass", test="constant", **base_kw,
                        explanation=f"{metric}: both samples are constant at {x[0]:g}: Pass.")
        cls = "High" if y[0] > x[0] else "Low"
        fails = _fails(cls, rule)
        return _row(service, metric, rule, cls, test="constant", fails=fails, **base_kw,
                    explanation=f"{metric}: constant {x[0]:g} before, {y[0]:g} after"
                                f"{'' if fails else ', a change this metric allows'}: {cls if fails else 'Pass'}.")
    r = rank_test(x, y)
    spread, p_spread = spread_test(x, y)
    sig = r.p_value < config.alpha
    reasons_high, reasons_low = [], []
    if sig and effect > rule.allowed_increase:
        reasons_high.append(f"the mean ratio {effect:.3g} exceeds the allowed {rule.allowed_increase:g}")
    if sig and effect < rule.allowed_decrease:
        reasons_low.append(f"the mean ratio {effect:.3g} is below the allowed {rule.allowed_decrease:g}")
    if _above(q["c95"], q["b95"], rule.tail_ratio) or _above(q["c99"], q["b99"], rule.tail_ratio):
        reasons_high.append(f"the tail rose (p95 {q['c95']:.4g} vs {q['b95']:.4g}, p99 {q['c99']:.4g} vs "
                            f"{q['b99']:.4g}; allowed x{rule.tail_ratio:g})")
    if p_spread < config.alpha and spread > rule.spread_ratio:
        reasons_high.append(f"the spread grew {spread:.3g}x (Brown-Forsythe p={p_spread:.2g}; allowed x{rule.spread_ratio:g})")
    cls = "High" if reasons_high else "Low" if reasons_low else "Pass"
    fails = _fails(cls, rule)
    stats_text = (f"Hodges-Lehmann shift {r.shift:+.3g} [{r.low:+.3g}, {r.high:+.3g}]{scale_note}, "
                  f"Mann-Whitney U={r.u:.4g}, p={r.p_value:.2g}")
    if cls == "Pass":
        why = (f"mean ratio {effect:.3g} within [{rule.allowed_decrease:g}, {rule.allowed_increase:g}]"
               + ("" if sig else " and no significant shift") + f", tail and spread within bounds ({stats_text})")
    else:
        why = "; ".join(reasons_high or reasons_low) + f" ({stats_text})"
        if not fails:
            why += f"; {rule.direction} is the bad direction for this metric, so it passes"
    label = cls if fails or cls == "Pass" else f"{cls}, allowed"
    return _row(service, metric, rule, cls, test="mann-whitney+tail+spread", fails=fails, statistic=r.u,
                p_value=r.p_value, shift=r.shift, low=r.low, high=r.high, **base_kw,
                explanation=f"{metric}: {why}: {label}.")


def _above(cand: float, base: float, ratio: float) -> bool:
    if base > 0:
        return cand > base * ratio
    return cand > base + abs(base) * (ratio - 1) + 1e-12 if base < 0 else cand > 1e-12 and cand > base


def _fails(cls: str, rule: MetricRule) -> bool:
    if cls == "High":
        return rule.direction in ("increase", "either")
    if cls == "Low":
        return rule.direction in ("decrease", "either")
    return False


_NS_HOUR = 3_600_000_000_000


def _hours(ts: pd.Series) -> np.ndarray:
    """Whole UTC hours since the epoch, as integers (fast: no per-element datetime objects)."""
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.to_numpy(dtype="datetime64[ns]").view("int64") // _NS_HOUR


def _like_with_like(b: pd.DataFrame, c: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Seasonal mode: scale both samples by the baseline's median at the same point of the cycle.

    With two or more baseline weeks the cycle is the hour of week, and a baseline point is scaled
    by that hour's median in the *other* weeks (leave one week out): a median that includes the
    point itself would shrink the baseline's spread and make any candidate look noisier than it is.
    With one week, the cycle is the hour of day on weekdays or weekends, leaving the point's own
    day out. Candidate points use the medians over the whole baseline.
    """
    if mode != "seasonal" or not len(b) or not len(c):
        return b["value"].to_numpy(), c["value"].to_numpy(), ""
    hb, hc = _hours(b["ts"]), _hours(c["ts"])
    cycle = "point of the cycle"
    day_b, day_c = hb // 24, hc // 24
    weekday_b, weekday_c = (day_b + 3) % 7, (day_c + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    x_all = b["value"].to_numpy()
    weeks = (hb - hb.min()) // (24 * 7)
    if weeks.max() > 0:
        key_b, key_c = weekday_b * 24 + hb % 24, weekday_c * 24 + hc % 24
        leave_out = weeks
    else:
        key_b, key_c = hb % 24 + 24 * (weekday_b >= 5), hc % 24 + 24 * (weekday_c >= 5)
        leave_out = day_b
        if not np.isin(key_c, key_b).all():  # the baseline lacks the candidate's kind of day
            key_b, key_c = hb % 24, hc % 24
            cycle = "hour of day (the baseline lacks weekdays or weekends)"
    medians = pd.Series(x_all).groupby(key_b).median()
    mb = np.full(len(x_all), np.nan)
    for group in np.unique(leave_out):
        out = leave_out != group
        others = pd.Series(x_all[out]).groupby(key_b[out]).median()
        mb[~out] = others.reindex(key_b[~out]).to_numpy()
    missing = np.isnan(mb)  # a point of the cycle seen in one week (or day) only
    mb[missing] = medians.reindex(key_b[missing]).to_numpy()
    known = np.isin(key_c, medians.index)
    mc = medians.reindex(key_c[known]).to_numpy()
    y = c["value"].to_numpy()[known]
    if (medians > 0).all() and (mb > 0).all():
        return x_all / mb, y / mc, f" in units of the baseline median at that {cycle}"
    return x_all - mb, y - mc, f" as offsets from the baseline median at that {cycle}"


def _judge_count(service, metric, rule, config, b, c, den_b, den_c) -> dict:
    """Events out of a denominator (errors/requests), or per sample without one."""
    def totals(frame, den):
        column = "total" if "total" in frame.columns else "value"
        frame = frame.dropna(subset=[column])
        if den is not None:
            keys = [k for k in ("ts", "host") if k in frame.columns and k in den.columns]
            merged = frame[keys + [column]].merge(den[keys + [column]], on=keys, suffixes=("", "_den"))
            return float(merged[column].sum()), float(merged[column + "_den"].sum()), len(merged)
        return float(frame[column].sum()), float(len(frame)), len(frame)

    eb, xb, n_b = totals(b, den_b)
    ec, xc, n_c = totals(c, den_c)
    per = f"per {rule.denominator}" if rule.denominator else "per sample"
    if n_b < config.min_points or n_c < config.min_points or xb <= 0 or xc <= 0:
        return _row(service, metric, rule, "NoData", test="none", baseline_n=n_b, candidate_n=n_c,
                    threshold=f"at least {config.min_points} points each with exposure",
                    explanation=f"{metric}: {n_b} baseline and {n_c} candidate points with {rule.denominator or 'exposure'}, "
                                f"too few to judge: NoData.")
    alternative = {"increase": "greater", "decrease": "less", "either": "two-sided"}[rule.direction]
    r = rate_test(eb, xb, ec, xc, alternative=alternative)
    sig = r.p_value < config.alpha
    cls = "Pass"
    if sig and r.ratio > rule.allowed_increase:
        cls = "High"
    elif sig and r.ratio < rule.allowed_decrease:
        cls = "Low"
    fails = _fails(cls, rule)
    rates = f"{ec:g}/{xc:g} = {ec / xc:.3g} vs {eb:g}/{xb:g} = {eb / xb:.3g} {per}"
    stat = f"rate ratio {r.ratio:.3g} [{r.low:.3g}, {r.high:.3g}], exact rate test ({alternative}) p={r.p_value:.2g}"
    if cls == "Pass":
        why = f"{rates}; {stat}; " + ("not significant" if not sig else f"within [{rule.allowed_decrease:g}, {rule.allowed_increase:g}]")
    else:
        bound = rule.allowed_increase if cls == "High" else rule.allowed_decrease
        why = f"{rates}; {stat}; {'above' if cls == 'High' else 'below'} the allowed {bound:g}"
    return _row(service, metric, rule, cls, test="exact-rate", fails=fails, statistic=ec, p_value=r.p_value,
                effect=r.ratio, low=r.low, high=r.high, baseline_n=n_b, candidate_n=n_c,
                threshold=f"rate ratio within [{rule.allowed_decrease:g}, {rule.allowed_increase:g}], alpha {config.alpha:g}",
                explanation=f"{metric}: {why}: {cls if fails or cls == 'Pass' else cls + ', allowed'}.")


# ----------------------------------------------------------------------------- scores


def _scores(metrics: pd.DataFrame, config: JudgeConfig, services: list[str]) -> tuple[pd.DataFrame, str]:
    rows = []
    for service in services:
        m = metrics[metrics["service"] == service]
        judged = m[~m["class"].isin(["NoData", "Error"])]
        if judged.empty:
            rows.append({"service": service, "verdict": "NoData", "score": math.nan,
                         "reason": "no metric had enough data to judge"})
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
        else:
            verdict = "Pass" if score >= config.pass_score else "Marginal" if score >= config.marginal_score else "Fail"
            reason = (f"score {score:.0f} "
                      f"({'>=' if verdict == 'Pass' else '<'} {config.pass_score:g} pass, {config.marginal_score:g} marginal)"
                      + (f"; failing: {', '.join(failing['metric'])}" if len(failing) else "; every metric passed"))
        rows.append({"service": service, "verdict": verdict, "score": score, "reason": reason})
    frame = pd.DataFrame(rows, columns=SERVICE_COLUMNS)
    judged = frame[frame["verdict"] != "NoData"]
    overall = max(judged["verdict"], key=_ORDER.get) if len(judged) else "NoData"
    return frame, overall
