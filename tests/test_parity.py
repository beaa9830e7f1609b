"""Staging parity, integrations in readiness, evidence in readiness and the CAB pack."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import PlanError
from upgradesim.readiness import assess
from upgradesim.readiness.evidence_checks import check_integrations

from .simplans import make_plan


def _plan(env=None, **extra):
    def edit(d):
        d["change_id"] = "CHG-1"
        d["components"][1]["target_version"] = "2"  # app upgrades; db stays
        d["regions"][0]["nodes"] = {"app": 8, "db": 2}
        d["workflows"] = [{"name": "checkout-flow", "criticality": "critical", "components": ["app"]},
                          {"name": "reporting", "criticality": "low", "components": ["db"]}]
        d["environments"] = [env or {"name": "staging", "nodes": {"app": 4, "db": 1}, "versions": {"app": "2", "db": "12"}}]
        d.update(extra)
    return make_plan(edit)


def test_a_faithful_staging_scores_100_on_what_it_declares():
    report = api.parity(_plan(), env="staging")
    by = {(i.area, i.check): i for i in report.items}
    assert by[("topology", "tier app present")].ok and by[("topology", "tier app share of nodes")].ok
    assert by[("versions", "app runs the target 2")].ok and by[("versions", "db as in prod (12)")].ok
    assert not by[("configuration", "snapshots compared")].ok  # no store: unknown, not a pass
    assert not by[("workflows", "workflow checkout-flow exercised")].ok
    assert by[("workflows", "workflow checkout-flow exercised")].risk == "high"
    # weights: 4 topology tiers (3+1+3+1) + regions 1 + versions 3+2 + config 2 + workflows 3+1 = 20; lost 2+3+1
    assert report.score == round(100 * (1 - 6 / 20), 1)


def test_missing_tier_wrong_version_and_skewed_ratio():
    env = {"name": "staging", "nodes": {"app": 1, "db": 0}, "versions": {"app": "1", "db": "13"}}
    report = api.parity(_plan(env), env="staging")
    bad = {(i.check, i.risk) for i in report.differences()}
    assert ("tier db present", "high") in bad
    assert ("app runs the target 2", "high") in bad and ("db as in prod (12)", "medium") in bad
    assert ("tier app share of nodes", "low") not in bad  # 100% of staging is app vs 80%: within half


def test_unknown_environment_is_one_line():
    with pytest.raises(PlanError, match="environments.*no such environment; the plan declares staging"):
        api.parity(_plan(), env="qa")
    with pytest.raises(PlanError, match=r"environments\[0\].nodes.ap\(=ap\): unknown tier"):
        _plan({"name": "staging", "nodes": {"ap": 1}})


def test_integrations_touched_without_fallback_or_contract():
    def edit(d):
        d["change_id"] = "CHG-1"
        d["components"] = [
            {"name": "db", "tier": "db", "product": "postgresql", "version": "12", "target_version": "16"},
            {"name": "app", "tier": "app", "product": "shop", "version": "1", "depends_on": ["db"]},
            {"name": "pay", "tier": "integration", "product": "psp", "version": "1", "depends_on": ["db"]},
            {"name": "mail", "tier": "integration", "product": "smtp", "version": "1", "depends_on": ["app"]},
            {"name": "tax", "tier": "app", "product": "tax", "version": "1", "depends_on": ["db"],
             "integration": {"partner": "tax authority", "fallback": "manual"}},
        ]
        d["regions"][0]["nodes"] = {"app": 2, "db": 1}
    plan = make_plan(edit)
    found = check_integrations(plan, plan.dependency_graph())
    assert [(f["severity"], f["component"]) for f in found] == [("warning", "pay"), ("info", "tax")]
    assert found[0]["message"] == ("integration pay is touched by the upgrade (it works with db, which is upgraded) "
                                   "but declares neither a fallback nor a contract test")
    assert found[1]["message"] == ("integration tax is touched by the upgrade (it works with db, which is upgraded) "
                                   "and declares no contract test")
    assert found[1]["recommendation"] == "declare a contract test"


def test_readiness_blocks_on_before_go_evidence(tmp_path):
    plan = _plan(evidence={"staging": {"env": "staging", "before_go": True, "gates": [{"kind": "pir"}]},
                           "after": {"gates": [{"kind": "pir"}]}})
    result = assess(plan, as_of=dt.date(2027, 3, 5))
    evd = result.findings[result.findings["area"] == "evidence"]
    assert list(evd["severity"]) == ["blocker"] and evd["id"].iloc[0] == "EVD-001"
    assert "stage staging: pir [staging] is MISSING: no store given" in evd["message"].iloc[0]
    assert not result.go


def test_cab_pack_evidence_table(tmp_path):
    from upgradesim.report.data import evidence_table

    plan = _plan(evidence={"staging": {"env": "staging", "before_go": True, "gates": [{"kind": "pir"}]},
                           "wave": {"gates": [{"kind": "smoke"}]}},
                 calendar={"start": "2027-03-01T00:00:00Z", "horizon_days": 30,
                           "one_off_windows": [{"start": "2027-03-01T00:00:00", "end": "2027-04-15T00:00:00"}]})
    db = tmp_path / "s.duckdb"
    pir = tmp_path / "pir.yaml"
    pir.write_text("held_at: 2027-02-20T00:00:00Z\noutcome: successful\n")
    api.evidence_add(db, pir, kind="pir", change_id="CHG-1", env="staging")
    table = evidence_table(plan, str(db))
    assert table[["stage", "status"]].values.tolist() == [["staging", "PASS"], ["wave", "LATER"]]
    pir.write_text("held_at: 2027-03-20T00:00:00Z\noutcome: successful\n")  # after the rollout's start: not yet
    assert evidence_table(plan, str(tmp_path / "other.duckdb"))["status"].tolist() == ["MISSING", "LATER"]


def test_cli_parity_exit_codes(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(json.loads(_plan().model_dump_json(exclude_none=True)), sort_keys=False))
    res = CliRunner().invoke(cli, ["parity", str(path), "--env", "staging", "--json"])
    doc = json.loads(res.output)
    assert res.exit_code == 2 and doc["score"] == 70.0  # the critical workflow is not exercised: high
    res = CliRunner().invoke(cli, ["parity", str(path), "--env", "nope"])
    assert res.exit_code == 1


def test_data_residency():
    from upgradesim.readiness.evidence_checks import check_residency

    def plan(flows, allowed=(), require=False, eu="EU"):
        def edit(d):
            d["regions"] = [dict(d["regions"][0], name="eu", jurisdiction=eu),
                            dict(d["regions"][0], name="us", jurisdiction="US"),
                            dict(d["regions"][0], name="eu2", jurisdiction="eu")]
            if eu is None:
                del d["regions"][0]["jurisdiction"]
            d["data_flows"] = flows
            d["residency"] = {"allowed": list(allowed), "require_jurisdiction": require}
        return make_plan(edit)
    move = [{"name": "arch", "kind": "archive", "source": "eu", "target": "us", "data": "orders"}]
    (f,) = check_residency(plan(move))
    assert f["severity"] == "blocker" and f["message"] == (
        "archive arch (orders) moves data from eu (EU) to us (US): the residency policy does not allow it")
    assert check_residency(plan(move, allowed=["eu -> us"])) == []
    assert check_residency(plan([{"name": "r", "kind": "replication", "source": "eu", "target": "eu2"}])) == []
    (g,) = check_residency(plan(move, eu=None))
    assert g["severity"] == "warning" and "eu declares no jurisdiction" in g["message"]
    assert check_residency(plan(move, eu=None, require=True))[0]["severity"] == "blocker"
    with pytest.raises(PlanError, match=r"data_flows\[0\].target\(=mars\): unknown region"):
        plan([{"name": "x", "kind": "backup", "source": "eu", "target": "mars"}])
