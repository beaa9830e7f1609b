"""One metric judged: clean, choose the kind, remove a proven cycle, run the checks, classify, explain.

Classes: ``High``/``Low`` (a check found a change larger than allowed; ``fails`` says whether
that direction is bad), ``Pass``, ``Inconclusive`` (too little data, or a baseline too short to
measure its own variation — never a silent pass), ``NoData`` (no points on one side).
"""

from __future__ import annotations

import json
import math

import numpy as np

from .checks import (
    Check,
    constant_check,
    count_check,
    excursion_check,
    level_check,
    robust_scale,
    tail_check,
)
from .series import adjust, choose_block

__all__ = ["METRIC_COLUMNS", "judge_metric", "Samples"]

METRIC_COLUMNS = ["service", "metric", "kind", "direction", "class", "fails", "critical", "group", "test",
                  "p_value", "effect", "baseline_value", "candidate_value", "low", "high", "threshold",
                  "baseline_n", "candidate_n", "n_eff_baseline", "n_eff_candidate", "variation", "cycle",
                  "baseline_p95", "candidate_p95", "baseline_p99", "candidate_p99", "false_alarm_rate",
                  "checks", "explanation"]

# (epoch seconds, value = hosts' mean, total = hosts' sum), sorted by time, one entry per timestamp
Samples = tuple[np.ndarray, np.ndarray, np.ndarray]
_EMPTY: Samples = (np.empty(0, np.int64), np.empty(0), np.empty(0))


def _row(service, metric, rule, cls, kind, **kw) -> dict:
    row = dict.fromkeys(METRIC_COLUMNS, math.nan)
    row.update(service=service, metric=metric, kind=kind, direction=rule.direction, critical=rule.critical,
               group=rule.group or metric, fails=False, threshold="", baseline_n=0, candidate_n=0, cycle="",
               checks="[]", test="none")
    row["class"] = cls
    row.update(kw)
    return row


def _clean(s: Samples, rule) -> tuple[Samples, int]:
    """Apply the NaN rule; drop infinite values (counted)."""
    t, v, total = s
    if rule.nan == "replace":
        v = np.where(np.isnan(v), rule.nan_value, v)
        total = np.where(np.isnan(total), rule.nan_value, total)
    keep = np.isfinite(v) & np.isfinite(total)
    return (t[keep], v[keep], total[keep]), int(np.sum(~np.isnan(v) & ~keep))


def _is_count(b: np.ndarray, c: np.ndarray) -> bool:
    both = np.concatenate([b, c])
    if not len(both) or np.any(both < 0) or np.any(both != np.round(both)):
        return False
    return float(np.mean(both == 0)) >= 0.5


def _threshold(rule, alpha) -> str:
    text = f"change within [{rule.allowed_decrease:g}, {rule.allowed_increase:g}] x baseline"
    if rule.min_change:
        text += f" and below {rule.min_change:g}"
    return text + f"; alpha {alpha:g} shared by the checks"


def judge_metric(service: str, metric: str, rule, config, base: Samples, cand: Samples,
                 den_base: Samples | None = None, den_cand: Samples | None = None, *, seasonal: bool = True) -> dict:
    """The metric's row (see ``METRIC_COLUMNS``) from its baseline and candidate samples."""
    (b, dropped_b), (c, dropped_c) = _clean(base, rule), _clean(cand, rule)
    n_b, n_c = len(b[0]), len(c[0])
    dropped = dropped_b + dropped_c
    note = f" ({dropped} infinite value{'s' if dropped != 1 else ''} dropped)" if dropped else ""
    kind = rule.kind
    if kind == "auto":
        kind = "count" if _is_count(b[1], c[1]) else "continuous"
    if n_b == 0 or n_c == 0:
        side = "baseline" if n_b == 0 else "candidate"
        return _row(service, metric, rule, "NoData", kind, baseline_n=n_b, candidate_n=n_c,
                    explanation=f"{metric}: no {side} points{note}: NoData.")
    if n_b < config.min_points or n_c < config.min_points:
        return _row(service, metric, rule, "Inconclusive", kind, baseline_n=n_b, candidate_n=n_c,
                    threshold=f"at least {config.min_points} points each",
                    explanation=f"{metric}: {n_b} baseline and {n_c} candidate points, fewer than "
                                f"{config.min_points}{note}: Inconclusive.")
    if kind == "count":
        return _judge_count(service, metric, rule, config, b, c, den_base, den_cand, note)
    return _judge_continuous(service, metric, rule, config, b, c, seasonal and rule.seasonal, note)


def _classify(checks: list[Check], primary: Check) -> tuple[str, bool, list[Check]]:
    bad = [ch for ch in checks if ch.status in ("high", "low")]
    if bad:
        return ("High" if bad[0].status == "high" else "Low"), True, bad
    allowed = primary.extra.get("allowed_change")
    if allowed:
        return ("High" if allowed == "high" else "Low"), False, [primary]
    if primary.status == "inconclusive":
        return "Inconclusive", False, [primary]
    return "Pass", False, [primary]


