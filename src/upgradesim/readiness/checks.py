"""The readiness checks, one function per area; each returns findings as plain dicts.

Areas: dependency, lifecycle, capacity, security, customization, workflow. Severity is blocker
(no-go), warning (conditionally ready) or info.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import networkx as nx

from ..plan.calendar import region_calendar, to_datetime
from ..plan.model import Plan
from .lifecycle import Lifecycle
from .versions import cycle_of, parse_version, satisfies

__all__ = ["dependency_graph", "check_dependencies", "check_lifecycle", "check_capacity", "check_security",
           "check_customizations", "check_workflows", "upgrade_order", "TLS_ORDER"]

TLS_ORDER = ("1.0", "1.1", "1.2", "1.3")
_RULE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(.*?)\s*$")


def _finding(area, severity, component, message, evidence, recommendation):
    return {"area": area, "severity": severity, "component": component, "message": message,
            "evidence": evidence, "recommendation": recommendation}


def dependency_graph(plan: Plan) -> nx.DiGraph:
    """Components as nodes (with product and versions), an edge A -> B when A depends on B."""
    return plan.dependency_graph()


def _from_first(cycle: list[str]) -> list[str]:
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


def upgrade_order(graph: nx.DiGraph, names: set[str]) -> tuple[list[str], list[list[str]]]:
    """Components to upgrade, dependencies first; and any dependency cycles among them, named."""
    sub = graph.subgraph(names).copy()
    sub.remove_edges_from(list(nx.selfloop_edges(sub)))  # depending on itself orders nothing
    # each of two or more components (the self-loops are gone), named from its first name in sorting
    # order, in sorted order: the same whatever order the graph's nodes come in (a set's, per process)
    cycles = sorted(_from_first(c) for c in nx.simple_cycles(sub))
    for cycle in cycles:
        sub.remove_edges_from(nx.utils.pairwise(cycle, cyclic=True))
    order = list(reversed(list(nx.lexicographical_topological_sort(sub))))
    return order, cycles


def check_dependencies(plan: Plan, graph: nx.DiGraph) -> list[dict]:
    """Compatibility rules of the target release and version constraints on every edge."""
    findings = []
    by_product: dict[str, list] = {}
    for c in plan.components:
        by_product.setdefault(c.product, []).append(c)
        if c.lifecycle:
            by_product.setdefault(c.lifecycle, []).append(c)
    for rule in plan.release.requires:
        match = _RULE.match(rule)
        product, constraint = match.group(1), match.group(2)
        for comp in by_product.get(product, []):
            now = satisfies(comp.version, constraint)
            after = satisfies(comp.target_version, constraint)  # None without a target
            blocked = sorted(nx.ancestors(graph, comp.name))
            what = f"blocks {', '.join(blocked)}" if blocked else "blocks nothing else"
            if now is None:
                findings.append(_finding("dependency", "warning", comp.name,
                                         f"version {comp.version!r} cannot be read; rule {rule!r} not checked",
                                         f"{product} {comp.version}", "record the version as numbers"))
            elif now:
                continue
            elif after:
                findings.append(_finding(
                    "dependency", "warning", comp.name,
                    f"{product} {comp.version} fails the target's rule '{rule}'; the planned upgrade to "
                    f"{comp.target_version} resolves it, so it must be done first ({what})",
                    f"rule {rule}; version {comp.version}; target {comp.target_version}",
                    f"upgrade {comp.name} to {comp.target_version} before the release"))
            else:
                findings.append(_finding(
                    "dependency", "blocker", comp.name,
                    f"{product} {comp.version} fails the target's rule '{rule}'"
                    + (f" and so does its target {comp.target_version}" if comp.target_version else
                       " and no upgrade is planned") + f" ({what})",
                    f"rule {rule}; version {comp.version}; target {comp.target_version or 'none'}",
                    f"plan an upgrade of {comp.name} to a version meeting {constraint}"))
    for a, b, data in graph.edges(data=True):
        constraint = data.get("constraint")
        if not constraint:
            continue
        dep = graph.nodes[b]
        now = satisfies(dep["version"], constraint)
        after = satisfies(dep["target"], constraint)  # None without a target
        if now is None:
            findings.append(_finding("dependency", "warning", a,
                                     f"{a} needs {b} {constraint} but {b}'s version {dep['version']!r} cannot be read",
                                     f"edge {a} -> {b} {constraint}", f"record {b}'s version as numbers"))
        elif now is False:
            findings.append(_finding("dependency", "blocker", a,
                                     f"{a} needs {b} {constraint} but {b} is {dep['version']}",
                                     f"edge {a} -> {b} {constraint}", f"upgrade {b} first"))
        elif after is False:
            findings.append(_finding("dependency", "blocker", a,
                                     f"upgrading {b} to {dep['target']} breaks {a}'s constraint {constraint}",
                                     f"edge {a} -> {b} {constraint}; {b} target {dep['target']}",
                                     f"upgrade {a} alongside {b}, or keep {b} within {constraint}"))
    return findings


def lifecycle_of(comp, lifecycle: Lifecycle):
    """(product id, cycle name, Cycle) of a version, or Nones when unknown."""
    product = comp.lifecycle or comp.product
    cycles = lifecycle.cycles.get(product)
    if cycles is None:
        return product, None, None
    name = cycle_of(comp.version, list(cycles))
    return product, name, cycles.get(name)  # None when no cycle matched


def check_lifecycle(plan: Plan, lifecycle: Lifecycle, as_of: dt.date) -> tuple[list[dict], list[dict]]:
    """Support status of every component's current (and target) cycle on ``as_of``.

    Returns (findings, rows): rows carry days remaining and an urgency rank a planner can sort by.
    """
    start = plan.calendar.start_utc.date()
    end = (plan.calendar.start_utc + dt.timedelta(days=plan.calendar.horizon_days)).date()
    findings, rows = [], []
    for comp in plan.components:
        product, name, cycle = lifecycle_of(comp, lifecycle)
        row = {"component": comp.name, "product": product, "version": comp.version, "cycle": name,
               "support_end": None, "eol": None, "days_to_eol": math.nan, "status": "unknown"}
        if product not in lifecycle.cycles:
            findings.append(_finding("lifecycle", "info", comp.name, f"no lifecycle data for product {product!r}: "
                                     "support status unknown", f"snapshot {lifecycle.source}",
                                     "find the vendor's support dates"))
            rows.append(row)
            continue
        if cycle is None:
            findings.append(_finding("lifecycle", "warning", comp.name,
                                     f"{product} {comp.version} matches no release cycle in the snapshot: status unknown",
                                     f"known cycles: {', '.join(sorted(lifecycle.cycles[product])[:8])}",
                                     "check the version string"))
            rows.append(row)
            continue
        row.update(support_end=cycle.support_end, eol=cycle.eol)
        target_note = ""
        if comp.target_version:
            _, t_name, t_cycle = lifecycle_of(comp.model_copy(update={"version": comp.target_version}), lifecycle)
            if t_cycle is not None and (t_cycle.eol_reached_undated or (t_cycle.eol is not None and t_cycle.eol < start)):
                findings.append(_finding("lifecycle", "blocker", comp.name,
                                         f"the target {product} {comp.target_version} (cycle {t_name}) is out of security "
                                         f"support before the rollout starts (eol {t_cycle.eol or 'reached'})",
                                         f"eol {t_cycle.eol or 'reached'}; rollout starts {start}",
                                         f"choose a supported target cycle (latest {product}: "
                                         f"{_newest(lifecycle, product)})"))
            elif t_cycle is not None and t_cycle.eol is not None and t_cycle.eol <= end:
                findings.append(_finding("lifecycle", "warning", comp.name,
                                         f"the target {product} {comp.target_version} (cycle {t_name}) itself leaves "
                                         f"security support on {t_cycle.eol}, during the planning horizon",
                                         f"eol {t_cycle.eol}", "choose a newer target cycle"))
            target_note = f"; target {comp.target_version}"
        remedy = f"upgrade to {comp.target_version}" if comp.target_version else "plan an upgrade to a supported cycle"
        if cycle.eol_reached_undated or (cycle.eol is not None and cycle.eol < as_of):
            since = f" since {cycle.eol}" if cycle.eol else ""
            days = (cycle.eol - as_of).days if cycle.eol else -math.inf
            row.update(days_to_eol=days, status="past_eol")
            severity = "warning" if comp.target_version else "blocker"
            findings.append(_finding("lifecycle", severity, comp.name,
                                     f"{product} {name} is past end of security support{since}"
                                     + (" (the plan upgrades it)" if comp.target_version else " and no upgrade is planned"),
                                     f"cycle {name}, eol {cycle.eol or 'reached'}{target_note}", remedy))
        elif cycle.eol is not None:
            days = (cycle.eol - as_of).days
            row["days_to_eol"] = days
            if cycle.eol < start:
                row["status"] = "ends_before_rollout"
                findings.append(_finding("lifecycle", "warning", comp.name,
                                         f"{product} {name} leaves security support on {cycle.eol}, {days} days from "
                                         f"{as_of}, before the rollout starts ({start})",
                                         f"cycle {name}, eol {cycle.eol}{target_note}", remedy))
            elif cycle.eol <= end:
                row["status"] = "ends_during_rollout"
                findings.append(_finding("lifecycle", "warning", comp.name,
                                         f"{product} {name} leaves security support on {cycle.eol}, during the planned "
                                         f"rollout ({start} .. {end})", f"cycle {name}, eol {cycle.eol}{target_note}",
                                         remedy))
            elif days <= 365:
                row["status"] = "ends_within_a_year"
                findings.append(_finding("lifecycle", "info", comp.name,
                                         f"{product} {name} leaves security support on {cycle.eol} ({days} days)",
                                         f"cycle {name}, eol {cycle.eol}", "schedule its upgrade"))
            else:
                row["status"] = "supported"
        else:
            row["status"] = "supported"
        if row["status"] == "supported" and cycle.support_end is not None and cycle.support_end < as_of:
            row["status"] = "security_only"
            findings.append(_finding("lifecycle", "info", comp.name,
                                     f"{product} {name} is past active support ({cycle.support_end}); "
                                     "security fixes only", f"support_end {cycle.support_end}", "plan its upgrade"))
        rows.append(row)
    ranked = sorted(rows, key=lambda r: (math.inf if math.isnan(r["days_to_eol"]) else r["days_to_eol"]))
    for i, r in enumerate(ranked, start=1):
        r["urgency_rank"] = i
    return findings, rows


def _newest(lifecycle: Lifecycle, product: str) -> str:
    cycles = lifecycle.cycles.get(product, {})
    dated = [c for c in cycles.values() if c.release_date]
    return max(dated, key=lambda c: c.release_date).cycle if dated else "unknown"


def rollout_strategy(plan: Plan):
    """The chosen strategy as the fleet sees it: a canary's batches are those of the strategy it
    hands over to. None when the plan chooses none."""
    strategy = plan.strategy(plan.chosen_strategy) if plan.chosen_strategy else None
    if strategy is not None and strategy.kind == "canary":
        strategy = plan.strategy(strategy.then)
    return strategy


def check_capacity(plan: Plan, peaks: dict[tuple[str, str], float] | None = None, *,
                   threshold: float = 0.85, warn: float = 0.70) -> tuple[list[dict], list[dict]]:
    """Projected peak utilisation per tier and region with the target's CPU overhead, and the
    capacity left while the chosen strategy has a batch out of rotation.

    ``peaks`` maps (region, tier) to a measured peak utilisation (0..1) from telemetry; without
    it, utilisation is the plan's peak demand over the tier's capacity.
    """
    overhead = 1 + plan.release.overheads.cpu_pct / 100
    strategy = rollout_strategy(plan)
    findings, rows = [], []
    for region in plan.regions:
        if region.traffic.hourly_rps is None:
            demand_peak = None
        else:
            demand_peak = max(region.traffic.hourly_rps) * max(1.0, region.traffic.weekend_factor)
        window_demand = _window_demand(plan, region)
        for tier, nodes in region.nodes.items():
            if nodes == 0 or tier not in plan.tiers:
                continue
            cap = nodes * plan.tiers[tier].capacity_rps
            measured = (peaks or {}).get((region.name, tier))
            if measured is not None:
                now, source = measured, "measured peak (telemetry)"
            elif demand_peak is not None:
                now, source = demand_peak / cap, "plan peak demand / capacity"
            else:
                continue
            projected = now * overhead
            batch = _batch(strategy, nodes, tier)
            if window_demand is None:  # no demand profile (a measured peak only): unknown, not guessed
                during = math.nan
            elif nodes > batch:
                during = window_demand / ((nodes - batch) * plan.tiers[tier].capacity_rps)
            else:  # the whole tier out: no capacity, which matters only when there is demand
                during = math.inf if window_demand > 0 else 0.0
            load = during * overhead  # inf stays inf, unknown stays NaN
            rows.append({"region": region.name, "tier": tier, "nodes": nodes, "capacity_rps": cap,
                         "utilisation": now, "projected": projected, "headroom": 1 - projected,
                         "batch_out": batch, "utilisation_during_batch": load, "source": source})
            where = f"{tier} in {region.name}"
            evidence = (f"{source}: {now:.0%}; overhead +{plan.release.overheads.cpu_pct:g}% CPU; "
                        f"{nodes} nodes x {plan.tiers[tier].capacity_rps:g} rps")
            if projected > threshold:
                findings.append(_finding("capacity", "blocker", where,
                                         f"projected peak utilisation {projected:.0%} exceeds {threshold:.0%}",
                                         evidence, f"add {math.ceil(nodes * (projected / threshold - 1))} {tier} nodes "
                                         f"in {region.name} before the upgrade"))
            elif projected > warn:
                findings.append(_finding("capacity", "warning", where,
                                         f"projected peak utilisation {projected:.0%} leaves {1 - projected:.0%} headroom",
                                         evidence, "watch capacity during the rollout"))
            if batch and load > threshold:
                findings.append(_finding(
                    "capacity", "blocker" if load >= 1 else "warning", where,
                    f"with {batch} of {nodes} nodes out ({strategy.name}) "
                    + (f"no node is left for the busiest window hour's {window_demand:,.0f} rps" if load == math.inf
                       else f"the remaining nodes run at {load:.0%} of capacity at the busiest window hour"),
                    f"window demand {window_demand:,.0f} rps; {nodes - batch} nodes x "
                    f"{plan.tiers[tier].capacity_rps:g} rps left; overhead +{plan.release.overheads.cpu_pct:g}% CPU",
                    _batch_remedy(strategy, nodes, batch, f"{tier} nodes in {region.name}")))
    return findings, rows


def _batch_remedy(strategy, nodes: int, batch: int, where: str) -> str:
    if strategy.kind == "big_bang":
        return "run it in a window without demand, or choose a strategy that keeps nodes serving"
    if nodes <= batch:
        return f"add {where}, or choose a strategy that keeps the old ones serving"
    return "use smaller batches for this tier" if batch > 1 else f"add {where}: one node out overloads the rest"


def _batch(strategy, nodes: int, tier: str) -> int:
    """Nodes of a tier out of rotation at once: all for a big bang, a batch for the batched kinds,
    none for blue-green and parallel run (the old fleet serves until the switch)."""
    if strategy is None:
        return 0
    if strategy.kind == "big_bang":
        return nodes
    return strategy.batch_for(nodes, tier) if hasattr(strategy, "batch_for") else 0


def _window_demand(plan: Plan, region) -> float | None:
    """The highest hourly demand inside the region's maintenance windows over the horizon."""
    if region.traffic.hourly_rps is None:
        return None
    cal = region_calendar(plan, region)
    best = 0.0
    for s, e in cal.intervals:
        t = s
        while t < e:
            local = to_datetime(plan, t).astimezone(region.zone)
            best = max(best, region.traffic.rps_at(local.weekday(), local.hour))
            t += 60
    return best if cal.intervals else None


