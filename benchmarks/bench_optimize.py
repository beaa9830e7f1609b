"""optimize on the sample estate: wall time, designs tried, and the quality of the front against
the naive method (uniform random sampling of the same space with the same number of designs).

Quality is the hypervolume of the confirmed front, in the five objectives scaled to [0, 1] by the
ranges seen across all runs (larger is better), estimated by Monte Carlo with 200,000 points on a
fixed seed; and how many front points are as good as the plan's own strategy.

    .venv/bin/python benchmarks/bench_optimize.py [--seeds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_results  # noqa: E402
from upgradesim import api  # noqa: E402
from upgradesim.optimize import optimize  # noqa: E402
from upgradesim.optimize.front import OBJECTIVES  # noqa: E402
from upgradesim.sample.estate import sample_plan_path  # noqa: E402


def _signed(result):
    """Front points as a "smaller is better" array."""
    return np.array([[(-p.estimates[k] if d == "max" else p.estimates[k]) for k, d in OBJECTIVES.items()]
                     for p in result.points])


def hypervolume(points: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: int = 200_000) -> float:
    """Share of the box [lo, hi] dominated by ``points`` (Monte Carlo, fixed seed)."""
    rng = np.random.default_rng(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = (points - lo) / span
    samples = rng.random((n, points.shape[1]))
    covered = np.zeros(n, dtype=bool)
    for p in scaled:
        covered |= np.all(samples >= p, axis=1)
    return float(covered.mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    plan = api.load(sample_plan_path())
    runs = {"tpe": [], "random": []}
    for seed in range(args.seeds):
        for sampler in ("tpe", "random"):  # interleaved: the VM's drift hits both alike
            t0 = time.monotonic()
            result = optimize(plan, seed=seed, workers=args.workers, progress=False, sampler=sampler)
            runs[sampler].append({"seconds": time.monotonic() - t0, "result": result})
    every = np.vstack([_signed(r["result"]) for rs in runs.values() for r in rs])
    lo, hi = every.min(axis=0), every.max(axis=0) * 1.0001 + 1e-9
    out = {"plan": "sample", "budget": plan.optimize.budget, "workers": args.workers, "seeds": args.seeds,
           "screen": plan.optimize.replications.screen, "confirm": plan.optimize.replications.confirm}
    for sampler, rs in runs.items():
        out[sampler] = {
            "seconds_median": round(statistics.median(r["seconds"] for r in rs), 1),
            "seconds_max": round(max(r["seconds"] for r in rs), 1),
            "designs_tried_median": statistics.median(r["result"].meta["designs_tried"] for r in rs),
            "front_points_median": statistics.median(len(r["result"].points) for r in rs),
            "as_good_as_plan_median": statistics.median(len(r["result"].as_good()) for r in rs),
            "plan_dominated": sum(bool(r["result"].own.dominated_by) for r in rs),
            "hypervolume": [round(hypervolume(_signed(r["result"]), lo, hi), 4) for r in rs],
        }
        out[sampler]["hypervolume_median"] = statistics.median(out[sampler]["hypervolume"])
    out["hypervolume_ratio_tpe_vs_random"] = round(out["tpe"]["hypervolume_median"]
                                                   / max(out["random"]["hypervolume_median"], 1e-12), 3)
    write_results("optimize", out)


if __name__ == "__main__":
    main()
