"""Memory and storage per tier and region against the new release's needs: after the upgrade
(today's peak use, measured when telemetry has it, plus the release's overheads), during the
migration (a table rewrite needs a second copy of the table on the database's disk), and during
a blue-green or parallel-run rollout (two copies of the region's data in its free storage)."""

from __future__ import annotations

import math

from ..plan import Plan
from .checks import rollout_strategy

__all__ = ["check_resources", "COPY_KINDS", "WARN_AT"]

COPY_KINDS = {"blue_green", "parallel_run"}  # strategies that hold two copies during the rollout
WARN_AT = 0.90  # use of a node's memory or disk above which readiness warns


def _finding(severity, component, message, evidence, recommendation):
    return {"area": "capacity", "severity": severity, "component": component, "message": message,
            "evidence": evidence, "recommendation": recommendation}


def check_resources(plan: Plan, measured: dict[tuple[str, str], dict] | None = None, *,
                    scratch_gb: float = 0.0) -> tuple[list[dict], list[dict]]:
    """(findings, rows): per region and tier, memory and disk per node after the upgrade and at
    its peak during the rollout; per region, the copies a blue-green or parallel run holds.

    ``measured`` maps (region, tier) to {"memory_used_mb", "disk_used_gb"} peaks per host from
    telemetry; ``scratch_gb`` is the largest table rewrite of the migration (its tier's disks)."""
    over = plan.release.overheads
    strategy = rollout_strategy(plan)
    migration_tier = plan.migration.tier if plan.migration else None
    findings, rows = [], []
    for region in plan.regions:
        copy_gb = 0.0
        for tier, nodes in region.nodes.items():
            res = plan.tiers[tier].resources if tier in plan.tiers else None
            if nodes == 0 or res is None:
                continue
            seen = (measured or {}).get((region.name, tier), {})
            where = f"{tier} in {region.name}"
            for kind, cap, used_plan, extra, key, unit in (
                    ("memory", res.memory_mb, res.memory_used_mb, over.memory_mb_per_node, "memory_used_mb", "MB"),
                    ("storage", res.storage_gb, res.storage_used_gb, over.storage_gb, "disk_used_gb", "GB")):
                used = seen.get(key)
                source = "measured peak (telemetry)" if used is not None else "plan"
                used = float(used) if used is not None else used_plan
                after = used + extra
                during = after + (scratch_gb if kind == "storage" and tier == migration_tier else 0.0)
                if kind == "storage" and (cap is not None or used > 0):  # a tier that keeps data
                    copy_gb += nodes * after
                if cap is None:
                    continue
                rows.append({"region": region.name, "tier": tier, "resource": kind, "nodes": nodes,
                             "per_node": cap, "used": used, "after": after, "during": during, "unit": unit,
                             "source": source})
                evidence = f"{source}: {used:,.0f} {unit} used of {cap:,.0f} {unit} per node; the target adds {extra:,.0f}"
                if seen.get(key) is not None and used > cap:  # more than a node has: a wrong unit or capacity
                    findings.append(_finding("warning", where, f"measured {kind} peak {used:,.0f} {unit} is more than "
                                             f"the {cap:,.0f} {unit} a node has: not judged", evidence,
                                             f"check the unit of telemetry's {key} (per host, in {unit}) and "
                                             f"tiers[{tier}].resources"))
                elif after > cap:
                    findings.append(_finding("blocker", where, f"the target needs {after:,.0f} {unit} of {kind} per node; "
                                             f"the nodes have {cap:,.0f}", evidence,
                                             f"give the {tier} nodes in {region.name} at least {math.ceil(after / WARN_AT):,} "
                                             f"{unit} of {kind} before the upgrade"))
                elif during > cap:
                    findings.append(_finding("blocker", where, f"the migration's table rewrite needs {scratch_gb:,.0f} GB "
                                             f"more disk per {tier} node: {during:,.0f} of {cap:,.0f} GB", evidence,
                                             "free disk on the database nodes, or rewrite in batches (a new table "
                                             "filled in chunks) instead of in one statement"))
                elif during > WARN_AT * cap:
                    findings.append(_finding("warning", where, f"{kind} per node at {during / cap:.0%} "
                                             f"({during:,.0f} of {cap:,.0f} {unit}) with the target", evidence,
                                             f"watch {kind} on the {tier} nodes during the rollout"))
        if strategy is not None and strategy.kind in COPY_KINDS and copy_gb > 0:
            rows.append({"region": region.name, "tier": "(all)", "resource": "storage for two copies",
                         "nodes": sum(region.nodes.values()), "per_node": None, "used": None, "after": copy_gb,
                         "during": copy_gb, "unit": "GB", "source": "plan" if not measured else "telemetry"})
            evidence = f"{strategy.name} ({strategy.kind}) keeps both copies; the new one needs {copy_gb:,.0f} GB"
            if region.storage_free_gb is None:
                findings.append(_finding("warning", f"storage in {region.name}", f"{strategy.name} needs "
                                         f"{copy_gb:,.0f} GB for the second copy; the region's free storage is not "
                                         "declared", evidence, f"declare regions[{region.name}].storage_free_gb"))
            elif copy_gb > region.storage_free_gb:
                findings.append(_finding("blocker", f"storage in {region.name}", f"{strategy.name} needs "
                                         f"{copy_gb:,.0f} GB for the second copy; {region.storage_free_gb:,.0f} GB are "
                                         "free", evidence, f"free {copy_gb - region.storage_free_gb:,.0f} GB in "
                                         f"{region.name}, or choose a strategy that upgrades in place"))
    return findings, rows
