"""Loading a plan file: the generic YAML-to-model loader (:mod:`upgradesim.yamlmodel`) plus the
plan's own cross checks (names, references, dependency cycles, DST-safe windows) and overlays."""

from __future__ import annotations

import difflib
import hashlib
import os
from pathlib import Path

import networkx as nx
from pydantic import ValidationError

from ..errors import PlanError, Problem
from ..yamlmodel import (  # noqa: F401 - load_model, parse_model, safe_yaml and the limits are re-exported
    MAX_EXPANDED_NODES,
    MAX_PLAN_BYTES,
    Path_,
    _compose,
    _construct,
    dotted,
    line_of,
    load_model,
    merge,
    parse_model,
    read_yaml_text,
    safe_yaml,
)
from .model import _DEP, Plan

__all__ = ["load_plan", "parse_plan", "plan_hash", "load_model", "parse_model", "safe_yaml", "MAX_PLAN_BYTES",
           "MAX_EXPANDED_NODES"]

_read, _merge, _line_of, _dotted = read_yaml_text, merge, line_of, dotted


def load_plan(path: str | os.PathLike, overlays: tuple | list = ()) -> Plan:
    """Read and validate a plan file.

    Raises
    ------
    PlanError
        With one :class:`~upgradesim.errors.Problem` per problem, each naming the file, line,
        field path, value and rule.

    Examples
    --------
    >>> from upgradesim import load_plan, sample_plan_path
    >>> load_plan(sample_plan_path()).name
    'Order platform 7.0 upgrade'
    """
    path = Path(path)
    extra = []
    for overlay in overlays:
        overlay = Path(overlay)
        data = _construct(_compose(_read(overlay), str(overlay)), str(overlay))
        if not isinstance(data, dict):
            raise PlanError([Problem(str(overlay), 1, "", type(data).__name__, "an overlay must be a mapping of keys")])
        extra.append(data)
    return parse_plan(_read(path), source=str(path), overlays=extra)


def plan_hash(plan: Plan) -> str:
    """A stable sha256 of the plan's validated content (not of its formatting)."""
    return hashlib.sha256(plan.model_dump_json().encode()).hexdigest()


def parse_plan(text: str, source: str = "<plan>", overlays: list[dict] | None = None) -> Plan:
    """Validate plan text (with ``overlays`` merged over it, in order); see :func:`load_plan`."""
    return parse_model(text, Plan, source, cross_checks=_cross_checks, after=_window_checks,
                       what="the plan must be a mapping of keys (name:, release:, ...)", overlays=overlays)


