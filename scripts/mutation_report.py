"""Per-module mutation score from ``mutmut results --all true`` (run by ``make mutation``).

Reads the per-module results ``scripts/mutation.py`` leaves in ``build/mutation/*.results``, or,
when there are none, ``mutmut results`` of a run in the project folder itself.

A mutant is killed when a test failed (or timed out) against it; survivors (and mutants no test
reached, which count the same) are listed unless the
checked-in ``mutation-equivalent.txt`` names them (one ``mutant-name  reason`` per line) as
equivalent. Exit 1 when a module is below the goal.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

GOAL = 0.85
KILLED = {"killed", "timeout"}


def main() -> int:
    saved = sorted((Path(__file__).resolve().parents[1] / "build" / "mutation").glob("*.results"))
    if saved:
        out = "\n".join(path.read_text() for path in saved)
    else:
        out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                             text=True, check=False).stdout
    equivalent = {}
    listed = Path(__file__).resolve().parents[1] / "mutation-equivalent.txt"
    if listed.exists():
        for line in listed.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                equivalent[name] = reason.strip()
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: dict[str, list[str]] = defaultdict(list)
    for line in out.splitlines():
        match = re.match(r"\s*([\w.]+?)\.x[_\w]*__mutmut_\d+: (.+)$", line) or re.match(r"\s*(\S+): (.+)$", line)
        if not match:
            continue
        name = line.strip().split(":")[0]
        module = name.split(".x")[0] if ".x" in name else match.group(1)
        status = match.group(2).strip()
        if name in equivalent:
            status = "equivalent"
        tally[module][status] += 1
        if status in ("survived", "no tests"):  # no test reached it: as good as survived
            survivors[module].append(name)
    ok = True
    print(f"{'module':40s} {'mutants':>8s} {'killed':>7s} {'equiv.':>7s} {'score':>7s}")
    for module, counts in sorted(tally.items()):
        total = sum(counts.values()) - counts.get("skipped", 0) - counts.get("not checked", 0)
        killed = sum(v for k, v in counts.items() if k in KILLED)
        equiv = counts.get("equivalent", 0)
        score = (killed + equiv) / total if total else 1.0
        ok &= score >= GOAL
        print(f"{module:40s} {total:8d} {killed:7d} {equiv:7d} {score:7.1%}")
    for module, names in sorted(survivors.items()):
        print(f"survivors in {module}: {', '.join(names[:20])}" + (" ..." if len(names) > 20 else ""))
    print(f"goal {GOAL:.0%} per module: " + ("met" if ok else "NOT MET"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
