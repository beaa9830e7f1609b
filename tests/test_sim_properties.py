"""Invariants on every replication of random small plans, and monotone trends over seeds."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from upgradesim import load_plan, sample_plan_path
from upgradesim.plan import to_datetime
from upgradesim.sim import compare, prepare, run_replication

from .budget import examples
from .simplans import make_plan

STRATEGIES = [
    {"kind": "big_bang"},
    {"kind": "rolling", "batch_size": 2},
    {"kind": "rolling", "batch_pct": 50, "sequencing": "simultaneous"},
    {"kind": "phased", "wave_pct": [25, 75], "bake_h": 2, "batch_size": 2},
    {"kind": "blue_green", "cutover_min": 5, "keep_blue_h": 2},
    {"kind": "parallel_run", "run_days": 1},
]


@st.composite
def random_plans(draw):
    app = draw(st.integers(1, 8))
    db = draw(st.integers(1, 3))
    p_app = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    p_db = draw(st.sampled_from([0.0, 0.2]))
    strategy = draw(st.sampled_from(STRATEGIES))
    canary = draw(st.booleans()) and strategy["kind"] in ("rolling", "phased", "blue_green", "parallel_run")
    windowed = draw(st.booleans())
    migration = draw(st.booleans())
    defect = draw(st.sampled_from([0.0, 1.0]))
    retries = draw(st.integers(0, 2))

    def edit(data):
        data["regions"][0]["nodes"] = {"app": app, "db": db}
        data["tiers"]["app"].update(failure_prob=p_app, retries=retries,
                                    upgrade_min={"dist": "lognormal", "median": 10, "p95": 30})
        data["tiers"]["db"].update(failure_prob=p_db, upgrade_min={"dist": "triangular", "low": 5, "mode": 20, "high": 50})
        data["release"].update(defect_prob=defect, defect_manifest_h={"dist": "lognormal", "median": 1, "p95": 10})
        data["rollback"] = {"failed_nodes_per_batch": 2, "error_rate_pct": 20, "sla_breach_min": 120, "window_overrun_min": 30}
        data["strategies"] = [{"name": "s", **strategy}]
        if canary:
            data["strategies"].append({"name": "c", "kind": "canary", "fraction": 0.3, "bake_h": 1, "then": "s"})
        if windowed:
            data["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 21,
                                "windows": ["tue 01:00-03:00", "sat 00:00-06:00"],
                                "on_window_close": draw(st.sampled_from(["halt", "finish"]))}
        if migration:
            data["migration"] = {"rows": 100000, "rows_per_s": 200, "failure_prob": 0.3,
                                 "transactional": draw(st.booleans())}

    return make_plan(edit), ("c" if canary else "s")


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_plans(), st.integers(0, 2**32 - 1))
def test_replication_invariants(plan_and_strategy, seed):
    plan, strategy = plan_and_strategy
    prep = prepare(plan)
    record, events = run_replication(prep, strategy, seed, 0, keep_events=True)
    n = plan.node_count
    # every node ends in exactly one final state
    assert (record["nodes_upgraded"] + record["nodes_final_failed"] + record["nodes_rolled_back"]
            + record["nodes_not_started"]) == n
    assert 0.0 <= record["completed_fraction"] <= 1.0
    assert record["completed"] == (record["nodes_upgraded"] == n and not record["rolled_back"])
    # time and counts are consistent
    assert record["duration_min"] >= 0.0
    assert record["downtime_min"] <= record["duration_min"] + 1e-6 or record["rolled_back"]
    assert record["downtime_min"] <= record["region_downtime_min"] + 1e-6
    assert record["rolled_back"] == bool(record["rollback_reason"])
    assert record["nodes_failed"] >= record["nodes_final_failed"]
    assert min(record["unserved_requests"], record["error_requests"], record["sla_breach_min"]) >= 0.0
    times = [at for _, _, at, _, _ in events]
    assert times == sorted(times)
    if record["rolled_back"]:
        assert record["nodes_upgraded"] == 0 or plan.strategy(strategy).kind in ("blue_green", "parallel_run")
    # a node's own events alternate start -> done/failed
    for node in {e[0] for e in events if "/" in e[0]}:
        seq = [e[1] for e in events if e[0] == node and e[1] in ("upgrade_start", "upgrade_done", "upgrade_failed")]
        for a, b in zip(seq[::2], seq[1::2], strict=False):
            assert a == "upgrade_start" and b in ("upgrade_done", "upgrade_failed")


def test_batch_starts_fall_inside_local_windows_across_dst():
    """The sample crosses the 2027 DST changes of Dublin, New York and Sydney."""
    plan = load_plan(sample_plan_path())
    prep = prepare(plan)
    weekly = {r.name: plan.windows_of(r) for r in plan.regions}
    checked = 0
    for strategy in ("rolling-4", "waves-by-region"):
        for rep in range(3):
            _, events = run_replication(prep, strategy, 5, rep, keep_events=True)
            for _node, event, at, region, _ in events:
                if event != "batch_start":
                    continue
                cal = prep.calendars[region]
                assert cal.next_open(at) == (at, cal.next_open(at)[1]), f"{region} batch at {at} outside a window"
                local = to_datetime(plan, at).astimezone(plan.region(region).zone)
                in_weekly = any(_inside(local, w) for w in weekly[region])
                in_one_off = any(o.start <= local.replace(tzinfo=None) < o.end for o in plan.calendar.one_off_windows
                                 if not o.regions or region in o.regions)
                assert in_weekly or in_one_off, f"{region} batch at local {local}"
                checked += 1
    assert checked > 50


def _inside(local: dt.datetime, window) -> bool:
    minute = local.hour * 60 + local.minute
    start = window.start.hour * 60 + window.start.minute
    day = local.weekday()
    if (day in window.days) and start <= minute < start + window.length_min:
        return True
    # a window that started the day before and crosses midnight
    return ((day - 1) % 7 in window.days) and minute + 1440 < start + window.length_min


def _means(plan, strategy, seeds, reps):
    frames = [compare(plan, [strategy], replications=reps, seed=s).replications for s in seeds]
    return [f.duration_min.mean() for f in frames], [f.rolled_back.mean() for f in frames]


def test_more_parallelism_shortens_the_mean_duration():
    def edit_for(batch):
        def edit(data):
            data["regions"][0]["nodes"] = {"app": 12, "db": 1}
            data["tiers"]["app"].update(upgrade_min={"dist": "lognormal", "median": 10, "p95": 30}, failure_prob=0.05,
                                        retries=1)
            data["rollback"]["failed_nodes_per_batch"] = None
            data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": batch}]
        return make_plan(edit)

    durations = [np.mean(_means(edit_for(b), "s", seeds=range(4), reps=40)[0]) for b in (1, 2, 4, 12)]
    assert durations == sorted(durations, reverse=True), durations


def test_higher_failure_rate_raises_p_rollback():
    def edit_for(p):
        def edit(data):
            data["regions"][0]["nodes"] = {"app": 8, "db": 1}
            data["tiers"]["app"]["failure_prob"] = p
            data["rollback"]["failed_nodes_per_batch"] = 1
            data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 2}]
        return make_plan(edit)

    p_rollback = [np.mean(_means(edit_for(p), "s", seeds=range(4), reps=50)[1]) for p in (0.0, 0.02, 0.1, 0.3)]
    assert p_rollback[0] == 0.0
    assert p_rollback == sorted(p_rollback) and p_rollback[-1] > p_rollback[1], p_rollback


# ------------------------------------------------------------------ metamorphic properties
# Common random numbers make paired comparisons sharp: the same seeds drive both plans, so a
# change in the plan, not sampling noise, moves the figure. Each property allows a small
# tolerance for paths that diverge after the change.

@st.composite
def rollout_plans(draw):
    app = draw(st.integers(2, 8))
    batch = draw(st.integers(1, 4))
    p_app = draw(st.sampled_from([0.0, 0.05, 0.2]))
    hours = draw(st.sampled_from([2, 4, 8]))
    return app, batch, p_app, hours


def _plan(app, batch, p_app, hours, *, rollback=None, window_h=None, rollback_min=7):
    def edit(data):
        data["regions"][0]["nodes"] = {"app": app, "db": 1}
        data["regions"][0]["traffic"] = {"hourly_rps": [200] * 24}
        data["tiers"]["app"].update(failure_prob=p_app, upgrade_min={"dist": "lognormal", "median": 10, "p95": 30},
                                    capacity_rps=100, rollback_min=rollback_min)
        data["rollback"] = rollback if rollback is not None else {"failed_nodes_per_batch": 1}
        data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": batch}]
        data["calendar"] = {"start": "2027-03-01T00:00:00Z", "horizon_days": 28,
                            "windows": [f"mon-fri 01:00-{1 + (window_h or hours):02d}:00"], "on_window_close": "halt"}
    return make_plan(edit)


def _frame(plan, reps=30):
    return compare(plan, ["s"], replications=reps, seed=11).replications


PROPS = settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(rollout_plans())
def test_raising_the_failure_probability_never_lowers_the_rollback_probability(params):
    app, batch, p_app, hours = params
    low = _frame(_plan(app, batch, p_app, hours)).rolled_back.mean()
    high = _frame(_plan(app, batch, min(p_app * 2 + 0.1, 1.0), hours)).rolled_back.mean()
    assert high >= low - 0.05, (low, high)


@PROPS
@given(rollout_plans())
def test_a_longer_window_never_lengthens_the_expected_finish(params):
    app, batch, p_app, hours = params
    short = _frame(_plan(app, batch, p_app, hours, rollback={}))
    long = _frame(_plan(app, batch, p_app, hours, rollback={}, window_h=hours + 4))
    assert long.finished_at_min.mean() <= short.finished_at_min.mean() * 1.02 + 1.0


@PROPS
@given(rollout_plans())
def test_adding_a_trigger_never_increases_breach_minutes(params):
    """Holds when reverting costs no capacity. When it does, a rollback can cost more breach than
    finishing would (every reverted node leaves service again): the model shows it, on purpose."""
    app, batch, p_app, hours = params
    without = _frame(_plan(app, batch, p_app, hours, rollback={}, rollback_min=0.01))
    with_trigger = _frame(_plan(app, batch, p_app, hours, rollback={"sla_breach_min": 20}, rollback_min=0.01))
    assert with_trigger.sla_breach_min.mean() <= without.sla_breach_min.mean() * 1.02 + 1.0
