"""Where every benchmark writes its figures: ``build/bench/<name>.json``, also printed."""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path("build/bench")


def write_results(name: str, results: dict, *, echo: bool = True) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(results, indent=2))
    if echo:
        print(json.dumps(results, indent=2))
    return path
