"""diff_entries and classify on hand-built entries whose answers are known, field by field."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from upgradesim.control.drift import (
    DRIFT_COLUMNS,
    Drift,
    DriftException,
    ExceptionRegister,
    classify,
    diff_entries,
)


def _entries(rows):
    return pd.DataFrame(rows, columns=["file", "key", "value", "type"])


def test_a_null_value_is_still_a_key_and_missing_sides_are_none():
    base = _entries([("a.yaml", "x", None, "null"), ("a.yaml", "gone", "1", "int"), ("a.yaml", "same", "s", "str")])
    cur = _entries([("a.yaml", "x", "on", "str"), ("a.yaml", "new", "2", "int"), ("a.yaml", "same", "s", "str"),
                    ("a.yaml", "n", None, "null")])
    rows = diff_entries(base, cur).astype(object).where(lambda f: f.notna(), None).to_dict("records")
    assert rows == [  # a missing side is null
        {"file": "a.yaml", "key": "gone", "change": "removed", "baseline": "1", "current": None},
        {"file": "a.yaml", "key": "n", "change": "added", "baseline": None, "current": None},
        {"file": "a.yaml", "key": "new", "change": "added", "baseline": None, "current": "2"},
        {"file": "a.yaml", "key": "x", "change": "changed", "baseline": None, "current": "on"},
    ]
    # a key whose value becomes null is changed, not removed
    back = diff_entries(cur, base).set_index("key")
    assert back.loc["x", "change"] == "changed" and pd.isna(back.loc["x", "current"])


def test_classify_fills_every_field():
    diff = pd.DataFrame([{"file": "a.yaml", "key": "pool.max", "change": "changed", "baseline": "8", "current": "16"},
                         {"file": "a.yaml", "key": "timeout", "change": "changed", "baseline": "1", "current": "2"},
                         {"file": "b.ini", "key": "old", "change": "removed", "baseline": "1", "current": None}])
    register = ExceptionRegister(exceptions=(
        DriftException(key="a.yaml:pool.max", reason="an older approval", owner="eve", approver="fay",
                       expires=dt.date(2025, 1, 1)),  # first in the register, but expired
        DriftException(key="a.yaml:pool.*", env="staging", reason="load test sizing", owner="ann", approver="bob",
                       expires=dt.date(2027, 6, 30)),
        DriftException(key="b.ini:*", reason="legacy cleanup", owner="cy", approver="dee", expires=dt.date(2026, 1, 1)),
    ))
    out = classify(diff, "staging", register, dt.date(2026, 12, 1))
    assert list(out.columns) == DRIFT_COLUMNS
    assert out[["key", "status", "exception", "owner", "expires"]].values.tolist() == [
        ["pool.max", "approved", "load test sizing", "ann", "2027-06-30"],  # the live one wins over the expired
        ["timeout", "unapproved", "", "", ""],
        ["old", "expired", "legacy cleanup", "cy", "2026-01-01"],
    ]
    assert classify(diff, "prod", register, dt.date(2026, 12, 1))["status"].tolist() == [
        "expired", "unapproved", "expired"]  # the staging exception does not cover prod
    assert classify(diff, "staging", None, dt.date(2026, 12, 1))["status"].tolist() == ["unapproved"] * 3
    drift = Drift(out, "prod/pre", "staging/cur", dt.date(2026, 12, 1))
    assert drift.counts() == {"unapproved": 1, "approved": 1, "expired": 1}
    assert drift.unapproved["key"].tolist() == ["timeout", "old"]
