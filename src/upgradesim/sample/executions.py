"""Execution logs of the sample estate's rollout under way, for ``upgradesim forecast``.

Both are cut at the same moment of the second weekend's first window (:data:`NOW`): ``clean.csv``
is a night that goes as planned (a replication of the plan itself); ``troubled.csv`` one whose
application nodes take three times as long and fail one attempt in four, with nobody stopping it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..plan import Plan
from ..plan.overlay import apply_overlay

__all__ = ["write_executions", "NOW", "EVENTS"]

NOW = "2027-03-13T02:30:00+00:00"  # the forecast's --now for both logs
EVENTS = ("upgrade_start", "upgrade_done", "upgrade_failed", "node_rolled_back", "canary_passed")
SEED = 11


def _log(plan: Plan, strategy: str, now: dt.datetime) -> str:
    from ..sim import prepare, run_replication

    _, events = run_replication(prepare(plan), strategy, SEED, 0, keep_events=True)
    start = plan.calendar.start_utc
    rows = ["ts,change_id,node,event,detail"]
    cut = (now - start).total_seconds() / 60
    for node, event, at, _, _ in events:
        if at > cut:
            break
        if event in EVENTS:
            ts = (start + dt.timedelta(minutes=at)).replace(microsecond=0).isoformat()
            rows.append(f"{ts},{plan.change_id},{node},{event},")
    return "\n".join(rows) + "\n"


def write_executions(folder: Path, plan: Plan) -> list[Path]:
    """Write ``forecast/clean.csv`` and ``forecast/troubled.csv`` into ``folder``."""
    out = folder / "forecast"
    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.fromisoformat(NOW)
    name = plan.chosen_strategy or plan.strategies[0].name
    app = plan.tiers["app"]
    slow = {"dist": "lognormal", "median": 3 * 18, "p95": 3 * 40} if app else None
    troubled = apply_overlay(plan, {"tiers": {"app": {"upgrade_min": slow, "failure_prob": 0.25, "retries": 1}},
                                    "rollback": {"failed_nodes_per_batch": None, "error_rate_pct": None,
                                                 "sla_breach_min": None, "window_overrun_min": None}},
                             source="<troubled night>")
    paths = []
    for label, p in (("clean", plan), ("troubled", troubled)):
        path = out / f"{label}.csv"
        path.write_text(_log(p, name, now))
        paths.append(path)
    return paths
