"""The tests behind a verdict: Mann-Whitney U with a Hodges-Lehmann shift and interval, a
Brown-Forsythe spread test, and an exact conditional test on event rates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["RankResult", "rank_test", "hodges_lehmann", "RateResult", "rate_test", "spread_test", "MAX_PAIRS"]

MAX_PAIRS = 4_000_000  # pairwise differences for the Hodges-Lehmann estimate; beyond, a fixed subsample


@dataclass(frozen=True)
class RankResult:
    u: float
    p_value: float
    shift: float  # Hodges-Lehmann: median of candidate - baseline differences
    low: float
    high: float


def hodges_lehmann(base: np.ndarray, cand: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Shift estimate (median of all pairwise differences cand - base) and its distribution-free interval.

    The interval is bounded by the k-th smallest and k-th largest differences, with k from the
    normal approximation of U's distribution (Lehmann 1963; Bauer 1972).
    """
    x, y = np.asarray(base, float), np.asarray(cand, float)
    n, m = len(x), len(y)
    if n * m > MAX_PAIRS:  # subsample deterministically: the estimate is a median, robust to this
        rng = np.random.default_rng(0)
        keep = int(math.sqrt(MAX_PAIRS))
        x = rng.choice(x, min(n, keep), replace=False) if n > keep else x
        y = rng.choice(y, min(m, keep), replace=False) if m > keep else y
        n, m = len(x), len(y)
    diffs = np.sort((y[None, :] - x[:, None]).ravel())
    shift = float(np.median(diffs))
    z = stats.norm.ppf(0.5 + level / 2)
    k = int(math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12)))
    if k < 1:
        return shift, float(diffs[0]), float(diffs[-1])
    return shift, float(diffs[k - 1]), float(diffs[n * m - k])


def rank_test(base: np.ndarray, cand: np.ndarray, level: float = 0.95) -> RankResult:
    """Two-sided Mann-Whitney U (candidate vs baseline) with the Hodges-Lehmann shift."""
    res = stats.mannwhitneyu(cand, base, alternative="two-sided", method="auto")
    p = float(res.pvalue) if np.isfinite(res.pvalue) else 1.0
    shift, low, high = hodges_lehmann(base, cand, level)
    return RankResult(float(res.statistic), p, shift, low, high)


def spread_test(base: np.ndarray, cand: np.ndarray) -> tuple[float, float]:
    """(ratio of robust spreads cand/base, Brown-Forsythe p-value)."""
    def spread(v):
        return float(np.mean(np.abs(v - np.median(v))))

    sb, sc = spread(base), spread(cand)
    ratio = sc / sb if sb > 0 else (math.inf if sc > 0 else 1.0)
    if sb == 0 and sc == 0:
        return 1.0, 1.0
    p = float(stats.levene(base, cand, center="median").pvalue)
    return ratio, p if np.isfinite(p) else 1.0


@dataclass(frozen=True)
class RateResult:
    events_base: float
    exposure_base: float
    events_cand: float
    exposure_cand: float
    ratio: float
    low: float
    high: float
    p_value: float


def rate_test(events_base: float, exposure_base: float, events_cand: float, exposure_cand: float,
              alternative: str = "two-sided", level: float = 0.95) -> RateResult:
    """Exact conditional test of two Poisson rates (or of two proportions with large denominators).

    Given the total of events, the candidate's count is binomial with p = its share of the
    exposure under equal rates; the rate ratio's interval comes from Clopper-Pearson on p.
    """
    eb, ec = int(round(events_base)), int(round(events_cand))
    total = eb + ec
    share = exposure_cand / (exposure_cand + exposure_base)
    rate_b = eb / exposure_base if exposure_base else math.nan
    rate_c = ec / exposure_cand if exposure_cand else math.nan
    ratio = rate_c / rate_b if rate_b else (math.inf if rate_c else 1.0)
    if total == 0:
        return RateResult(eb, exposure_base, ec, exposure_cand, 1.0, 0.0, math.inf, 1.0)
    test = stats.binomtest(ec, total, share, alternative=alternative)
    ci = stats.binomtest(ec, total, share).proportion_ci(confidence_level=level, method="exact")
    odds = exposure_base / exposure_cand

    def to_ratio(q):
        return math.inf if q >= 1 else q / (1 - q) * odds

    return RateResult(eb, exposure_base, ec, exposure_cand, ratio, to_ratio(ci.low), to_ratio(ci.high),
                      float(test.pvalue))
