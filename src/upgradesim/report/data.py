"""What each report needs, gathered from the plan and the store (read-only). Notebooks call these
and plot; they never simulate, judge or write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import StoreError
from ..plan.calendar import region_calendar, to_datetime
from ..plan.model import Plan
from ..sim.tolerance import check_tolerance, recommend
from ..store import Store
from ..tables import interval_table  # noqa: F401 - re-exported for reports

__all__ = ["ReadinessData", "readiness_data", "rollout_window", "RolloutData", "rollout_data", "PostUpgradeData", "post_upgrade_data",
           "interval_table", "first_windows", "cab_data", "CabData"]


@dataclass(frozen=True)
class ReadinessData:
    run: pd.Series
    findings: pd.DataFrame
    components: pd.DataFrame
    lifecycle: pd.DataFrame
    capacity: pd.DataFrame
    as_of: dt.date
    headline: str


def readiness_data(plan: Plan, db_path: str) -> ReadinessData:
    """The newest stored readiness assessment of the plan."""
    with Store(db_path, read_only=True) as store:
        stored = store.readiness()
    counts = stored.counts()
    run = pd.Series({"readiness_id": stored.readiness_id, "created_at": stored.created_at, "as_of": stored.as_of,
                     "decision": stored.decision, "score": stored.score, "blockers": counts["blocker"],
                     "warnings": counts["warning"], "plan_hash": stored.meta.get("plan_hash", "")})
    headline = (f"{plan.name}: {stored.decision.upper()} as of {stored.as_of} — score {stored.score:.0f}/100, "
                f"{counts['blocker']} blockers, {counts['warning']} warnings.")
    return ReadinessData(run, stored.findings, stored.components, stored.lifecycle, stored.capacity, stored.as_of,
                         headline)


def rollout_window(plan: Plan) -> tuple[dt.date, dt.date]:
    start = plan.calendar.start_utc
    return start.date(), (start + dt.timedelta(days=plan.calendar.horizon_days)).date()


@dataclass(frozen=True)
class RolloutData:
    run_id: str
    summary: pd.DataFrame
    replications: pd.DataFrame
    events: pd.DataFrame
    recommended: str
    reason: str
    representative: tuple[str, int]
    meta: dict = field(default_factory=dict)

    def representative_events(self) -> pd.DataFrame:
        strategy, rep = self.representative
        e = self.events
        return e[(e["strategy"] == strategy) & (e["replication"] == rep)].sort_values("at_min", kind="stable")


def rollout_data(plan: Plan, db_path: str, run_id: str = "") -> RolloutData:
    """A stored strategy comparison, its recommendation, and a representative replication: the one
    of the recommended strategy (among those with an event log) whose duration is nearest the median."""
    with Store(db_path, read_only=True) as store:
        sim = store.simulation(run_id or None)
        runs = store.simulation_runs()
    summary, reps, events = sim.summary, sim.replications, sim.events
    best, reason = recommend(summary, plan.risk)
    logged = reps[(reps["strategy"] == best) & reps["replication"].isin(events.loc[events["strategy"] == best,
                                                                                      "replication"].unique())]
    pool = logged if len(logged) else reps[reps["strategy"] == best]
    median = pool["duration_min"].median()
    rep = int(pool.iloc[(pool["duration_min"] - median).abs().argsort().iloc[0]]["replication"])
    meta = runs[runs["run_id"] == sim.meta["run_id"]].iloc[0].to_dict()
    return RolloutData(sim.meta["run_id"], summary, reps, events, best, reason, (best, rep), meta)


@dataclass(frozen=True)
class PostUpgradeData:
    available: bool
    reason: str
    headline: str = ""
    run: pd.Series | None = None
    services: pd.DataFrame | None = None
    metrics: pd.DataFrame | None = None
    base: pd.DataFrame | None = None
    cand: pd.DataFrame | None = None
    shown: pd.DataFrame | None = None  # the metrics whose distributions the report draws


def post_upgrade_data(plan: Plan, db_path: str, verdict_id: str = "", max_series: int = 12) -> PostUpgradeData:
    """The newest stored verdict and the samples of every judged metric of the services that did
    not pass (all services when every one passed), at most ``max_series``; or why there is none."""
    if not Path(db_path).exists():
        return PostUpgradeData(False, f"There is no store at {db_path}, so there is no post-upgrade telemetry to judge.")
    with Store(db_path, read_only=True) as store:
        if not store.telemetry_range()["rows"]:
            return PostUpgradeData(False, "The store holds no telemetry: there is nothing to compare after the "
                                          "upgrade. Ingest telemetry and run `upgradesim judge` first.")
        try:
            stored = store.verdict(verdict_id or None)
        except StoreError:  # no verdict stored
            return PostUpgradeData(False, "The store holds telemetry but no verdict: run `upgradesim judge` first.")
        run = pd.Series({"verdict_id": stored.verdict_id, "created_at": stored.created_at, "mode": stored.mode,
                         "baseline_start": stored.baseline_window[0], "baseline_end": stored.baseline_window[1],
                         "candidate_start": stored.candidate_window[0], "candidate_end": stored.candidate_window[1],
                         "verdict": stored.verdict, "comparison": stored.comparison})
        metrics = stored.metrics
        judged = metrics[~metrics["class"].isin(["NoData", "Error"])]
        failing = set(stored.services.query("verdict != 'Pass'")["service"])
        worst = judged[judged["service"].isin(failing)] if failing else judged
        worst = worst.sort_values(["fails", "service", "metric"], ascending=[False, True, True]).head(max_series)
        services = sorted(set(worst["service"]))
        if run["mode"] == "control":
            base = cand = store.samples(services, (run["candidate_start"], run["candidate_end"]))
        else:
            base = store.samples(services, (run["baseline_start"], run["baseline_end"]), aggregate=True)
            cand = store.samples(services, (run["candidate_start"], run["candidate_end"]), aggregate=True)
    headline = f"Verdict: {run['verdict']} ({run['comparison']})."
    services_table = stored.services
    return PostUpgradeData(True, "", headline, run, services_table, metrics, base, cand, worst)


def first_windows(plan: Plan, count: int = 3) -> pd.DataFrame:
    """The first open windows of each region, in its local time and in UTC."""
    rows = []
    for region in plan.regions:
        cal = region_calendar(plan, region)
        for s, e in cal.intervals[:count]:
            start, end = to_datetime(plan, s), to_datetime(plan, e)
            rows.append({"region": region.name, "time zone": region.tz,
                         "local start": start.astimezone(region.zone).strftime("%a %d %b %Y %H:%M"),
                         "local end": end.astimezone(region.zone).strftime("%a %d %b %H:%M"),
                         "UTC start": start.strftime("%d %b %H:%M"), "hours": round((e - s) / 60, 2)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CabData:
    readiness: ReadinessData | None
    rollout: RolloutData | None
    strategy: str
    checks: pd.DataFrame
    triggers: pd.DataFrame
    roles: pd.DataFrame
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)  # every stage's gates, as of now
    debt: pd.DataFrame = field(default_factory=pd.DataFrame)  # open register items on the plan's components
    pipelines: pd.DataFrame = field(default_factory=pd.DataFrame)  # stale and unknown pins of the newest scan


def debt_table(plan: Plan, db_path: str) -> pd.DataFrame:
    """Open technical-debt items on the plan's components, oldest first, aged as of the rollout's start."""
    from pathlib import Path

    from ..store import Store

    columns = ["component", "kind", "title", "owner", "age (days)", "due"]
    if not Path(db_path).exists():
        return pd.DataFrame(columns=columns)
    with Store(db_path, read_only=True) as store:
        frame = store.debt(status="open")
    names = {c.name for c in plan.components}
    frame = frame[frame["component"].isin(names)]
    start = pd.Timestamp(plan.calendar.start_utc.date())
    return pd.DataFrame({"component": frame["component"], "kind": frame["kind"].str.replace("_", " "),
                         "title": frame["title"], "owner": frame["owner"],
                         "age (days)": (start - pd.to_datetime(frame["created"])).dt.days,
                         "due": pd.to_datetime(frame["due"]).dt.date}, columns=columns)

def pipeline_table(plan: Plan, db_path: str) -> pd.DataFrame:
    """The newest `upgradesim pipelines` scan of this plan: each definition that still pins a version
    the target does not satisfy (stale) or pins none (unknown), with the line to write instead."""
    from pathlib import Path

    from ..store import Store

    columns = ["file", "line", "component", "found", "required", "suggestion", "status"]
    if not Path(db_path).exists():
        return pd.DataFrame(columns=columns)
    with Store(db_path, read_only=True) as store:
        frame = store.pipeline_findings(plan.name)
    return frame.reindex(columns=columns).reset_index(drop=True)


def evidence_table(plan: Plan, db_path: str) -> pd.DataFrame:
    """Each gate of the before-go stages judged as of the rollout's start (the moment the go
    applies; missing when there is no store: never a pass); the other stages' gates are listed as
    LATER: they are checked during and after the rollout."""
    from ..evidence import evidence_check
    from ..evidence.gates import describe

    rows = []
    for stage, spec in plan.evidence.items():
        if not spec.before_go:
            rows += [{"stage": stage, "gate": describe(g), "env": g.env or spec.env, "status": "LATER",
                      "why": "checked during or after the rollout"} for g in spec.gates]
            continue
        report = evidence_check(plan, db_path, stage=stage, as_of=plan.calendar.start_utc)
        for r in report.results:
            rows.append({"stage": stage, "gate": r.gate, "env": r.env, "status": r.status.upper(),
                         "why": "; ".join(r.reasons + [f"note: {n}" for n in r.notes])})
    return pd.DataFrame(rows, columns=["stage", "gate", "env", "status", "why"])


def incidents_table(plan: Plan, db_path: str) -> pd.DataFrame:
    """Incidents triaged against this plan's change (``upgradesim incidents --db``), per component:
    open, resolved, mean hours to resolve, likely caused by the change."""
    from pathlib import Path

    from ..store import Store

    columns = ["component", "open", "resolved", "mean hours to resolve", "likely caused by the change"]
    if not Path(db_path).exists():
        return pd.DataFrame(columns=columns)
    with Store(db_path, read_only=True) as store:
        frame = store.incidents(plan.change_id or None)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    hours = (pd.to_datetime(frame["closed"]) - pd.to_datetime(frame["opened"])).dt.total_seconds() / 3600
    frame = frame.assign(hours=hours, component=frame["component"].fillna("(not in the plan)"))
    out = frame.groupby("component").agg(open=("closed", lambda s: int(s.isna().sum())),
                                         resolved=("closed", lambda s: int(s.notna().sum())),
                                         hours=("hours", "mean"), caused=("likely_caused", "sum")).reset_index()
    out.columns = columns
    return out.round(1)


def runbook_checklist(plan: Plan, runbook_path: str) -> pd.DataFrame:
    """What the change made stale in a runbook (``upgradesim runbook-diff``), as checklist rows."""
    from ..control.runbook import load_runbook
    from ..control.runbook_diff import stale_items

    items = stale_items(load_runbook(runbook_path), plan)
    return pd.DataFrame([{"done": "[ ]", "area": i.area, "where": i.subject, "what": i.what, "action": i.action}
                         for i in items], columns=["done", "area", "where", "what", "action"])


def cab_data(plan: Plan, db_path: str) -> CabData:
    """Everything the change advisory board pack shows, from the store's newest results."""
    try:
        ready = readiness_data(plan, db_path)
    except StoreError:  # nothing assessed yet: the pack says so
        ready = None
    try:
        roll = rollout_data(plan, db_path)
    except StoreError:  # nothing simulated yet: the pack says so
        roll = None
    strategy = plan.chosen_strategy or (roll.recommended if roll else "")
    checks = pd.DataFrame()
    if roll is not None and strategy in set(roll.summary["strategy"]):
        checks = pd.DataFrame([{"figure": c.figure, "estimate": c.estimate, "95% interval": f"[{c.low:.3g}, {c.high:.3g}]",
                                "limit": c.limit, "status": c.status}
                               for c in check_tolerance(roll.summary, plan.risk, strategy)])
    policy = plan.rollback
    triggers = pd.DataFrame([
        {"trigger": "failed nodes in one batch", "threshold": policy.failed_nodes_per_batch},
        {"trigger": "fleet error rate (%)", "threshold": policy.error_rate_pct},
        {"trigger": "minutes in SLA breach (per region)", "threshold": policy.sla_breach_min},
        {"trigger": "minutes past a window's end", "threshold": policy.window_overrun_min},
        {"trigger": "failed schema migration", "threshold": "any"},
    ]).assign(threshold=lambda f: f["threshold"].map(lambda v: "disabled" if v is None else v))
    roles = pd.DataFrame([{"role": k, "person": v} for k, v in (plan.roles.model_dump().items() if plan.roles else [])])
    return CabData(ready, roll, strategy, checks, triggers, roles, evidence_table(plan, db_path),
                   debt_table(plan, db_path), pipeline_table(plan, db_path))
