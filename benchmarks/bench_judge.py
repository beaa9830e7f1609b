"""Judge accuracy on labelled series: recall and false-alarm rate per scenario class, ours against a
plain two-sided Mann-Whitney at alpha 0.05 on the raw points (the naive judge).

    .venv/bin/python benchmarks/bench_judge.py [--per-class 40] [--seed 0]

Targets: false alarms <= 5% on every quiet class, recall >= 90% on every regression class.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from judge_generator import CLASSES, cases  # noqa: E402
from upgradesim.judge import JudgeConfig, MetricRule, judge_frames  # noqa: E402

CONFIG = JudgeConfig(metrics=(
    MetricRule(match="errors", kind="count", denominator="requests", direction="increase", allowed_increase=1.2),
    MetricRule(match="latency*", kind="continuous", direction="increase", allowed_increase=1.1),
))


def naive(case) -> bool:
    b = case.base[case.base.metric == case.metric]["value"].to_numpy()
    c = case.cand[case.cand.metric == case.metric]["value"].to_numpy()
    return bool(stats.mannwhitneyu(c, b, alternative="two-sided").pvalue < 0.05)


def ours(case) -> tuple[bool, bool]:
    verdict = judge_frames(case.base, case.cand, CONFIG, mode="seasonal")
    row = verdict.metrics[verdict.metrics.metric == case.metric].iloc[0]
    return bool(row.fails), row["class"] == "Inconclusive"


def run(per_class: int, seed: int) -> dict:
    tally = {name: {"n": 0, "ours": 0, "naive": 0, "inconclusive": 0, "label": ""} for name in CLASSES}
    started = time.perf_counter()
    for case in cases(per_class, seed):
        t = tally[case.name]
        alarm, inconclusive = ours(case)
        t["n"] += 1
        t["label"] = case.label
        t["ours"] += alarm
        t["inconclusive"] += inconclusive
        t["naive"] += naive(case)
    return {"classes": tally, "seconds": time.perf_counter() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.per_class, args.seed)
    print(f"{'class':28s} {'label':10s} {'n':>4s} {'ours':>7s} {'naive MW':>9s} {'inconcl.':>9s}")
    ok = True
    fa, rec = [], []
    for name, t in result["classes"].items():
        ours_rate, naive_rate = t["ours"] / t["n"], t["naive"] / t["n"]
        what = "false alarms" if t["label"] == "quiet" else "recall"
        print(f"{name:28s} {what:12s} {t['n']:>2d} {ours_rate:7.1%} {naive_rate:9.1%} {t['inconclusive'] / t['n']:9.1%}")
        if t["label"] == "quiet":
            fa.append(ours_rate)
            ok &= ours_rate <= 0.05
        else:
            rec.append(ours_rate)
            ok &= ours_rate >= 0.90
    print(f"overall: false alarms {np.mean(fa):.1%} (target <= 5% per class), recall {np.mean(rec):.1%} "
          f"(target >= 90% per class); {result['seconds']:.1f} s")
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
