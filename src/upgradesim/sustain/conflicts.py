"""Conflicts between changes that share the same nights: several plans, and the changes of a change
calendar CSV exported from a change-management tool.

Each change is a span of time and what it touches. A plan's span runs from its calendar start to
its 95th-percentile finish over :data:`REPLICATIONS` replications of its chosen strategy, and it
works only inside its windows; a calendar row gives start, end and components. Found:

- **overlap**: two changes working at the same time on a shared component, or on a component the
  other's depends on (or that depends on it);
- **capacity**: two plans working at the same time in a region on the same tier, taking out
  together more than the stricter ``risk.min_capacity_pct`` allows (50% when neither sets it), from
  each strategy's largest batch;
- **freeze**: a change working inside another plan's freeze;
- **judge window**: a change starting within ``judge_days`` after another's end on a shared
  component: the post-upgrade verdict could not be attributed to one change;
- **ordering**: a change whose dependency rules need a version another change installs, starting
  before that change ends.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import DataError
from ..plan import Plan

__all__ = ["Change", "Conflict", "find_conflicts", "change_of_plan", "read_calendar", "REPLICATIONS"]

REPLICATIONS = 40
CAL_COLUMNS = ("change_id", "start", "end", "components")


@dataclass
class Change:
    change_id: str
    source: str
    start: dt.datetime
    end: dt.datetime
    components: set  # touched (upgraded) component names
    near: set = field(default_factory=set)  # their dependencies and dependants
    windows: list = field(default_factory=list)  # (start, end, region) it may work in; empty: all of the span
    out_share: dict = field(default_factory=dict)  # (region, tier) -> share of nodes out at once
    min_capacity: float | None = None
    freezes: list = field(default_factory=list)  # (name, start, end)
    needs: list = field(default_factory=list)  # (product or component, specifier)
    installs: dict = field(default_factory=dict)  # product -> target version


@dataclass
class Conflict:
    kind: str
    changes: tuple
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def change_of_plan(plan: Plan, source: str, *, seed: int = 0) -> Change:
    """A plan as a change: its span (simulated), windows, touched components and capacity taken."""
    from ..plan.calendar import region_calendar
    from ..sim import compare
    from ..sim.feasibility import capacity_floor_pct

    name = plan.chosen_strategy or plan.strategies[0].name
    reps = compare(plan, [name], replications=REPLICATIONS, seed=seed, progress=False, keep_events=0).replications
    start = plan.calendar.start_utc
    end = start + dt.timedelta(minutes=float(reps["finished_at_min"].quantile(0.95)))
    touched = {c.name for c in plan.components if c.target_version}
    graph = plan.dependency_graph()
    near = set()
    for c in touched:
        near |= set(graph.successors(c)) | set(graph.predecessors(c))
    windows = []
    for region in plan.regions:
        for s, e in region_calendar(plan, region).intervals:
            ws, we = start + dt.timedelta(minutes=s), start + dt.timedelta(minutes=e)
            if ws < end:
                windows.append((ws, min(we, end), region.name))
    floor = capacity_floor_pct(plan, name)
    out = {}
    for region in plan.regions:
        for tier, n in region.nodes.items():
            if n and any(c.tier == tier for c in plan.components if c.name in touched):
                out[(region.name, tier)] = (100.0 - floor) / 100.0
    freezes = [(f.name, dt.datetime.combine(f.start, dt.time(), dt.UTC),
                dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time(), dt.UTC)) for f in plan.calendar.freezes]
    needs = []
    for rule in plan.release.requires:  # "postgresql >=13"
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(.*?)\s*$", rule)
        if m and m.group(2):
            needs.append((m.group(1), m.group(2)))
    for c in plan.components:
        for dep in c.depends_on:
            if dep.constraint and c.name in touched:
                needs.append((dep.name, dep.constraint))
    installs = {}
    for c in plan.components:
        if c.target_version:
            installs[c.product.lower()] = c.target_version
            installs[c.name.lower()] = c.target_version
    return Change(plan.change_id or plan.name, source, start, end, touched, near - touched, windows, out,
                  plan.risk.min_capacity_pct, freezes, needs, installs)


def read_calendar(path: str | Path) -> list[Change]:
    """Changes from a CSV: change_id, start, end, components (separated by ; or |)."""
    from ..readers import parse_timestamp, read_text

    path = Path(path)
    rows = list(csv.DictReader(io.StringIO(read_text(path, what="change calendar"))))
    header = rows[0].keys() if rows else (next(csv.reader(io.StringIO(read_text(path))), []) or [])
    missing = [c for c in CAL_COLUMNS if c not in header]
    if missing:
        raise DataError(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    out = []
    for i, row in enumerate(rows, start=2):
        try:
            start, end = parse_timestamp(row["start"]), parse_timestamp(row["end"])
        except ValueError:
            raise DataError(f"{path}:{i}: start/end must be ISO 8601 date-times") from None
        if end <= start:
            raise DataError(f"{path}:{i}: end({row['end']}) must be after start({row['start']})")
        if not row["change_id"].strip():
            raise DataError(f"{path}:{i}: change_id: required, empty")
        comps = {c.strip() for c in row["components"].replace("|", ";").split(";") if c.strip()}
        out.append(Change(row["change_id"].strip(), f"{path}:{i}", start, end, comps))
    if not out:
        raise DataError(f"{path}: no changes")
    return out


def _working(ch: Change):
    return ch.windows or [(ch.start, ch.end, None)]


def _together(a: Change, b: Change, *, same_region: bool = False):
    """The first moment both work (in windows), with the region when both name one."""
    for s1, e1, r1 in _working(a):
        for s2, e2, r2 in _working(b):
            if s1 < e2 and s2 < e1 and (not same_region or r1 is None or r2 is None or r1 == r2):
                return max(s1, s2), r1 or r2
    return None, None


def _satisfied(spec: str, version: str) -> bool | None:
    try:
        return Version(version) in SpecifierSet(spec)
    except (InvalidSpecifier, InvalidVersion):
        return None


def find_conflicts(changes: list[Change], *, judge_days: float = 7.0) -> list[Conflict]:
    seen: dict[str, str] = {}
    for ch in changes:
        if ch.change_id in seen:
            raise DataError(f"{ch.source}: change id {ch.change_id} is also {seen[ch.change_id]}'s: one id per change")
        seen[ch.change_id] = ch.source
    found = []
    for i, a in enumerate(changes):
        for b in changes[i + 1:]:
            pair = (a.change_id, b.change_id)
            shared = a.components & b.components
            linked = (a.components & b.near) | (b.components & a.near)
            when, region = _together(a, b)
            if when is not None and (shared or linked):
                what = (f"both upgrade {', '.join(sorted(shared))}" if shared else
                        f"one upgrades what the other's depends on ({', '.join(sorted(linked))})")
                found.append(Conflict("overlap", pair, f"{what}, working at the same time from {when:%Y-%m-%d %H:%M}"))
            both = set(a.out_share) & set(b.out_share)
            if both and when is not None:
                floors = [x for x in (a.min_capacity, b.min_capacity) if x is not None]
                floor = max(floors) if floors else 50.0
                for key in sorted(both):
                    at, _ = _together(a, b, same_region=True)
                    share = a.out_share[key] + b.out_share[key]
                    if at is not None and share > (100.0 - floor) / 100.0 + 1e-9:
                        found.append(Conflict("capacity", pair, f"{key[1]} in {key[0]}: {share:.0%} of the nodes out "
                                                                f"at once from {at:%Y-%m-%d %H:%M} (at most "
                                                                f"{100 - floor:g}% may be)"))
            for x, y in ((a, b), (b, a)):
                for name, fs, fe in x.freezes:
                    for s, e, _ in _working(y):
                        if s < fe and fs < e:
                            found.append(Conflict("freeze", pair, f"{y.change_id} works on {s:%Y-%m-%d} inside "
                                                                  f"{x.change_id}'s freeze {name}"))
                            break
                if (x.components | x.near) & y.components and x.end <= y.start < x.end + dt.timedelta(days=judge_days):
                    found.append(Conflict("judge window", pair,
                                          f"{y.change_id} starts {y.start:%Y-%m-%d} within {judge_days:g} days of "
                                          f"{x.change_id}'s end ({x.end:%Y-%m-%d}) on shared components: the verdict "
                                          "cannot be attributed to one change"))
                for what, spec in y.needs:
                    target = x.installs.get(what.lower())
                    if target and _satisfied(spec, target) and y.start < x.end:
                        found.append(Conflict("ordering", pair, f"{y.change_id} needs {what} {spec}, which "
                                                                f"{x.change_id} installs ({target}), but starts "
                                                                f"{y.start:%Y-%m-%d} before it ends ({x.end:%Y-%m-%d})"))
    return found