def check_security(plan: Plan) -> list[dict]:
    """Each integration's TLS versions and auth mechanisms against the target's."""
    findings = []
    need = TLS_ORDER.index(plan.release.min_tls)
    offered = set(plan.release.auth_mechanisms)
    for comp in plan.components:
        declared = bool(comp.tls_versions or comp.auth_mechanisms)
        if not declared:
            if comp.tier == "integration":
                findings.append(_finding("security", "warning", comp.name,
                                         "integration declares no TLS versions or auth mechanisms: cannot check",
                                         "", "record what it supports"))
            continue
        if comp.tls_versions:
            best = max(TLS_ORDER.index(v) for v in comp.tls_versions)
            if best < need:
                findings.append(_finding("security", "blocker", comp.name,
                                         f"supports TLS up to {TLS_ORDER[best]}; the target requires >= {plan.release.min_tls}",
                                         f"tls_versions {', '.join(comp.tls_versions)}",
                                         f"upgrade {comp.name} to TLS {plan.release.min_tls}+ or put a TLS-terminating proxy in front"))
        if comp.auth_mechanisms and offered and not set(comp.auth_mechanisms) & offered:
            findings.append(_finding("security", "blocker", comp.name,
                                     f"authenticates with {', '.join(comp.auth_mechanisms)}; the target supports only "
                                     f"{', '.join(sorted(offered))}",
                                     f"auth_mechanisms {', '.join(comp.auth_mechanisms)}",
                                     f"move {comp.name} to one of {', '.join(sorted(offered))}"))
    return findings


