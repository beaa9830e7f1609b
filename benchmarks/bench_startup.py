"""Start-up benchmark (issue 14): wall time and peak memory of ``upgradesim --help`` in a fresh
process, median of 9 runs, against the targets (0.3 s, 60 MB) and the first wave's 1.6 s / 211 MB.
Also ``python -c "import upgradesim"`` alone, the floor every command pays.

Run: ``.venv/bin/python benchmarks/bench_startup.py``; writes build/bench/startup.json.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import write_results

BEFORE = {"help_s": 1.6, "help_mb": 211.0}
TARGET = {"help_s": 0.3, "help_mb": 60.0}


def measure(cmd: list[str], runs: int = 9) -> tuple[float, float]:
    walls, peaks = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - t)
        peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)  # the largest child so far
    return statistics.median(walls), max(peaks)


def main() -> None:
    exe = str(Path(sys.executable).with_name("upgradesim"))
    help_s, help_mb = measure([exe, "--help"])
    import_s, _ = measure([sys.executable, "-c", "import upgradesim"])
    results = {"help_median_s": help_s, "help_peak_rss_mb": help_mb, "import_median_s": import_s,
               "target": TARGET, "first_wave": BEFORE,
               "help_s_over_target": help_s / TARGET["help_s"], "help_mb_over_target": help_mb / TARGET["help_mb"],
               "speedup_vs_first_wave": BEFORE["help_s"] / help_s}
    write_results("startup", results)


if __name__ == "__main__":
    main()
