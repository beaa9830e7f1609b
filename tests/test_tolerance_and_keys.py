"""Exact answers for the CAB gate and the store key: every branch, boundary and message, on
hand-built inputs whose answer is known (found by mutation testing: these promises had no test)."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from upgradesim.control.keys import fingerprint, keyed_hash, store_key
from upgradesim.errors import DataError
from upgradesim.plan.model import RiskTolerance
from upgradesim.sim.tolerance import check_tolerance, recommend


def summary(rows: dict[str, dict[str, tuple[float, float, float]]], n: int = 100) -> pd.DataFrame:
    """{strategy: {figure: (estimate, low, high)}} as the simulation's summary frame."""
    return pd.DataFrame([{"strategy": s, "figure": f, "estimate": e, "low": lo, "high": hi, "n": n}
                         for s, figures in rows.items() for f, (e, lo, hi) in figures.items()])


def test_each_status_and_its_boundary():
    risk = RiskTolerance(max_p_rollback=0.1, max_expected_downtime_min=30, max_p_overrun=0.2, max_sla_breach_min=60)
    frame = summary({"s": {
        "p_rollback": (0.1, 0.08, 0.1),         # estimate == limit, high == limit: within (not a breach)
        "downtime_min": (30.0001, 29, 31),      # just above: breach
        "p_overrun": (0.15, 0.1, 0.25),         # straddles: inconclusive
        "sla_breach_min": (10, 5, 15),          # within
        "p_complete": (0.9, 0.85, 0.95),        # unbounded and finishing: no check
        "duration_min": (100, 90, 110),
    }})
    checks = {c.figure: c for c in check_tolerance(frame, risk, "s")}
    assert [checks[f].status for f in ("p_rollback", "downtime_min", "p_overrun", "sla_breach_min")] == \
        ["within", "breach", "inconclusive", "within"]
    assert "p_complete" not in checks
    # 100 replications with a half-width of 0.075 and a gap of 0.05: 100 * (0.075 / 0.05)^2 = 225
    assert checks["p_overrun"].replications_needed == 225
    assert checks["downtime_min"].message == ("s: downtime_min = 30 [29, 31] vs max_expected_downtime_min 30: "
                                              "BREACH by 0.0001")
    assert checks["p_overrun"].message.endswith("INCONCLUSIVE (the interval straddles the limit; about 225 "
                                                "replications would decide)")
    assert checks["p_rollback"].message.endswith(": within") and not checks["p_rollback"].lower_bound


def test_completion_is_a_lower_bound():
    frame = summary({"s": {"p_complete": (0.9, 0.85, 0.95), "duration_min": (10, 9, 11)}})
    at_least = {c.figure: c for c in check_tolerance(frame, RiskTolerance(min_p_complete=0.85), "s")}
    assert at_least["p_complete"].status == "within" and at_least["p_complete"].lower_bound
    assert check_tolerance(frame, RiskTolerance(min_p_complete=0.95), "s")[0].status == "breach"
    assert check_tolerance(frame, RiskTolerance(min_p_complete=0.95), "s")[0].message.endswith("BREACH by 0.05")
    assert check_tolerance(frame, RiskTolerance(min_p_complete=0.88), "s")[0].status == "inconclusive"
    never = summary({"s": {"p_complete": (0.0, 0.0, 0.03), "duration_min": (10, 9, 11)}})
    (check,) = check_tolerance(never, RiskTolerance(), "s")
    assert check.status == "breach" and check.limit_key == "horizon"
    assert check.message == "s: no replication finished within the plan's horizon (p_complete = 0 [0, 0.03]): BREACH"