def check_customizations(plan: Plan) -> list[dict]:
    """Customizations and feature uses that touch removed or changed features."""
    removed, changed = set(plan.release.removed_features), set(plan.release.changed_features)
    findings = []
    for comp in plan.components:
        for cust in comp.customizations:
            for feature in cust.touches:
                if feature in removed:
                    findings.append(_finding("customization", "blocker", comp.name,
                                             f"customization {cust.name} uses {feature}, which the release removes",
                                             f"owner {cust.owner or 'unknown'}", f"rewrite {cust.name} without {feature}"))
                elif feature in changed:
                    findings.append(_finding("customization", "warning", comp.name,
                                             f"customization {cust.name} touches {feature}, which the release changes",
                                             f"owner {cust.owner or 'unknown'}", f"retest {cust.name} against the target"))
        for feature in comp.uses_features:
            if feature in removed:
                findings.append(_finding("customization", "blocker", comp.name,
                                         f"{comp.name} uses {feature}, which the release removes", "uses_features",
                                         f"move {comp.name} off {feature}"))
            elif feature in changed:
                findings.append(_finding("customization", "warning", comp.name,
                                         f"{comp.name} uses {feature}, which the release changes", "uses_features",
                                         f"retest {comp.name}'s use of {feature} against the target"))
    return findings


