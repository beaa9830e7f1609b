"""Can a strategy's rollback fit in a maintenance window? A planning check (95th percentiles), made
before any replication: a rollback longer than every window of a region would overrun whatever
happens, and the CAB should hear it from ``validate`` rather than from the night."""

from __future__ import annotations

import itertools
import math

from ..plan import Plan
from ..plan.calendar import region_calendar
from .distributions import planning_min
from .prepared import prepare

__all__ = ["rollback_minutes", "rollback_fit", "capacity_floor_pct"]


def rollback_minutes(plan: Plan, strategy: str, region: str) -> float:
    """Planning duration of the smallest rollback ``strategy`` can need in ``region``: a switch back
    for a new stack; everything at once for big bang (each tier in reverse order); otherwise one
    batch of the slowest tier to revert (a batch reverts side by side), plus the schema restore
    where that tier holds the migrated database."""
    spec = plan.strategy(strategy)
    while spec.kind == "canary":
        spec = plan.strategy(spec.then)
    if spec.kind in ("blue_green", "parallel_run"):
        return float(spec.cutover_min)
    nodes = next(r.nodes for r in plan.regions if r.name == region)
    steps = []
    for group in reversed(prepare(plan).sequence["sequential"]):
        for tier in group:
            if not nodes.get(tier, 0):
                continue
            step = planning_min(plan.tiers[tier].rollback_min)
            if plan.migration is not None and plan.migration.tier == tier:
                step += plan.migration.restore_min
            steps.append(step)
    if not steps:
        return 0.0
    return sum(steps) if spec.kind == "big_bang" else max(steps)


def rollback_fit(plan: Plan) -> list[str]:
    """One finding per (strategy, region) whose smallest rollback outlasts every window of the region."""
    longest = {}
    for region in plan.regions:
        cal = region_calendar(plan, region)
        longest[region.name] = max((e - s for s, e in cal.intervals), default=0.0)
    found = []
    for strategy in plan.strategies:
        for region in plan.regions:
            need = rollback_minutes(plan, strategy.name, region.name)
            have = longest[region.name]
            if need > have + 1e-9:
                found.append(f"strategy {strategy.name}: the smallest rollback in region {region.name} takes about "
                             f"{need:.0f} min (95th percentiles), longer than any window there (at most {have:.0f} "
                             "min): it cannot fit in a window")
    return found


def capacity_floor_pct(plan: Plan, strategy: str) -> float:
    """The smallest share (percent) of any tier's nodes in a region that ``strategy`` keeps in
    service, as it schedules them (failures aside): 0 for big bang and for a cut-over that takes the
    region down; otherwise what the largest batch (or canary) leaves of each tier."""
    spec = plan.strategy(strategy)
    if spec.kind == "big_bang":
        return 0.0
    if spec.kind in ("blue_green", "parallel_run"):
        return 0.0 if spec.cutover_min > 0 else 100.0
    floor = 100.0
    if spec.kind == "canary":
        tier = prepare(plan).bottleneck
        for region in plan.regions:
            n = region.nodes.get(tier, 0)
            if n and (not spec.tiers or tier in spec.tiers):
                out = max(1, math.ceil(spec.fraction * n - 1e-9))
                floor = min(floor, 100.0 * (n - out) / n)
        return min(floor, capacity_floor_pct(plan, spec.then))
    for region in plan.regions:
        for tier, n in region.nodes.items():
            if not n or tier not in plan.tiers or (spec.tiers and tier not in spec.tiers):
                continue
            out = spec.batch_for(n, tier)
            if spec.kind == "phased" and spec.wave_pct:
                bounds = [math.ceil(p / 100 * n - 1e-9) for p in itertools.accumulate(spec.wave_pct)]
                out = min(out, max(b - a for a, b in zip([0, *bounds[:-1]], bounds, strict=True)))
            floor = min(floor, 100.0 * (n - out) / n)
    return floor
