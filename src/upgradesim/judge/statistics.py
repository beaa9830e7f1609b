"""The tests behind a verdict: Mann-Whitney U with a Hodges-Lehmann shift and interval, a
Brown-Forsythe spread test, and an exact conditional test on event rates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["RankResult", "rank_test", "hodges_lehmann", "RateResult", "rate_test", "spread_test", "kth_difference", "SORT_PAIRS"]

SORT_PAIRS = 250_000  # up to this many pairwise differences are simply sorted


@dataclass(frozen=True)
class RankResult:
    u: float
    p_value: float
    shift: float  # Hodges-Lehmann: median of candidate - baseline differences
    low: float
    high: float


def kth_difference(xs: np.ndarray, ys: np.ndarray, k: int, enumerate_below: int = 50_000) -> float:
    """The k-th smallest (1-based) of all differences ys[j] - xs[i], without forming them all.

    ``xs`` and ``ys`` must be sorted. The value is bracketed by counting differences <= d with
    ``searchsorted`` (O((n + m) log n) a step), interpolating on the count and bisecting in
    turn; once at most ``enumerate_below`` differences lie in the bracket they are formed and
    the exact one selected.
    """
    n, m = len(xs), len(ys)

    def count(d: float) -> int:
        return int(n * m - np.searchsorted(xs, ys - d, side="left").sum())

    lo, hi = float(ys[0] - xs[-1]), float(ys[-1] - xs[0])
    c_lo, c_hi = count(lo), n * m
    if c_lo >= k:
        return lo
    for step in range(200):  # invariant: count(lo) < k <= count(hi)
        if c_hi - c_lo <= enumerate_below:
            break
        mid = lo + (hi - lo) * ((k - c_lo) / (c_hi - c_lo)) if step % 2 == 0 else (lo + hi) / 2
        if not lo < mid < hi:
            mid = (lo + hi) / 2
            if not lo < mid < hi:
                return hi
        c = count(mid)
        if c >= k:
            hi, c_hi = mid, c
        else:
            lo, c_lo = mid, c
    # the differences in (lo, hi]: for each y, the x with y - hi <= x < y - lo
    first = np.searchsorted(xs, ys - hi, side="left")
    last = np.searchsorted(xs, ys - lo, side="left")
    sizes = last - first
    if sizes.sum() == 0:
        return hi
    rows = np.repeat(np.arange(m), sizes)
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    diffs = ys[rows] - xs[first[rows] + offsets]
    want = min(max(k - c_lo, 1), len(diffs))
    return float(np.partition(diffs, want - 1)[want - 1])


def hodges_lehmann(base: np.ndarray, cand: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Shift estimate (median of all pairwise differences cand - base) and its distribution-free interval.

    The interval is bounded by the k-th smallest and k-th largest differences, with k from the
    normal approximation of U's distribution (Lehmann 1963; Bauer 1972). Small samples sort all
    differences; large ones find the order statistics by bisection (:func:`kth_difference`).
    """
    x, y = np.sort(np.asarray(base, float)), np.sort(np.asarray(cand, float))
    n, m = len(x), len(y)
    total = n * m
    z = stats.norm.ppf(0.5 + level / 2)
    k = int(math.floor(total / 2 - z * math.sqrt(total * (n + m + 1) / 12)))
    if total <= SORT_PAIRS:
        diffs = np.sort((y[None, :] - x[:, None]).ravel())

        def kth(i):
            return float(diffs[i - 1])
    else:
        def kth(i):
            return kth_difference(x, y, i)
    mid = total // 2
    shift = kth(mid + 1) if total % 2 else (kth(mid) + kth(mid + 1)) / 2
    if k < 1:
        return shift, kth(1), kth(total)
    return shift, kth(k), kth(total - k + 1)


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
