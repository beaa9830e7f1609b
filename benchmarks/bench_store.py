"""Telemetry benchmark (issue 4). Run: ``.venv/bin/python benchmarks/bench_store.py [--rows-scale 1.0]``.

Generates about 20 million telemetry rows (one week x 200 services x 10 metrics at one-minute
resolution, Parquet), then reports medians of repeated runs of:

- ingest throughput into the store (rows/s);
- the hour-of-week baseline (n, mean, std, p50, p95, p99 per service, metric, hour of week):
  (ours) ``Store.compute_baselines`` on the store, (a) pandas over the same Parquet,
  (b) one hand-written DuckDB query over the same Parquet; time ratios and peak memory (max RSS
  of a fresh process each);
- a judge over all services (5 days of baseline against 2 days of candidate).
Writes build/bench/store.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path("build/bench")


def generate(folder: Path, services: int, metrics: int, days: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    if (folder.parent / (folder.name + ".rows")).exists():
        return int((folder.parent / (folder.name + ".rows")).read_text())
    rng = np.random.default_rng(0)
    minutes = days * 1440
    ts = np.datetime64("2026-11-02T00:00", "m") + np.arange(minutes)
    hour = (np.arange(minutes) // 60) % 24
    daily = 1 + 0.5 * np.sin((hour - 6) / 24 * 2 * np.pi)
    rows = 0
    for s in range(services):  # one file per 20 services
        if s % 20 == 0:
            writer = pq.ParquetWriter(folder / f"part-{s // 20:03d}.parquet", pa.schema([
                ("ts", pa.timestamp("us", tz="UTC")), ("service", pa.string()), ("metric", pa.string()),
                ("value", pa.float64()), ("region", pa.string()), ("host", pa.string())]))
        for m in range(metrics):
            values = (50 + 10 * m) * daily * rng.lognormal(0, 0.05, minutes)
            table = pa.table({"ts": pa.array(ts.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
                              "service": pa.array([f"svc-{s:03d}"] * minutes), "metric": pa.array([f"m{m}"] * minutes),
                              "value": values, "region": pa.array(["eu"] * minutes), "host": pa.array([f"h{s}"] * minutes)})
            writer.write_table(table)
            rows += minutes
        if s % 20 == 19 or s == services - 1:
            writer.close()
    (folder.parent / (folder.name + ".rows")).write_text(str(rows))
    return rows


CHILD = textwrap.dedent('''
    import json, resource, sys, time
    kind, data, db = sys.argv[1], sys.argv[2], sys.argv[3]
    import glob, datetime as dt
    if kind in ("ingest", "ours", "judge"):
        from upgradesim.store import Store
        from upgradesim.judge import judge
    elif kind == "duckdb":
        import duckdb
    elif kind == "pandas":
        import pandas as pd

    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    imported = rss_mb()
    t = time.perf_counter()  # imports are not timed: each side pays its own once per process
    if kind == "ingest":
        with Store(db) as s:
            rows = s.ingest(sorted(glob.glob(data + "/*.parquet"))).rows
    elif kind == "ours":
        with Store(db) as s:
            rows = len(s.compute_baselines())
    elif kind == "duckdb":
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        rows = len(con.execute(f"""
            SELECT service, metric, (isodow(ts) - 1) * 24 + hour(ts) AS how, count(*), avg(value), stddev_samp(value),
                   quantile_cont(value, 0.5), quantile_cont(value, 0.95), quantile_cont(value, 0.99)
            FROM read_parquet('{data}/*.parquet') GROUP BY ALL""").fetchall())
    elif kind == "pandas":
        df = pd.concat([pd.read_parquet(p) for p in sorted(glob.glob(data + "/*.parquet"))])
        df["how"] = df.ts.dt.day_of_week * 24 + df.ts.dt.hour
        g = df.groupby(["service", "metric", "how"])["value"]
        out = g.agg(["count", "mean", "std"])
        q = g.quantile([0.5, 0.95, 0.99]).unstack()
        rows = len(out.join(q))
    elif kind == "judge":
        cut = dt.datetime(2026, 11, 7, tzinfo=dt.UTC)
        with Store(db) as s:
            v = judge(s, baseline=(None, cut), candidate=(cut, None), save=False)
        rows = len(v.metrics)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak, "after_imports_mb": imported,
                      "work_mb": peak - imported}))
''')


def run_child(script: str, *args) -> dict:
    """Run ``script`` in a fresh Python process (its own peak memory) and read its last JSON line."""
    out = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(kind: str, data: Path, db: Path) -> dict:
    return run_child(CHILD, kind, data, db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = OUT / f"telemetry-{args.services}x{args.metrics}x{args.days}"
    rows = generate(data, args.services, args.metrics, args.days)
    db = OUT / f"store-{args.services}x{args.metrics}x{args.days}.duckdb"
    if db.exists():
        db.unlink()
    ingest = child("ingest", data, db)
    results = {"rows": rows, "ingest": ingest | {"rows_per_s": rows / ingest["seconds"]}}
    for kind in ("ours", "duckdb", "pandas"):
        runs = [child(kind, data, db) for _ in range(args.repeats)]
        results[kind] = {"median_s": statistics.median(r["seconds"] for r in runs),
                         "peak_mb": max(r["peak_mb"] for r in runs), "work_mb": max(r["work_mb"] for r in runs),
                         "groups": runs[0]["rows"]}
    results["ratios"] = {
        "ours_over_duckdb": results["ours"]["median_s"] / results["duckdb"]["median_s"],
        "pandas_over_duckdb": results["pandas"]["median_s"] / results["duckdb"]["median_s"],
        "pandas_peak_over_duckdb_peak": results["pandas"]["peak_mb"] / results["duckdb"]["peak_mb"],
        "ours_peak_over_duckdb_peak": results["ours"]["peak_mb"] / results["duckdb"]["peak_mb"],
    }
    judged = child("judge", data, db)
    results["judge_all_services"] = judged
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "store.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
