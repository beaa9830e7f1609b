"""Holding simulated figures to the change board's risk tolerance: check and recommend."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from ..plan.model import RiskTolerance
from .stats import replications_needed

__all__ = ["FigureCheck", "check_tolerance", "recommend", "LIMITS", "LOWER"]

# plan risk key -> summary figure it bounds
LIMITS = {
    "max_p_rollback": "p_rollback",
    "max_expected_downtime_min": "downtime_min",
    "max_p_overrun": "p_overrun",
    "max_sla_breach_min": "sla_breach_min",
    "max_cost": "cost",
}
# plan risk key -> summary figure it bounds from below
LOWER = {
    "min_p_complete": "p_complete",
    "min_p_finish_by": "p_finish_by",
    "min_capacity_pct": "min_capacity_pct",
}


@dataclass(frozen=True)
class FigureCheck:
    """One figure against its limit: within (the whole interval), breach (the estimate), inconclusive."""

    strategy: str
    figure: str
    limit_key: str
    estimate: float
    low: float
    high: float
    limit: float
    status: str
    replications_needed: int | None = None
    lower_bound: bool = False  # the figure must stay at or above the limit (p_complete)

    @property
    def message(self) -> str:
        base = f"{self.strategy}: {self.figure} = {self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}] vs {self.limit_key} {self.limit:g}"
        if self.status == "breach" and self.limit_key == "horizon":
            return (f"{self.strategy}: no replication finished within the plan's horizon "
                    f"(p_complete = {self.estimate:.4g} [{self.low:.4g}, {self.high:.4g}]): BREACH")
        if self.status == "breach":
            short = self.limit - self.estimate if self.lower_bound else self.estimate - self.limit
            return f"{base}: BREACH by {short:.4g}"
        if self.status == "inconclusive":
            more = f"; about {self.replications_needed} replications would decide" if self.replications_needed else ""
            return f"{base}: INCONCLUSIVE (the interval straddles the limit{more})"
        return f"{base}: within"

    def as_dict(self) -> dict:
        return asdict(self) | {"message": self.message}


def check_tolerance(summary: pd.DataFrame, risk: RiskTolerance, strategy: str) -> list[FigureCheck]:
    """Each bounded figure of ``strategy`` against the plan's risk tolerance."""
    rows = summary[summary["strategy"] == strategy].set_index("figure")
    checks = []
    for key, figure in LIMITS.items():
        limit = getattr(risk, key)
        if limit is None or figure not in rows.index:
            continue
        row = rows.loc[figure]
        est, low, high, n = float(row["estimate"]), float(row["low"]), float(row["high"]), int(row["n"])
        if est > limit:
            status = "breach"
        elif high <= limit:
            status = "within"
        else:
            status = "inconclusive"
        needed = None
        if status == "inconclusive":
            needed = replications_needed(n, est, (high - low) / 2, limit)
        checks.append(FigureCheck(strategy, figure, key, est, low, high, float(limit), status, needed))
    for key, figure in LOWER.items():
        if figure not in rows.index:
            continue
        row = rows.loc[figure]
        est, low, high, n = float(row["estimate"]), float(row["low"]), float(row["high"]), int(row["n"])
        limit = getattr(risk, key)
        if limit is None:  # unbounded, but a plan that never finishes can never pass
            if key == "min_p_complete" and est == 0:
                checks.append(FigureCheck(strategy, figure, "horizon", est, low, high, 0.0, "breach",
                                          lower_bound=True))
            continue
        status = "breach" if est < limit else "within" if low >= limit else "inconclusive"
        needed = replications_needed(n, est, (high - low) / 2, limit) if status == "inconclusive" else None
        checks.append(FigureCheck(strategy, figure, key, est, low, high, float(limit), status, needed,
                                  lower_bound=True))
    return checks


def _excess(c: FigureCheck) -> float:
    """How far a figure is from its limit, as a ratio (> 1 breaches)."""
    if c.lower_bound:
        return c.limit / c.estimate if c.estimate > 0 else math.inf
    return c.estimate / c.limit if c.limit > 0 else (math.inf if c.estimate > 0 else 0.0)


def recommend(summary: pd.DataFrame, risk: RiskTolerance) -> tuple[str, str]:
    """The strategy that best fits the tolerance, and why.

    Among strategies whose every bounded estimate is within its limit, the one with the highest
    P(complete), then the shortest mean duration; if none fits, the one whose worst figure
    exceeds its limit by the smallest ratio.
    """
    strategies = list(dict.fromkeys(summary["strategy"]))
    fits, misses = [], []
    for s in strategies:
        checks = check_tolerance(summary, risk, s)
        rows = summary[summary["strategy"] == s].set_index("figure")["estimate"]
        if all(c.status != "breach" for c in checks):
            fits.append((-rows["p_complete"], rows["duration_min"], s, checks))
        else:  # a breach: its excess is the worst
            misses.append((max(_excess(c) for c in checks), s, checks))
    if fits:
        fits.sort(key=lambda x: (round(x[0], 3), x[1]))
        _, duration, name, checks = fits[0]
        pc = summary[(summary.strategy == name) & (summary.figure == "p_complete")]["estimate"].iloc[0]
        shaky = [c.figure for c in checks if c.status == "inconclusive"]
        reason = (f"{name} keeps every bounded figure within tolerance, completes in {pc:.0%} of replications "
                  f"with a mean duration of {duration / 60:.1f} h"
                  + (f"; {', '.join(shaky)} still straddle their limits" if shaky else "")
                  + f" ({len(fits)} of {len(strategies)} strategies fit)")
        return name, reason
    misses.sort(key=lambda x: x[0])
    worst, name, checks = misses[0]
    breached = ", ".join(f"{c.figure} {c.estimate:.3g} > {c.limit:g}" for c in checks if c.status == "breach")
    return name, f"no strategy fits the tolerance; {name} misses it by the least ({breached})"
