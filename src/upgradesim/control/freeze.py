"""Change freezes: configuration changes made inside a freeze period of the plan, without an
exception in force, are violations."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .drift import ExceptionRegister, classify, diff_entries

__all__ = ["freeze_violations"]


def freeze_violations(plan, store, env: str, register: ExceptionRegister | None, as_of: dt.date) -> pd.DataFrame:
    """Differences between consecutive snapshots of ``env`` where the later one was taken inside a
    freeze (UTC dates), that no exception in force covers."""
    snaps = store.snapshots(env)
    rows = []
    for prev, cur in zip(snaps.iloc[:-1].itertuples(), snaps.iloc[1:].itertuples(), strict=True):
        day = pd.Timestamp(cur.taken_at).tz_convert("UTC").date()
        freezes = [f for f in plan.calendar.freezes if f.start <= day <= f.end]
        if not freezes:
            continue
        diff = classify(diff_entries(store.snapshot_entries(prev.snapshot_id), store.snapshot_entries(cur.snapshot_id)),
                        env, register, as_of)
        for r in diff[diff["status"] != "approved"].itertuples():
            rows.append({"freeze": freezes[0].name, "snapshot": cur.tag, "taken_at": cur.taken_at, "file": r.file,
                         "key": r.key, "change": r.change, "status": r.status})
    return pd.DataFrame(rows, columns=["freeze", "snapshot", "taken_at", "file", "key", "change", "status"])
