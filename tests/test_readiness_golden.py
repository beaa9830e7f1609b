"""Every readiness finding of the sample estate on a fixed date, word for word (issue 13): id,
area, severity, component, message, evidence and recommendation, plus the capacity and resource
tables. A change to any check's wording or arithmetic shows here and must be read and accepted:
regenerate with ``UPGRADESIM_REGOLD=1 pytest tests/test_readiness_golden.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import upgradesim
from upgradesim import load_plan, sample_plan_path
from upgradesim.readiness import assess

GOLDEN = Path(__file__).parent / "golden" / "readiness_sample.json"
AS_OF = dt.date(2027, 3, 1)


def _records(frame):
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not math.isfinite(v) else
                        round(v, 9) if isinstance(v, float) else v) for k, v in row.items()})
    return out


def _now() -> dict:
    result = assess(load_plan(sample_plan_path()), as_of=AS_OF)
    return {"counts": result.counts(), "score": round(result.score, 9), "decision": result.decision,
            "upgrade_order": result.upgrade_order, "findings": _records(result.findings),
            "capacity": _records(result.capacity), "resources": _records(result.resources),
            "components": _records(result.components[["component", "readiness", "blockers", "warnings"]])}


def test_the_sample_findings_word_for_word():
    # paths inside the installed package differ per checkout: pinned relative to it
    package = str(Path(upgradesim.__file__).parent)
    now = json.loads(json.dumps(_now(), default=str).replace(package, "<package>"))
    if os.environ.get("UPGRADESIM_REGOLD"):
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert now["counts"] == expected["counts"] and now["decision"] == expected["decision"]
    assert now["upgrade_order"] == expected["upgrade_order"]
    for key in ("findings", "capacity", "resources", "components"):
        assert len(now[key]) == len(expected[key]), key
        for got, want in zip(now[key], expected[key], strict=True):
            assert got == want, (key, want.get("id") or want.get("component") or want)
    assert now["score"] == expected["score"]
