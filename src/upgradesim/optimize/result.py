"""What ``optimize`` returns: the confirmed front, the plan's own strategy placed on it, every
screened trial, and the overlay of any point."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import UpgradesimError
from ..plan import Plan
from .designs import Design
from .front import OBJECTIVES

__all__ = ["Infeasible", "Point", "OptimizeResult"]


class Infeasible(UpgradesimError):
    """No design of the space meets the risk policy: a finding (exit 2), with the reason."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))


@dataclass
class Point:
    """One confirmed design: objectives (estimate, low, high), the risk checks, the capacity floor."""

    design: Design | None
    objectives: dict
    checks: list
    feasible: bool = True
    floor: float = 100.0
    name: str = ""
    id: int = 0
    dominated_by: list = field(default_factory=list)
    equal_to: list = field(default_factory=list)

    @property
    def estimates(self) -> dict:
        return {k: v[0] for k, v in self.objectives.items()}

    @property
    def label(self) -> str:
        if self.design is None:
            return self.name
        return self.design.label

    def row(self) -> dict:
        out = {"point": self.id, "design": self.label, "family": self.design.family if self.design else "",
               "windows": self.design.windows if self.design else "plan"}
        for k in OBJECTIVES:
            est, low, high = self.objectives[k]
            out[k], out[f"{k}_low"], out[f"{k}_high"] = est, low, high
        out["capacity_floor_pct"] = self.floor
        out["inconclusive"] = ", ".join(c["limit_key"] for c in self.checks if c["status"] == "inconclusive")
        return out


@dataclass
class OptimizeResult:
    """The front (``points``, numbered from 1), the plan's own strategy (``own``), the trials."""

    plan: Plan
    points: list[Point]
    own: Point
    meta: dict = field(default_factory=dict)
    trials: pd.DataFrame | None = None

    @property
    def own_dominated(self) -> bool:
        return bool(self.own.dominated_by)

    def as_good(self) -> list[int]:
        """Points no worse than the plan's strategy beyond its noise in any objective: each estimate
        better than the plan's, or inside the plan's 95% interval (dominance on estimates alone
        would let a 0.1 node-hour difference in cost hide a design better in everything else)."""
        own = self.own.objectives
        out = []
        for p in self.points:
            ok = all(p.objectives[k][0] >= own[k][1] - 1e-12 if d == "max" else p.objectives[k][0] <= own[k][2] + 1e-12
                     for k, d in OBJECTIVES.items())
            if ok:
                out.append(p.id)
        return out

    @property
    def recommended(self) -> int:
        """The point to run: among those as good as the plan's strategy in every objective (see
        :meth:`as_good`; all points when none is), the most likely on time (to 0.01), then the least
        customer impact, the shortest, the cheapest, the least likely to roll back."""
        good = set(self.as_good())
        pool = [p for p in self.points if p.id in good] or self.points
        best = min(pool, key=lambda p: (-round(p.estimates["p_on_time"], 2), p.estimates["impact_min"],
                                        p.estimates["duration_min"], p.estimates["cost"],
                                        p.estimates["p_rollback"], p.id))
        return best.id

    def reason(self) -> str:
        """Why the recommended point, in one sentence."""
        p = self.point(self.recommended)
        e, o = p.estimates, self.own.estimates
        if p.id in self.own.equal_to:
            return f"no design found is as good as {self.own.name} in every objective; keep it"
        if p.id in self.as_good():
            return (f"as good as {self.own.name} in every objective (within its 95% intervals) and the most likely "
                    f"on time of those: P(on time) {e['p_on_time']:.2f} vs {o['p_on_time']:.2f}, mean duration "
                    f"{e['duration_min'] / 60:.3g} h vs {o['duration_min'] / 60:.3g} h")
        return (f"no point is as good as {self.own.name} in every objective; the most likely on time: "
                f"P(on time) {e['p_on_time']:.2f} vs {o['p_on_time']:.2f}")

    def point(self, point_id: int) -> Point:
        for p in self.points:
            if p.id == point_id:
                return p
        raise KeyError(f"no point {point_id} on the front (points 1-{len(self.points)})")

    def to_frame(self) -> pd.DataFrame:
        """The front, one row per point, with 95% intervals; the plan's strategy as point 0."""
        own = self.own.row() | {"point": 0, "design": f"{self.own.name} (the plan's)"}
        return pd.DataFrame([own] + [p.row() for p in self.points])

    def overlay(self, point_id: int | None = None, name: str = "optimized") -> dict:
        """A plan overlay that adds point ``point_id`` (the recommended one by default) as the
        chosen strategy ``name`` beside the plan's own strategies."""
        p = self.point(point_id or self.recommended)
        taken = {s.name for s in self.plan.strategies}
        base, i = name, 2
        while name in taken or f"{name}-then" in taken:
            name, i = f"{base}-{i}", i + 1
        return p.design.overlay(self.plan, name, keep=True)

    def to_dict(self) -> dict:
        return {
            "plan": self.plan.name,
            "front": [p.row() | {"checks": p.checks} for p in self.points],
            "plan_strategy": self.own.row() | {"point": 0, "strategy": self.own.name, "dominated": self.own_dominated,
                                               "dominated_by": self.own.dominated_by, "equal_to": self.own.equal_to,
                                               "on_front": bool(self.own.equal_to) or not self.own_dominated,
                                               "checks": self.own.checks},
            "recommended": self.recommended,
            "recommended_reason": self.reason(),
            "as_good_as_plan": self.as_good(),
            "meta": self.meta,
        }
