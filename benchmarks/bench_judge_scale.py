"""Judge and baseline at scale (issue 10): 2,000 series (200 services x 10 metrics) over 7 days of
per-minute data, ingested once (the bench_store generator), then each measured in a fresh process:

- ``judge`` over every service (5 days of baseline, 2 of candidate) with 1 and 2 workers;
- ``baseline`` with daily peaks (``compute_baselines`` + ``compute_daily_peaks``), peak memory.

    .venv/bin/python benchmarks/bench_judge_scale.py [--repeats 3]

Targets: judge <= 8 s on 2 cores; baseline with daily peaks under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_store import OUT, generate, run_child  # noqa: E402

CHILD = textwrap.dedent('''
    import json, resource, sys, time, datetime as dt
    kind, db, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from upgradesim.store import Store
    from upgradesim.judge import judge
    t = time.perf_counter()
    with Store(db) as s:
        if kind == "judge":
            cut = dt.datetime(2026, 11, 7, tzinfo=dt.UTC)
            v = judge(s, baseline=(None, cut), candidate=(cut, None), save=False, workers=workers)
            n = len(v.metrics)
            extra = {"classes": v.metrics["class"].value_counts().to_dict()}
        else:
            n = len(s.compute_baselines()) + len(s.compute_daily_peaks())
            extra = {}
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": n, "peak_mb": peak, "child_peak_mb": children} | extra))
''')


def child(kind: str, db: Path, workers: int = 1) -> dict:
    return run_child(CHILD, kind, db, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = OUT / f"telemetry-{args.services}x{args.metrics}x7"
    rows = generate(data, args.services, args.metrics, 7)
    db = OUT / f"store-{args.services}x{args.metrics}x7.duckdb"
    if not db.exists():
        from upgradesim.store import Store

        with Store(db) as store:
            store.ingest(sorted(data.glob("*.parquet")))
    results = {"rows": rows, "series": args.services * args.metrics}
    for label, kind, workers in (("judge_1_worker", "judge", 1), ("judge_2_workers", "judge", 2),
                                 ("baseline_with_daily_peaks", "baseline", 1)):
        runs = [child(kind, db, workers) for _ in range(args.repeats)]
        results[label] = {"median_s": statistics.median(r["seconds"] for r in runs),
                          "peak_mb": max(max(r["peak_mb"], r["child_peak_mb"]) for r in runs)} | \
            {k: v for k, v in runs[0].items() if k == "classes"}
    results["judge_speedup_2_workers"] = results["judge_1_worker"]["median_s"] / results["judge_2_workers"]["median_s"]
    (OUT / "judge_scale.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
