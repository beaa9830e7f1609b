"""Interval estimates for Monte Carlo figures: means (Student t), proportions (Wilson), quantiles."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "wilson", "quantile_ci", "replications_needed"]


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) with a Student t interval; a constant sample has a zero-width interval."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, -math.inf, math.inf)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return (mean, mean - half, mean + half)


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """(p, low, high): the Wilson score interval of a proportion (SciPy's)."""
    if n == 0:
        return (math.nan, 0.0, 1.0)
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
    low = 0.0 if successes == 0 else max(0.0, float(ci.low))  # exact ends, not 1e-19 from rounding
    high = 1.0 if successes == n else min(1.0, float(ci.high))
    return (successes / n, low, high)


def quantile_ci(values, q: float, level: float = 0.95) -> tuple[float, float, float]:
    """(estimate, low, high) of the q-quantile; distribution-free interval from order statistics."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    est = float(np.quantile(x, q))
    lo_rank = int(stats.binom.ppf((1 - level) / 2, n, q))
    hi_rank = int(stats.binom.ppf(0.5 + level / 2, n, q))
    low = float(x[max(lo_rank - 1, 0)])
    high = float(x[min(hi_rank, n - 1)])
    return (est, min(low, est), max(high, est))


def replications_needed(n: int, estimate: float, half_width: float, limit: float) -> int | None:
    """Replications for the interval to clear ``limit`` at the same spread (None if it cannot)."""
    gap = abs(limit - estimate)
    if gap == 0 or not math.isfinite(half_width):
        return None
    return max(n + 1, math.ceil(n * (half_width / gap) ** 2))
