"""``make mutation``: mutate each core module against the tests that state its promises.

The modules and their tests are listed in ``[tool.upgradesim.mutation]`` of pyproject.toml. Each
module runs on its own, in a copy of the project under ``build/mutation/<module>/`` whose
``[tool.mutmut]`` names only that module and its tests (mutmut reads one configuration per
folder; running every mutant against the whole suite takes about an hour per large module).
Each module's ``mutmut results`` go to ``build/mutation/<module>.results``; the score table is
``scripts/mutation_report.py`` over all of them.

    python scripts/mutation.py                 # every listed module, then the report
    python scripts/mutation.py readiness/checks.py judge/verdict.py   # only these
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"
COPIED = ["src", "tests", "notebooks", "examples", "docs", "benchmarks", "scripts", "README.md", "CHANGELOG.md",
          "Makefile", "mutation-equivalent.txt"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.duckdb", "*.duckdb.wal", ".hypothesis", "mutants")


def listed() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["upgradesim"]["mutation"]


def _config(module: str, tests: list[str], snapshot: Path) -> str:
    """The project's pyproject.toml with [tool.mutmut] narrowed to one module and its tests."""
    text = (snapshot / "pyproject.toml").read_text()
    text = re.sub(r"only_mutate = \[.*?\]", f'only_mutate = ["src/upgradesim/{module}"]', text, count=1, flags=re.S)
    selection = ", ".join(f'"{t}"' for t in tests)
    return re.sub(r"pytest_add_cli_args_test_selection = \[.*?\]",
                  f"pytest_add_cli_args_test_selection = [{selection}]", text, count=1, flags=re.S)


def _copy(source_root: Path, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in [*COPIED, "pyproject.toml"]:
        source = source_root / name
        if source.is_symlink():
            (folder / name).symlink_to(source.readlink())
        elif source.is_dir():
            shutil.copytree(source, folder / name, ignore=IGNORED, symlinks=True)
        elif source.exists():
            shutil.copy2(source, folder / name)


def run(module: str, tests: list[str], snapshot: Path) -> float:
    """Mutate ``module`` in its own copy of the snapshot; return the minutes it took."""
    folder = WORK / module.replace("/", "_").removesuffix(".py")
    _copy(snapshot, folder)
    (folder / "pyproject.toml").write_text(_config(module, tests, snapshot))
    started = time.monotonic()
    mutmut = [sys.executable, "-m", "mutmut"]
    subprocess.run([*mutmut, "run", "--max-children", "2"], cwd=folder, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = subprocess.run([*mutmut, "results", "--all", "true"], cwd=folder, capture_output=True, text=True,
                             check=False).stdout
    (WORK / f"{folder.name}.results").write_text(results)
    return (time.monotonic() - started) / 60


def main(argv: list[str]) -> int:
    modules = listed()
    chosen = argv or list(modules)
    unknown = [m for m in chosen if m not in modules]
    if unknown:
        print(f"mutation: {unknown[0]!r} is not listed in [tool.upgradesim.mutation] of pyproject.toml "
              f"(listed: {', '.join(modules)})", file=sys.stderr)
        return 1
    snapshot = WORK / "_snapshot"  # the project as it was at the start: later edits do not leak into the run
    _copy(ROOT, snapshot)
    for stale in WORK.glob("*.results") if not argv else ():
        stale.unlink()
    for module in chosen:
        minutes = run(module, modules[module], snapshot)
        print(f"{module}: mutated in {minutes:.1f} min", flush=True)
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "mutation_report.py")], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
