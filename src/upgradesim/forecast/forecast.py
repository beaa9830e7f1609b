"""``forecast``: the rollout so far (an execution log) and the plan's priors give the remaining work;
simulate it from now and say whether to continue (0), pause at the next batch boundary (2) or roll
back now (3).

The remaining work is simulated with the plan's strategy from ``now`` (its calendar starts then),
the nodes the log shows upgraded already upgraded (they serve on the new version), the rest not
started — a node in the middle of an attempt at ``now`` starts again — and each tier's duration
and failure probability updated from the night's attempts (:mod:`.posterior`). Waves and canaries
already upgraded are over; what is left of their bake is waited first.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..errors import DataError, PlanError, Problem
from ..plan import Plan
from ..plan.model import Beta, LogNormal
from ..plan.overlay import apply_overlay
from ..sim.distributions import planning_min
from ..sim.model import Rollout
from ..sim.prepared import prepare
from ..sim.records import REPLICATION_FIELDS
from ..sim.stats import quantile_ci, wilson
from ..sim.strategies import build_strategy
from .log import ExecutionLog, read_log
from .posterior import tier_posterior
from .result import Forecast

__all__ = ["forecast", "MIN_P_WINDOW", "FAILURE_RATIO", "DEFAULT_MAX_P_ROLLBACK"]

MIN_P_WINDOW = 0.8  # below this chance of finishing in the open window: pause at the next batch boundary
FAILURE_RATIO = 2.0  # failures running at more than twice the plan's rate (and 2 or more seen): pause
BURN_DOWN_PATHS = 50  # replications whose events give the burn-down
DEFAULT_MAX_P_ROLLBACK = 0.5  # without risk.max_p_rollback: roll back when the rest more likely fails than not
SUPPORTED = ("rolling", "phased", "canary")


class _Waiting:
    """Wait out what is left of a bake, judge a canary's gate, then run the strategy."""

    def __init__(self, inner, wait_min: float, gate: bool):
        self.inner, self.wait_min, self.gate = inner, wait_min, gate

    def run(self, ro: Rollout):
        if self.wait_min > 0:
            ro.log("rollout", "bake_start", detail=f"{self.wait_min / 60:g}h left")
            yield ro.env.timeout(self.wait_min) | ro.stop_event
            if self.gate and not ro.stopped and ro.defect and ro.manifested:
                ro.trigger("canary_gate")
        yield from self.inner.run(ro)