def test_recommend_on_a_known_answer():
    risk = RiskTolerance(max_p_rollback=0.2)
    frame = summary({
        "risky": {"p_rollback": (0.5, 0.4, 0.6), "p_complete": (1.0, 1, 1), "duration_min": (60, 50, 70)},
        "slow": {"p_rollback": (0.05, 0.01, 0.1), "p_complete": (1.0, 1, 1), "duration_min": (600, 500, 700)},
        "fast": {"p_rollback": (0.05, 0.01, 0.1), "p_complete": (1.0, 1, 1), "duration_min": (120, 100, 140)},
        "unsure": {"p_rollback": (0.1, 0.0, 0.1), "p_complete": (0.8, 0.7, 0.9), "duration_min": (30, 20, 40)},
    })
    name, reason = recommend(frame, risk)
    assert name == "fast"  # fits, completes as often as any, and is the quickest of those
    assert reason == ("fast keeps every bounded figure within tolerance, completes in 100% of replications with a "
                      "mean duration of 2.0 h (3 of 4 strategies fit)")
    none_fit = summary({
        "a": {"p_rollback": (0.5, 0.4, 0.6), "p_complete": (1.0, 1, 1), "duration_min": (60, 50, 70)},
        "b": {"p_rollback": (0.3, 0.2, 0.4), "p_complete": (1.0, 1, 1), "duration_min": (60, 50, 70)},
    })
    assert recommend(none_fit, risk) == ("b", "no strategy fits the tolerance; b misses it by the least "
                                                "(p_rollback 0.3 > 0.2)")


def test_store_key_sources_and_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("UPGRADESIM_KEY", raising=False)
    db = tmp_path / "s.duckdb"
    with pytest.raises(DataError, match=r"s.duckdb.key: no key beside the store"):
        store_key(db, create=False)
    key = store_key(db)
    path = tmp_path / "s.duckdb.key"
    assert len(key) == 32 and path.read_text() == key.hex() + "\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert store_key(db) == key and store_key(db, create=False) == key  # read back, not replaced
    path.write_text("not hex\n")
    with pytest.raises(DataError, match=r"s.duckdb.key: not a key file \(one line of hex\)"):
        store_key(db)
    monkeypatch.setenv("UPGRADESIM_KEY", "ab" * 16)
    assert store_key(db) == bytes.fromhex("ab" * 16)  # the environment wins over the file
    monkeypatch.setenv("UPGRADESIM_KEY", "zz")
    with pytest.raises(DataError, match=r"^\$UPGRADESIM_KEY: not a hex string \(give the key as hex\)$"):
        store_key(db)
    monkeypatch.setenv("UPGRADESIM_KEY", "ab" * 8)
    with pytest.raises(DataError, match=r"^\$UPGRADESIM_KEY: too short \(at least 16 bytes, 32 hex digits\)$"):
        store_key(db)


