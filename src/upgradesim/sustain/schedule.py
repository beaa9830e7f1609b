"""The patch schedule: the coming patch windows of every component over N months, from its
cadence, its urgency and the plan's maintenance calendar (weekly windows, one-off windows,
blackouts and freezes of the region), as a table and an iCalendar file.

- ``monthly``: the first window of each calendar month; ``quarterly``: of each quarter (January,
  April, July, October); ``vendor``: the first window at least :data:`VENDOR_LEAD_DAYS` before
  the running cycle's end of support (else the first window); ``none``: no routine window.
- Urgent — end of support within the months scheduled, or a known-exploited advisory left open
  (with ``advisories``) — brings the first window of all forward, marked urgent.

Windows are those of one region (the plan's first unless named) in its local time; a freeze or a
blackout removes every window it touches, so no event falls inside one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass

from ..errors import DataError
from ..plan import Plan
from ..plan.calendar import region_calendar

__all__ = ["PatchEvent", "Schedule", "build_schedule", "VENDOR_LEAD_DAYS"]

VENDOR_LEAD_DAYS = 30


@dataclass
class PatchEvent:
    component: str
    product: str
    version: str
    start: dt.datetime
    end: dt.datetime
    reason: str
    urgent: bool = False

    def as_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d


@dataclass
class Schedule:
    plan: str
    region: str
    start: dt.datetime
    months: int
    events: list
    findings: list  # components whose next window falls after their end of support; cadences with none

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([e.as_dict() for e in self.events])

    def to_dict(self) -> dict:
        return {"plan": self.plan, "region": self.region, "start": self.start.isoformat(), "months": self.months,
                "events": [e.as_dict() for e in self.events], "findings": self.findings}

    def to_ics(self) -> bytes:
        """An iCalendar file any calendar client imports (UTC times, one VEVENT per window)."""
        from icalendar import Calendar, Event

        cal = Calendar()
        cal.add("prodid", "-//upgradesim//patch schedule//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"Patch schedule: {self.plan}")
        stamp = self.start
        for e in self.events:
            ev = Event()
            uid = hashlib.sha256(f"{self.plan}|{e.component}|{e.start.isoformat()}".encode()).hexdigest()[:24]
            ev.add("uid", f"{uid}@upgradesim")
            ev.add("dtstamp", stamp)
            ev.add("dtstart", e.start)
            ev.add("dtend", e.end)
            ev.add("summary", f"{'URGENT ' if e.urgent else ''}Patch {e.component} ({e.product} {e.version})")
            ev.add("description", e.reason)
            ev.add("categories", ["patch", "urgent" if e.urgent else "routine"])
            cal.add_component(ev)
        return cal.to_ical()


def _months_after(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def build_schedule(plan: Plan, *, months: int, start: dt.datetime, region: str | None = None,
                   lifecycle=None, advisories=None, kev=None) -> Schedule:
    """The patch windows of every component from ``start`` for ``months`` months."""
    from ..readiness.checks import lifecycle_of
    from ..readiness.lifecycle import Lifecycle, load_lifecycle

    if months < 1 or months > 60:
        raise DataError(f"--months(={months}): must be 1 to 60")
    start = start.astimezone(dt.UTC)
    regions = {r.name: r for r in plan.regions}
    name = region or plan.regions[0].name
    if name not in regions:
        raise DataError(f"--region(={name}): not a region of the plan ({', '.join(regions)})")
    end_day = _months_after(start.date(), months)
    horizon = (dt.datetime.combine(end_day, dt.time(), dt.UTC) - start).total_seconds() / 86400
    calendar = plan.calendar.model_copy(update={"start": start, "horizon_days": max(1.0, horizon)})
    future = plan.model_copy(update={"calendar": calendar})
    cal = region_calendar(future, regions[name])
    windows = [(start + dt.timedelta(minutes=s), start + dt.timedelta(minutes=e)) for s, e in cal.intervals]
    if not isinstance(lifecycle, Lifecycle):
        lifecycle = load_lifecycle(lifecycle)
    exposed = set()
    if advisories is not None:
        from ..readiness.advisories import match_advisories

        exposed = {f.component for f in match_advisories(plan, advisories, kev)
                   if f.known_exploited and f.affected and not f.target_fixes}
    events, findings = [], []
    for comp in plan.components:
        _, _, cycle = lifecycle_of(comp, lifecycle)
        eol = getattr(cycle, "eol", None) if cycle is not None else None
        eol = eol if isinstance(eol, dt.date) else None
        urgent_why = []
        if eol is not None and eol <= end_day:
            urgent_why.append(f"end of support {eol.isoformat()}")
        if comp.name in exposed:
            urgent_why.append("a known-exploited advisory is open")
        chosen: list[tuple] = []
        if urgent_why and windows:
            chosen.append((windows[0], "urgent: " + ", ".join(urgent_why), True))
        cadence = comp.patch_cadence
        if cadence in ("monthly", "quarterly"):
            step = 1 if cadence == "monthly" else 3
            period = dt.date(start.year, start.month if step == 1 else 1 + 3 * ((start.month - 1) // 3), 1)
            while period < end_day:
                nxt = _months_after(period, step)
                inside = [w for w in windows if period <= w[0].date() < nxt]
                if inside and all(inside[0][0] != c[0][0] for c in chosen):
                    chosen.append((inside[0], f"{cadence} patch window", False))
                period = nxt
        elif cadence == "vendor":
            before = [w for w in windows if eol is None or w[0].date() <= eol - dt.timedelta(days=VENDOR_LEAD_DAYS)]
            pick = before[0] if before else (windows[0] if windows else None)
            if pick and all(pick[0] != c[0][0] for c in chosen):
                chosen.append((pick, "vendor release window" + (f" ({VENDOR_LEAD_DAYS} days before end of support)"
                                                                 if before and eol else ""), False))
        if cadence != "none" and not chosen:
            findings.append({"component": comp.name, "finding": f"no {cadence} patch window within {months} months "
                             f"in {name} (freezes and blackouts included)"})
        for (s, e), reason, urgent in sorted(chosen, key=lambda c: c[0][0]):
            events.append(PatchEvent(comp.name, comp.product, comp.version, s, e, reason, urgent))
        if eol is not None and chosen:
            first = min(c[0][0] for c in chosen)
            if first.date() > eol:
                when = "already past" if eol < start.date() else "falls after"
                findings.append({"component": comp.name, "finding": f"its next patch window ({first:%Y-%m-%d}) "
                                 f"{when} its end of support ({eol.isoformat()})"})
    events.sort(key=lambda e: (e.start, e.component))
    return Schedule(plan.name, name, start, months, events, findings)
