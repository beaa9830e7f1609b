"""Every figure of a replication record, and so every summary figure, recomputed from the event log
alone, for every strategy: a summary can never disagree with the trace it came from."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
import yaml

from upgradesim import load_plan, parse_plan, sample_plan_path
from upgradesim.sim import prepare, run_replication
from upgradesim.sim.runner import summarize

STRATEGIES = ["big-bang", "rolling-4", "rolling-25pct", "waves-by-region", "canary-then-rolling", "blue-green",
              "parallel-run"]


def _pairs(detail: str) -> dict[str, float]:
    return {k: float(v) for k, v in (item.split("=") for item in detail.split())}


def _union(intervals: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def derive(prep, events: list[tuple]) -> dict:
    """The record's figures from the trace: node outcomes, times, capacity integrals, stacks."""
    end = max(at for _, _, at, *_ in events)
    # capacity: piecewise-constant state per region between its capacity events
    states: dict[str, list[tuple[float, dict]]] = {}
    for _node, event, at, region, detail in events:
        if event == "capacity":
            states.setdefault(region, []).append((at, _pairs(detail)))
    breach = unserved = errors = region_down = 0.0
    down: list[tuple[float, float]] = []
    for region, seq in states.items():
        cum, per_min = prep.cum_demand[region], prep.demand_per_min[region]
        for (t0, st), (t1, _) in zip(seq, [*seq[1:], (end, None)], strict=True):
            if t1 <= t0:
                continue
            demand = prep.integrate(cum, per_min, t0, t1)
            if st["down"]:
                region_down += t1 - t0
                down.append((t0, t1))
                unserved += demand
                continue
            curve = prep.curve(region, int(st["servers"]), st["other"])
            breach += prep.integrate(curve.breach_min, curve.breach_rate, t0, t1)
            unserved += prep.integrate(curve.unserved, curve.unserved_rate, t0, t1)
            errors += st["err"] * demand
    # node outcomes, replaying each node's events (a new stack's nodes change over with their region)
    touched: set[str] = set()
    upgraded: set[str] = set()
    reverted: set[str] = set()
    failed: set[str] = set()
    built: dict[str, set[str]] = {}
    for node, event, _, region, _ in events:
        if event in ("upgrade_start", "build_start"):
            touched.add(node)
            failed.discard(node)
            if event == "build_start":
                built.setdefault(region, set()).add(node)
        elif event == "upgrade_done":
            upgraded.add(node)
        elif event in ("node_rolled_back", "build_failed"):
            failed.add(node)
        elif event == "reverted":
            upgraded.discard(node)
            reverted.add(node)
        elif event == "cutover_done":
            upgraded |= built.get(node, set()) - failed
        elif event == "switch_back":
            back = upgraded & built.get(node, set())
            upgraded -= back
            reverted |= back
    triggered = [d for _, e, _, _, d in events if e == "rollback_triggered"]
    if triggered and built:  # a built but never used new stack is discarded
        reverted |= {k for k in touched if k not in failed and k not in upgraded and any(k in b for b in built.values())}
    outcome = Counter("rolled_back" if k in reverted and k not in upgraded else "upgraded" if k in upgraded
                      else "failed" if k in failed else "other" for k in touched)
    n = prep.n
    n_upgraded = outcome["upgraded"]
    starts = [at for _, e, at, *_ in events if e in ("upgrade_start", "build_start")]
    complete = [float(d) for _, e, _, _, d in events if e == "rollout_complete"]
    started = min(starts) if starts else end
    finished = complete[0] if complete else end
    overruns = [float(d) for _, e, _, _, d in events if e == "window_overrun"]
    stacks = [_pairs(d) for _, e, at, _, d in events if e == "second_stack"]
    stack_ends = [at for _, e, at, *_ in events if e == "second_stack"]
    defect = any(e == "defect_present" for _, e, *_ in events)
    # cost: second-stack node-minutes by tier, and each revert's minutes (revert_start -> reverted)
    tier_of = {node: node.split("/")[1] for node, *_ in events if node.count("/") == 2}
    extra_by_tier: dict[str, float] = {}
    for s_, t in zip(stacks, stack_ends, strict=True):
        for tier, count in s_.items():
            if tier not in ("nodes", "since"):
                extra_by_tier[tier] = extra_by_tier.get(tier, 0.0) + count * (t - s_["since"])
    began: dict[str, float] = {}
    revert_by_tier: dict[str, float] = {}
    for node, event, at, *_ in events:
        if event == "revert_start":
            began[node] = at
        elif event == "reverted":
            revert_by_tier[tier_of[node]] = revert_by_tier.get(tier_of[node], 0.0) + at - began.pop(node)
    prices = prep.plan.cost.price_per_node_hour
    node_hours = (sum(extra_by_tier.values()) + sum(revert_by_tier.values())) / 60.0
    money = (sum(prices.get(t, 0.0) * m for t, m in extra_by_tier.items())
             + sum(prices.get(t, 0.0) * m for t, m in revert_by_tier.items())) / 60.0
    return {
        "started_at_min": started,
        "finished_at_min": finished,
        "duration_min": max(finished - started, 0.0),
        "downtime_min": _union(down),
        "region_downtime_min": region_down,
        "sla_breach_min": breach,
        "unserved_requests": unserved,
        "error_requests": errors,
        "nodes_failed": sum(1 for _, e, *_ in events if e in ("upgrade_failed", "build_failed")),
        "rolled_back": bool(triggered),
        "rollback_reason": triggered[0] if triggered else "",
        "window_overruns": len(overruns),
        "overrun_min": sum(overruns),
        "extra_node_hours": sum(s["nodes"] * (t - s["since"]) for s, t in zip(stacks, stack_ends, strict=True)) / 60.0,
        "defect": defect,
        "defect_shipped": defect and not triggered and n_upgraded > 0,
        "horizon_exceeded": any(e == "horizon_reached" for _, e, *_ in events),
        "completed": n_upgraded == n and not triggered,
        "completed_fraction": n_upgraded / n,
        "nodes_upgraded": n_upgraded,
        "nodes_final_failed": outcome["failed"],
        "nodes_rolled_back": outcome["rolled_back"],
        "nodes_not_started": n - n_upgraded - outcome["failed"] - outcome["rolled_back"],
        "rollback_node_hours": sum(revert_by_tier.values()) / 60.0,
        "cost_node_hours": node_hours,
        "cost": money if prices else node_hours,
    }


