"""Segregation of duties: for every change the executor, validator and approver differ."""

from __future__ import annotations

import pandas as pd

__all__ = ["sod_violations", "SOD_ROLES"]

SOD_ROLES = ("executor", "validator", "approver")


def sod_violations(plan=None, audit: pd.DataFrame | None = None) -> pd.DataFrame:
    """Violations from the plan's roles and from who did what in the execution log."""
    rows = []
    if plan is not None and plan.roles is not None:
        roles = plan.roles.model_dump()
        for i, a in enumerate(SOD_ROLES):
            for b in SOD_ROLES[i + 1:]:
                if roles[a] == roles[b]:
                    rows.append({"change_id": plan.change_id or plan.name, "source": "plan", "person": roles[a],
                                 "roles": f"{a}, {b}", "message": f"{roles[a]} is both {a} and {b} in the plan"})
    if audit is not None and len(audit):
        for change, group in audit.groupby("change_id"):
            acted = group[group["role"].isin(SOD_ROLES)]
            people = acted.groupby("actor")["role"].agg(lambda r: sorted(set(r)))
            for person, held in people.items():
                if len(held) > 1:
                    steps = ", ".join(sorted(set(acted[acted["actor"] == person]["step"]))[:5])
                    rows.append({"change_id": change, "source": "execution log", "person": person,
                                 "roles": ", ".join(held),
                                 "message": f"{person} acted as {' and '.join(held)} in {change} (steps: {steps})"})
            for role in ("approver", "validator"):
                if not (acted["role"] == role).any():
                    rows.append({"change_id": change, "source": "execution log", "person": "", "roles": role,
                                 "message": f"{change} has no recorded {role}"})
    return pd.DataFrame(rows, columns=["change_id", "source", "person", "roles", "message"])
