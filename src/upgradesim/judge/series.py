"""One metric's series made comparable: daily/weekly cycles removed when the baseline shows them,
and the block structure that makes inference valid for autocorrelated telemetry.

The cycle is chosen by evidence, never assumed: a model (none, hour of day, hour of week) is kept
only when it predicts the baseline better *out of sample* (each day or week predicted from the
others) than the simpler one, by ``CYCLE_GAIN``, and only when the baseline covers the cycle at
least twice. Baseline values are adjusted with the profile of the *other* days (or weeks), the
candidate with the whole baseline's profile, so both carry the same estimation noise. A candidate
hour the profile lacks falls back to the hour of day, then to the baseline level: no point is
dropped. Seasonality is divided out (ratios) only when every expected value is positive and the
data are non-negative; otherwise it is subtracted, so a zero median never becomes a divisor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Adjusted", "adjust", "block_stats", "choose_block", "CYCLE_GAIN", "PERIODS", "lag1"]

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY
CYCLE_GAIN = 0.15  # a cycle must cut the out-of-sample error by at least 15%
MIN_BLOCKS = 6  # blocking stops before fewer baseline blocks than this remain


@dataclass(frozen=True)
class Adjusted:
    """Baseline and candidate values with the cycle taken out, around the baseline's level."""

    base: np.ndarray
    cand: np.ndarray
    level: float  # baseline median, in the metric's units
    cycle: str  # "none", "daily", "daily-weekpart" or "weekly"
    mode: str  # "ratio", "offset" or "raw"
    note: str  # why this cycle, in words
    fallback: int  # candidate points whose hour the profile lacked


def _cells(t: np.ndarray, x: np.ndarray, fold_len: int, key_of) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean per (fold, key) cell as a folds x keys matrix (NaN where empty), and each point's fold and key."""
    fold = (t - t.min()) // fold_len
    key = key_of(t)
    n_keys = int(key.max()) + 1 if len(key) else 1
    n_folds = int(fold.max()) + 1
    cell = fold * n_keys + key
    sums = np.bincount(cell, weights=x, minlength=n_folds * n_keys)
    counts = np.bincount(cell, minlength=n_folds * n_keys)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means.reshape(n_folds, n_keys), fold, key


