"""The five objectives of a rollout design, from its replication records, and Pareto dominance."""

from __future__ import annotations

import pandas as pd

from ..sim.stats import mean_ci, wilson

__all__ = ["OBJECTIVES", "objectives", "dominates", "pareto", "same"]

# name -> direction; the order is the order of optuna's values
OBJECTIVES = {
    "p_on_time": "max",  # completed, no window overrun, finished by the deadline when one is set
    "duration_min": "min",  # mean, from the first node started to the last finished
    "impact_min": "min",  # mean customer-impact minutes: downtime (union of regions) + SLA breach
    "p_rollback": "min",
    "cost": "min",  # mean cost: at the plan's prices, or node-hours without them
}


def objectives(reps: pd.DataFrame, deadline: float | None) -> dict[str, tuple[float, float, float]]:
    """Each objective as (estimate, low, high) with 95% intervals (Wilson, Student t)."""
    n = len(reps)
    on_time = reps["completed"] & (reps["window_overruns"] == 0)
    if deadline is not None:
        on_time &= reps["finished_at_min"] <= deadline + 1e-9
    return {
        "p_on_time": wilson(int(on_time.sum()), n),
        "duration_min": mean_ci(reps["duration_min"]),
        "impact_min": mean_ci(reps["downtime_min"] + reps["sla_breach_min"]),
        "p_rollback": wilson(int(reps["rolled_back"].sum()), n),
        "cost": mean_ci(reps["cost"]),
    }


def _signed(point: dict) -> list[float]:
    """Objective estimates turned into "smaller is better"."""
    return [(-point[k] if d == "max" else point[k]) for k, d in OBJECTIVES.items()]


TOL = 1e-9


def dominates(a: dict, b: dict) -> bool:
    """``a`` is at least as good as ``b`` in every objective and better in one (estimates)."""
    x, y = _signed(a), _signed(b)
    return all(u <= v + TOL for u, v in zip(x, y, strict=True)) and any(u < v - TOL for u, v in zip(x, y, strict=True))


def same(a: dict, b: dict) -> bool:
    return all(abs(u - v) <= TOL for u, v in zip(_signed(a), _signed(b), strict=True))


def pareto(points: list[dict]) -> list[int]:
    """Indices of the points no other point dominates (of equal points, the first)."""
    keep = []
    for i, p in enumerate(points):
        if any(dominates(q, p) for j, q in enumerate(points) if j != i):
            continue
        if any(same(points[j], p) for j in keep):
            continue
        keep.append(i)
    return keep
