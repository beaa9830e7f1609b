"""The readiness assessment: every check, a findings table, a class per component, go/no-go."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field

import pandas as pd

from ..documents import json_records
from ..plan.loader import plan_hash
from ..plan.model import Plan
from . import checks, evidence_checks, paths, resources
from .lifecycle import Lifecycle, load_lifecycle

__all__ = ["Readiness", "assess", "FINDING_COLUMNS", "COMPONENT_COLUMNS"]

FINDING_COLUMNS = ["id", "area", "severity", "component", "message", "evidence", "recommendation"]
COMPONENT_COLUMNS = ["component", "tier", "product", "version", "target_version", "readiness", "blockers",
                     "warnings", "coverage", "lifecycle_status", "days_to_eol", "urgency_rank"]
_PREFIX = {"dependency": "DEP", "lifecycle": "LC", "capacity": "CAP", "security": "SEC",
           "customization": "CUS", "workflow": "WF", "integration": "INT", "evidence": "EVD", "advisory": "ADV",
           "residency": "RES"}


@dataclass(frozen=True)
class Readiness:
    """Findings, component classes, lifecycle/capacity/workflow tables, score and go/no-go."""

    as_of: dt.date
    findings: pd.DataFrame
    components: pd.DataFrame
    lifecycle: pd.DataFrame
    capacity: pd.DataFrame
    workflows: pd.DataFrame
    upgrade_order: list[str]
    cycles: list[list[str]]
    score: float
    go: bool
    meta: dict = field(default_factory=dict)
    resources: pd.DataFrame = field(default_factory=pd.DataFrame)  # memory and storage per node, copies
    readiness_id: str | None = None  # set when read back from a store
    created_at: object = None

    @property
    def decision(self) -> str:
        return "go" if self.go else "no-go"

    def counts(self) -> dict[str, int]:
        return {s: int((self.findings["severity"] == s).sum()) for s in checks.SEVERITIES}

    def to_dict(self) -> dict:
        def records(frame):
            return json_records(frame, infinity=False)

        return {"as_of": self.as_of.isoformat(), "decision": self.decision, "score": round(self.score, 1),
                "counts": self.counts(), "upgrade_order": self.upgrade_order, "cycles": self.cycles,
                "findings": records(self.findings), "components": records(self.components),
                "lifecycle": records(self.lifecycle), "capacity": records(self.capacity),
                "workflows": records(self.workflows), "resources": records(self.resources)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def assess(plan: Plan, *, as_of: dt.date, store=None, lifecycle: Lifecycle | str | None = None,
           capacity_threshold: float = 0.85, advisories=None, kev: dict | None = None,
           upgrade_paths=None, plan_dir=None) -> Readiness:
    """Assess ``plan`` on ``as_of`` (always explicit: the snapshot and the answer depend on it).

    Parameters
    ----------
    store : Store, optional
        Measured peaks from telemetry for the capacity check; the findings are stored in it.
    lifecycle : Lifecycle or path, optional
        A newer snapshot in the same shape; the bundled one by default.
    advisories, kev : list of Advisory, dict, optional
        OSV advisories (:func:`~.advisories.load_osv`) and the KEV catalogue: area ``advisory``.
    upgrade_paths : path, optional
        Upgrade-path rules merged over the bundled ones (every jump is checked against them).
    plan_dir : path, optional
        Where the migration's SQL files are: with table sizes in the store, the largest table
        rewrite is the database disks' scratch need.
    """
    if not isinstance(lifecycle, Lifecycle):
        lifecycle = load_lifecycle(lifecycle)
    graph = checks.dependency_graph(plan)
    found: list[dict] = []
    found += checks.check_dependencies(plan, graph)
    found += paths.check_paths(plan, paths.load_paths(upgrade_paths))
    lc_findings, lc_rows = checks.check_lifecycle(plan, lifecycle, as_of)
    found += lc_findings
    peaks = store.utilisation_peaks(plan) if store is not None else None
    cap_findings, cap_rows = checks.check_capacity(plan, peaks, threshold=capacity_threshold)
    found += cap_findings
    res_findings, res_rows = resources.check_resources(plan, store.resource_peaks(plan) if store is not None else None,
                                                       scratch_gb=_scratch_gb(plan, store, plan_dir))
    found += res_findings
    found += checks.check_security(plan)
    found += checks.check_customizations(plan)
    found += evidence_checks.check_integrations(plan, graph, store)
    found += evidence_checks.check_residency(plan)
    adv_rows = []
    if advisories is not None:
        adv_findings, adv_rows = evidence_checks.check_advisories(plan, advisories, kev)
        found += adv_findings
        # known exploitation outranks the calendar: such components come first in the urgency order
        exploited = {r["component"] for r in adv_rows if r["known_exploited"] and r["affected"] and not r["target_fixes"]}
        ranked = sorted(lc_rows, key=lambda r: (r["component"] not in exploited,
                                                math.inf if math.isnan(r["days_to_eol"]) else r["days_to_eol"]))
        for i, r in enumerate(ranked, start=1):
            r["urgency_rank"] = i
    if plan.evidence:
        found += evidence_checks.check_evidence(plan, store, as_of)
    wf_findings, wf_rows = checks.check_workflows(plan, found)
    found += wf_findings

    findings = pd.DataFrame(found, columns=FINDING_COLUMNS[1:])
    findings = findings.sort_values(["severity", "area", "component"], key=lambda s: s.map(checks.SEVERITY_RANK)
                                    if s.name == "severity" else s, kind="stable").reset_index(drop=True)
    counters: dict[str, int] = {}
    ids = []
    for area in findings["area"]:
        counters[area] = counters.get(area, 0) + 1
        ids.append(f"{_PREFIX[area]}-{counters[area]:03d}")
    findings.insert(0, "id", ids)

    to_upgrade = {c.name for c in plan.components if c.target_version}
    order, cycles = checks.upgrade_order(graph, to_upgrade)
    lc = pd.DataFrame(lc_rows)
    components = _components(plan, findings, lc, lifecycle)
    judged = components[components["readiness"] != "unknown"]
    score = (100.0 * ((judged["readiness"] == "ready").sum() + 0.5 * (judged["readiness"] == "conditionally ready").sum())
             / len(judged)) if len(judged) else 0.0
    go = not (findings["severity"] == "blocker").any()
    return Readiness(as_of, findings, components, lc, pd.DataFrame(cap_rows), pd.DataFrame(wf_rows), order,
                     cycles, float(score), bool(go),
                     {"plan": plan.name, "plan_hash": plan_hash(plan), "lifecycle_source": lifecycle.source,
                      "advisories": adv_rows,
                      "capacity_source":
                      "telemetry" if peaks else "plan"}, pd.DataFrame(res_rows))


def _scratch_gb(plan: Plan, store, plan_dir) -> float:
    """The largest table rewrite of the migration's SQL (GB), from the store's table sizes."""
    if plan.migration is None or not plan.migration.sql or store is None or plan_dir is None:
        return 0.0
    sizes = store.table_sizes()
    if not sizes:
        return 0.0
    from ..artefacts.migration import lint_migration

    scratch = lint_migration(plan, plan_dir, sizes).statements["scratch_gb"]
    return float(scratch.max()) if len(scratch) else 0.0


def _components(plan: Plan, findings: pd.DataFrame, lc: pd.DataFrame, lifecycle: Lifecycle) -> pd.DataFrame:
    rows = []
    versions = checks.version_coverage(plan)
    lc_by = lc.set_index("component").to_dict(orient="index") if len(lc) else {}
    tally = findings.groupby(["component", "severity"]).size().to_dict() if len(findings) else {}
    for comp in plan.components:
        blockers = int(tally.get((comp.name, "blocker"), 0))
        warnings = int(tally.get((comp.name, "warning"), 0))
        row = lc_by.get(comp.name)
        status = row["status"] if row else "unknown"
        covered = {"version": versions[comp.name], "lifecycle": status != "unknown",
                   "security": bool(comp.tls_versions or comp.auth_mechanisms) or comp.tier != "integration"}
        coverage = ", ".join(k for k, v in covered.items() if v) or "none"
        if blockers:
            readiness = "not ready"
        elif warnings:
            readiness = "conditionally ready"
        elif not all(covered.values()):
            readiness = "unknown"
        else:
            readiness = "ready"
        rows.append({"component": comp.name, "tier": comp.tier, "product": comp.product, "version": comp.version,
                     "target_version": comp.target_version, "readiness": readiness, "blockers": blockers,
                     "warnings": warnings, "coverage": coverage, "lifecycle_status": status,
                     "days_to_eol": float(row["days_to_eol"]) if row else math.nan,
                     "urgency_rank": int(row["urgency_rank"]) if row else 0})
    return pd.DataFrame(rows, columns=COMPONENT_COLUMNS)
