"""Post-upgrade incidents: a ticket export (CSV or JSON from an ITSM tool) linked to the change's
components, to failed verdicts of the same window, and routed by the plan's teams.

An incident is *likely caused by the change* when it opened inside the change's judge window
(``cutover_at`` to ``judge_days`` after it) on a component the change upgrades or one next to
it in the dependency graph; a failed verdict for the same service in the store adds to the reasons.
Routing: the first team of ``teams:`` listing the component, then its on-call.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import DataError

__all__ = ["Incident", "read_incidents", "triage", "FIELDS"]

FIELDS = ("id", "opened", "closed", "priority", "service", "summary")
PRIORITIES = {"1": "P1", "2": "P2", "3": "P3", "4": "P4", "p1": "P1", "p2": "P2", "p3": "P3", "p4": "P4",
              "critical": "P1", "high": "P2", "medium": "P3", "moderate": "P3", "low": "P4"}


@dataclass
class Incident:
    id: str
    opened: dt.datetime
    closed: dt.datetime | None
    priority: str
    service: str
    summary: str
    component: str | None = None
    team: str | None = None
    on_call: str | None = None
    likely_caused: bool = False
    reasons: list = field(default_factory=list)

    @property
    def hours_to_resolve(self) -> float | None:
        return None if self.closed is None else (self.closed - self.opened).total_seconds() / 3600

    def as_dict(self) -> dict:
        d = asdict(self)
        d["opened"] = self.opened.isoformat()
        d["closed"] = self.closed.isoformat() if self.closed else None
        d["hours_to_resolve"] = self.hours_to_resolve
        return d


def _rows(path: Path) -> list[tuple[str, dict]]:
    from ..readers import csv_records, read_text

    text = read_text(path, what="incident export")
    if text.lstrip().startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
        rows = doc.get("incidents") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DataError(f"{path}: a JSON export is a list of incidents (or {{\"incidents\": [...]}})")
        return [(f"{path}: incident {i + 1}", {k: "" if v is None else str(v) for k, v in r.items()})
                for i, r in enumerate(rows)]
    header, records = csv_records(path, text)
    missing = [f for f in FIELDS if f not in header and not (f == "service" and "ci" in header)]
    if missing:
        raise DataError(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    return [(f"{path}:{number}", row) for number, row in records]


def read_incidents(path: str | Path) -> list[Incident]:
    from ..readers import parse_timestamp

    path = Path(path)
    out, seen = [], set()
    for where, row in _rows(path):
        service = row.get("service") or row.get("ci", "")
        for f in ("id", "opened", "priority", "summary"):
            if not row.get(f):
                raise DataError(f"{where}: {f}: required, empty")
        if not service:
            raise DataError(f"{where}: service: required, empty (the service or CI it concerns)")
        try:
            opened = parse_timestamp(row["opened"])
            closed = parse_timestamp(row["closed"]) if row.get("closed") else None
        except ValueError:
            raise DataError(f"{where}: opened/closed must be ISO 8601 date-times") from None
        if closed is not None and closed < opened:
            raise DataError(f"{where}: closed({row['closed']}) is before opened({row['opened']})")
        priority = PRIORITIES.get(row["priority"].strip().lower())
        if priority is None:
            raise DataError(f"{where}: priority(={row['priority']}): use P1-P4, 1-4 or critical/high/medium/low")
        if row["id"] in seen:
            raise DataError(f"{where}: id {row['id']} appears twice")
        seen.add(row["id"])
        out.append(Incident(row["id"], opened, closed, priority, service, row["summary"][:300]))
    if not out:
        raise DataError(f"{path}: no incidents")
    return out


def triage(incidents: list[Incident], plan, *, judge_days: float = 7.0, failed_services: set | None = None,
           new_patterns: list[str] | None = None) -> list:
    """Link each incident to a component, decide whether the change likely caused it, route it.
    ``new_patterns``: log templates new or more frequent after the change (``logs-diff``); one
    naming the incident's component or service is added to its reasons."""
    names = {c.name.lower(): c.name for c in plan.components}
    upgraded = {c.name for c in plan.components if c.target_version}
    graph = plan.dependency_graph()
    near = set(upgraded)
    for c in upgraded:
        near |= set(graph.successors(c)) | set(graph.predecessors(c))
    start = plan.cutover_at.astimezone(dt.UTC) if plan.cutover_at else plan.calendar.start_utc
    end = start + dt.timedelta(days=judge_days)
    failed = {s.lower() for s in failed_services or ()}
    for inc in incidents:
        key = inc.service.lower()
        inc.component = names.get(key) or next((n for k, n in sorted(names.items()) if k in key), None)
        if inc.component is None:
            inc.reasons.append(f"{inc.service} is not a component of the plan")
            continue
        team = next((t for t in plan.teams if inc.component in t.components), None)
        if team is not None:
            inc.team, inc.on_call = team.name, team.on_call
        inside = start <= inc.opened <= end
        touched = inc.component in near
        if inside and touched:
            inc.likely_caused = True
            how = "upgraded by" if inc.component in upgraded else "next to a component upgraded by"
            inc.reasons.append(f"opened {(inc.opened - start).total_seconds() / 3600:.1f} h after the cutover, on "
                               f"{inc.component}, {how} the change")
        elif touched:
            inc.reasons.append("outside the change's judge window")
        for template in new_patterns or ():
            low = template.lower()
            if inc.component.lower() in low or key in low:
                inc.reasons.append(f"a log pattern new or more frequent after the change names it: {template[:80]!r}")
                break
        if inc.component.lower() in failed or key in failed:
            inc.reasons.append(f"the post-upgrade verdict for {inc.component} failed")
            inc.likely_caused = inc.likely_caused or inside
    return incidents