EXACT = ("rolled_back", "rollback_reason", "window_overruns", "defect", "defect_shipped", "horizon_exceeded",
         "completed", "nodes_failed", "nodes_upgraded", "nodes_final_failed", "nodes_rolled_back", "nodes_not_started")


def _stressed():
    """The sample with frequent defects and a horizon that cuts some rollouts short."""
    data = yaml.safe_load(sample_plan_path().read_text())
    data["release"]["defect_prob"] = 0.7
    data["calendar"]["horizon_days"] = 12
    data["cost"] = {"currency": "USD", "price_per_node_hour": {"app": 0.5, "db": 2.0}}  # lb unpriced
    return parse_plan(yaml.safe_dump(data), source="stressed")


@pytest.mark.parametrize("variant", ["sample", "stressed"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_figure_of_every_record_is_recomputed_from_its_trace(strategy, variant):
    plan = load_plan(sample_plan_path()) if variant == "sample" else _stressed()
    prep = prepare(plan)
    records, derived = [], []
    for seed in range(10):
        record, events = run_replication(prep, strategy, 11, seed, keep_events=True)
        got = derive(prep, events)
        for field in EXACT:
            assert record[field] == got[field], (strategy, seed, field, record[field], got[field])
        for field in ("started_at_min", "finished_at_min", "duration_min", "downtime_min", "region_downtime_min",
                      "sla_breach_min", "unserved_requests", "error_requests", "overrun_min", "extra_node_hours",
                      "completed_fraction", "rollback_node_hours", "cost_node_hours", "cost"):
            assert record[field] == pytest.approx(got[field], rel=1e-9, abs=1e-6), (strategy, seed, field)
        records.append(record)
        derived.append({**record, **got})
    assert any(r["rolled_back"] for r in records) and any(r["downtime_min"] > 0 for r in records)
    ours = summarize(pd.DataFrame(records)).set_index("figure")["estimate"]
    theirs = summarize(pd.DataFrame(derived)).set_index("figure")["estimate"]
    pd.testing.assert_series_equal(ours, theirs, rtol=1e-9)