def _judge_continuous(service, metric, rule, config, b, c, seasonal, note) -> dict:
    xb, xc = b[1], c[1]
    quant = {}
    for side, v in (("baseline", xb), ("candidate", xc)):
        quant[f"{side}_p95"], quant[f"{side}_p99"] = (float(x) for x in np.quantile(v, [0.95, 0.99]))
    common = dict(baseline_n=len(xb), candidate_n=len(xc), threshold=_threshold(rule, config.alpha),
                  **quant)
    if np.ptp(xb) == 0 and np.ptp(xc) == 0:
        check = constant_check(float(xb[0]), float(xc[0]), rule)
        cls, fails, shown = _classify([check], check)
        return _finish(service, metric, rule, "continuous", cls, fails, [check], shown, check, common, "", note,
                       test="constant")
    adj = adjust(b[0], xb, c[0], xc, seasonal=seasonal)
    scale = robust_scale(adj.base)
    unit = {"none": "the baseline", "daily": "the baseline at the same hour of day",
            "daily-weekpart": "the baseline at the same hour of a like day", "weekly": "the baseline at the same hour of week"}[adj.cycle]
    signs = {"increase": 1, "decrease": -1, "either": 0}[rule.direction]
    quantiles = list(rule.tails) if signs > 0 else [1 - q for q in rule.tails] if signs < 0 else \
        ([rule.tails[0], 1 - rule.tails[0]] if rule.tails else [])
    n_checks = 1 + len(quantiles) + (1 if rule.excursions else 0)
    alpha = config.alpha / n_checks
    block = choose_block(adj.base, len(adj.cand))
    level = level_check(adj.base, adj.cand, rule, alpha, scale, unit, block)
    checks = [level]
    checks += [tail_check(adj.base, adj.cand, rule, alpha, q, scale, unit, block) for q in quantiles]
    if rule.excursions:
        checks.append(excursion_check(adj.base, adj.cand, rule, alpha, adj.level, scale, unit))
    cls, fails, shown = _classify(checks, level)
    cycle_note = adj.note + (f"; {adj.fallback} candidate points had no matching baseline hour of week and "
                             "used the hour of day" if adj.fallback else "")
    return _finish(service, metric, rule, "continuous", cls, fails, checks, shown, level, common, cycle_note,
                   note, test="+".join(ch.name for ch in checks), cycle=adj.cycle)


def _finish(service, metric, rule, kind, cls, fails, checks, shown, primary, common, cycle_note, note, **kw) -> dict:
    reason = "; ".join(ch.text for ch in shown)
    inconclusive = [ch for ch in checks if ch.status == "inconclusive" and ch not in shown]
    if inconclusive and cls != "Inconclusive":
        reason += "; not checked: " + ", ".join(ch.text for ch in inconclusive)
    if cycle_note:
        reason += f" ({cycle_note})"
    label = cls if fails or cls in ("Pass", "Inconclusive") else f"{cls}, allowed"
    if cls in ("High", "Low") and not fails:
        reason += f"; only a{'n increase' if rule.direction == 'increase' else ' decrease'} is bad for this metric"
    lead = shown[0]
    return _row(service, metric, rule, cls, kind, fails=fails, p_value=lead.p_value, effect=lead.effect,
                baseline_value=lead.baseline, candidate_value=lead.candidate,
                low=lead.extra.get("low", math.nan), high=lead.extra.get("high", math.nan),
                n_eff_baseline=primary.n_eff_baseline, n_eff_candidate=primary.n_eff_candidate,
                variation=primary.variation,
                checks=json.dumps([ch.to_dict() for ch in checks], default=float),
                explanation=f"{metric}: {reason}{note}: {label}.", **common, **kw)


def _events(s: Samples, den: Samples | None) -> tuple[np.ndarray, np.ndarray]:
    t, _, total = s
    if den is None:
        return total, np.ones(len(total))
    dt_, _, dtotal = den
    _, i, j = np.intersect1d(t, dt_, assume_unique=True, return_indices=True)
    return total[i], dtotal[j]


def _judge_count(service, metric, rule, config, b, c, den_b, den_c, note) -> dict:
    use_den = rule.denominator is not None
    eb, xb = _events(b, den_b if use_den else None)
    ec, xc = _events(c, den_c if use_den else None)
    if use_den and (den_b is None or den_c is None):
        eb, xb, ec, xc = eb[:0], xb[:0], ec[:0], xc[:0]
    per = rule.denominator if use_den else "samples"
    common = dict(baseline_n=len(eb), candidate_n=len(ec), threshold=_threshold(rule, config.alpha))
    if len(eb) < config.min_points or len(ec) < config.min_points or xb.sum() <= 0 or xc.sum() <= 0:
        what = f"with {rule.denominator}" if use_den else "with exposure"
        return _row(service, metric, rule, "Inconclusive", "count", **common,
                    explanation=f"{metric}: {len(eb)} baseline and {len(ec)} candidate points {what}, too few "
                                f"to judge{note}: Inconclusive.")
    check = count_check(eb, xb, ec, xc, rule, config.alpha, per)
    cls, fails, shown = _classify([check], check)
    return _finish(service, metric, rule, "count", cls, fails, [check], shown, check, common, "", note,
                   test="rate")