def _t(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def forecast(plan: Plan, log_path, *, now: dt.datetime | None = None, strategy: str | None = None,
             replications: int = 400, seed: int = 0, min_p_window: float = MIN_P_WINDOW) -> Forecast:
    """Forecast the rest of a rollout under way; see the module doc."""
    now = _utc(now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    start = plan.calendar.start_utc
    if now < start:
        raise DataError(f"now ({now.isoformat()}) is before the plan's calendar.start ({start.isoformat()})")
    name = strategy or plan.chosen_strategy
    if not name:
        raise PlanError([Problem(plan.name, None, "chosen_strategy", None, "required by forecast (or pass --strategy)",
                                 has_value=False)])
    spec = plan.strategy(name)
    if spec.kind not in SUPPORTED:
        raise PlanError([Problem(plan.name, None, "chosen_strategy", name,
                                 f"forecast follows node-by-node rollouts ({', '.join(SUPPORTED)}); a {spec.kind} "
                                 "rollout is not forecast", has_value=True)])
    prep0 = prepare(plan)
    ids = {s.id: s for s in prep0.nodes}
    log = read_log(log_path, nodes={i: s.tier for i, s in ids.items()}, change_id=plan.change_id, now=now)
    posteriors = {t: tier_posterior(t, plan.tiers[t], log.durations.get(t, []), log.attempts.get(t, []))
                  for t in prep0.tiers}
    done = frozenset(ids[i].k for i in log.done)
    base = {"plan": plan.name, "change_id": plan.change_id, "strategy": name, "now": now, "log": str(log_path),
            "nodes": prep0.n, "upgraded": len(done), "in_progress": sorted(log.running),
            "posteriors": list(posteriors.values())}
    if log.rollback is not None:
        return Forecast(**base, decision="rollback", reasons=[
            f"a rollback trigger fired at {_t(log.rollback.ts)} (log line {log.rollback.line}"
            + (f": {log.rollback.detail}" if log.rollback.detail else "") + "): finish rolling back"])
    if len(done) == prep0.n:
        last = max(log.done.values())
        return Forecast(**base, decision="complete", finished_at=last,
                        reasons=[f"every node is upgraded (the last at {_t(last)}): nothing left to forecast"])
    inner_name, wait_min, gate = _remaining(plan, spec, prep0, log, done, now)
    planned = _future_plan(plan, now, None, start)
    future = _future_plan(plan, now, posteriors, start)
    sims = {}
    for key, p in (("planned", planned), ("now", future)):
        prep = prepare(p)
        model = build_strategy(p, inner_name)
        runner = _Waiting(model, wait_min, gate) if wait_min > 0 else model
        sims[key] = _figures(p, prep, runner, done, now, plan, replications, seed)
    # the loop ends on the updated plan: its prepared estate and strategy model serve the judgement
    return _judge(base, future, prep, model, sims, done, now, plan, posteriors, min_p_window, wait_min)


def _remaining(plan: Plan, spec, prep, log: ExecutionLog, done, now) -> tuple[str, float, bool]:
    """(strategy to simulate, minutes of bake left first, whether a canary gate follows the wait)."""
    if spec.kind == "canary":
        tier = prep.bottleneck
        canary = []
        for region in prep.regions:
            ks = prep.by_region_tier.get((region, tier), ())
            canary += list(ks[: max(1, math.ceil(spec.fraction * len(ks) - 1e-9))]) if ks else []
        if log.canary_passed is not None:
            return spec.then, 0.0, False
        if canary and all(k in done for k in canary):
            last = max(log.done[prep.nodes[k].id] for k in canary)
            return spec.then, max(0.0, spec.bake_h * 60 - (now - last).total_seconds() / 60), True
        return spec.name, 0.0, False
    if spec.kind == "phased" and done:
        model = build_strategy(plan, spec.name)
        waves = model._waves(SimpleNamespace(prep=prep), None)
        ended = None
        for regions, scope in waves:
            ks = [s.k for s in prep.nodes if (regions is None or s.region in regions) and (scope is None or s.k in scope)]
            if not ks or not all(k in done for k in ks):
                break
            ended = max(log.done[prep.nodes[k].id] for k in ks)
        if ended is not None:
            return spec.name, max(0.0, spec.bake_h * 60 - (now - ended).total_seconds() / 60), False
    return spec.name, 0.0, False


def _future_plan(plan: Plan, now: dt.datetime, posteriors, start: dt.datetime) -> Plan:
    """The plan from ``now`` to the end of its horizon; with ``posteriors``, each tier's duration
    and failure probability replaced by the updated ones — as point values like the plan's own
    (the posterior mean probability; a lognormal without ``n``), unless the plan itself gave a
    Beta or a fitted ``n``: with no evidence the forecast is then exactly the plan's."""
    end = start + dt.timedelta(days=plan.calendar.horizon_days)
    days = max(1.0, (end - now).total_seconds() / 86400)
    overlay: dict = {"calendar": {"start": now.isoformat(), "horizon_days": round(days, 6)}}
    if posteriors:
        tiers = {}
        for t, p in posteriors.items():
            own = plan.tiers[t]
            if not p.observed and not p.attempts:
                continue
            duration = p.duration.model_dump(mode="json", exclude_none=True)
            if not (isinstance(own.upgrade_min, LogNormal) and own.upgrade_min.n):
                duration.pop("n", None)
            if not p.observed:  # no successful attempt: the plan's durations stand
                duration = own.upgrade_min.model_dump(mode="json", exclude_none=True)
            failure = p.failure_prob.model_dump(mode="json") if isinstance(own.failure_prob, Beta) else p.failure
            tiers[t] = {"upgrade_min": duration, "failure_prob": failure}
        overlay["tiers"] = tiers
    return apply_overlay(plan, overlay, source="<forecast>")


def _figures(plan: Plan, prep, runner, done, now, original: Plan, replications: int, seed: int) -> dict:
    """Simulate the remaining work; the figures the decision reads, with 95% intervals."""
    root = np.random.SeedSequence(seed)
    records, paths = [], []
    for i in range(replications):
        ro = Rollout(prep, runner, np.random.SeedSequence(root.entropy, spawn_key=(i,)), done=done,
                     keep_events=i < BURN_DOWN_PATHS)
        records.append(ro.run())
        if ro.events is not None:
            paths.append([(at, -1 if e == "upgrade_done" else 1) for _, e, at, _, _ in ro.events
                          if e in ("upgrade_done", "reverted")])
    reps = pd.DataFrame.from_records(records, columns=[c for c in REPLICATION_FIELDS
                                                       if c not in ("strategy", "replication", "seed")])
    n = len(reps)
    ok = reps["completed"].astype(bool)
    remaining = {r for r in prep.regions if any(k not in done for k in _region_nodes(prep, r))}
    windows = {r: _window(prep, r) for r in prep.regions}
    open_ends = [windows[r][1] for r in remaining if windows[r] is not None]
    window_end = max(open_ends) if open_ends else None
    deadline = original.risk.finish_by_utc or (original.calendar.start_utc
                                               + dt.timedelta(days=original.calendar.horizon_days))
    dl_min = (deadline - now).total_seconds() / 60
    out = {"reps": reps, "burn_down": _burn_down(paths, prep.n - len(done)), "windows": windows, "window_end": window_end, "deadline": deadline,
           "p_window": (wilson(int((ok & (reps["finished_at_min"] <= window_end + 1e-9)).sum()), n)
                        if window_end is not None else None),
           "p_deadline": wilson(int((ok & (reps["finished_at_min"] <= dl_min + 1e-9)).sum()), n),
           "p_rollback": wilson(int(reps["rolled_back"].sum()), n), "finish": None}
    if ok.any():
        mins = reps.loc[ok, "finished_at_min"].to_numpy()
        at = lambda m: now + dt.timedelta(minutes=float(m))  # noqa: E731
        out["finish"] = {"mean": at(mins.mean()), "p05": at(quantile_ci(mins, 0.05)[0]),
                         "p50": at(quantile_ci(mins, 0.5)[0]), "p95": at(quantile_ci(mins, 0.95)[0])}
    return out


def _region_nodes(prep, region: str) -> list[int]:
    return [s.k for s in prep.nodes if s.region == region]


def _window(prep, region: str) -> tuple[float, float] | None:
    """The window open in ``region`` now (minutes from now), or None."""
    window = prep.calendars[region].next_open(0.0)
    return window if window is not None and window[0] <= 1e-9 else None


def rollback_minutes_now(plan: Plan, prep, model, done, region: str) -> float:
    """Planning minutes (95th percentiles) to revert the nodes of ``region`` upgraded now: tiers in
    reverse order, each in chunks of the strategy's batch, plus the schema restore where the
    migration tier is all upgraded (its region migrated)."""
    total = 0.0
    mig = plan.migration
    for group in reversed(prep.sequence["sequential"]):
        for tier in group:
            everyone = prep.by_region_tier.get((region, tier), ())
            ks = [k for k in everyone if k in done]
            if not ks:
                continue
            if mig is not None and mig.tier == tier and len(ks) == len(everyone):
                total += mig.restore_min
            size = max(1, model.batch_for(len(everyone), tier))
            total += math.ceil(len(ks) / size) * planning_min(plan.tiers[tier].rollback_min)
    return total


def _burn_down(paths: list[list[tuple[float, int]]], left: int, points: int = 200) -> pd.DataFrame:
    """Nodes left to upgrade over the coming minutes: the 10th, 50th and 90th percentile of the
    first :data:`BURN_DOWN_PATHS` replications (a node reverted by a rollback counts again)."""
    end = max((at for path in paths for at, _ in path), default=0.0)
    grid = np.linspace(0.0, max(end, 1.0), points)
    rows = np.empty((len(paths), points))
    for i, path in enumerate(paths):
        times = np.array([at for at, _ in path]) if path else np.zeros(0)
        steps = np.cumsum([d for _, d in path]) if path else np.zeros(0)
        idx = np.searchsorted(times, grid, side="right")
        rows[i] = left + np.concatenate([[0.0], steps])[idx]
    if not paths:
        rows = np.full((1, points), float(left))
    return pd.DataFrame({"minute": grid, "p10": np.percentile(rows, 10, axis=0),
                         "p50": np.percentile(rows, 50, axis=0), "p90": np.percentile(rows, 90, axis=0)})


def _judge(base, future, prep, model, sims, done, now, plan, posteriors, min_p_window, wait_min) -> Forecast:
    """The decision: roll back now, pause at the next batch boundary, or continue, with reasons."""
    post, planned = sims["now"], sims["planned"]
    at = lambda m: now + dt.timedelta(minutes=float(m))  # noqa: E731
    windows = post["windows"]
    pnr = {}
    for r in prep.regions:
        if windows[r] is None or not any(k in done for k in _region_nodes(prep, r)):
            continue
        pnr[r] = at(windows[r][1] - rollback_minutes_now(future, prep, model, done, r))
    point = min(pnr.values()) if pnr else None
    reasons, decision = [], "continue"
    limit = plan.risk.max_p_rollback if plan.risk.max_p_rollback is not None else DEFAULT_MAX_P_ROLLBACK
    p_rb = post["p_rollback"][0]
    if p_rb > limit:
        if point is None or now <= point:  # nothing upgraded yet, or a rollback still ends inside the window
            decision = "rollback"
            reasons.append(f"P(rollback) of the remaining work is {p_rb:.2f} > {limit:g} (planned "
                           f"{planned['p_rollback'][0]:.2f}) and a rollback still fits the window"
                           + (f" (point of no return {_t(point)})" if point else ""))
        else:
            decision = "pause"
            reasons.append(f"P(rollback) of the remaining work is {p_rb:.2f} > {limit:g}, but a rollback no longer "
                           f"ends inside the window (point of no return was {_t(point)}): stop at the next "
                           "batch boundary")
    pw, pw0 = post["p_window"], planned["p_window"]
    if pw is not None and pw0 is not None and pw0[0] >= min_p_window > pw[0]:
        decision = "pause" if decision == "continue" else decision
        reasons.append(f"the remaining work was planned to finish inside the open window (until "
                       f"{_t(at(post['window_end']))}, P = {pw0[0]:.2f}) but now does with P = {pw[0]:.2f} "
                       f"< {min_p_window:g}: stop at the next batch boundary")
    need = plan.risk.min_p_finish_by
    pd_, pd0 = post["p_deadline"][0], planned["p_deadline"][0]
    if (need is not None and pd_ < need) or (need is None and pd_ < 0.5 <= pd0):
        decision = "pause" if decision == "continue" else decision
        reasons.append(f"P(finished by {_t(post['deadline'])}) is {pd_:.2f} (planned {pd0:.2f})"
                       + (f" < {need:g}" if need is not None else "") + ": re-plan the rest")
    for p in posteriors.values():
        if p.failures >= 2 and p.failure > FAILURE_RATIO * max(p.prior_failure, 1e-9):
            decision = "pause" if decision == "continue" else decision
            reasons.append(f"tier {p.tier}: {p.failures} of {p.attempts} attempts failed; the failure probability "
                           f"is now {p.failure:.3f}, {p.failure / max(p.prior_failure, 1e-9):.1f}x the plan's "
                           f"{p.prior_failure:.3f}")
    if decision == "continue":
        reasons.append("the remaining work goes as planned: "
                       + (f"P(inside the open window) {pw[0]:.2f}, " if pw is not None else "")
                       + f"P(finished by {post['deadline'].date()}) {pd_:.2f}, P(rollback) {p_rb:.2f} <= {limit:g}")
    return Forecast(**base, decision=decision, reasons=reasons, replications=len(post["reps"]),
                    p_window=pw, window_end=at(post["window_end"]) if post["window_end"] is not None else None,
                    p_deadline=post["p_deadline"], deadline=post["deadline"], finish=post["finish"],
                    p_rollback=post["p_rollback"], point_of_no_return=point, point_by_region=pnr,
                    bake_left_min=wait_min, replications_frame=post["reps"], burn_down=post["burn_down"],
                    planned={k: planned[k] for k in ("p_window", "p_deadline", "p_rollback", "finish")})
