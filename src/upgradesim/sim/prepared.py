"""What every replication of a plan shares, computed once per process: nodes, tier order,
window calendars, demand per UTC hour, and cached capacity curves."""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import SimulationError
from ..plan.calendar import WindowCalendar, region_calendar
from ..plan.model import Plan
from .capacity import response_tail_array
from .distributions import planning_min

__all__ = ["NodeSpec", "Prepared", "prepare", "TIER_PRIORITY"]

# tie-break of the tier order where the dependency graph leaves a choice
TIER_PRIORITY = ("db", "database", "middleware", "cache", "broker", "app", "web", "lb")
EXTRA_HOURS = 24 * 21  # demand beyond the horizon, for rollouts that overrun it


@dataclass(frozen=True)
class NodeSpec:
    """One node of the fleet. ``k`` is its position in the canonical order (by id)."""

    k: int
    id: str
    region: str
    tier: str
    index: int


@dataclass(frozen=True)
class CapacityCurve:
    """Cumulative per-hour sums for one region in one capacity state."""

    breach_min: np.ndarray  # cumulative minutes with p95 above target, at each hour boundary
    unserved: np.ndarray  # cumulative unserved requests
    breach_rate: np.ndarray  # minutes of breach per minute, per hour (0 or 1)
    unserved_rate: np.ndarray  # unserved requests per minute, per hour
    any_breach: bool  # False: the integrals are zero whatever the interval (the common case)
    any_unserved: bool


