"""Each readiness check on a small hand-built estate whose every branch is exercised, its findings
pinned word for word (issue 13: a mutated message, severity, threshold or branch must fail here).

The expected findings are in ``tests/golden/readiness_checks.json``, read and checked by hand when
written; regenerate on purpose with ``UPGRADESIM_REGOLD=1`` and review the diff. The arithmetic
behind them (days, utilisations, boundaries) is also asserted directly below.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import networkx as nx
import pytest

from upgradesim.readiness import checks
from upgradesim.readiness.lifecycle import Cycle, Lifecycle

from .simplans import make_plan

GOLDEN = Path(__file__).parent / "golden" / "readiness_checks.json"
AS_OF = dt.date(2027, 3, 1)
PEAKS = {("ap", "app"): 0.5, ("eu", "db"): 0.9}


def dependencies_plan():
    def edit(d):
        d["release"]["requires"] = ["postgresql >=13", "redis >=7", "keydb >=6"]
        d["components"] = [
            {"name": "db", "tier": "db", "product": "postgresql", "version": "12"},
            {"name": "db2", "tier": "db", "product": "postgresql", "version": "12.4", "target_version": "16.4"},
            {"name": "db3", "tier": "db", "product": "postgresql", "version": "12.4", "target_version": "12.9"},
            {"name": "weird", "tier": "db", "product": "postgresql", "version": "latest"},
            {"name": "pgok", "tier": "db", "product": "postgresql", "version": "15.2"},
            {"name": "alias", "tier": "db", "product": "pg-custom", "lifecycle": "postgresql", "version": "11"},
            {"name": "kv", "tier": "db", "product": "kv-fork", "lifecycle": "keydb", "version": "5.1"},  # only by its id
            {"name": "app", "tier": "app", "product": "shop", "version": "1",
             "depends_on": ["db", "db2 >=12,<16", "db3 >=13", "pgok >=15", "weird >=1"]},
            {"name": "web", "tier": "app", "product": "shop", "version": "1", "depends_on": ["app"]},
        ]
    return make_plan(edit)


def _cycle(name, released, eol=None, support=None, undated=False):
    day = dt.date.fromisoformat
    return Cycle("pg", name, day(released) if released else None, day(support) if support else None,
                 day(eol) if eol else None, undated, name + ".9", None, "")


LIFECYCLE = Lifecycle("test-snapshot.csv", {"pg": {c.cycle: c for c in [
    _cycle("9", "2016-09-29", "2021-11-11"), _cycle("10", "2017-10-05", "2027-03-04"),
    _cycle("11", "2018-10-18", "2023-11-09"), _cycle("12", None, undated=True),
    _cycle("13", "2020-09-24", "2027-03-03"), _cycle("14", "2021-09-30", "2027-04-01"),
    _cycle("15", "2022-10-13", "2027-12-01"), _cycle("16", "2023-09-14", "2031-11-09", support="2026-11-01"),
    _cycle("17", "2024-09-26")]}})

ESTATE = [("a", "pg", "11.2", None), ("b", "pg", "12.1", "17.0"), ("c", "pg", "13.4", None), ("d", "pg", "14.1", None),
          ("e", "pg", "15.0", None), ("f", "pg", "16.2", None), ("g", "pg", "17.0", None), ("h", "pg", "11.2", "10.5"),
          ("i", "pg", "16.2", "14.3"), ("j", "pg", "99.1", None), ("k", "erp", "4", None), ("l", "x", "15.0", None)]


def lifecycle_plan(start="2027-03-06", estate=ESTATE):
    """Rollout from ``start`` for 56 days (to 2027-05-01 when it starts on 03-06)."""
    def edit(d):
        d["components"] = [{"name": n, "tier": "db", "product": p, "version": v,
                            **({"target_version": t} if t else {}), **({"lifecycle": "pg"} if p == "x" else {})}
                           for n, p, v, t in estate]
        d["regions"][0]["nodes"] = {"db": 1}
        d["calendar"]["start"] = f"{start}T00:00:00Z"
        d["calendar"]["horizon_days"] = 56
    return make_plan(edit)


def capacity_plan(strategy=None):
    def edit(d):
        d["release"]["overheads"] = {"cpu_pct": 20}
        d["regions"] = [
            {"name": "eu", "tz": "UTC", "nodes": {"app": 4, "db": 2}, "traffic": {"hourly_rps": [300.0] * 24}},
            {"name": "us", "tz": "UTC", "nodes": {"db": 0, "app": 10},
             "traffic": {"hourly_rps": [400.0] * 12 + [500.0] * 12, "weekend_factor": 1.2}},
            {"name": "ap", "tz": "UTC", "nodes": {"db": 1, "app": 2}, "traffic": {"metric": "app/requests"}},
        ]
        d["strategies"] = [{"name": "one-by-one", "kind": "rolling", "batch_size": 1},
                           {"name": "halves", "kind": "rolling", "batch_pct": 50, "batch_sizes": {"db": 2}},
                           {"name": "bang", "kind": "big_bang"}, {"name": "bg", "kind": "blue_green"},
                           {"name": "canary", "kind": "canary", "fraction": 0.1, "then": "halves"}]
        if strategy:
            d["chosen_strategy"] = strategy
    return make_plan(edit)


def security_plan(offered=("oauth2", "mtls")):
    def edit(d):
        d["release"].update(min_tls="1.2", auth_mechanisms=list(offered), removed_features=["soap", "xslt"],
                            changed_features=["pricing"])
        d["components"] = [
            {"name": "db", "tier": "db", "product": "postgresql", "version": "17.2"},
            {"name": "app", "tier": "app", "product": "shop", "version": "1", "depends_on": ["db"],
             "customizations": [{"name": "bridge", "touches": ["soap", "pricing"], "owner": "team-a"},
                                {"name": "theme", "touches": ["css", "xslt"]},
                                {"name": "discounts", "touches": ["pricing"]}],
             "uses_features": ["xslt", "pricing", "rest"]},
            {"name": "erp", "tier": "integration", "product": "erp", "version": "1",
             "tls_versions": ["1.1", "1.0"], "auth_mechanisms": ["basic", "ntlm"]},
            {"name": "pay", "tier": "integration", "product": "pay", "version": "1", "tls_versions": ["1.2", "1.3"],
             "auth_mechanisms": ["mtls"]},
            {"name": "tax", "tier": "integration", "product": "tax", "version": "1"},
            {"name": "ship", "tier": "integration", "product": "ship", "version": "1", "auth_mechanisms": ["apikey"]},
            {"name": "mail", "tier": "integration", "product": "mail", "version": "1", "tls_versions": ["1.3"]},
            {"name": "cache", "tier": "app", "product": "redis", "version": "7"},  # not an integration: no warning
        ]
        d["tiers"]["integration"] = {"capacity_rps": 100, "upgrade_min": 5}
        d["regions"][0]["nodes"] = {"app": 3, "db": 1, "integration": 1}
    return make_plan(edit)


def workflow_plan():
    def edit(d):
        d["components"] = [{"name": n, "tier": t, "product": "p", "version": "1"} for n, t in
                           [("db", "db"), ("app", "app"), ("api", "app"), ("erp", "db"), ("mail", "db")]]
        d["workflows"] = [{"name": "checkout", "criticality": "critical", "components": ["app", "db"]},
                          {"name": "billing", "criticality": "high", "components": ["erp", "mail"]},
                          {"name": "reports", "criticality": "medium", "components": ["api", "mail"]},
                          {"name": "news", "criticality": "low", "components": ["mail"]},
                          {"name": "admin", "criticality": "high", "components": ["db"]},
                          {"name": "quiet", "criticality": "critical", "components": ["api"]}]
    return make_plan(edit)


WORKFLOW_INPUT = [  # a capacity finding names "<tier> in <region>": it bears on every component of the tier
    {"area": "capacity", "severity": "blocker", "component": "app in eu"},
    {"area": "capacity", "severity": "warning", "component": "storage in eu"},  # every component
    {"area": "security", "severity": "info", "component": "db"},
    {"area": "security", "severity": "blocker", "component": "erp"},
    {"area": "lifecycle", "severity": "warning", "component": "erp"},  # a blocker outranks it
]


def _clean(value):
    if isinstance(value, float):
        return None if math.isnan(value) else ("inf" if math.isinf(value) else round(value, 9))
    return value.isoformat() if isinstance(value, dt.date) else value


def _rows(rows):
    return [{k: _clean(v) for k, v in row.items()} for row in rows]


def _scenario(name: str) -> list[dict]:
    """One scenario's output, computed on each call (never at import: a mutation tester switches the
    code under test after the test modules are imported)."""
    kind, _, arg = name.partition(" ")
    arg = None if arg == "None" else arg
    if kind == "dependencies":
        plan = dependencies_plan()
        return _rows(checks.check_dependencies(plan, checks.dependency_graph(plan)))
    if kind in ("lifecycle", "lifecycle_rows"):
        findings, rows = checks.check_lifecycle(lifecycle_plan(), LIFECYCLE, AS_OF)
        return _rows(findings if kind == "lifecycle" else rows)
    if kind in ("capacity", "capacity_rows"):
        findings, rows = checks.check_capacity(capacity_plan(arg), PEAKS)
        return _rows(findings if kind == "capacity" else rows)
    if kind == "security":
        return _rows(checks.check_security(security_plan(tuple(arg.split(",")) if arg else ())))
    if kind == "customizations":
        return _rows(checks.check_customizations(security_plan()))
    findings, rows = checks.check_workflows(workflow_plan(), WORKFLOW_INPUT)
    return _rows(findings if kind == "workflows" else rows)


NAMES = ["dependencies", "lifecycle", "lifecycle_rows"] + [
    f"{kind} {strategy}" for strategy in (None, "one-by-one", "canary", "bang", "bg")
    for kind in ("capacity", "capacity_rows")] + ["security oauth2,mtls", "security ", "customizations",
                                                   "workflows", "workflow_rows"]
if os.environ.get("UPGRADESIM_REGOLD"):
    GOLDEN.write_text(json.dumps({name: _scenario(name) for name in NAMES}, indent=1) + "\n")
EXPECTED = json.loads(GOLDEN.read_text())


class _Scenarios:
    def __getitem__(self, name):
        return _scenario(name)


SCENARIOS = _Scenarios()


def test_every_scenario_is_pinned():
    assert sorted(EXPECTED) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_word_for_word(name):
    got, want = SCENARIOS[name], EXPECTED[name]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w


def _messages(name):
    return [(f["severity"], f["component"], f["message"]) for f in SCENARIOS[name]]


def test_dependency_branches():
    msgs = _messages("dependencies")
    assert msgs[0] == ("blocker", "db", "postgresql 12 fails the target's rule 'postgresql >=13' and no upgrade is "
                                        "planned (blocks app, web)")
    assert [m[:2] for m in msgs] == [("blocker", "db"), ("warning", "db2"), ("blocker", "db3"), ("warning", "weird"),
                                     ("blocker", "alias"), ("blocker", "kv"), ("blocker", "app"), ("blocker", "app"),
                                     ("warning", "app")]
    assert msgs[-1][2] == "app needs weird >=1 but weird's version 'latest' cannot be read"
    assert "resolves it, so it must be done first" in msgs[1][2]  # the upgrade meets the rule
    assert "and so does its target 12.9" in msgs[2][2]
    assert msgs[4][2].endswith("(blocks nothing else)")  # matched by its lifecycle id, nothing depends on it


def test_lifecycle_days_and_ranks():
    rows = {r["component"]: r for r in SCENARIOS["lifecycle_rows"]}
    assert rows["a"]["days_to_eol"] == (dt.date(2023, 11, 9) - AS_OF).days == -1208
    assert rows["b"]["days_to_eol"] == "inf" and rows["b"]["urgency_rank"] == 1  # undated end: the most urgent
    assert {c: rows[c]["status"] for c in "abcdefgjk"} == {
        "a": "past_eol", "b": "past_eol", "c": "ends_before_rollout", "d": "ends_during_rollout",
        "e": "ends_within_a_year", "f": "security_only", "g": "supported", "j": "unknown", "k": "unknown"}
    assert [r["component"] for r in sorted(SCENARIOS["lifecycle_rows"], key=lambda r: r["urgency_rank"])] == list(
        "bahcdelfigjk")
    known = next(f for f in SCENARIOS["lifecycle"] if f["component"] == "j")["evidence"]
    assert known == "known cycles: 10, 11, 12, 13, 14, 15, 16, 17"  # the first 8 of 9, as sorted text


def test_the_newest_cycle_is_the_latest_released():
    blocker = next(f for f in SCENARIOS["lifecycle"] if f["component"] == "h" and f["severity"] == "blocker")
    assert blocker["recommendation"] == "choose a supported target cycle (latest pg: 17)"
    undated = Lifecycle("s", {"pg": {"1": _cycle("1", None)}})
    assert checks._newest(undated, "pg") == "unknown" and checks._newest(undated, "nope") == "unknown"


@pytest.mark.parametrize("eol, status, severity", [
    ("2027-02-28", "past_eol", "blocker"), ("2027-03-01", "ends_before_rollout", "warning"),  # as of: still supported
    ("2027-03-05", "ends_before_rollout", "warning"), ("2027-03-06", "ends_during_rollout", "warning"),  # start day
    ("2027-05-01", "ends_during_rollout", "warning"), ("2027-05-02", "ends_within_a_year", "info"),  # horizon end
    ("2028-02-29", "ends_within_a_year", "info"), ("2028-03-01", "supported", None)])  # 365 days, 366 days
def test_lifecycle_boundaries(eol, status, severity):
    lifecycle = Lifecycle("s", {"pg": {"1": _cycle("1", "2020-01-01", eol)}})
    findings, rows = checks.check_lifecycle(lifecycle_plan(estate=[("x", "pg", "1.0", None)]), lifecycle, AS_OF)
    assert rows[0]["status"] == status and rows[0]["days_to_eol"] == (dt.date.fromisoformat(eol) - AS_OF).days
    assert [f["severity"] for f in findings] == ([severity] if severity else [])


@pytest.mark.parametrize("eol, severity", [("2027-03-05", "blocker"), ("2027-03-06", "warning"),
                                            ("2027-05-01", "warning"), ("2027-05-02", None)])
def test_target_cycle_boundaries(eol, severity):
    lifecycle = Lifecycle("s", {"pg": {"1": _cycle("1", "2020-01-01"), "2": _cycle("2", "2021-01-01", eol)}})
    findings, _ = checks.check_lifecycle(lifecycle_plan(estate=[("x", "pg", "1.0", "2.0")]), lifecycle, AS_OF)
    assert [f["severity"] for f in findings] == ([severity] if severity else [])


def test_capacity_figures():
    rows = {(r["region"], r["tier"]): r for r in SCENARIOS["capacity_rows one-by-one"]}
    assert rows["eu", "app"]["utilisation"] == 0.75 and rows["eu", "app"]["projected"] == 0.9  # 300 / 400, +20%
    assert rows["eu", "app"]["utilisation_during_batch"] == 1.2  # 300 / 300 left, +20%
    assert rows["us", "app"]["utilisation"] == 0.6  # 500 x weekend 1.2 over 1000
    assert rows["us", "app"]["utilisation_during_batch"] == 0.8  # 600 / 900, +20%
    assert rows["eu", "db"]["source"] == "measured peak (telemetry)" and rows["eu", "db"]["projected"] == 1.08
    assert rows["ap", "app"]["utilisation_during_batch"] is None  # no demand profile: unknown, not guessed
    assert ("us", "db") not in rows  # no nodes there
    assert not any(f["component"].endswith(" in ap") for f in SCENARIOS["capacity one-by-one"])
    assert {r["batch_out"] for r in SCENARIOS["capacity_rows bg"]} == {0}
    assert [r["batch_out"] for r in SCENARIOS["capacity_rows canary"]] == [2, 2, 5, 1]  # the halves it hands over to (db: 2)
    assert [r["batch_out"] for r in SCENARIOS["capacity_rows bang"]] == [4, 2, 10, 2]


@pytest.mark.parametrize("rps, expected", [(279, []), (281, ["warning"]), (340, ["warning"]), (341, ["blocker"])])
def test_capacity_thresholds(rps, expected):
    """400 rps of capacity, +0% overhead: 70% = 280, 85% = 340 rps; strictly above each."""
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 4, "db": 0}
        d["regions"][0]["traffic"] = {"hourly_rps": [float(rps)] * 24}
    findings, _ = checks.check_capacity(make_plan(edit))
    assert [f["severity"] for f in findings] == expected


def test_capacity_threshold_exactly_met_is_not_exceeded():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 4, "db": 0}
        d["regions"][0]["traffic"] = {"hourly_rps": [280.0] * 24}
    assert checks.check_capacity(make_plan(edit))[0] == []  # 70%: not above warn
    assert [f["severity"] for f in checks.check_capacity(make_plan(edit), warn=0.69)[0]] == ["warning"]
    assert [f["severity"] for f in checks.check_capacity(make_plan(edit), threshold=0.69, warn=0.5)[0]] == ["blocker"]


def test_a_whole_tier_out_with_no_demand_is_no_finding():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 2, "db": 0}
        d["regions"][0]["traffic"] = {"hourly_rps": [0.0] * 24}
        d["chosen_strategy"] = "bang"
    findings, rows = checks.check_capacity(make_plan(edit))
    assert findings == [] and rows[0]["utilisation_during_batch"] == 0 and rows[0]["batch_out"] == 2


def test_window_demand_is_the_busiest_hour_inside_the_windows():
    def edit(d):
        d["regions"][0]["traffic"] = {"hourly_rps": [float(h) for h in range(24)]}
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-02T02:00:00", "end": "2027-03-02T05:00:00"}]
    assert checks._window_demand(make_plan(edit), make_plan(edit).regions[0]) == 4.0  # hours 2, 3, 4


def test_batches_by_strategy_kind():
    plan = capacity_plan()
    assert checks._batch(None, 4, "app") == 0
    assert [checks._batch(plan.strategy(s), 4, "app") for s in ("one-by-one", "halves", "bang", "bg")] == [1, 2, 4, 0]
    assert checks.rollout_strategy(capacity_plan("canary")).name == "halves"
    assert checks.rollout_strategy(capacity_plan("bg")).name == "bg" and checks.rollout_strategy(plan) is None


def test_batch_remedies():
    plan = capacity_plan()
    rolling, bang = plan.strategy("halves"), plan.strategy("bang")
    assert checks._batch_remedy(bang, 4, 4, "app nodes in eu").startswith("run it in a window without demand")
    assert checks._batch_remedy(rolling, 1, 1, "app nodes in eu") == (
        "add app nodes in eu, or choose a strategy that keeps the old ones serving")
    assert checks._batch_remedy(rolling, 4, 2, "x") == "use smaller batches for this tier"
    assert checks._batch_remedy(rolling, 4, 1, "app nodes in eu") == "add app nodes in eu: one node out overloads the rest"


def test_security_without_offered_mechanisms_checks_tls_only():
    assert [f["message"] for f in SCENARIOS["security "]] == [
        "supports TLS up to 1.1; the target requires >= 1.2",
        "integration declares no TLS versions or auth mechanisms: cannot check"]
    assert sorted({f["component"] for f in SCENARIOS["security oauth2,mtls"]}) == ["erp", "ship", "tax"]


def test_workflows_take_the_worst_finding_of_their_components():
    rows = {r["workflow"]: r for r in SCENARIOS["workflow_rows"]}
    assert (rows["checkout"]["blocked_by"], rows["checkout"]["warnings_in"], rows["checkout"]["needs"]) == (
        "app", "db", "parallel run")
    assert rows["billing"]["blocked_by"] == "erp" and rows["news"]["needs"] == "standard testing"
    assert rows["admin"]["needs"] == "extra acceptance testing" and rows["quiet"]["blocked_by"] == "api"
    assert [(f["component"], f["severity"]) for f in SCENARIOS["workflows"]] == [
        ("checkout", "blocker"), ("billing", "blocker"), ("reports", "warning"), ("admin", "warning"),
        ("quiet", "blocker")]
    assert checks._components_hit(workflow_plan(), {"area": "capacity", "component": "db in eu"}) == ["db", "erp", "mail"]


def test_upgrade_order_breaks_cycles_and_names_them():
    """Plans with a cycle are refused on load; a graph built otherwise still gets an order."""
    graph = nx.DiGraph([("a", "b"), ("b", "a"), ("d", "c"), ("a", "c")])
    order, cycles = checks.upgrade_order(graph, {"a", "b", "c", "d"})
    assert sorted(map(sorted, cycles)) == [["a", "b"]]
    assert order[0] == "c" and sorted(order) == ["a", "b", "c", "d"]
    assert checks.upgrade_order(graph, {"c", "d"}) == (["c", "d"], [])
    assert checks.upgrade_order(nx.DiGraph([("x", "y"), ("z", "y")]), {"x", "y", "z"}) == (["y", "z", "x"], [])


def test_version_coverage():
    assert checks.version_coverage(dependencies_plan()) == {
        "db": True, "db2": True, "db3": True, "weird": False, "pgok": True, "alias": True, "kv": True, "app": True, "web": True}


def test_during_batch_boundaries():
    """4 app nodes of 100 rps, one out: the other 3 serve the window's demand. Above 85% a warning,
    from 100% a blocker."""
    def findings(rps):
        def edit(d):
            d["regions"][0]["nodes"] = {"app": 4, "db": 0}
            d["regions"][0]["traffic"] = {"hourly_rps": [float(rps)] * 24}
            d["chosen_strategy"] = "one-by-one"
        return [(f["severity"], f["message"]) for f in checks.check_capacity(make_plan(edit), warn=0.99)[0]]
    assert findings(255) == []  # 85% of 300: not above
    assert findings(270) == [("warning", "with 1 of 4 nodes out (one-by-one) the remaining nodes run at 90% of "
                                         "capacity at the busiest window hour")]
    assert findings(300) == [("blocker", "with 1 of 4 nodes out (one-by-one) the remaining nodes run at 100% of "
                                         "capacity at the busiest window hour")]


def test_a_whole_tier_out_with_a_trickle_of_demand_has_no_capacity():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 2, "db": 0}
        d["regions"][0]["traffic"] = {"hourly_rps": [0.5] * 24}
        d["chosen_strategy"] = "bang"
    findings, rows = checks.check_capacity(make_plan(edit))
    assert rows[0]["utilisation_during_batch"] == math.inf and [f["severity"] for f in findings] == ["blocker"]


def test_window_demand_sees_a_window_that_ends_a_minute_into_an_hour():
    def edit(d):
        d["regions"][0]["traffic"] = {"hourly_rps": [float(h) for h in range(24)]}
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-02T02:00:00", "end": "2027-03-02T03:01:00"}]
    plan = make_plan(edit)
    assert checks._window_demand(plan, plan.regions[0]) == 3.0


def test_undated_target_end_and_support_end_on_the_day():
    lifecycle = Lifecycle("s", {"pg": {"1": _cycle("1", "2020-01-01", support=AS_OF.isoformat()),
                                       "2": _cycle("2", "2019-01-01", undated=True)}})
    findings, rows = checks.check_lifecycle(lifecycle_plan(estate=[("x", "pg", "1.0", "2.0")]), lifecycle, AS_OF)
    assert [(f["severity"], f["evidence"]) for f in findings] == [("blocker", "eol reached; rollout starts 2027-03-06")]
    assert "(eol reached)" in findings[0]["message"] and rows[0]["status"] == "supported"  # support ends on the day
    day_after = AS_OF + dt.timedelta(days=1)
    assert checks.check_lifecycle(lifecycle_plan(estate=[("x", "pg", "1.0", None)]), lifecycle, day_after)[1][0][
        "status"] == "security_only"


def test_a_self_loop_is_no_cycle_to_name():
    assert checks.upgrade_order(nx.DiGraph([("a", "a"), ("a", "b")]), {"a", "b"}) == (["b", "a"], [])


def test_workflow_lists_join_every_component():
    def edit(d):
        d["components"] = [{"name": n, "tier": "app", "product": "p", "version": "1"} for n in "abcd"]
        d["workflows"] = [{"name": "w", "criticality": "high", "components": ["a", "b", "c", "d"]}]
    found = [{"area": "security", "severity": s, "component": c} for s, c in
             [("warning", "a"), ("blocker", "a"), ("warning", "b"), ("warning", "c")]]
    findings, rows = checks.check_workflows(make_plan(edit), found)
    assert rows == [{"workflow": "w", "criticality": "high", "components": "a, b, c, d", "blocked_by": "a",
                     "warnings_in": "b, c", "needs": "parallel run"}]
    findings, rows = checks.check_workflows(make_plan(edit), found[2:])
    assert findings == [{"area": "workflow", "severity": "warning", "component": "w",
                         "message": "high workflow w touches components with warnings: b, c",
                         "evidence": "components a, b, c, d", "recommendation": "extra acceptance testing of w"}]
    # a warning after a blocker of the same component does not lower it; an info never raises one
    later = [{"area": "security", "severity": s, "component": "a"} for s in ("blocker", "warning", "info")]
    assert checks.check_workflows(make_plan(edit), later)[1][0]["blocked_by"] == "a"


def test_two_blockers_are_joined_like_the_warnings():
    def edit(d):
        d["components"] = [{"name": n, "tier": "app", "product": "p", "version": "1"} for n in "abc"]
        d["workflows"] = [{"name": "w", "criticality": "low", "components": ["a", "b", "c"]}]
    found = [{"area": "security", "severity": "blocker", "component": c} for c in "ac"]
    findings, rows = checks.check_workflows(make_plan(edit), found)
    assert rows[0]["blocked_by"] == "a, c" and rows[0]["needs"] == "standard testing"
    assert [(f["severity"], f["message"]) for f in findings] == [
        ("warning", "low workflow w touches components with blockers: a, c")]


def test_no_window_in_the_horizon_leaves_the_batch_load_unknown():
    def edit(d):
        d["calendar"]["one_off_windows"] = [{"start": "2028-01-01T00:00:00", "end": "2028-01-02T00:00:00"}]
        d["chosen_strategy"] = "one-by-one"
    plan = make_plan(edit)
    assert checks._window_demand(plan, plan.regions[0]) is None
    findings, rows = checks.check_capacity(plan)
    assert all(math.isnan(r["utilisation_during_batch"]) for r in rows) and findings == []


def test_every_edge_of_a_cycle_is_set_aside_before_ordering():
    """a -> c -> b -> a: with all three edges set aside nothing constrains the order (reversed
    lexicographic: c, b, a); keeping the closing edge a -> c would put a before b."""
    graph = nx.DiGraph([("c", "b"), ("b", "a"), ("a", "c")])
    assert checks.upgrade_order(graph, {"a", "b", "c"}) == (["c", "b", "a"], [["a", "c", "b"]])
    # named the same whatever order the nodes and edges come in (a set's order differs per process)
    again = nx.DiGraph([("a", "c"), ("b", "a"), ("c", "b")])
    again.add_nodes_from(["b", "c", "a"])
    assert checks.upgrade_order(again, {"c", "a", "b"}) == (["c", "b", "a"], [["a", "c", "b"]])
    two = nx.DiGraph([("y", "x"), ("x", "y"), ("b", "a"), ("a", "b")])
    assert checks.upgrade_order(two, {"x", "y", "a", "b"})[1] == [["a", "b"], ["x", "y"]]