def _nanmedian(matrix: np.ndarray, axis: int = 0) -> np.ndarray:
    """Median along ``axis`` ignoring NaN (NaN where a column has none): sort-based, no masked arrays."""
    if axis == 1:
        matrix = matrix.T
    if matrix.shape[0] == 0:
        return np.full(matrix.shape[1], np.nan)
    ordered = np.sort(matrix, axis=0)  # NaN sorts last
    k = np.sum(~np.isnan(ordered), axis=0)
    lo, hi = np.maximum((k - 1) // 2, 0), np.maximum(k // 2, 0)
    cols = np.arange(ordered.shape[1])
    out = (ordered[lo, cols] + ordered[np.minimum(hi, ordered.shape[0] - 1), cols]) / 2
    out[k == 0] = np.nan
    return out


def _loo_profile(matrix: np.ndarray) -> np.ndarray:
    """For each fold, the per-key median of the other folds (NaN where no other fold has the key)."""
    out = np.full(matrix.shape, np.nan)
    for f in range(matrix.shape[0]):
        others = np.delete(matrix, f, axis=0)
        if len(others):
            out[f] = _nanmedian(others)
    return out


def _hour_of_day(t):
    return (t // HOUR) % 24


def _hour_of_week(t):
    return ((t // DAY + 3) % 7) * 24 + (t // HOUR) % 24  # 1970-01-01 was a Thursday; Monday = 0


def _hour_and_weekpart(t):
    return (t // HOUR) % 24 + 24 * (((t // DAY + 3) % 7) >= 5)


def _cv_errors(t, x, weekly: bool) -> dict[str, float]:
    """Median absolute out-of-sample error of each cycle model, on the same hourly cells.

    none: each day's hours predicted by the median level of the other days; daily: by the same
    hour on the other days; weekly: by the same hour of week in the other weeks.
    """
    by_day, _, _ = _cells(t, x, DAY, _hour_of_day)
    seen = ~np.isnan(by_day)
    with np.errstate(invalid="ignore"):  # a day without data (a gap) has no level: NaN, no warning
        day_level = np.where(seen, by_day, 0).sum(axis=1) / seen.sum(axis=1)
    others = _loo_profile(day_level[:, None])[:, 0]
    errors = {"none": np.abs(by_day - others[:, None]), "daily": np.abs(by_day - _loo_profile(by_day))}
    weekend = ((np.unique(t // DAY) + 3) % 7) >= 5
    if weekend.sum() >= 2 and (~weekend).sum() >= 2:  # weekdays and weekends apart, each from the other days
        by_part, fold, _ = _cells(t, x, DAY, _hour_and_weekpart)
        errors["daily-weekpart"] = np.abs(by_part - _loo_profile(by_part))
    if weekly:
        by_week, _, _ = _cells(t, x, WEEK, _hour_of_week)
        errors["weekly"] = np.abs(by_week - _loo_profile(by_week))
    return {k: float(np.nanmedian(v)) if np.any(~np.isnan(v)) else math.inf for k, v in errors.items()}


_MODELS = {"daily": (DAY, _hour_of_day), "daily-weekpart": (DAY, _hour_and_weekpart), "weekly": (WEEK, _hour_of_week)}


def adjust(tb: np.ndarray, xb: np.ndarray, tc: np.ndarray, xc: np.ndarray, seasonal: bool = True) -> Adjusted:
    """Take the baseline's proven cycle out of both samples (times in epoch seconds, sorted)."""
    level = float(np.median(xb)) if len(xb) else math.nan
    if not seasonal or len(xb) == 0 or len(xc) == 0:
        return Adjusted(xb, xc, level, "none", "raw", "", 0)
    span = int(tb.max() - tb.min())
    days = int(np.unique(tb // DAY).size)
    if days < 2 or span < DAY + DAY // 2:
        return Adjusted(xb, xc, level, "none", "raw",
                        "the baseline covers less than two days, so no daily cycle can be checked", 0)
    errors = _cv_errors(tb, xb, weekly=span >= 2 * WEEK - DAY)
    chosen = "none"
    if errors["daily"] < (1 - CYCLE_GAIN) * errors["none"]:
        chosen = "daily"
    if "daily-weekpart" in errors and errors["daily-weekpart"] < (1 - CYCLE_GAIN) * errors[chosen]:
        chosen = "daily-weekpart"
    if "weekly" in errors and errors["weekly"] < (1 - CYCLE_GAIN) * errors[chosen]:
        chosen = "weekly"
    if chosen == "none":
        return Adjusted(xb, xc, level, "none", "raw",
                        f"no daily{' or weekly' if 'weekly' in errors else ''} cycle in {days} baseline days", 0)
    fold_len, key_of = _MODELS[chosen]
    matrix, fold, key = _cells(tb, xb, fold_len, key_of)
    loo = _loo_profile(matrix)
    full = _nanmedian(matrix)
    exp_b = loo[fold, key]
    missing = np.isnan(exp_b)  # a key seen in one fold only: the whole baseline's median for it
    exp_b[missing] = full[key[missing]]
    key_c = key_of(tc)
    exp_c = np.full(len(tc), np.nan)
    known = key_c < len(full)
    exp_c[known] = full[key_c[known]]
    fallback = np.isnan(exp_c)
    if fallback.any() and chosen != "daily":  # hour of week (or kind of day) unseen: hour of day
        daily = _nanmedian(_cells(tb, xb, DAY, _hour_of_day)[0])
        exp_c[fallback] = daily[_hour_of_day(tc[fallback])]
    exp_c[np.isnan(exp_c)] = level
    exp_b[np.isnan(exp_b)] = level
    n_fallback = int(fallback.sum())
    what = {"daily": "hour of day", "daily-weekpart": "hour of day (weekdays and weekends apart)",
            "weekly": "hour of week"}[chosen]
    note = f"a {chosen} cycle found in {days} baseline days, so values are compared at the same {what}"
    if (np.all(exp_b > 0) and np.all(exp_c > 0) and np.min(xb) >= 0 and np.min(xc) >= 0 and level > 0):
        return Adjusted(level * xb / exp_b, level * xc / exp_c, level, chosen, "ratio", note, n_fallback)
    return Adjusted(level + xb - exp_b, level + xc - exp_c, level, chosen, "offset", note, n_fallback)


def lag1(v: np.ndarray) -> float:
    """Lag-1 autocorrelation (0 for fewer than 3 values or no variation)."""
    if len(v) < 3:
        return 0.0
    d = v - v.mean()
    den = float(np.dot(d, d))
    return float(np.dot(d[:-1], d[1:]) / den) if den > 0 else 0.0


PERIODS = 4  # a baseline holding this many candidate-sized periods is compared period by period


def choose_block(base: np.ndarray, n_cand: int, stat=np.median) -> int:
    """Block length (in points) at which baseline block statistics are close to independent.

    When the baseline holds at least ``PERIODS`` stretches as long as the candidate, the block is
    the candidate's length: the candidate is then compared with periods like it, so variation that
    only shows from one period to the next (a day-level wander) is measured, not assumed away.
    Otherwise Flyvbjerg-Petersen blocking: start from at most 512 blocks and double the block length
    while the lag-1 autocorrelation of block statistics is significant and enough blocks remain,
    never longer than the candidate.
    """
    n = len(base)
    if n_cand >= 1 and n >= PERIODS * n_cand:
        return n_cand
    size = max(1, math.ceil(n / 512))
    while True:
        k = n // size
        if k < 2 * MIN_BLOCKS or size * 2 > max(n_cand, 1):
            break
        stats = block_stats(base, size, stat)
        if lag1(stats) < max(0.1, 2 / math.sqrt(k)):
            break
        size *= 2
    return max(1, min(size, max(n_cand, 1)))


def block_stats(values: np.ndarray, size: int, stat=np.median) -> np.ndarray:
    """The statistic of each whole block of ``size`` consecutive values (a last block of at least
    half the size counts too)."""
    n = len(values)
    k = n // size
    out = stat(values[:k * size].reshape(k, size), axis=1) if k else np.empty(0)
    rest = n - k * size
    if rest and rest * 2 >= size:
        out = np.append(out, stat(values[k * size:]))
    return np.asarray(out, float)
