"""Regenerate (or, with --check, verify) the command outputs shown in README.md.

Each output block in the README follows a marker ``<!-- output: NAME -->`` and is the exact output
of the documented command, run here on a fresh ``upgradesim init`` folder. Usage::

    .venv/bin/python scripts/readme_outputs.py            # rewrite the blocks
    .venv/bin/python scripts/readme_outputs.py --check    # exit 1 when a block is stale
    .venv/bin/python scripts/readme_outputs.py --only bad-plan
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- output: (?P<name>[\w-]+) -->\n```text\n)(?P<body>.*?)(\n```)", re.S)

# the four mistakes of the README's bad-plan example, made in the sample plan
BAD_PLAN_EDITS = [
    ("  horizon_days: 56", "  horizon_dayz: 56"),
    ("    capacity_rps: 100\n", "    capacity_rps: fast\n"),
    ("batch_size: 4}", "batch_size: 0}"),
    ("waves: [[ap-southeast]", "waves: [[ap-south]"),
]


def _cli(*args: str, cwd: Path) -> str:
    exe = Path(sys.executable).with_name("upgradesim")
    done = subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=False)
    # the progress log ("upgradesim: simulated 3/16 ...") depends on how fast the machine is: left out
    notes = [line for line in done.stderr.splitlines() if not line.startswith("upgradesim: simulated ")]
    return (done.stdout + "".join(f"{line}\n" for line in notes)).rstrip("\n")


def compare(work: Path) -> str:
    """``make demo``'s compare: the sample plan, 1,000 replications, seed 7, 2 workers."""
    return _cli("compare", "plan.yaml", "--replications", "1000", "--seed", "7", "--workers", "2", cwd=work)


def bad_plan(work: Path) -> str:
    """``validate`` on the sample plan with four mistakes."""
    text = (work / "plan.yaml").read_text()
    for old, new in BAD_PLAN_EDITS:
        if old not in text:
            raise SystemExit(f"readme_outputs: the sample plan no longer contains {old!r}; update BAD_PLAN_EDITS")
        text = text.replace(old, new, 1)
    (work / "plan-bad.yaml").write_text(text)
    return _cli("validate", "plan-bad.yaml", cwd=work).replace("plan-bad.yaml", "plan.yaml")


OUTPUTS = {"compare": compare, "bad-plan": bad_plan}


def render(names: list[str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        _cli("init", str(work), cwd=Path(tmp))
        return {name: OUTPUTS[name](work) for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a README block differs")
    parser.add_argument("--only", action="append", choices=sorted(OUTPUTS), help="only these blocks")
    args = parser.parse_args(argv)
    text = README.read_text()
    present = [m.group("name") for m in BLOCK.finditer(text)]
    names = [n for n in present if n in OUTPUTS and (not args.only or n in args.only)]
    fresh = render(names)
    stale = [n for n in names if fresh[n] != next(m.group("body") for m in BLOCK.finditer(text)
                                                     if m.group("name") == n)]
    if args.check:
        for name in stale:
            print(f"README.md: output block {name!r} is stale; run scripts/readme_outputs.py", file=sys.stderr)
        return 1 if stale else 0
    new = BLOCK.sub(lambda m: m.group(1) + fresh.get(m.group("name"), m.group("body")) + m.group(4), text)
    README.write_text(new)
    print(f"README.md: {len(stale)} of {len(names)} output blocks rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
