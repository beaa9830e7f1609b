"""Readiness benchmark (issue 5): an estate of 5,000 components and 20,000 dependency edges.

Run: ``.venv/bin/python benchmarks/bench_readiness.py``. Reports the median of 3 assessments (plan
validation timed apart) and writes build/bench/readiness.json.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from pathlib import Path

import numpy as np
import yaml

from upgradesim import assess, parse_plan, sample_plan_path

PRODUCTS = [("postgresql", ["12.17", "14.9", "16.4", "17.2"]), ("tomcat", ["9.0.85", "10.1.28", "11.0.1"]),
            ("eclipse-temurin", ["11.0.21+9", "17.0.12+7", "21.0.4+7"]), ("redis", ["6.2.14", "7.2.5"]),
            ("nginx", ["1.24.0", "1.26.3"]), ("rabbitmq", ["3.11.28", "3.13.7"]), ("in-house", ["4.2", "5.0"])]


def big_plan(components: int = 5000, edges: int = 20000, seed: int = 1):
    rng = np.random.default_rng(seed)
    data = yaml.safe_load(sample_plan_path().read_text())
    tiers = ["db", "middleware", "app", "lb"]
    comps = []
    for i in range(components):
        product, versions = PRODUCTS[i % len(PRODUCTS)]
        comps.append({"name": f"c{i:05d}", "tier": tiers[i % 4], "product": product,
                      "version": versions[int(rng.integers(len(versions)))], "depends_on": []})
    # edges only from higher to lower index: a DAG, as validation requires
    added = 0
    while added < edges:
        a, b = sorted(rng.integers(0, components, 2))
        if a == b or f"c{a:05d}" in comps[b]["depends_on"]:
            continue
        comps[b]["depends_on"].append(f"c{a:05d}" + (" >=1" if added % 3 == 0 else ""))
        added += 1
    data["components"] = comps
    data["workflows"] = [{"name": f"wf{i}", "criticality": "high", "components": [f"c{j:05d}" for j in
                          rng.integers(0, components, 8)]} for i in range(50)]
    data["release"]["requires"] = ["postgresql >=13", "tomcat >=10.1", "eclipse-temurin >=17"]
    return yaml.safe_dump(data, sort_keys=False)


def main() -> None:
    text = big_plan()
    t = time.perf_counter()
    plan = parse_plan(text, source="big.yaml")
    validate_s = time.perf_counter() - t
    times = []
    for _ in range(3):
        t = time.perf_counter()
        result = assess(plan, as_of=dt.date(2026, 11, 30))
        times.append(time.perf_counter() - t)
    out = {"components": len(plan.components), "edges": sum(len(c.depends_on) for c in plan.components),
           "validate_s": validate_s, "assess_median_s": statistics.median(times), "findings": len(result.findings),
           "counts": result.counts()}
    Path("build/bench").mkdir(parents=True, exist_ok=True)
    Path("build/bench/readiness.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
