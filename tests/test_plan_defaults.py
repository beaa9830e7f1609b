"""docs/plan-defaults.md and the code agree on every omitted field, and the documented omission
behaviours hold when a plan runs."""

from __future__ import annotations

import re
from pathlib import Path

from upgradesim.plan.defaults import plan_defaults, render_default
from upgradesim.plan.distributions import Fixed
from upgradesim.sim import prepare, run_replication

from .simplans import make_plan

DOC = Path(__file__).resolve().parents[1] / "docs" / "plan-defaults.md"
ROW = re.compile(r"^\| `([^`]+)` \| `([^`]*)` \| (.+) \|$")


def documented() -> dict[str, str]:
    rows = [ROW.match(line) for line in DOC.read_text().splitlines()]
    return {m.group(1): m.group(2) for m in rows if m}


def test_every_default_in_the_code_is_documented_with_its_value_and_nothing_else_is():
    doc, code = documented(), plan_defaults()
    assert len(doc) == len(code) > 90
    missing = sorted(set(code) - set(doc))
    stale = sorted(set(doc) - set(code))
    wrong = sorted((k, doc[k], code[k]) for k in set(doc) & set(code) if doc[k] != code[k])
    assert (missing, stale, wrong) == ([], [], [])


def test_render_default_writes_yaml_values():
    assert [render_default(v) for v in (None, True, False, 4.0, 0.5, (), ("a", "b"), "", "halt", Fixed(value=5))] == [
        "null", "true", "false", "4", "0.5", "[]", "[a, b]", '""', "halt", "5"]


def test_documented_omissions_behave_as_documented():
    doc = documented()
    plan = make_plan(lambda d: d.pop("rollback"))
    # triggers: omitted or null is disabled
    assert {k: doc[f"rollback.{k}"] for k in ("failed_nodes_per_batch", "error_rate_pct", "sla_breach_min",
                                            "window_overrun_min")} == dict.fromkeys(
        ("failed_nodes_per_batch", "error_rate_pct", "sla_breach_min", "window_overrun_min"), "null")
    assert plan.rollback.model_dump() == dict.fromkeys(
        ("failed_nodes_per_batch", "error_rate_pct", "sla_breach_min", "window_overrun_min"))
    # ... so a plan whose every node fails never rolls back
    def failing(d):
        d.pop("rollback")
        for t in d["tiers"].values():
            t["failure_prob"] = 1.0
    record, _ = run_replication(prepare(make_plan(failing)), "one-by-one", 0, 0)
    assert not record["rolled_back"] and record["nodes_final_failed"] == 4
    # tier defaults: detection 5 minutes, revert 10, no retry; halt on window close; 42-day horizon
    def bare_tier(d):
        d["tiers"]["app"] = {"capacity_rps": 100, "upgrade_min": 10, "failure_prob": 1.0}
        d["rollback"] = {"failed_nodes_per_batch": 1}
        d["calendar"].pop("horizon_days")
    plan = make_plan(bare_tier)
    assert (doc["tiers[].detect_min"], doc["tiers[].rollback_min"], doc["tiers[].retries"]) == ("5", "10", "0")
    assert plan.calendar.horizon_days == float(doc["calendar.horizon_days"]) == 42
    assert plan.calendar.on_window_close == doc["calendar.on_window_close"] == "halt"
    _, events = run_replication(prepare(plan), "one-by-one", 0, 0, keep_events=True)
    app = [(e, at) for node, e, at, *_ in events if node == "eu/app/001"]
    # db (20 min) first; the app node fails at 30, is detected 5 later, reverted 10 after that; no retry
    assert app[:4] == [("upgrade_start", 20.0), ("upgrade_failed", 30.0), ("failure_detected", 35.0),
                       ("node_rolled_back", 45.0)]
    assert [e for e, _ in app].count("upgrade_start") == 1