def _items(value: object) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _names(value: object) -> list[tuple[int, str]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def _section(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _cross_checks(data: dict, lines: dict[Path_, int], source: str) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path_, value: object, rule: str, has_value: bool = True) -> None:
        problems.append(Problem(source, _line_of(path, lines), _dotted(path), value, rule, has_value))

    def unknown(path: Path_, value: str, known: list[str], what: str) -> None:
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        add(path, value, f"unknown {what}{hint}")

    def unique(section: str) -> list[str]:
        first: dict[str, int] = {}
        for i, item in _items(data.get(section)):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if name in first:
                add((section, i, "name"), name,
                    f"duplicate name (first at {section}[{first[name]}], line {_line_of((section, first[name]), lines)})")
            else:
                first[name] = i
        return list(first)

    components = unique("components")
    regions = unique("regions")
    strategies = unique("strategies")
    unique("workflows")
    tiers = [t for t in _section(data, "tiers") if isinstance(t, str)]

    graph = nx.DiGraph()
    graph.add_nodes_from(components)
    for i, comp in _items(data.get("components")):
        for j, dep in enumerate(comp.get("depends_on") or [] if isinstance(comp.get("depends_on"), list) else []):
            name = dep.get("name") if isinstance(dep, dict) else _DEP.match(dep).group(1) if isinstance(dep, str) and _DEP.match(dep) else None
            if not isinstance(name, str):
                continue
            if name not in components:
                unknown(("components", i, "depends_on", j), name, components, "component")
            elif name == comp.get("name"):
                add(("components", i, "depends_on", j), name, "a component cannot depend on itself")
            elif isinstance(comp.get("name"), str):
                graph.add_edge(comp["name"], name)
    reported: set[frozenset] = set()
    for cycle in nx.simple_cycles(graph):
        if len(cycle) < 2 or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(cycle, key=components.index)
        k = cycle.index(first)
        ordered = cycle[k:] + cycle[:k]
        add(("components", components.index(first), "depends_on"), None,
            f"dependency cycle: {' -> '.join(ordered + [ordered[0]])}", has_value=False)
        if len(reported) >= 10:
            break

    for i, wf in _items(data.get("workflows")):
        for j, name in _names(wf.get("components")):
            if name not in components:
                unknown(("workflows", i, "components", j), name, components, "component")

    nodes_total = 0
    for i, region in _items(data.get("regions")):
        for tier, count in _section(region, "nodes").items():
            if isinstance(count, int):
                nodes_total += count
            if tiers and tier not in tiers:
                unknown(("regions", i, "nodes", tier), str(tier), tiers, "tier (define it under tiers:)")
    calendar = _section(data, "calendar")
    if tiers:
        for tier, behaviour in _section(data, "tiers").items():
            if isinstance(behaviour, dict):
                for j, other in _names(behaviour.get("after")):
                    if other not in tiers:
                        unknown(("tiers", tier, "after", j), other, tiers, "tier")
    for section in ("one_off_windows", "freezes"):
        for i, item in _items(calendar.get(section)):
            for j, name in _names(item.get("regions")):
                if name not in regions:
                    unknown(("calendar", section, i, "regions", j), name, regions, "region")
    for path in (("migration", "tier"), ("service", "bottleneck_tier")):
        value = _section(data, path[0]).get(path[1])
        if tiers and isinstance(value, str) and value not in tiers:
            unknown(path, value, tiers, "tier")
    prices = _section(data, "cost").get("price_per_node_hour")
    for tier in prices if isinstance(prices, dict) else ():
        if tiers and isinstance(tier, str) and tier not in tiers:
            unknown(("cost", "price_per_node_hour", tier), tier, tiers, "tier")

    kinds = {s["name"]: s.get("kind") for _, s in _items(data.get("strategies")) if isinstance(s.get("name"), str)}
    for i, strategy in _items(data.get("strategies")):
        for j, tier in _names(strategy.get("tiers")):
            if tiers and tier not in tiers:
                unknown(("strategies", i, "tiers", j), tier, tiers, "tier")
        waves = strategy.get("waves")
        for w, wave in enumerate(waves if isinstance(waves, list) else []):
            for j, name in _names(wave):
                if name not in regions:
                    unknown(("strategies", i, "waves", w, j), name, regions, "region")
        then = strategy.get("then")
        if strategy.get("kind") == "canary" and isinstance(then, str):
            if then not in strategies:
                unknown(("strategies", i, "then"), then, strategies, "strategy")
            elif kinds.get(then) in ("canary", "big_bang"):
                add(("strategies", i, "then"), then,
                    f"a canary must be followed by a rolling, phased, blue_green or parallel_run strategy, not {kinds[then]}")
    chosen = data.get("chosen_strategy")
    if isinstance(chosen, str) and chosen not in strategies:
        unknown(("chosen_strategy",), chosen, strategies, "strategy")
    for i, strategy in _items(data.get("strategies")):
        for tier in _section(strategy, "batch_sizes"):
            if tiers and isinstance(tier, str) and tier not in tiers:
                unknown(("strategies", i, "batch_sizes", tier), tier, tiers, "tier")
    problems.extend(_search_checks(data, lines, source, tiers, regions, add, unknown))
    for i, probe in _items(data.get("probes")):
        if isinstance(probe.get("component"), str) and probe["component"] not in components:
            unknown(("probes", i, "component"), probe["component"], components, "component")
    names = [p.get("name") for _, p in _items(data.get("probes"))]
    for i, name in enumerate(names):
        if isinstance(name, str) and names.index(name) != i:
            add(("probes", i, "name"), name, f"duplicate probe name (first at probes[{names.index(name)}])")
    for i, team in _items(data.get("teams")):
        for j, name in _names(team.get("components")):
            if name not in components:
                unknown(("teams", i, "components", j), name, components, "component")
    for i, flow in _items(data.get("data_flows")):
        for end in ("source", "target"):
            if isinstance(flow.get(end), str) and flow[end] not in regions:
                unknown(("data_flows", i, end), flow[end], regions, "region")
    for i, env in _items(data.get("environments")):
        for tier in _section(env, "nodes"):
            if tiers and isinstance(tier, str) and tier not in tiers:
                unknown(("environments", i, "nodes", tier), tier, tiers, "tier")
        for comp in _section(env, "versions"):
            if isinstance(comp, str) and comp not in components:
                unknown(("environments", i, "versions", comp), comp, components, "component")
        for j, name in _names(env.get("regions")):
            if name not in regions:
                unknown(("environments", i, "regions", j), name, regions, "region")
    if isinstance(data.get("regions"), list) and data["regions"] and nodes_total == 0:
        add(("regions",), None, "the fleet has no nodes", has_value=False)
    return problems


def _search_checks(data, lines, source, tiers, regions, add, unknown) -> list[Problem]:
    """The ``optimize:`` design space against the plan: tiers and window sets that exist, no more
    waves than regions. (Problems are added through ``add``; nothing is returned.)"""
    from .model import WeeklyWindow

    space = _section(data, "optimize")
    for tier in _section(space, "batch_size"):
        if tiers and isinstance(tier, str) and tier not in tiers:
            unknown(("optimize", "batch_size", tier), tier, tiers, "tier")
    waves = space.get("waves")
    if (isinstance(waves, list) and len(waves) == 2 and isinstance(waves[1], int) and regions
            and waves[1] > len(regions)):
        add(("optimize", "waves"), waves, f"at most {len(regions)} waves: the plan has {len(regions)} regions")
    for name, sets in _section(space, "windows").items():
        for j, text in _names(sets):
            try:
                WeeklyWindow.model_validate(text)
            except ValidationError as exc:
                add(("optimize", "windows", name, j), text, exc.errors()[0]["msg"].removeprefix("Value error, "))
    return []


def _window_checks(plan: Plan, lines: dict[Path_, int], source: str) -> list[Problem]:
    """Checks that need the validated plan: every region must have somewhere to work."""
    problems = []
    for i, region in enumerate(plan.regions):
        if not plan.windows_of(region) and not any(
            not w.regions or region.name in w.regions for w in plan.calendar.one_off_windows
        ):
            path = ("regions", i, "windows")
            problems.append(Problem(source, _line_of(path, lines), _dotted(path), None,
                                    "no maintenance windows: give windows here or calendar.windows", has_value=False))
    return problems
