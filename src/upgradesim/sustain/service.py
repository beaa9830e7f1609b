"""The sustainment verbs of :mod:`upgradesim.api`: the patch schedule, conflicts between changes
and the technical-debt register. Re-exported by ``upgradesim.api``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ..errors import StoreError
from ..plan import Plan

__all__ = ["schedule", "conflicts", "debt", "incidents"]

PathLike = str | os.PathLike


def schedule(plan: PathLike | Plan, *, months: int = 6, start: dt.datetime | None = None, region: str | None = None,
             lifecycle: PathLike | None = None, osv: PathLike | None = None, kev: PathLike | None = None):
    """The patch schedule (:class:`upgradesim.sustain.Schedule`: ``to_frame()``, ``to_ics()``)."""
    from ..api import load
    from ..readiness.advisories import load_kev, load_osv
    from .schedule import build_schedule

    return build_schedule(load(plan), months=months, start=start or dt.datetime.now(dt.UTC), region=region,
                          lifecycle=lifecycle, advisories=load_osv(osv) if osv else None,
                          kev=load_kev(kev) if kev else None)


def conflicts(plans: list[PathLike | Plan], *, calendar: PathLike | None = None, judge_days: float = 7.0,
              seed: int = 0) -> list:
    """Conflicts between the changes of ``plans`` and of a change ``calendar`` CSV (see
    :mod:`upgradesim.sustain.conflicts`): a list of :class:`~upgradesim.sustain.Conflict`."""
    from ..api import load
    from .conflicts import change_of_plan, find_conflicts, read_calendar

    changes = [change_of_plan(load(p), getattr(p, "name", str(p)), seed=seed) for p in plans]
    if calendar is not None:
        changes += read_calendar(calendar)
    if len(changes) < 2:
        from ..errors import DataError

        raise DataError("conflicts: give at least two changes (plans, or a --calendar with changes)")
    return find_conflicts(changes, judge_days=judge_days)


def debt(db: PathLike, *, add: PathLike | None = None, propose_from: PathLike | Plan | None = None,
         as_of: dt.date | None = None, owner: str = "unassigned", close: str | None = None, status: str | None = "open"):
    """The technical-debt register: add items from a file, add the items readiness proposes for a
    plan, close one; returns the register (with age and overdue days as of ``as_of``)."""
    from ..api import load
    from ..store import Store
    from .debt import age, propose, read_items

    day = as_of or dt.date.today()
    with Store(Path(db)) as store:
        if add is not None:
            store.write_debt(read_items(add), str(Path(add).name))
        if propose_from is not None:
            loaded = load(propose_from)
            from ..readiness import assess

            store.write_debt(propose(loaded, assess(loaded, as_of=day), as_of=day, owner=owner), "proposed")
        if close is not None:
            store.close_debt(close, day)
        frame = store.debt(status=status)
    if len(frame):
        import pandas as pd

        def _day(v):
            return None if v is None or pd.isna(v) else pd.Timestamp(v).date()
        aged = [age(_day(r.created), _day(r.due), day) for r in frame.itertuples()]
        frame["age_days"] = [a["age_days"] for a in aged]
        frame["overdue_days"] = [a["overdue_days"] for a in aged]
    return frame


def incidents(plan: PathLike | Plan, file: PathLike | None = None, *, db: PathLike | None = None,
              judge_days: float = 7.0, logs_before: PathLike | None = None, logs_after: PathLike | None = None):
    """Triage a ticket export against ``plan`` (stored with ``db``); returns (incidents, summary per
    component: open, resolved, mean hours to resolve, likely caused)."""
    import pandas as pd

    from ..api import load
    from ..store import Store
    from .incidents import read_incidents, triage

    loaded = load(plan)
    failed: set = set()
    found = []
    if db is not None and Path(db).exists():
        with Store(db, read_only=True) as store:
            try:
                v = store.verdict()
                failed = set(v.services[v.services["verdict"] == "Fail"]["service"])
            except StoreError:  # no verdict stored: nothing to link
                failed = set()
    patterns = None
    if logs_before is not None and logs_after is not None:
        from ..api import logs_diff

        changed = logs_diff(logs_before, logs_after).changed()
        patterns = [f"{c} {t}" for c, t in zip(changed["component"].fillna(""), changed["template"], strict=True)]
    if file is not None:
        found = triage(read_incidents(file), loaded, judge_days=judge_days, failed_services=failed,
                       new_patterns=patterns)
        if db is not None:
            with Store(db) as store:
                store.write_incidents(found, loaded.change_id)
    rows = pd.DataFrame([i.as_dict() for i in found])
    if rows.empty:
        return found, pd.DataFrame(columns=["component", "open", "resolved", "mean_hours_to_resolve", "likely_caused"])
    summary = rows.assign(component=rows["component"].fillna("(not in the plan)")).groupby("component").agg(
        open=("closed", lambda s: int(s.isna().sum())), resolved=("closed", lambda s: int(s.notna().sum())),
        mean_hours_to_resolve=("hours_to_resolve", "mean"), likely_caused=("likely_caused", "sum")).reset_index()
    return found, summary
