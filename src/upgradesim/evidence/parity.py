"""How much does staging resemble production? Each difference the plan and the store can show —
topology, versions, configuration, data volume, the workflows its tests exercise — with its risk;
a parity score weighs them (high 3, medium 2, low 1): 100 when nothing differs.

- topology: every production tier present, each tier's share of the nodes within half of
  production's (relative), and which regions the environment stands for;
- versions: a component this change upgrades must run its target version in staging (high), any
  other component production's version (medium); a component whose staging version is not
  declared is low;
- configuration: the newest snapshots of both environments in the store, keys allowed to differ
  by ``config_exceptions`` (``file:key`` patterns) set aside (each other difference is medium,
  at most 5 listed); no snapshot of a side: that check is "unknown" (medium);
- data volume: under 10% of production's (``migration.data.volume_gb``) is medium;
- workflows: a workflow none of the environment's newest regression or integration test ids
  mentions — a word of six letters or more of its name, or a component's full name — is high when
  critical, medium otherwise.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field

from ..errors import PlanError, Problem
from ..plan import Plan

__all__ = ["ParityItem", "ParityReport", "parity", "WEIGHTS"]

WEIGHTS = {"high": 3, "medium": 2, "low": 1}
MIN_DATA_SHARE = 0.10


@dataclass
class ParityItem:
    area: str
    check: str
    ok: bool
    risk: str  # of a difference: high, medium, low
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ParityReport:
    env: str
    against: str
    items: list = field(default_factory=list)

    @property
    def score(self) -> float:
        total = sum(WEIGHTS[i.risk] for i in self.items)
        lost = sum(WEIGHTS[i.risk] for i in self.items if not i.ok)
        return round(100.0 * (1 - lost / total), 1) if total else 100.0

    def differences(self) -> list:
        return [i for i in self.items if not i.ok]

    def to_dict(self) -> dict:
        return {"env": self.env, "against": self.against, "score": self.score,
                "differences": len(self.differences()), "items": [i.as_dict() for i in self.items]}


def parity(plan: Plan, env: str, *, against: str = "prod", store=None) -> ParityReport:
    envs = {e.name: e for e in plan.environments}
    if env not in envs:
        raise PlanError([Problem(plan.name, None, "environments", env, "no such environment; the plan declares "
                                 + (", ".join(envs) or "none (add environments: with nodes per tier)"))])
    spec = envs[env]
    report = ParityReport(env, against)
    add = report.items.append
    prod: dict[str, int] = {}
    for region in plan.regions:
        for tier, n in region.nodes.items():
            prod[tier] = prod.get(tier, 0) + n
    total_prod, total_env = sum(prod.values()), sum(spec.nodes.values())
    for tier, n in sorted(prod.items()):
        if n == 0:
            continue
        have = spec.nodes.get(tier, 0)
        add(ParityItem("topology", f"tier {tier} present", have > 0, "high",
                       f"{have} node(s) in {env}, {n} in {against}"))
        if have and total_env:
            share, want = have / total_env, n / total_prod
            ok = abs(share - want) <= 0.5 * want
            add(ParityItem("topology", f"tier {tier} share of nodes", ok, "low",
                           f"{share:.0%} of {env}'s nodes, {want:.0%} of {against}'s"))
    regions = spec.regions or (plan.regions[0].name,)
    add(ParityItem("topology", "regions", len(regions) >= len(plan.regions), "low",
                   f"stands for {', '.join(regions)} of {len(plan.regions)} production region(s)"))
    for c in plan.components:
        version = spec.versions.get(c.name)
        if c.target_version:
            if version is None:
                add(ParityItem("versions", f"{c.name} version", False, "low", "not declared for the environment"))
            else:
                add(ParityItem("versions", f"{c.name} runs the target {c.target_version}", version == c.target_version,
                               "high", f"{env} runs {version}"))
        elif version is not None:
            add(ParityItem("versions", f"{c.name} as in {against} ({c.version})", version == c.version, "medium",
                           f"{env} runs {version}"))
    _config(report, spec, against, store)
    volume = plan.migration.data.volume_gb if plan.migration is not None else 0
    if volume and spec.data_gb is not None:
        share = spec.data_gb / volume
        add(ParityItem("data", "data volume", share >= MIN_DATA_SHARE, "medium",
                       f"{spec.data_gb:g} GB in {env}, {volume:g} GB in {against} ({share:.0%})"))
    elif volume:
        add(ParityItem("data", "data volume", False, "low", f"not declared for {env}"))
    _workflows(report, plan, env, store)
    return report


def _config(report: ParityReport, spec, against: str, store) -> None:
    from ..errors import StoreError

    if store is None:
        report.items.append(ParityItem("configuration", "snapshots compared", False, "medium", "no store given"))
        return
    try:
        base = store.find_snapshot(env=against)
        cur = store.find_snapshot(env=spec.name)
    except StoreError as exc:
        report.items.append(ParityItem("configuration", "snapshots compared", False, "medium", str(exc)))
        return
    from ..control import diff_entries

    diff = diff_entries(store.snapshot_entries(base.snapshot_id), store.snapshot_entries(cur.snapshot_id))
    allowed = [p for p in spec.config_exceptions]
    left = [r for r in diff.itertuples() if not any(fnmatch.fnmatchcase(f"{r.file}:{r.key}", p) for p in allowed)]
    report.items.append(ParityItem("configuration", f"{against} {base.tag} against {spec.name} {cur.tag}", not left,
                                   "medium", f"{len(diff) - len(left)} difference(s) allowed by config_exceptions"))
    for r in left[:5]:
        report.items.append(ParityItem("configuration", f"{r.file}:{r.key}", False, "medium", f"{r.change}"))
    if len(left) > 5:
        report.items.append(ParityItem("configuration", f"and {len(left) - 5} more key(s)", False, "low"))


def _workflows(report: ParityReport, plan: Plan, env: str, store) -> None:
    ids: list[str] = []
    if store is not None:
        for kind in ("regression", "integration"):
            frame = store.evidence_list(kind=kind, env=env, change_id=plan.change_id or None)
            for evidence_id in frame["evidence_id"][:1]:
                ids += [c["id"].lower() for c in store.evidence(evidence_id)["details"]["cases"]]
    for wf in plan.workflows:
        import re

        names = [c.lower() for c in wf.components]
        words = [w for w in re.split(r"[-_.\s]+", wf.name.lower()) if len(w) >= 6]
        tokens = set(words) | set(names) | {n.replace("-", "_") for n in names} | {n.replace("-", "") for n in names}
        hit = any(t in i for i in ids for t in tokens)
        risk = "high" if wf.criticality == "critical" else "medium" if wf.criticality in ("high", "medium") else "low"
        detail = "its name or a component appears in a staging test id" if hit else (
            "no staging regression or integration test mentions it" if ids else "no staging test run stored")
        report.items.append(ParityItem("workflows", f"workflow {wf.name} exercised", hit, risk, detail))