SEVERITIES = ("blocker", "warning", "info")  # the one severity order, most severe first
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # 0 = most severe


def _components_hit(plan: Plan, finding: dict) -> list[str]:
    """The components a finding bears on: a capacity finding on "<tier> in <region>" bears on every
    component of that tier (on "storage in <region>", on every component); others on their own."""
    if finding["area"] != "capacity":
        return [finding["component"]]
    scope = finding["component"].split(" in ")[0]
    return [c.name for c in plan.components if scope == "storage" or c.tier == scope]


def check_workflows(plan: Plan, findings: list[dict]) -> tuple[list[dict], list[dict]]:
    """Each business-critical workflow, its components' worst finding, and what it needs."""
    worst: dict[str, str] = {}
    for f in findings:
        for comp in _components_hit(plan, f):
            if SEVERITY_RANK[f["severity"]] < SEVERITY_RANK[worst.get(comp, "info")]:
                worst[comp] = f["severity"]
    out, rows = [], []
    for wf in plan.workflows:
        blockers = [c for c in wf.components if worst.get(c) == "blocker"]
        warnings = [c for c in wf.components if worst.get(c) == "warning"]
        high = wf.criticality in ("high", "critical")
        need = ("parallel run" if blockers and high else "extra acceptance testing" if (blockers or warnings) and high
                else "standard testing")
        rows.append({"workflow": wf.name, "criticality": wf.criticality, "components": ", ".join(wf.components),
                     "blocked_by": ", ".join(blockers), "warnings_in": ", ".join(warnings), "needs": need})
        if blockers:
            out.append(_finding("workflow", "blocker" if high else "warning", wf.name,
                                f"{wf.criticality} workflow {wf.name} touches components with blockers: "
                                f"{', '.join(blockers)}", f"components {', '.join(wf.components)}",
                                f"resolve the blockers; then {'a ' if need == 'parallel run' else ''}{need} of {wf.name}"))
        elif warnings and high:
            out.append(_finding("workflow", "warning", wf.name,
                                f"{wf.criticality} workflow {wf.name} touches components with warnings: {', '.join(warnings)}",
                                f"components {', '.join(wf.components)}", f"{need} of {wf.name}"))
    return out, rows


def version_coverage(plan: Plan) -> dict[str, bool]:
    return {c.name: parse_version(c.version) is not None for c in plan.components}
