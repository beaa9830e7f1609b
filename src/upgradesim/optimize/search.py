"""``optimize``: search the plan's rollout design space for the Pareto front of the five objectives.

Screening spends few replications on each design optuna suggests (multi-objective TPE, seeded,
with the risk policy as constraints); the designs of the screened front (and the plan's own
strategy) are then re-simulated with the full replication count. Every design runs on the same
replication seeds (common random numbers), so two designs differ by their settings, not their
luck. Trials are asked in batches of a fixed size and told in order: the search is the same
whatever the number of workers.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from ..errors import SimulationError
from ..plan import Plan
from ..plan.overlay import apply_overlay
from ..sim.feasibility import capacity_floor_pct
from ..sim.records import REPLICATION_FIELDS
from ..sim.runner import (
    _prepared,
    _progress,
    _root_entropy,
    deadline_min,
    progress_mode,
    run_replication,
    summarize,
)
from ..sim.tolerance import check_tolerance
from .designs import Design, families, plan_design, space_of, suggest
from .front import OBJECTIVES, dominates, objectives, pareto, same
from .result import Infeasible, OptimizeResult, Point

__all__ = ["optimize", "BATCH", "MAX_CONFIRM"]

BATCH = 8  # trials asked and told together (fixed: results must not depend on the workers)
MAX_CONFIRM = 12  # designs of the screened front re-simulated in full
NAME = "optimized"


def evaluate(plan: Plan, name: str, replications: int, seed: int, demand, deadline) -> dict:
    """Simulate one design (a plan whose strategy ``name`` is the design): objectives and checks."""
    prep = _prepared(plan, demand)
    records = [run_replication(prep, name, seed, i)[0] for i in range(replications)]
    reps = pd.DataFrame.from_records(records, columns=list(REPLICATION_FIELDS))
    floor = capacity_floor_pct(plan, name)
    summary = summarize(reps, deadline, {name: floor})
    checks = check_tolerance(summary, plan.risk, name)
    return {"objectives": objectives(reps, deadline), "checks": [c.as_dict() for c in checks], "n": replications}


def _violation(check: dict) -> float:
    """How far a check is past its limit, relative to it (<= 0: within)."""
    est, limit = check["estimate"], check["limit"]
    scale = max(abs(limit), 1e-3 if check["figure"].startswith("p_") else 1.0)
    return (limit - est) / scale if check["lower_bound"] else (est - limit) / scale


def _penalty() -> list[float]:
    return [0.0 if d == "max" else 1e12 for d in OBJECTIVES.values()]


class _Pool:
    """Where designs are simulated: this process, local processes, or a Dask cluster."""

    def __init__(self, workers: int, scheduler: str | None):
        self.client = self.pool = None
        if scheduler:
            from distributed import Client

            self.client = Client(scheduler, set_as_default=False)
        elif workers > 1:
            self.pool = ProcessPoolExecutor(max_workers=workers)

    def map(self, jobs: list[tuple]) -> list[dict]:
        if self.client is not None:
            futures = [self.client.submit(evaluate, *job, pure=False) for job in jobs]
            return self.client.gather(futures)
        if self.pool is not None:
            return [f.result() for f in [self.pool.submit(evaluate, *job) for job in jobs]]
        return [evaluate(*job) for job in jobs]

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.pool is not None:
            self.pool.shutdown()


def _design_plan(plan: Plan, design: Design) -> Plan:
    return apply_overlay(plan, design.overlay(plan, NAME), source=f"<design {design.label}>")


def optimize(plan: Plan, *, budget: int | None = None, seed: int = 0, workers: int = 1, scheduler: str | None = None,
             demand=None, progress: bool | None = None, screen: int | None = None,
             confirm: int | None = None, sampler: str = "tpe") -> OptimizeResult:
    """Search ``plan.optimize`` (or the default space) for the Pareto front; see the module doc.
    ``sampler="random"`` samples the space uniformly instead (the naive baseline of the benchmark)."""
    import optuna

    started = time.monotonic()
    space = space_of(plan)
    budget = budget or space.budget
    screen = screen or space.replications.screen
    confirm = max(confirm or space.replications.confirm, screen)
    if workers < 1:
        raise SimulationError(f"workers(={workers}) must be >= 1")
    root = _root_entropy(seed)
    deadline = deadline_min(plan)
    min_floor = plan.risk.min_capacity_pct
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler == "random":
        chosen = optuna.samplers.RandomSampler(seed=root % 2**32)
    else:
        chosen = optuna.samplers.TPESampler(seed=root % 2**32, n_startup_trials=min(24, max(8, budget // 4)))
    study = optuna.create_study(directions=["maximize" if d == "max" else "minimize" for d in OBJECTIVES.values()],
                                sampler=chosen)
    seen: dict[tuple, dict] = {}  # design key -> screened evaluation (a design is simulated once)
    plans: dict[tuple, Plan] = {}
    trials: list[dict] = []
    bar = _progress(budget, progress_mode(progress), "designs")
    pool = _Pool(workers, scheduler)
    try:
        own_name = plan.chosen_strategy or plan.strategies[0].name
        own = plan_design(plan, own_name)
        done = 0
        while done < budget:
            asked = [study.ask() for _ in range(min(BATCH, budget - done))]
            designs = [suggest(t, plan) for t in asked]
            jobs, keys = [], []
            for d in designs:
                k = d.key()
                if k in seen or k in plans or k in keys:
                    continue
                q = plans[k] = _design_plan(plan, d)
                floor = capacity_floor_pct(q, NAME)
                if min_floor is not None and floor < min_floor - 1e-9:
                    seen[k] = {"pruned": f"min_capacity_pct {min_floor:g}: keeps {floor:.3g}% in service", "floor": floor}
                    continue
                jobs.append((q, NAME, screen, root, demand, deadline))
                keys.append(k)
            for k, out in zip(keys, pool.map(jobs), strict=True):
                seen[k] = out
            for t, d in zip(asked, designs, strict=True):
                out = seen[d.key()]
                if "pruned" in out:
                    t.set_constraint("capacity", (min_floor - out["floor"]) / 100.0)
                    study.tell(t, _penalty())
                    trials.append({"trial": t.number, "design": d, "feasible": False, "reason": out["pruned"]})
                    continue
                violations = [_violation(c) for c in out["checks"] if c["limit_key"] != "horizon"]
                breached = [c for c in out["checks"] if c["status"] == "breach"]
                t.set_constraint("risk", max(violations) if breached else min([0.0, *violations]))
                study.tell(t, [out["objectives"][k][0] for k in OBJECTIVES])
                trials.append({"trial": t.number, "design": d, "feasible": not breached, "eval": out,
                               "reason": "; ".join(_breach_text(c) for c in breached)})
            done += len(asked)
            bar.update(len(asked))
        # the plan's own strategy is a candidate when it lies in the space
        if own is not None and own.key() not in seen:
            q = plans[own.key()] = _design_plan(plan, own)
            seen[own.key()] = pool.map([(q, NAME, screen, root, demand, deadline)])[0]
        result = _confirm(plan, own_name, own, seen, plans, trials, pool, confirm, screen, root, demand, deadline)
    finally:
        bar.close()
        pool.close()
    result.meta.update(seed=root, budget=budget, sampler=sampler, trials=len(trials), designs_tried=len(seen),
                       designs_simulated=sum(1 for v in seen.values() if "pruned" not in v),
                       replications_screen=screen, replications_confirm=confirm,
                       families=",".join(families(plan)), seconds=round(time.monotonic() - started, 1),
                       objectives=dict(OBJECTIVES))
    result.trials = _trials_frame(trials)
    return result


def _breach_text(c: dict) -> str:
    sign = ">=" if c["lower_bound"] else "<="
    return f"{c['limit_key']}: {c['figure']} {c['estimate']:.4g} (needs {sign} {c['limit']:g})"


def _trials_frame(trials: list[dict]) -> pd.DataFrame:
    rows = []
    for t in trials:
        row = {"trial": t["trial"], "design": t["design"].label, "family": t["design"].family,
               "feasible": t["feasible"], "reason": t["reason"]}
        for k in OBJECTIVES:
            row[k] = t["eval"]["objectives"][k][0] if "eval" in t else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["trial", "design", "family", "feasible", "reason", *OBJECTIVES])


def _confirm(plan, own_name, own, seen, plans, trials, pool, confirm, screen, root, demand, deadline) -> OptimizeResult:
    feasible = {k: v for k, v in seen.items()
                if "pruned" not in v and not any(c["status"] == "breach" for c in v["checks"])}
    if not feasible:
        raise Infeasible(_why_empty(plan, seen))
    keys = list(feasible)
    points = [{k2: feasible[k]["objectives"][k2][0] for k2 in OBJECTIVES} for k in keys]
    front = [keys[i] for i in pareto(points)]
    if len(front) > MAX_CONFIRM:  # an even spread along the mean duration
        front.sort(key=lambda k: feasible[k]["objectives"]["duration_min"][0])
        step = (len(front) - 1) / (MAX_CONFIRM - 1)
        front = [front[round(i * step)] for i in range(MAX_CONFIRM)]
    own_key = own.key() if own is not None else None
    if own_key is not None and own_key not in front:  # confirmed too: it is on the front unless beaten
        front.append(own_key)
    designs = {k: _design_of(k) for k in front}
    jobs = [(plans[k], NAME, confirm, root, demand, deadline) for k in front]
    own_plan = None
    if own_key is None or own_key not in front:  # the plan's strategy as written, on the same seeds
        own_plan = plan
        jobs.append((plan, own_name, confirm, root, demand, deadline))
    outs = pool.map(jobs)
    confirmed = dict(zip(front, outs[:len(front)], strict=True))
    own_eval = outs[-1] if own_plan is not None else confirmed[own_key]
    pts = []
    for k in front:
        out = confirmed[k]
        breached = [c for c in out["checks"] if c["status"] == "breach"]
        pts.append(Point(designs[k], out["objectives"], out["checks"], feasible=not breached,
                         floor=capacity_floor_pct(plans[k], NAME)))
    ok = [p for p in pts if p.feasible]
    if not ok:
        raise Infeasible([f"{plan.name}: every design of the screened front breaches the risk policy with "
                          f"{confirm} replications: " + "; ".join(_breach_text(c) for c in pts[0].checks
                                                                  if c["status"] == "breach")])
    final = [ok[i] for i in pareto([p.estimates for p in ok])]
    for i, p in enumerate(final, 1):
        p.id = i
    mine = Point(own if own is not None else None, own_eval["objectives"], own_eval["checks"],
                 feasible=not any(c["status"] == "breach" for c in own_eval["checks"]),
                 floor=capacity_floor_pct(plan, own_name), name=own_name)
    mine.dominated_by = [p.id for p in final if dominates(p.estimates, mine.estimates)]
    mine.equal_to = [p.id for p in final if same(p.estimates, mine.estimates)]
    return OptimizeResult(plan=plan, points=final, own=mine, meta={"plan": plan.name})


def _design_of(key: tuple) -> Design:
    family, params, windows = key
    return Design(family, params, windows)


def _why_empty(plan: Plan, seen: dict) -> list[str]:
    """Which constraints emptied the space, with how many designs each ruled out."""
    total = len(seen)
    counts: dict[str, int] = {}
    for v in seen.values():
        if "pruned" in v:
            counts["min_capacity_pct"] = counts.get("min_capacity_pct", 0) + 1
            continue
        for c in v["checks"]:
            if c["status"] == "breach":
                counts[c["limit_key"]] = counts.get(c["limit_key"], 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    all_out = [k for k, n in ranked if n == total]
    head = (f"{plan.name}: no design of the space meets the risk policy ({total} designs tried)"
            + (f"; {', '.join(all_out)} rules out every one" if all_out else ""))
    detail = ", ".join(f"{k} rules out {n}" for k, n in ranked)
    return [head + (f" ({detail})" if detail else "")]
