"""Simulation benchmark (issue 3). Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_sim.py``.

Reports medians over repeats:
1. replications/s on one core for each strategy of the sample estate;
2. our full model against a bare SimPy rolling model of the same 500-node fleet (batches of 25,
   weekly windows, failures, rollback), written here: the ratio is bare / ours;
3. parallel efficiency with 2 processes and with a local Dask cluster (2 worker processes);
4. peak memory (max RSS of a fresh process) for 10,000 replications, and for a 10,000-node fleet;
5. wall time of a full ``compare`` of all sample strategies at 1,000 replications on 2 workers.
Writes the figures as JSON to build/bench/sim.json.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import simpy
import yaml

from results import write_results
from upgradesim import compare, load_plan, parse_plan, sample_plan_path
from upgradesim.sim import prepare, run_replication


def median_rate(fn, count: int, repeats: int) -> float:
    """Median rate over repeats, in CPU time of this process: a shared VM's stolen time (which
    swings wall-clock rates by 2x here) is not counted against either side of a comparison."""
    rates = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        rates.append(count / (time.process_time() - t))
    return statistics.median(rates)


# ----------------------------------------------------------------------------- the baseline

WEEK = 7 * 1440.0
WINDOWS = [(d * 1440 + 60.0, d * 1440 + 300.0) for d in (5, 6)]  # sat and sun 01:00-05:00


def next_window(t: float) -> tuple[float, float]:
    week = math.floor(t / WEEK)
    while True:
        for s, e in WINDOWS:
            s, e = s + week * WEEK, e + week * WEEK
            if e > t:
                return max(s, t), e
        week += 1


def bare_rolling(seed: int, n: int = 500, batch: int = 25) -> dict:
    """A plain SimPy rolling upgrade: windows, failures with detection and rollback, a trigger."""
    rng = np.random.default_rng(seed)
    sigma = (math.log(40) - math.log(18)) / 1.6448536269514722
    dur = rng.lognormal(math.log(18), sigma, n)
    fail = rng.random(n) < 0.03
    detect = rng.triangular(2, 5, 15, n)
    back = rng.triangular(5, 8, 15, n)
    env = simpy.Environment()
    upgraded = []

    def node(k):
        yield env.timeout(dur[k])
        if fail[k]:
            yield env.timeout(detect[k] + back[k])
            return False
        upgraded.append(k)
        return True

    def revert(k):
        yield env.timeout(back[k])

    def main():
        for b in range(0, n, batch):
            start, end = next_window(env.now)
            if start + 40 > end:
                yield env.timeout(end - env.now)
                start, end = next_window(env.now)
            if start > env.now:
                yield env.timeout(start - env.now)
            results = yield simpy.AllOf(env, [env.process(node(k)) for k in range(b, min(b + batch, n))])
            if sum(1 for v in results.values() if not v) >= 2:
                for i in range(0, len(upgraded), batch):
                    yield simpy.AllOf(env, [env.process(revert(k)) for k in upgraded[i:i + batch]])
                return "failed_nodes"
        return ""

    proc = env.process(main())
    env.run(until=proc)
    return {"duration_min": env.now, "rolled_back": bool(proc.value)}


def fleet_plan(n: int = 500, batch: int = 25):
    """Our plan for the same fleet: one region, one tier, the same distributions and policy."""
    data = {
        "name": "bench-500",
        "release": {"product": "shop", "source_version": "1", "target_version": "2"},
        "components": [{"name": "app", "tier": "app", "product": "shop", "version": "1"}],
        "regions": [{"name": "r", "tz": "UTC", "nodes": {"app": n}, "traffic": {"hourly_rps": [2000.0] * 24}}],
        "calendar": {"start": "2027-03-01T00:00:00Z", "horizon_days": 120,
                     "windows": ["sat 01:00-05:00", "sun 01:00-05:00"]},
        "tiers": {"app": {"capacity_rps": 100, "upgrade_min": {"dist": "lognormal", "median": 18, "p95": 40},
                          "failure_prob": 0.03, "detect_min": {"dist": "triangular", "low": 2, "mode": 5, "high": 15},
                          "rollback_min": {"dist": "triangular", "low": 5, "mode": 8, "high": 15}}},
        "strategies": [{"name": "rolling", "kind": "rolling", "batch_size": batch}],
        "rollback": {"failed_nodes_per_batch": 2, "error_rate_pct": None, "sla_breach_min": None,
                     "window_overrun_min": None},
        "service": {"p95_latency_ms": 250, "service_time_ms": 50},
    }
    return parse_plan(yaml.safe_dump(data), source="bench-500")


# ----------------------------------------------------------------------------- measurements


def per_strategy(plan, reps: int, repeats: int) -> dict[str, float]:
    prep = prepare(plan)
    out = {}
    for s in plan.strategies:
        out[s.name] = median_rate(lambda s=s: [run_replication(prep, s.name, 1, i) for i in range(reps)], reps, repeats)
    return out


def against_bare(reps: int, repeats: int) -> dict[str, float]:
    """Paired, interleaved repeats (ours, then bare, then ours...): the drift of a shared machine
    hits both alike; the ratio is the median of the per-pair ratios."""
    plan = fleet_plan()
    prep = prepare(plan)
    ours_rates, bare_rates = [], []
    for r in range(repeats):  # each pair on its own block of seeds, the same for both
        seeds = range(r * reps, (r + 1) * reps)
        ours_rates.append(median_rate(lambda s=seeds: [run_replication(prep, "rolling", 1, i) for i in s], reps, 1))
        bare_rates.append(median_rate(lambda s=seeds: [bare_rolling(i) for i in s], reps, 1))
    ratios = [o / b for o, b in zip(ours_rates, bare_rates, strict=True)]
    ours_mean = np.mean([run_replication(prep, "rolling", 1, i)[0]["finished_at_min"] for i in range(50)])
    bare_mean = np.mean([bare_rolling(i)["duration_min"] for i in range(50)])
    return {"ours_reps_per_s": statistics.median(ours_rates), "bare_reps_per_s": statistics.median(bare_rates),
            "ours_over_bare": statistics.median(ratios), "bare_over_ours": 1 / statistics.median(ratios),
            # both from t=0: the same fleet, windows and policy give the same mean finish
            "ours_mean_finish_min": float(ours_mean), "bare_mean_finish_min": float(bare_mean)}


def parallel(plan, reps: int, repeats: int) -> dict[str, float]:
    names = ["rolling-25pct", "canary-then-rolling"]
    # interleaved, so that the drift of a shared machine hits both alike; medians of each
    one, two = [], []
    for _ in range(repeats):
        one.append(_wall(lambda: compare(plan, names, replications=reps, seed=1, workers=1)))
        two.append(_wall(lambda: compare(plan, names, replications=reps, seed=1, workers=2)))
    t1, t2 = statistics.median(one), statistics.median(two)
    import dask
    from distributed import LocalCluster

    # the workers' statistical profiler samples every thread's stack every 10 ms: with SimPy's deep
    # generator stacks that costs a tenth of a core; a cluster for upgradesim turns it off
    with dask.config.set({"distributed.worker.profile.enabled": False}), LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        compare(plan, names, replications=20, seed=1, scheduler=cluster.scheduler_address)  # warm the workers
        td = statistics.median(_wall(lambda: compare(plan, names, replications=reps, seed=1,
                                                      scheduler=cluster.scheduler_address)) for _ in range(repeats))
    return {"one_worker_s": t1, "two_workers_s": t2, "efficiency_2_processes": t1 / (2 * t2),
            "dask_2_workers_s": td, "efficiency_dask_2_workers": t1 / (2 * td)}


def _wall(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def peak_memory(reps: int) -> dict[str, float]:
    code = textwrap.dedent(f"""
        import resource, sys
        from upgradesim import load_plan, sample_plan_path, simulate
        plan = load_plan(sample_plan_path())
        if sys.argv[1] == "run":
            simulate(plan, "canary-then-rolling", replications={reps}, seed=1, workers=1, progress=False)
        else:
            simulate(plan, "canary-then-rolling", replications=2, seed=1, workers=1, progress=False)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    """)
    base = float(subprocess.run([sys.executable, "-c", code, "base"], capture_output=True, text=True, check=True).stdout)
    full = float(subprocess.run([sys.executable, "-c", code, "run"], capture_output=True, text=True, check=True).stdout)
    return {"replications": reps, "peak_rss_mb": full, "rss_after_2_replications_mb": base}


def large_fleet_memory(nodes: int, reps: int) -> dict[str, float]:
    """Peak RSS of one worker replicating a ``nodes``-node fleet (target: within 1 GB)."""
    code = textwrap.dedent(f"""
        import resource, sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from bench_sim import fleet_plan
        from upgradesim import simulate
        plan = fleet_plan({nodes}, batch={max(nodes // 20, 1)})
        t = time.perf_counter()
        simulate(plan, "rolling", replications={reps}, seed=1, workers=1, progress=False)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t)
    """)
    rss, wall = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return {"nodes": nodes, "replications": reps, "peak_rss_mb": float(rss), "wall_s": float(wall)}


def full_compare(plan, reps: int) -> dict[str, float]:
    t = _wall(lambda: compare(plan, replications=reps, seed=7, workers=2))
    return {"strategies": len(plan.strategies), "replications": reps, "wall_s": t}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and replications")
    args = parser.parse_args()
    reps, repeats = (30, 1) if args.quick else (200, 7)
    plan = load_plan(sample_plan_path())
    results = {
        "per_strategy_reps_per_s_one_core": per_strategy(plan, reps, repeats),
        "against_bare_simpy_500_nodes": against_bare(max(reps // 2, 20), max(repeats, 7)),
        "parallel": parallel(plan, 100 if args.quick else 1000, max(repeats, 7)),
        "peak_memory": peak_memory(1000 if args.quick else 10_000),
        "fleet_10000_nodes": large_fleet_memory(10_000, 20 if args.quick else 200),
        "full_compare": full_compare(plan, 100 if args.quick else 1000),
    }
    write_results("sim", results)


if __name__ == "__main__":
    main()