@dataclass
class Prepared:
    """A plan made ready for simulation. Build with :func:`prepare`; shared by replications."""

    plan: Plan
    nodes: tuple[NodeSpec, ...]
    regions: tuple[str, ...]
    tiers: tuple[str, ...]  # fleet tiers with at least one node
    sequence: dict[str, tuple[tuple[str, ...], ...]]  # sequencing -> groups of tiers, in order
    calendars: dict[str, WindowCalendar]
    demand: dict[str, np.ndarray]  # requests/s per UTC hour since start (floored to the hour)
    cum_demand: dict[str, np.ndarray]  # cumulative requests at each hour boundary
    demand_per_min: dict[str, np.ndarray]  # requests per minute, per hour
    hour0_min: float  # simulation minute of hour index 0 (<= 0)
    by_region_tier: dict[tuple[str, str], tuple[int, ...]]
    bottleneck: str
    defect_tiers: frozenset[str]
    servers_per_node: float
    mu_per_s: float
    target_s: float
    capacity_new_factor: float
    _curves: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _curve_bytes: int = field(default=0, repr=False)
    _safe: dict = field(default_factory=dict, repr=False)
    cache_bytes: int = field(default_factory=lambda: curve_cache_bytes(), repr=False)

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def hours(self) -> int:
        return len(next(iter(self.demand.values())))

    def estimate_min(self, groups: tuple[tuple[str, ...], ...], with_migration: bool) -> float:
        """Planning duration (95th percentiles) of upgrading ``groups`` of tiers in sequence."""
        total = 0.0
        for group in groups:
            total += max(self.plan.tiers[t].planning_steps_min for t in group)
        if with_migration and self.plan.migration is not None:
            total += self.migration_estimate_min()
        return total

    def migration_phases(self, wait: float, offline_ok: bool = False) -> list[tuple[float, bool]]:
        """(minutes, blocks the application) of one region's migration after a lock wait of
        ``wait`` minutes: the phases derived from its SQL (the wait blocks when a blocking
        statement waits: every query queues behind its lock request), else one stretch of
        rows / rows_per_s, blocking unless the migration runs online."""
        m = self.plan.migration
        if m.phases:
            blocking = any(p.blocking for p in m.phases) and not offline_ok
            return [(wait, blocking)] + [(p.minutes, p.blocking and not offline_ok) for p in m.phases]
        rows = m.rows * (1 - m.data.archive_fraction if m.data.mode == "archive_first" else 1)
        return [(rows / m.rows_per_s / 60.0 + wait, not m.online and not offline_ok)]

    def migration_estimate_min(self) -> float:
        m = self.plan.migration
        if m is None:
            return 0.0
        # a lock wait is planned only when long transactions are declared: none, none to wait for
        wait = planning_min(m.long_transactions.hold_min) if m.long_transactions.per_hour > 0 else 0.0
        return sum(minutes for minutes, _ in self.migration_phases(wait))

    def hour_index(self, t: float) -> int:
        return int((t - self.hour0_min) // 60)

    def curve(self, region: str, servers: int, cap_other: float) -> CapacityCurve:
        """Breach and unserved demand per hour for a region in one capacity state (cached)."""
        key = (region, servers, round(cap_other, 6))
        found = self._curves.get(key)
        if found is not None:
            self._curves.move_to_end(key)
            return found
        lam = self.demand[region]
        mu = self.mu_per_s
        limit = min(servers * mu, cap_other)
        tail = response_tail_array(self.target_s, servers, np.minimum(lam, cap_other), mu)
        breach = ((tail > 0.05) | (lam >= limit)) & (lam > 0)
        unserved = np.maximum(lam - limit, 0.0) * 60.0  # per minute
        breach_rate = breach.astype(float)
        curve = CapacityCurve(
            breach_min=np.concatenate([[0.0], np.cumsum(breach_rate * 60.0)]),
            unserved=np.concatenate([[0.0], np.cumsum(unserved * 60.0)]),
            breach_rate=breach_rate,
            unserved_rate=unserved,
            any_breach=bool(breach.any()),
            any_unserved=bool((unserved > 0).any()),
        )
        size = sum(a.nbytes for a in (curve.breach_min, curve.unserved, curve.breach_rate, curve.unserved_rate)) + 200
        self._curves[key] = curve
        self._curve_bytes += size
        while self._curve_bytes > self.cache_bytes and len(self._curves) > 1:  # least recently used go first
            _, old = self._curves.popitem(last=False)
            self._curve_bytes -= sum(a.nbytes for a in (old.breach_min, old.unserved, old.breach_rate,
                                                        old.unserved_rate)) + 200
        return curve

    def safe_servers(self, region: str) -> tuple[int, float]:
        """(servers, peak demand) of ``region``: with at least that many servers and other tiers
        above the peak, no hour of the horizon breaches or leaves demand unserved, so the curve
        need not be consulted (the fast path of the accounting). Cached per region."""
        found = self._safe.get(region)
        if found is None:
            lam = self.demand[region]
            peak = float(lam.max()) if len(lam) else 0.0
            lo, hi = 0, max(1, int(peak / self.mu_per_s) + 1)
            while self.curve(region, hi, math.inf).any_breach or self.curve(region, hi, math.inf).any_unserved:
                hi *= 2
            while lo < hi:  # the smallest server count without breach or unserved demand (monotone)
                mid = (lo + hi) // 2
                c = self.curve(region, mid, math.inf)
                if c.any_breach or c.any_unserved:
                    lo = mid + 1
                else:
                    hi = mid
            found = self._safe[region] = (lo, peak)
        return found

    def integrate(self, cum: np.ndarray, rate: np.ndarray, t0: float, t1: float) -> float:
        """Integral over [t0, t1) minutes of a per-hour piecewise-constant ``rate`` with cumsum ``cum``."""
        return self._at(cum, rate, t1) - self._at(cum, rate, t0)

    def crossing(self, cum: np.ndarray, rate: np.ndarray, t: float, amount: float) -> float | None:
        """The time at which the integral from ``t`` reaches ``amount`` (None: never)."""
        if amount <= 0:
            return t
        target = self._at(cum, rate, t) + amount
        last = len(rate) - 1
        if target <= cum[last + 1]:
            i = int(np.searchsorted(cum, target, side="left"))  # the first boundary at or past the target
            h = max(i - 1, 0)
            if rate[h] <= 0:  # pragma: no cover - cum is flat only where the rate is zero
                return None
            return float(self.hour0_min + 60.0 * h + (target - cum[h]) / rate[h])
        if rate[last] > 0:
            return float(self.hour0_min + 60.0 * (last + 1) + (target - cum[last + 1]) / rate[last])
        return None

    def _at(self, cum: np.ndarray, rate: np.ndarray, t: float) -> float:
        x = t - self.hour0_min
        h = int(x // 60)
        last = len(rate) - 1
        if h > last:  # beyond the table: extend the last hour's rate
            return float(cum[last + 1] + (x - 60.0 * (last + 1)) * rate[last])
        return float(cum[h] + (x - 60.0 * h) * rate[h])


CURVE_CACHE_MB = 256  # default bound of the capacity-curve cache, per process


def curve_cache_bytes() -> int:
    """The capacity-curve cache's bound in bytes: ``$UPGRADESIM_CURVE_CACHE_MB`` or 256 MB."""
    text = os.environ.get("UPGRADESIM_CURVE_CACHE_MB", "")
    try:
        mb = float(text) if text else CURVE_CACHE_MB
    except ValueError:
        raise SimulationError(f"$UPGRADESIM_CURVE_CACHE_MB(={text!r}): must be a number of megabytes") from None
    if not mb > 0:
        raise SimulationError(f"$UPGRADESIM_CURVE_CACHE_MB(={text!r}): must be > 0")
    return int(mb * 1024 * 1024)


def prepare(plan: Plan, demand: dict[str, list[float]] | None = None) -> Prepared:
    """Make ``plan`` ready for simulation.

    ``demand`` gives, for regions whose traffic comes from a telemetry metric, 168 requests/s
    values by local hour of week (Monday 00:00 first), e.g. from the store's baseline.
    """
    nodes = []
    for region in plan.regions:
        for tier, count in region.nodes.items():
            for i in range(count):
                nodes.append((f"{region.name}/{tier}/{i + 1:03d}", region.name, tier, i))
    nodes.sort(key=lambda n: n[0])
    specs = tuple(NodeSpec(k, *n) for k, n in enumerate(nodes))
    by_rt: dict[tuple[str, str], list[int]] = {}
    for spec in specs:
        by_rt.setdefault((spec.region, spec.tier), []).append(spec.k)
    for ks in by_rt.values():
        ks.sort(key=lambda k: specs[k].index)
    tiers = tuple(t for t in plan.tiers if any(r.nodes.get(t, 0) for r in plan.regions))

    bottleneck = plan.service.bottleneck_tier or ("app" if "app" in tiers else max(
        tiers, key=lambda t: sum(r.nodes.get(t, 0) for r in plan.regions)))
    start = plan.calendar.start_utc
    hour0 = pd.Timestamp(start).floor("h")
    hour0_min = (hour0 - pd.Timestamp(start)).total_seconds() / 60.0
    hours = int(math.ceil(plan.calendar.horizon_days * 24)) + EXTRA_HOURS
    utc = pd.date_range(hour0, periods=hours, freq="h")
    demand_arr, cum = {}, {}
    for region in plan.regions:
        local = utc.tz_convert(region.tz)
        if region.traffic.hourly_rps is not None:
            profile = np.asarray(region.traffic.hourly_rps, dtype=float)
            values = profile[np.asarray(local.hour)] * np.where(
                np.asarray(local.day_of_week) >= 5, region.traffic.weekend_factor, 1.0)
        else:
            week = (demand or {}).get(region.name)
            if week is None or len(week) != 168:
                raise SimulationError(
                    f"regions[{region.name}].traffic.metric(={region.traffic.metric}): demand comes from "
                    "telemetry; pass demand={region: 168 hour-of-week values} (from the store's baseline)")
            values = np.asarray(week, dtype=float)[np.asarray(local.day_of_week) * 24 + np.asarray(local.hour)]
        demand_arr[region.name] = values
        cum[region.name] = np.concatenate([[0.0], np.cumsum(values * 3600.0)])
    service_s = plan.service.service_time_ms / 1000.0
    return Prepared(
        plan=plan,
        nodes=specs,
        regions=tuple(r.name for r in plan.regions),
        tiers=tiers,
        sequence={"sequential": _tier_order(plan, tiers, sequential=True),
                  "simultaneous": _tier_order(plan, tiers, sequential=False)},
        calendars={r.name: region_calendar(plan, r) for r in plan.regions},
        demand=demand_arr,
        cum_demand=cum,
        demand_per_min={r: v * 60.0 for r, v in demand_arr.items()},
        hour0_min=hour0_min,
        by_region_tier={k: tuple(v) for k, v in by_rt.items()},
        bottleneck=bottleneck,
        defect_tiers=frozenset(plan.release.defect_tiers or (bottleneck,)),
        servers_per_node=plan.tiers[bottleneck].capacity_rps * service_s,
        mu_per_s=1.0 / service_s,
        target_s=plan.service.p95_latency_ms / 1000.0,
        capacity_new_factor=1.0 / (1.0 + plan.release.overheads.cpu_pct / 100.0),
    )


def _tier_order(plan: Plan, tiers: tuple[str, ...], *, sequential: bool) -> tuple[tuple[str, ...], ...]:
    """Tiers in upgrade order: a tier after the tiers its components depend on (dependencies first)."""
    components = plan.dependency_graph()
    graph = nx.DiGraph()
    graph.add_nodes_from(tiers)
    for dependant, dependency in components.edges:
        a, b = components.nodes[dependant]["tier"], components.nodes[dependency]["tier"]
        if a in tiers and b in tiers and a != b:
            graph.add_edge(b, a)  # b before a
    for tier, behaviour in plan.tiers.items():
        for other in behaviour.after:
            if tier in tiers and other in tiers:
                graph.add_edge(other, tier)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        names = [u for u, _ in cycle] + [cycle[0][0]]
        raise SimulationError(
            f"tier order has a cycle: {' -> '.join(names)} (components of these tiers depend on each other); "
            "set tiers.<tier>.after to state the order")

    def priority(t: str) -> tuple[int, str]:
        return (TIER_PRIORITY.index(t) if t in TIER_PRIORITY else len(TIER_PRIORITY), t)

    if sequential:
        return tuple((t,) for t in nx.lexicographical_topological_sort(graph, key=lambda t: priority(t)))
    return tuple(tuple(sorted(g, key=priority)) for g in nx.topological_generations(graph))
