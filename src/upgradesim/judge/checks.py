"""The checks behind a metric's class, one per shape of regression, each valid for autocorrelated data.

- **level**: block medians of the (cycle-adjusted) series, blocks long enough to be nearly
  independent (:func:`~.series.choose_block`); Welch's t on block medians with the candidate's
  variance inflated by the blocks' remaining lag-1 correlation. The effective sample sizes are the
  block counts.
- **tail** (p95, p99 — or p5, p1 when a fall is bad): the same test on block quantiles, with a
  minimum number of points per block (20 for p95, 100 for p99); fewer: inconclusive.
- **excursion**: a scan statistic — the highest mean of ``w`` consecutive points in robust-scale
  units, for ``w`` = 1..32 — against the same statistic in candidate-sized chunks of the baseline,
  extrapolated with a Gumbel fit, so a minutes-long spike that leaves the day's median unchanged is
  caught, and a baseline that spikes as often is not a regression.
- **rate**: counts (errors out of requests, or per sample) by an exact conditional test on
  counts scaled by the baseline's own over-dispersion (quasi-Poisson), so bursty errors are not
  mistaken for a change.

Every check is one-sided in each bad direction and only counts when the change is also larger
than the metric's allowed change (and ``min_change``): significance alone never fails a metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
from scipy import stats

from .series import PERIODS, block_stats, choose_block, lag1
from .statistics import rate_test

__all__ = ["Check", "level_check", "tail_check", "excursion_check", "count_check", "constant_check",
           "robust_scale", "TAIL_MIN_POINTS", "WINDOWS"]

TAIL_MIN_POINTS = {0.95: 20, 0.99: 100, 0.05: 20, 0.01: 100}
SHORT_BASELINE = PERIODS  # a baseline shorter than this many candidates cannot show period-to-period variation
EXCURSION_MARGIN = 0.5  # an excursion must also reach 50% further from the level than the baseline's worst
WINDOWS = (1, 2, 4, 8, 16, 32)
_GUMBEL_MEAN = 0.5772156649


@dataclass
class Check:
    """One check's outcome: ``high``/``low`` (significant and larger than allowed), ``ok``, or
    ``inconclusive``; with the numbers behind it."""

    name: str
    status: str
    text: str
    effect: float = math.nan  # candidate / baseline (ratio) for this check's statistic
    baseline: float = math.nan  # the statistic in the baseline
    candidate: float = math.nan
    p_value: float = math.nan
    n_eff_baseline: float = math.nan
    n_eff_candidate: float = math.nan
    variation: float = math.nan  # how much comparable baseline periods varied (relative)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


def robust_scale(v: np.ndarray) -> float:
    """1.4826 x MAD; the standard deviation when the MAD is zero; 0 for a constant sample."""
    if len(v) < 2:
        return 0.0
    mad = float(np.median(np.abs(v - np.median(v)))) * 1.4826
    return mad if mad > 0 else float(np.std(v))


def _ratio(cand: float, base: float) -> float:
    if base > 0:
        return cand / base
    return math.nan


def _bad_signs(direction: str) -> tuple[int, ...]:
    return {"increase": (1,), "decrease": (-1,), "either": (1, -1)}[direction]


def _practical(sign: int, cand: float, base: float, rule, scale: float) -> bool:
    """Is the change from ``base`` to ``cand`` (in direction ``sign``) larger than the rule allows?"""
    delta = cand - base
    if sign * delta <= 0 or abs(delta) < rule.min_change:
        return False
    if base > 0:
        ratio = cand / base
        return ratio > rule.allowed_increase if sign > 0 else ratio < rule.allowed_decrease
    # no positive baseline to take a ratio of: the allowed change in units of the series' own scale
    allowed = (rule.allowed_increase - 1) if sign > 0 else (1 - rule.allowed_decrease)
    return abs(delta) > allowed * max(scale, abs(base))


def _welch(mb: np.ndarray, mc: np.ndarray, point_scale: float, size: int) -> tuple[float, float, float]:
    """(difference of means, its standard error under "no change", degrees of freedom).

    Under the null hypothesis candidate blocks are like baseline blocks, so both variances come
    from the baseline's blocks (a prediction test): the candidate's few blocks, all from one stretch
    of time, cannot measure their own variance. Remaining lag-1 correlation of the blocks inflates
    the variance of a mean of several (never beyond one block's variance).
    """
    kb, kc = len(mb), len(mc)
    rho = min(max(lag1(mb), 0.0), 0.8)
    infl = (1 + rho) / (1 - rho)
    sb2 = float(np.var(mb, ddof=1)) if kb > 1 else 0.0
    sb2 = max(sb2, (point_scale ** 2) / size)  # blocks that never varied: points as if independent
    se2 = sb2 * (min(infl / kb, 1.0) + min(infl / kc, 1.0))
    return float(np.mean(mc) - np.mean(mb)), math.sqrt(se2), max(float(kb - 1), 1.0)


def _block_test(name, b, c, rule, alpha, stat, min_block, scale, what, unit_text, block=None) -> Check:
    size = max(block or choose_block(b, len(c)), min_block)  # the level's block length, as tail_check says
    if len(c) < min_block:
        return Check(name, "inconclusive",
                     f"{what}: {len(c)} candidate points, at least {min_block} needed", n_eff_candidate=0)
    mb, mc = block_stats(b, size, stat), block_stats(c, size, stat)
    if len(mb) < 3 or len(mc) < 1:
        return Check(name, "inconclusive",
                     f"{what}: the baseline holds {len(mb)} comparable periods of {size} points, at least 3 needed",
                     n_eff_baseline=len(mb), n_eff_candidate=len(mc))
    base, cand = float(np.mean(mb)), float(np.mean(mc))
    diff, se, df = _welch(mb, mc, scale, size)
    unobserved = len(b) < SHORT_BASELINE * len(c)
    if unobserved:
        # the baseline is too short to show how much periods as long as the candidate vary: take that
        # variation to be half the allowed change (a metric's allowed change is sized to it)
        allowed = max(rule.allowed_increase - 1, 1 - rule.allowed_decrease) / 2
        se = math.sqrt(se ** 2 + (allowed * max(abs(base), scale)) ** 2)
    p_high = float(stats.t.sf(diff / se, df)) if se > 0 else (0.0 if diff > 0 else 1.0)
    p_low = float(stats.t.cdf(diff / se, df)) if se > 0 else (0.0 if diff < 0 else 1.0)
    variation = float(np.max(np.abs(mb - base)) / abs(base)) if base else math.nan
    check = Check(name, "ok", "", effect=_ratio(cand, base), baseline=base, candidate=cand,
                  n_eff_baseline=len(mb), n_eff_candidate=len(mc), variation=variation,
                  extra={"block_points": size, "df": round(df, 2), "se": se})
    signs = _bad_signs(rule.direction)
    each = alpha / len(signs)
    found = []
    for sign, p in ((1, p_high), (-1, p_low)):
        if sign in signs and p < each and _practical(sign, cand, base, rule, scale):
            found.append((sign, p))
    check.p_value = min(p_high, p_low) if rule.direction == "either" else (p_high if signs == (1,) else p_low)
    rel = f"{abs(check.effect - 1):.0%} {'above' if cand > base else 'below'}" if math.isfinite(check.effect) else \
        f"{cand - base:+.4g} from"
    unit_text = unit_text.removeprefix("than ")
    vary = (f"; comparable baseline periods ({len(mb)} of {size} points) varied by at most {variation:.0%}"
            if math.isfinite(variation) else "")
    if unobserved:
        vary += (f"; the baseline ({len(b)} points) is shorter than {SHORT_BASELINE:g} candidates ({len(c)} points), "
                 "so period-to-period variation is assumed to be half the allowed change")
        check.extra["short_baseline"] = True
    # a significant change in an allowed direction is reported, but never hides a bad one
    good = [s for s in (1, -1) if s not in signs]
    for sign in good:
        p = p_high if sign > 0 else p_low
        if p < alpha and _practical(sign, cand, base, rule, scale):
            check.extra["allowed_change"] = "high" if sign > 0 else "low"
    if found:
        sign, p = found[0]
        check.status = "high" if sign > 0 else "low"
        check.p_value = p
        check.text = f"{what} {rel} {unit_text} ({cand:.4g} vs {base:.4g}; p={p:.2g}){vary}"
    else:
        check.text = (f"{what} {rel} {unit_text} ({cand:.4g} vs {base:.4g}; p={check.p_value:.2g}), "
                      f"within what is allowed or not significant{vary}")
    return check


def level_check(b, c, rule, alpha, scale, unit_text, block=None) -> Check:
    return _block_test("level", b, c, rule, alpha, np.median, 1, scale, "median", unit_text, block)


def tail_check(b, c, rule, alpha, q, scale, unit_text, block=None) -> Check:
    """The level's block length (the dependence is the series', not the statistic's), with at
    least ``TAIL_MIN_POINTS`` points a block."""
    def stat(values, axis=None):
        return np.quantile(values, q, axis=axis)

    label = f"p{round(q * 100)}"
    return _block_test(label, b, c, rule, alpha, stat, TAIL_MIN_POINTS.get(q, 20), scale, label, unit_text, block)


def _window_means(cs: np.ndarray, w: int) -> np.ndarray:
    """Means of every run of ``w`` consecutive values, from their cumulative sum (with a leading 0)."""
    return (cs[w:] - cs[:-w]) / w


def excursion_check(b, c, rule, alpha, level, scale, unit_text) -> Check:
    """Brief excursions: the candidate's most extreme run of ``w`` points against the baseline's."""
    n_b, n_c = len(b), len(c)
    windows = [w for w in WINDOWS if w <= max(1, n_c // 4)]
    if n_c < 4 or n_b < 4 * 4:
        return Check("excursion", "inconclusive", f"excursions: too few points ({n_b} baseline, {n_c} candidate)")
    if scale <= 0:
        scale = max(abs(level) * 1e-6, 1e-12)
    chunk = min(n_c, n_b // 4)
    allowed_z = max(rule.allowed_increase - 1, 1 - rule.allowed_decrease) * max(abs(level), scale) / scale
    k = n_b // chunk
    gumbel_q = -math.log(-math.log(1 - alpha / (len(windows) * len(_bad_signs(rule.direction)))))
    best = None
    cs_b = np.concatenate(([0.0], np.cumsum((b - level) / scale)))
    cs_c = np.concatenate(([0.0], np.cumsum((c - level) / scale)))
    for sign in _bad_signs(rule.direction):
        for w in windows:
            sb, sc = sign * _window_means(cs_b, w), sign * _window_means(cs_c, w)
            usable = (len(sb) // chunk) * chunk
            maxima = sb[:usable].reshape(-1, chunk).max(axis=1) if usable else np.array([sb.max()])
            beta = max(float(np.std(maxima, ddof=1)) * math.sqrt(6) / math.pi if len(maxima) > 1 else 0.0, 1e-9)
            mu = float(np.mean(maxima)) - _GUMBEL_MEAN * beta + beta * math.log(max(n_c / chunk, 1.0))
            threshold = max(mu + beta * gumbel_q, (1 + EXCURSION_MARGIN) * float(sb.max()))
            if n_b < SHORT_BASELINE * n_c:  # period-to-period level changes unseen: not an excursion
                threshold += allowed_z
            peak = float(sc.max())
            value = level + sign * peak * scale
            worst = level + sign * float(sb.max()) * scale  # the baseline's own most extreme run
            if peak > threshold and _practical(sign, value, worst, rule, scale):
                excess = (peak - threshold) / max(abs(threshold), 1e-9)
                if best is None or excess > best[0]:
                    best = (excess, sign, w, peak, threshold, value, float(sb.max()))
    if best is None:
        return Check("excursion", "ok", f"no run of 1-{windows[-1]} points beyond the baseline's own excursions",
                     n_eff_baseline=k, n_eff_candidate=1)
    _, sign, w, peak, threshold, value, base_max = best
    where = "above" if sign > 0 else "below"
    base_peak = level + sign * base_max * scale
    return Check("excursion", "high" if sign > 0 else "low",
                 f"a run of {w} point{'s' if w > 1 else ''} reached {value:.4g}, {where} anything in "
                 f"{k} comparable baseline periods (most extreme {base_peak:.4g}; level {level:.4g})",
                 effect=_ratio(value, level), baseline=base_peak, candidate=value, n_eff_baseline=k,
                 n_eff_candidate=1, extra={"window_points": w, "scan_z": peak, "threshold_z": threshold})


def constant_check(x0: float, y0: float, rule) -> Check:
    """Both samples constant: the allowed change decides (1.0 vs 1.05 with 10% allowed passes)."""
    check = Check("constant", "ok", f"both samples are constant ({x0:.4g} before, {y0:.4g} after)",
                  effect=_ratio(y0, x0), baseline=x0, candidate=y0)
    for sign in _bad_signs(rule.direction):
        if _practical(sign, y0, x0, rule, 0.0):
            check.status = "high" if sign > 0 else "low"
            check.text = f"constant {x0:.4g} before and {y0:.4g} after, beyond the allowed change"
    if check.status == "ok" and y0 != x0:
        check.text += ", a change within what is allowed"
    return check


def _pearson(events, exposure, size) -> tuple[float, int]:
    e, x = block_stats(events, size, np.sum), block_stats(exposure, size, np.sum)
    ok = x > 0
    e, x = e[ok], x[ok]
    if len(e) < 4 or e.sum() == 0:
        return 1.0, len(e)
    expected = x * e.sum() / x.sum()
    return float(np.sum((e - expected) ** 2 / np.maximum(expected, 1e-12))) / (len(e) - 1), len(e)


def dispersion(events: np.ndarray, exposure: np.ndarray, candidate_points: int, blocks: int = 48) -> tuple[float, int]:
    """Pearson over-dispersion of counts (1 = Poisson), the larger of two scales: about ``blocks``
    consecutive blocks, and blocks as long as the candidate (bursts that last hours or days show
    only at the candidate's scale)."""
    n = len(events)
    phis = [_pearson(events, exposure, max(1, n // blocks))]
    if n >= 4 * candidate_points:
        phis.append(_pearson(events, exposure, max(1, candidate_points)))
    phi, k = max(phis)
    return max(1.0, phi), k


def _period_rates(events, exposure, size) -> np.ndarray:
    """Rates of the baseline's candidate-sized periods (empty when fewer than 4 exist)."""
    if size < 1 or len(events) < 4 * size:
        return np.empty(0)
    e, x = block_stats(events, size, np.sum), block_stats(exposure, size, np.sum)
    ok = x > 0
    return np.log((e[ok] + 0.5) / x[ok])  # log rates (half an event added): rates are skewed


def _prediction_p(rates: np.ndarray, rate_c: float, sign: int) -> float:
    """One-sided p that a new period's log rate is this far out, from the baseline periods' log rates."""
    if len(rates) < 4:
        return 0.0  # not enough periods: the rate test alone decides
    sd = float(np.std(rates, ddof=1))
    if sd == 0:
        return 0.0 if sign * (rate_c - rates.mean()) > 0 else 1.0
    t = sign * (rate_c - float(rates.mean())) / (sd * math.sqrt(1 + 1 / len(rates)))
    return float(stats.t.sf(t, len(rates) - 1))


def count_check(eb, xb, ec, xc, rule, alpha, per: str) -> Check:
    """Rate of events per unit of exposure, candidate against baseline, over-dispersion allowed for."""
    phi, k = dispersion(eb, xb, len(ec))
    teb, txb, tec, txc = float(eb.sum()), float(xb.sum()), float(ec.sum()), float(xc.sum())
    signs = _bad_signs(rule.direction)
    scaled = (teb / phi, txb, tec / phi, txc)
    up = rate_test(*scaled, alternative="greater")
    down = rate_test(*scaled, alternative="less")
    raw = rate_test(teb, txb, tec, txc)
    rate_b, rate_c = teb / txb, tec / txc
    check = Check("rate", "ok", "", effect=raw.ratio, baseline=rate_b, candidate=rate_c,
                  p_value=min(up.p_value, down.p_value), n_eff_baseline=teb / phi, n_eff_candidate=tec / phi,
                  extra={"dispersion": phi, "blocks": k, "events_baseline": teb, "events_candidate": tec,
                         "low": raw.low, "high": raw.high})
    words = (f"{tec:g} events in {txc:g} {per} ({rate_c:.3g}) vs {teb:g} in {txb:g} ({rate_b:.3g}), "
             f"rate ratio {raw.ratio:.3g} [{raw.low:.3g}, {raw.high:.3g}]"
             + (f", baseline over-dispersed x{phi:.2g}" if phi > 1 else ""))
    each = alpha / len(signs)
    periods = _period_rates(eb, xb, len(ec))
    log_rate_c = math.log((tec + 0.5) / txc)
    for sign, test in ((1, up), (-1, down)):
        if sign not in signs:
            continue
        p = max(test.p_value, _prediction_p(periods, log_rate_c, sign))  # both tests must reject
        if p >= each:
            continue
        bad = raw.ratio > rule.allowed_increase if sign > 0 else raw.ratio < rule.allowed_decrease
        if bad and abs(rate_c - rate_b) * txc >= rule.min_change:
            check.status = "high" if sign > 0 else "low"
            check.p_value = p
            bound = rule.allowed_increase if sign > 0 else rule.allowed_decrease
            check.text = f"{words}; {'above' if sign > 0 else 'below'} the allowed {bound:g} (p={p:.2g})"
            return check
    check.text = f"{words}; within the allowed [{rule.allowed_decrease:g}, {rule.allowed_increase:g}] or not significant"
    return check
