"""logs-diff accuracy on labelled logs: recall of the templates that truly appear only after the cut,
and the share of reported new templates that are spurious, per header format; ours against drain3
on raw lines (header included, drain3's own masking only).

    .venv/bin/python benchmarks/bench_logs.py [--pairs 5]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from logs_generator import FORMATS, write_pair  # noqa: E402
from upgradesim.judge import logs_diff  # noqa: E402

_KW = re.compile(r"kw\d+")


def raw_drain(before: Path, after: Path) -> list[str]:
    """The naive method: drain3 over whole lines, new = clusters no before-line joined."""
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    seen = set()
    for line in before.read_text().splitlines():
        seen.add(miner.add_log_message(line)["cluster_id"])
    new = {}
    for line in after.read_text().splitlines():
        cid = miner.add_log_message(line)["cluster_id"]
        if cid not in seen:
            new[cid] = line
    return list(new.values())


def score(reported: list[str], truth: set) -> tuple[int, int, int]:
    """(true new found, reported, spurious reported)."""
    found, spurious = set(), 0
    for text in reported:
        words = set(_KW.findall(text))
        hit = words & truth
        found |= hit
        spurious += not hit
    return len(found), len(reported), spurious


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'format':10s} {'recall ours':>12s} {'spurious ours':>14s} {'recall raw':>11s} {'spurious raw':>13s}")
    ok = True
    totals = [0, 0, 0, 0, 0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            agg = [0, 0, 0, 0, 0, 0, 0]
            for seed in range(args.pairs):
                truth, _ = write_pair(tmp, fmt, seed)
                before, after = Path(tmp, "before.log"), Path(tmp, "after.log")
                diff = logs_diff(before, after)
                new = diff.patterns[diff.patterns.status == "new"]
                ours = [" ".join([t] + list(e)) for t, e in zip(new.template, new.examples, strict=True)]
                f1, r1, s1 = score(ours, truth)
                f2, r2, s2 = score(raw_drain(before, after), truth)
                for k, v in enumerate((len(truth), f1, r1, s1, f2, r2, s2)):
                    agg[k] += v
            totals = [a + b for a, b in zip(totals, agg, strict=True)]
            rec1, sp1 = agg[1] / agg[0], agg[3] / max(agg[2], 1)
            rec2, sp2 = agg[4] / agg[0], agg[6] / max(agg[5], 1)
            ok &= rec1 >= 0.9 and sp1 <= 0.1
            print(f"{fmt:10s} {rec1:12.0%} {sp1:14.0%} {rec2:11.0%} {sp2:13.0%}")
    print(f"{'all':10s} {totals[1] / totals[0]:12.0%} {totals[3] / max(totals[2], 1):14.0%} "
          f"{totals[4] / totals[0]:11.0%} {totals[6] / max(totals[5], 1):13.0%}")
    print("targets met (recall >= 90%, spurious <= 10% per format)" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
