"""Readiness checks that read evidence: the plan's before-go evidence gates, and third-party
integrations touched by the upgrade without a fallback or a contract test."""

from __future__ import annotations

import datetime as dt

import networkx as nx

from ..plan.model import Plan
from .checks import _finding

__all__ = ["check_integrations", "check_evidence", "check_advisories", "check_residency"]


def _integrations(plan: Plan):
    return [c for c in plan.components if c.integration is not None or c.tier == "integration"]


def check_integrations(plan: Plan, graph: nx.DiGraph, store=None) -> list[dict]:
    """An integration is touched when it is upgraded or a component it depends on, or that
    depends on it, is. Touched without a fallback and without a contract test: a warning; with
    one of the two: info. A declared contract test that no stored test run of the change
    contains (when the store holds any): a warning."""
    upgraded = {c.name for c in plan.components if c.target_version}
    ids: list[str] = []
    if store is not None:
        for kind in ("integration", "regression"):
            frame = store.evidence_list(kind=kind, change_id=plan.change_id or None)
            for evidence_id in frame["evidence_id"][:2]:
                ids += [c["id"] for c in store.evidence(evidence_id)["details"]["cases"]]
    found = []
    for comp in _integrations(plan):
        near = (set(graph.successors(comp.name)) | set(graph.predecessors(comp.name))) & upgraded
        if comp.name not in upgraded and not near:
            continue
        why = "it is upgraded" if comp.name in upgraded else (
            f"it works with {', '.join(sorted(near))}, which {'is' if len(near) == 1 else 'are'} upgraded")
        spec = comp.integration
        fallback = spec.fallback if spec else None
        contract = spec.contract_test if spec else None
        if fallback is None and contract is None:
            found.append(_finding("integration", "warning", comp.name,
                                  f"integration {comp.name} is touched by the upgrade ({why}) but declares neither a "
                                  "fallback nor a contract test", "components[].integration",
                                  "declare integration.fallback (queue_retry, degrade, manual) and a contract test"))
        elif fallback is None or contract is None:
            missing = "fallback" if fallback is None else "contract test"
            found.append(_finding("integration", "info", comp.name,
                                  f"integration {comp.name} is touched by the upgrade ({why}) and declares no {missing}",
                                  "components[].integration", f"declare a {missing}"))
        if contract and ids and not any(i.startswith(contract) for i in ids):
            found.append(_finding("integration", "warning", comp.name,
                                  f"the contract test {contract!r} of {comp.name} is in no stored test run of the change",
                                  "evidence: regression/integration runs", "run and record the contract test"))
    return found


def check_evidence(plan: Plan, store, as_of: dt.date) -> list[dict]:
    """Every gate of the stages marked ``before_go`` that does not pass: a blocker (missing
    evidence included: it is never a pass)."""
    from ..evidence.gates import GateResult, StageReport, check_stage, describe

    moment = dt.datetime.combine(as_of, dt.time(23, 59, 59), dt.UTC)
    found = []
    for name, stage in plan.evidence.items():
        if not stage.before_go:
            continue
        if store is None:
            report = StageReport(name, moment, [GateResult(name, describe(g), g.kind, g.env or stage.env, "missing",
                                                           ["no store given"]) for g in stage.gates])
        else:
            report = check_stage(plan, store, name, as_of=moment)
        for r in report.results:
            if r.status == "pass":
                continue
            found.append(_finding("evidence", "blocker", "", f"stage {name}: {r.gate} [{r.env}] is {r.status.upper()}: "
                                  + "; ".join(r.reasons), f"upgradesim evidence check --stage {name}",
                                  "record the evidence" if r.status == "missing" else "fix and re-test"))
    return found


def check_advisories(plan: Plan, advisories, kev: dict | None) -> tuple[list[dict], list[dict]]:
    """Findings from security advisories: a known-exploited one the target does not fix (or a
    component that is not upgraded) is a blocker; a high or critical one likewise a warning; one
    the target fixes is info (the upgrade closes it); one that cannot be judged is a warning."""
    from .advisories import match_advisories

    rows = [f.as_dict() for f in match_advisories(plan, advisories, kev)]
    found = []
    for f in rows:
        ident = f["advisory"] + (f" ({', '.join(f['aliases'][:2])})" if f["aliases"] else "")
        score = f" {f['score']:g}" if f["score"] is not None else ""
        what = f"{ident}, {f['severity']}{score}" + (", known exploited (CISA KEV)" if f["known_exploited"] else "")
        fix = f"; fixed in {f['fixed_in']}" if f["fixed_in"] else "; no fixed version yet"
        evidence = f"OSV {f['advisory']}" + (f"; {f['note']}" if f["note"] else "")
        if f["target_fixes"] is None and f["note"] and not f["affected"]:
            found.append(_finding("advisory", "warning", f["component"], f"{f['component']} {f['version']}: {what} "
                                  f"cannot be judged ({f['note']})", evidence, "check the advisory by hand"))
        elif f["target_fixes"]:
            found.append(_finding("advisory", "info", f["component"], f"{f['component']} {f['version']}: {what}; the "
                                  f"target {f['target_version']} fixes it", evidence, "keep the upgrade on schedule"))
        else:
            severity = "blocker" if f["known_exploited"] else "warning" if f["severity"] in ("high", "critical") \
                else "info"
            still = (f"the target {f['target_version']} is still affected" if f["target_version"]
                     else "the plan does not upgrade it")
            found.append(_finding("advisory", severity, f["component"], f"{f['component']} {f['version']}: {what}{fix}; "
                                  f"{still}", evidence,
                                  f"move to {f['fixed_in']} or later" if f["fixed_in"] else "mitigate; watch for a fix"))
    return found, rows


def check_residency(plan: Plan) -> list[dict]:
    """A declared data flow between regions of different jurisdictions that the plan's residency
    policy does not allow: a blocker; an unknown jurisdiction: a warning (or a blocker when the
    policy requires one)."""
    regions = {r.name: r for r in plan.regions}
    allowed = set()
    for rule in plan.residency.allowed:
        a, _, b = rule.partition("->")
        allowed.add((a.strip().upper(), b.strip().upper()))
    found = []
    for flow in plan.data_flows:
        src, dst = regions[flow.source].jurisdiction, regions[flow.target].jurisdiction
        what = f"{flow.kind.replace('_', ' ')} {flow.name}" + (f" ({flow.data})" if flow.data else "")
        if src is None or dst is None:
            missing = ", ".join(r for r, j in ((flow.source, src), (flow.target, dst)) if j is None)
            found.append(_finding("residency", "blocker" if plan.residency.require_jurisdiction else "warning", "",
                                  f"{what} moves data {flow.source} -> {flow.target}, but {missing} declares no "
                                  "jurisdiction: residency cannot be judged", "regions[].jurisdiction",
                                  "declare each region's jurisdiction"))
            continue
        if src.upper() != dst.upper() and (src.upper(), dst.upper()) not in allowed:
            found.append(_finding("residency", "blocker", "",
                                  f"{what} moves data from {flow.source} ({src}) to {flow.target} ({dst}): the "
                                  "residency policy does not allow it", "data_flows, residency.allowed",
                                  f"keep the data in {src}, or record the legal basis as residency.allowed "
                                  f"'{src} -> {dst}'"))
    return found
