"""The technical-debt register: deferred upgrades, customisations, workarounds and unsupported
versions, each with an owner, dates, effort and interest (the cost of waiting), aged in days;
readiness proposes items from what it finds (components left on unsupported versions,
customisations touching removed or changed features, advisories the plan leaves open).

Items come from YAML (a list of mappings) or CSV with the columns of :data:`FIELDS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from ..errors import DataError
from ..plan.base import NonNegative, _Frozen

__all__ = ["DebtItem", "read_items", "propose", "age", "FIELDS", "KINDS"]

KINDS = ("deferred_upgrade", "customisation", "workaround", "unsupported_version")
FIELDS = ("component", "kind", "title", "owner", "created", "due", "effort_days", "interest_per_month",
          "interest_note", "links")


class DebtItem(_Frozen):
    component: str = Field(min_length=1)
    kind: Literal[KINDS]
    title: str = Field(min_length=1, max_length=300)
    owner: str = Field(min_length=1)
    created: dt.date
    due: dt.date | None = None
    effort_days: NonNegative | None = None
    interest_per_month: NonNegative | None = None  # what waiting costs each month (support, risk, toil)
    interest_note: str = ""
    links: tuple[str, ...] = ()  # finding ids, advisory ids, tickets


def read_items(path: str | Path) -> list[DebtItem]:
    """Items from a YAML list or a CSV; every problem names the file, the item and the field."""
    from ..readers import read_text
    from ..yamlmodel import safe_yaml

    path = Path(path)
    text = read_text(path, what="debt register")
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = safe_yaml(text, str(path), error=DataError)
        if not isinstance(rows, list):
            raise DataError(f"{path}: a debt register is a list of items")
        where = [f"{path}: item {i + 1}" for i in range(len(rows))]
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = [f for f in ("component", "kind", "title", "owner", "created") if f not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        rows = []
        for row in reader:
            clean = {k: v for k, v in row.items() if k and v not in ("", None)}
            if "links" in clean:
                clean["links"] = [x.strip() for x in clean["links"].split(";") if x.strip()]
            rows.append(clean)
        where = [f"{path}:{i + 2}" for i in range(len(rows))]
    items = []
    for label, row in zip(where, rows, strict=True):
        if not isinstance(row, dict):
            raise DataError(f"{label}: an item is a mapping of {', '.join(FIELDS)}")
        try:
            items.append(DebtItem.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(item)"
            raise DataError(f"{label}: {field}: {err['msg']}") from None
    if not items:
        raise DataError(f"{path}: no items")
    return items


def age(created: dt.date, due: dt.date | None, as_of: dt.date) -> dict:
    """Days open, and days overdue (0 when not due yet or no due date)."""
    return {"age_days": (as_of - created).days, "overdue_days": max(0, (as_of - due).days) if due else 0}


def propose(plan, readiness, *, as_of: dt.date, owner: str = "unassigned") -> list[DebtItem]:
    """Items readiness suggests: components the plan leaves on an unsupported cycle (or past its
    end of support during the rollout), customisations touching removed or changed features, and
    advisories the plan leaves open."""
    items = []
    lc = readiness.lifecycle
    upgraded = {c.name for c in plan.components if c.target_version}
    if len(lc):
        for row in lc.itertuples():
            status = str(getattr(row, "status", ""))
            comp = getattr(row, "component", "")
            if comp in upgraded or status not in ("past_eol", "ends_before_rollout", "ends_during_rollout"):
                continue
            eol = getattr(row, "eol", None)
            due = eol if isinstance(eol, dt.date) and status != "past_eol" else None
            items.append(DebtItem(component=comp, kind="unsupported_version", owner=owner, created=as_of,
                                  title=f"{comp} stays on an unsupported cycle ({status.replace('_', ' ')}); "
                                        "no upgrade in this change", due=due,
                                  links=tuple(readiness.findings[readiness.findings.component == comp]["id"])[:5]))
    findings = readiness.findings
    for row in findings[findings.area == "customization"].itertuples():
        items.append(DebtItem(component=row.component or "(estate)", kind="customisation", owner=owner, created=as_of,
                              title=row.message[:300], links=(row.id,)))
    for row in findings[(findings.area == "advisory") & (findings.severity != "info")].itertuples():
        items.append(DebtItem(component=row.component, kind="deferred_upgrade", owner=owner, created=as_of,
                              title=row.message[:300], links=(row.id,)))
    return items
