"""The sustainment verbs of :mod:`upgradesim.api`: the patch schedule, conflicts between changes
and the technical-debt register. Re-exported by ``upgradesim.api``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ..plan import Plan

__all__ = ["schedule", "conflicts", "debt"]

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