def test_fingerprints_depend_on_the_key_and_the_value():
    a, b = b"a" * 32, b"b" * 32
    assert fingerprint(a, "pw") != fingerprint(b, "pw") and fingerprint(a, "pw") != fingerprint(a, "pw2")
    assert fingerprint(a, "pw") == "fp:" + keyed_hash(a, "pw")[:32] and len(fingerprint(a, "pw")) == 35
    import hashlib
    import hmac

    assert keyed_hash(a, "pw") == hmac.new(a, b"pw", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("field, value", [
    ("ts", "2026-01-01 05:00:00+00"), ("change_id", "C-other"), ("step", "other-step"), ("actor", "mallory"),
    ("role", "approver"), ("action", "other_action"), ("outcome", "failed"), ("details", '{"x": 2}'),
])
def test_every_hashed_field_is_tamper_evident(tmp_path, field, value):
    """An edit of any one field of a stored record, written without re-hashing, breaks the chain
    at that record (record 2 of 3)."""
    from upgradesim.control import append, verify
    from upgradesim.store import Store

    key = b"k" * 32
    with Store(tmp_path / "a.duckdb") as store:
        append(store, key, [{"ts": f"2026-01-01T0{i}:00:00Z", "change_id": "C1", "step": f"s{i}", "actor": "dana",
                             "role": "executor", "action": "node_upgrade", "outcome": "ok", "details": {"x": i}}
                            for i in range(3)], source="t")
        assert verify(store, key).ok
        store.con.execute(f'UPDATE audit_log SET "{field}" = ? WHERE seq = 2', [value])
        result = verify(store, key)
        assert not result.ok and result.first_broken == 2 and "do not match its hash" in result.problem
        assert result.message() == ("audit log BROKEN at record 2: its contents do not match its hash: edited, or "
                                    "written without the key")


def test_the_record_hash_format_is_pinned():
    """Stores written today must verify tomorrow: the canonical form and its keyed hash are fixed
    (a time in UTC, details with sorted keys, compact separators, 'prev|canonical')."""
    import hashlib
    import hmac

    from upgradesim.control.audit import _canonical, _normalise, record_hash

    r = _normalise({"ts": "2026-01-01T01:00:00+01:00", "change_id": "C1", "step": "s", "actor": "dana",
                    "role": "executor", "action": "x", "outcome": "ok", "details": {"b": 1, "a": 2}}, "t")
    assert _canonical(1, r) == '[1,"2026-01-01T00:00:00+00:00","C1","s","dana","executor","x","ok","{\\"a\\": 2, \\"b\\": 1}"]'
    assert record_hash(b"k" * 32, "", 1, r) == "1b507d4614b8538828aff6f2b9ceaa206864e89b417a6baccc7e6205ba5a7379"
    unsorted = dict(r, details={"b": 1, "a": 2})  # a dict is canonicalised the same way
    expected = hmac.new(b"k" * 32, ("abc|" + _canonical(2, r)).encode(), hashlib.sha256).hexdigest()
    assert record_hash(b"k" * 32, "abc", 2, unsorted) == expected


def test_summary_figures_pinned_on_a_known_sample():
    """Each summary figure is the statistic it names, at the level it names, on known data."""
    import numpy as np

    from upgradesim.sim.runner import summarize

    durations = np.arange(1.0, 101.0)  # 1..100
    reps = pd.DataFrame({"strategy": "s", "duration_min": durations, "downtime_min": durations / 10,
                         "sla_breach_min": 0.0, "unserved_requests": 5.0, "extra_node_hours": 2.0,
                         "cost_node_hours": 3.0, "cost": np.where(np.arange(100) < 50, 10.0, 30.0),
                         "rolled_back": np.arange(100) < 20, "window_overruns": np.where(np.arange(100) < 5, 2, 0),
                         "completed": np.arange(100) >= 20, "defect_shipped": False})
    figures = summarize(reps).set_index("figure")
    assert figures.loc["duration_min", "estimate"] == 50.5
    assert figures.loc["duration_p50_min", "estimate"] == 50.5 and figures.loc["duration_p95_min", "estimate"] == 95.05
    assert figures.loc["downtime_min", "estimate"] == pytest.approx(5.05)
    assert (figures.loc["unserved_requests", "low"], figures.loc["unserved_requests", "high"]) == (5.0, 5.0)
    assert figures.loc["p_rollback", "estimate"] == 0.2 and figures.loc["p_overrun", "estimate"] == 0.05
    assert figures.loc["p_complete", "estimate"] == 0.8 and figures.loc["p_defect_shipped", "estimate"] == 0.0
    # Wilson 95% for 20/100: [0.1333, 0.2888]; t interval of 1..100: 50.5 +- 1.984 * 29.01 / 10
    assert figures.loc["p_rollback", "low"] == pytest.approx(0.13333, abs=1e-4)
    assert figures.loc["p_rollback", "high"] == pytest.approx(0.28883, abs=1e-4)
    assert figures.loc["duration_min", "high"] - 50.5 == pytest.approx(1.9842169 * 29.011492 / 10, rel=1e-5)
    assert figures.loc["cost", "estimate"] == 20.0 and figures.loc["cost_node_hours", "estimate"] == 3.0
    assert set(figures["n"]) == {100}


def test_a_new_key_in_a_new_folder_and_the_missing_key_message(tmp_path, monkeypatch):
    from upgradesim.control.keys import store_key
    from upgradesim.errors import DataError

    monkeypatch.delenv("UPGRADESIM_KEY", raising=False)
    db = tmp_path / "a" / "b" / "s.duckdb"  # the folders do not exist yet
    key = store_key(db)
    assert len(key) == 32 and (tmp_path / "a" / "b" / "s.duckdb.key").read_text() == key.hex() + "\n"
    assert oct((tmp_path / "a" / "b" / "s.duckdb.key").stat().st_mode & 0o777) == "0o600"
    other = tmp_path / "c.duckdb"
    with pytest.raises(DataError) as info:
        store_key(other, create=False)
    assert str(info.value) == (f"{other}.key: no key beside the store, so nothing keyed with it can be verified "
                               "(set $UPGRADESIM_KEY, or restore the key file)")
