"""What every report states first: which plan (and its hash), which store (and when it last
changed), when the page was made, and whether the stored results are stale for this plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..plan import Plan, load_plan, plan_hash

__all__ = ["ReportContext", "open_report", "stale_note", "missing_note", "fetch"]


@dataclass(frozen=True)
class ReportContext:
    plan: Plan
    plan_path: Path
    db_path: Path
    plan_hash: str
    generated_at: dt.datetime
    store_changed_at: dt.datetime | None
    sample: bool

    def provenance(self) -> str:
        """One line: plan and hash, store and its last change, generation time."""
        changed = f"{self.store_changed_at:%Y-%m-%d %H:%M} UTC" if self.store_changed_at else "never (no store yet)"
        sample = " (the bundled sample)" if self.sample else ""
        return (f"Plan {self.plan.name}{sample}, hash {self.plan_hash[:12]}; store {self.db_path.name} last changed "
                f"{changed}; generated {self.generated_at:%Y-%m-%d %H:%M} UTC.")


def open_report(plan_path: str = "", db_path: str = "") -> ReportContext:
    """The plan and store a report reads. Both empty: the bundled sample estate in
    ``./upgradesim-sample`` (made on first use), so a notebook runs with its default parameters."""
    sample = not plan_path and not db_path
    if sample:
        from ..api import sample_workspace

        plan_file, db = sample_workspace()
    else:
        plan_file = Path(plan_path) if plan_path else None
        db = Path(db_path or "upgradesim.duckdb")
        if plan_file is None:
            from ..sample import sample_plan_path

            plan_file = sample_plan_path()
    plan = load_plan(plan_file)
    changed = dt.datetime.fromtimestamp(db.stat().st_mtime, dt.UTC) if db.exists() else None
    return ReportContext(plan, Path(plan_file), Path(db), plan_hash(plan), dt.datetime.now(dt.UTC), changed, sample)


def stale_note(ctx: ReportContext, stored_hash: str | None, what: str) -> str | None:
    """A STALE sentence when ``what`` was computed from another version of the plan (None when
    it matches; an unknown hash — results stored before plans were hashed — is stale too)."""
    if stored_hash == ctx.plan_hash:
        return None
    known = f"plan hash {stored_hash[:12]}" if stored_hash else "an unrecorded plan version"
    return (f"STALE: the stored {what} was computed from {known}, not from this plan ({ctx.plan_hash[:12]}). "
            "Recompute it, or render with `upgradesim report all --refresh`.")


MISSING = {
    "readiness": "upgradesim readiness {plan} --db {db}",
    "simulation": "upgradesim compare {plan} --db {db}",
    "verdict": "upgradesim judge --db {db} --plan {plan}",
    "telemetry": "upgradesim ingest FILES --db {db}",
    "optimize": "upgradesim optimize {plan} --db {db}",
    "forecast": "upgradesim forecast {plan} --log EXECUTION_LOG --db {db}",
}


def missing_note(ctx: ReportContext, what: str) -> str:
    """What is missing from the store and the command that fills it."""
    command = MISSING[what].format(plan=ctx.plan_path, db=ctx.db_path)
    return f"No {what} is stored in {ctx.db_path}. To fill it: `{command}` (or `upgradesim report all`)."


def _stored(method: str):
    """A loader of a stored decision document (the newest, or ``run_id``)."""
    def load(plan, db: str, run_id: str = ""):
        from ..store import Store

        with Store(db, read_only=True) as store:
            return getattr(store, method)(run_id or None)
    return load


def fetch(ctx: ReportContext, what: str, **kwargs):
    """The stored ``what`` (readiness, simulation, optimize or forecast) for a report, or None after saying on the page
    what is missing and which command fills it; a result of another plan version is marked STALE."""
    from ..errors import StoreError
    from .data import readiness_data, rollout_data
    from .display import say

    loader = {"readiness": readiness_data, "simulation": rollout_data, "optimize": _stored("optimize_run"),
              "forecast": _stored("forecast_run")}[what]
    if not ctx.db_path.exists():
        say(missing_note(ctx, what), strong=True)
        return None
    try:
        data = loader(ctx.plan, str(ctx.db_path), **kwargs)
    except StoreError:
        say(missing_note(ctx, what), strong=True)
        return None
    if what in ("optimize", "forecast"):
        stored = data.get("plan_hash", "")
    else:
        stored = data.run.get("plan_hash", "") if what == "readiness" else data.meta.get("plan_hash", "")
    words = {"readiness": "readiness assessment", "optimize": "optimize front"}
    note = stale_note(ctx, str(stored or ""), words.get(what, what))
    if note:
        say(note, strong=True)
    return data
