"""The exact conditional test on event rates behind count metrics and log-template rates."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

__all__ = ["RateResult", "rate_test"]


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
