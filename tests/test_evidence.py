"""Evidence: each kind's reader and its bad inputs, every gate type passing, failing and missing,
the sample's one failing gate, the plan's gate rules, and the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError, PlanError
from upgradesim.evidence import parse_evidence
from upgradesim.sample.estate import sample_plan_path

from .simplans import make_plan

CHG = "CHG-1"
AS_OF = dt.datetime(2027, 3, 5, 12, tzinfo=dt.UTC)


def junit(cases: dict[str, str], stamp="2027-03-01T10:00:00", root="testsuites") -> str:
    body = []
    for tid, outcome in cases.items():
        cls, name = tid.split("::")
        inner = {"failed": "<failure message='x'/>", "error": "<error message='x'/>", "skipped": "<skipped/>"}.get(
            outcome, "")
        body.append(f'<testcase classname="{cls}" name="{name}">{inner}</testcase>')
    suite = f'<testsuite name="s" timestamp="{stamp}">{"".join(body)}</testsuite>'
    return suite if root == "testsuite" else f"<testsuites>{suite}</testsuites>"


def test_junit_counts_each_outcome(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(junit({"a::1": "passed", "a::2": "failed", "b::3": "error", "b::4": "skipped", "b::5": "passed"},
                          root="testsuite"))
    at, summary, details = parse_evidence(path, "regression")
    assert at == dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC)
    assert summary == {"tests": 5, "passed": 2, "failed": 1, "error": 1, "skipped": 1, "pass_rate": 0.5}
    assert [c["outcome"] for c in details["cases"]] == ["passed", "failed", "error", "skipped", "passed"]


@pytest.mark.parametrize("text,message", [
    ("<testsuites><testsuite name='s'></testsuite></testsuites>", "holds no test cases (0 tests is not evidence)"),
    ("<testsuites><testsuite", "not well-formed XML"),
    ("<html><body/></html>", "not a JUnit report (the root element is <html>"),
    ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "y">]><testsuites>&x;</testsuites>', "refused: the XML uses"),
    ("<testsuites><testsuite name='s' timestamp='soon'><testcase name='a'/></testsuite></testsuites>",
     "timestamp(=soon) is not ISO 8601"),
])
def test_bad_junit_is_one_line(tmp_path, text, message):
    path = tmp_path / "r.xml"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        parse_evidence(path, "smoke")
    assert message in str(caught.value) and len(caught.value.lines) == 1


@pytest.mark.parametrize("kind,text,message", [
    ("performance", "transaction,p50_ms\nx,1\n", "missing column p95_ms"),
    ("performance", "transaction,p50_ms,p95_ms\nx,5,4\n", "transaction 'x': needs 0 <= p50_ms <= p95_ms (p50 5, p95 4)"),
    ("performance", "transaction,p50_ms,p95_ms\nx,1,2\nx,1,3\n", "transaction 'x' appears twice"),
    ("uat", "scope: s\nsigner: a\nrole: r\noutcome: maybe\nsigned_at: 2027-01-01\n", "outcome(=maybe)"),
    ("dr_drill", "drill: restore\nperformed_at: 2027-01-01\nrto_target_min: 1\nrto_achieved_min: 1\n"
                 "rpo_target_min: 1\noutcome: passed\n", "give rpo_target_min and rpo_achieved_min together"),
    ("training", "person,role,course,completed_at\n", "no completions"),
    ("pir", "held_at: 2027-01-01\n", "outcome"),
    ("nonsense", "x", "--kind(=nonsense): unknown"),
])
def test_bad_records_name_the_rule(tmp_path, kind, text, message):
    path = tmp_path / "f"
    path.write_text(text)
    with pytest.raises(DataError, match=None) as caught:
        parse_evidence(path, kind)
    assert message in str(caught.value)


def _plan(gates, stage_env="staging"):
    def edit(d):
        d["change_id"] = CHG
        d["evidence"] = {"staging": {"env": stage_env, "gates": gates}}
    return make_plan(edit)


def _add(tmp_path, db, name, text, kind, env="staging", change=CHG, at=None):
    path = tmp_path / name
    path.write_text(text)
    return api.evidence_add(db, path, kind=kind, change_id=change, env=env, by="tester", at=at)["evidence_id"]


def _check(plan, db, as_of=AS_OF):
    return api.evidence_check(plan, db, stage="staging", as_of=as_of)


def test_missing_evidence_is_missing_never_pass(tmp_path):
    plan = _plan([{"kind": "regression", "min_pass_rate": 0.9}, {"kind": "pir"}])
    report = _check(plan, tmp_path / "none.duckdb")
    assert report.status == "missing" and report.exit_code == 2
    assert [r.status for r in report.results] == ["missing", "missing"]
    db = tmp_path / "s.duckdb"
    _add(tmp_path, db, "other.xml", junit({"a::1": "passed"}), "regression", change="CHG-2")  # another change
    _add(tmp_path, db, "prod.xml", junit({"a::1": "passed"}), "regression", env="prod")  # another env
    _add(tmp_path, db, "late.xml", junit({"a::1": "passed"}, stamp="2027-04-01T00:00:00"), "regression")  # after as_of
    report = _check(plan, db)
    assert report.results[0].status == "missing"
    assert report.results[0].reasons == ["no regression evidence for change CHG-1 in staging"]


def test_test_gates_pass_rate_and_new_failures(tmp_path):
    db = tmp_path / "s.duckdb"
    plan = _plan([{"kind": "regression", "min_pass_rate": 0.6, "no_new_failures": True}])
    first = _add(tmp_path, db, "1.xml", junit({"a::1": "passed", "a::2": "failed", "a::3": "passed", "a::4": "passed"},
                                               stamp="2027-02-01T00:00:00"), "regression")
    report = _check(plan, db)
    assert report.results[0].status == "fail"  # the only run: its failure counts as new
    assert report.results[0].reasons[-1] == "1 new failure(s) (no previous run: every failure counts as new): a::2"
    second = _add(tmp_path, db, "2.xml", junit({"a::1": "passed", "a::2": "failed", "a::3": "passed", "a::4": "skipped"},
                                                stamp="2027-02-02T00:00:00"), "regression")
    report = _check(plan, db)
    (r,) = report.results
    assert r.status == "pass" and r.evidence == [second, first]  # a::2 failed before too: not new
    assert r.reasons == ["2 of 3 run passed (66.7%), 1 skipped"]
    assert report.exit_code == 0 and report.status == "pass"


def test_pass_rate_below_the_gate_fails(tmp_path):
    db = tmp_path / "s.duckdb"
    plan = _plan([{"kind": "smoke", "min_pass_rate": 1.0, "min_tests": 3}])
    _add(tmp_path, db, "s.xml", junit({"a::1": "passed", "a::2": "error"}), "smoke")
    (r,) = _check(plan, db).results
    assert r.status == "fail"
    assert r.reasons == ["1 of 2 run passed (50.0%), 0 skipped", "2 tests < 3", "pass rate 50.0% < 100%"]


def test_new_failure_against_the_previous_run(tmp_path):
    db = tmp_path / "s.duckdb"
    plan = _plan([{"kind": "regression", "no_new_failures": True}])
    _add(tmp_path, db, "1.xml", junit({"a::1": "failed", "a::2": "passed"}, stamp="2027-02-01T00:00:00"), "regression")
    _add(tmp_path, db, "2.xml", junit({"a::1": "failed", "a::2": "failed"}, stamp="2027-02-02T00:00:00"), "regression")
    (r,) = _check(plan, db).results
    assert r.status == "fail" and r.reasons[-1].startswith("1 new failure(s) (against the previous run ")
    assert r.reasons[-1].endswith("): a::2")


def test_performance_against_the_production_baseline(tmp_path):
    db = tmp_path / "s.duckdb"
    plan = _plan([{"kind": "performance", "max_p95_increase_pct": 10}])
    early, late = dt.datetime(2027, 2, 1, tzinfo=dt.UTC), dt.datetime(2027, 2, 2, tzinfo=dt.UTC)
    _add(tmp_path, db, "staging.csv", "transaction,p50_ms,p95_ms\na,10,110\nb,10,100\n", "performance", at=late)
    (r,) = _check(plan, db).results
    assert r.status == "missing" and r.reasons == ["no performance baseline in prod to compare with"]
    _add(tmp_path, db, "prod.csv", "transaction,p50_ms,p95_ms\na,10,100\nb,10,100\n", "performance", env="prod",
         at=early)
    (r,) = _check(plan, db).results
    assert r.status == "pass" and r.reasons == ["every transaction's p95 within 10% of prod"]
    _add(tmp_path, db, "staging2.csv", "transaction,p50_ms,p95_ms\na,10,111\nc,1,2\n", "performance",
         at=late + dt.timedelta(hours=1))
    (r,) = _check(plan, db).results
    assert r.status == "fail"
    assert r.reasons == ["1 transaction(s) over +10%: a p95 111 ms vs 100 ms (+11.0%)", "no baseline for c"]


def test_uat_roles_drill_training_pir_and_probe(tmp_path):
    db = tmp_path / "s.duckdb"
    plan = _plan([{"kind": "uat", "roles": ["owner", "qa"]}, {"kind": "dr_drill", "max_age_days": 30},
                  {"kind": "training", "roles": ["executor"]}, {"kind": "pir"},
                  {"kind": "probe", "probe_stage": "post"}])
    sign = "scope: s\nsigner: {who}\nrole: {role}\noutcome: {outcome}\nsigned_at: 2027-03-01T00:00:00Z\n"
    _add(tmp_path, db, "u1.yaml", sign.format(who="ann", role="owner", outcome="approved"), "uat")
    _add(tmp_path, db, "u2.yaml", sign.format(who="bob", role="intern", outcome="approved"), "uat")
    _add(tmp_path, db, "d.yaml", "drill: restore\nperformed_at: 2027-01-01T00:00:00Z\nrto_target_min: 60\n"
         "rto_achieved_min: 70\nrpo_target_min: 5\nrpo_achieved_min: 1\noutcome: passed\n", "dr_drill")
    _add(tmp_path, db, "t.csv", "person,role,course,completed_at\ncy,validator,c,2027-02-01T00:00:00Z\n", "training")
    uat, drill, training, pir, probe = _check(plan, db).results
    assert uat.status == "missing" and uat.reasons == ["owner (ann) approved", "no sign-off by qa"]
    assert uat.notes == ["a sign-off by intern, a role this gate does not ask for (it needs owner, qa)"]
    assert drill.status == "missing"
    assert drill.reasons == ["no dr_drill evidence for change CHG-1 in staging in the last 30 days (the newest is "
                             "from 2027-01-01 00:00)"]
    assert training.status == "missing"
    assert training.reasons == ["nobody in the role executor has completed the training"]
    assert pir.status == "missing" and probe.status == "missing"
    _add(tmp_path, db, "u3.yaml", sign.format(who="cat", role="qa", outcome="rejected"), "uat")
    _add(tmp_path, db, "d2.yaml", "drill: failover\nperformed_at: 2027-03-01T00:00:00Z\nrto_target_min: 60\n"
         "rto_achieved_min: 70\noutcome: passed\n", "dr_drill")
    _add(tmp_path, db, "p.yaml", "held_at: 2027-03-02T00:00:00Z\noutcome: successful_with_issues\nactions: [a, b]\n",
         "pir")
    uat, drill, training, pir, probe = _check(plan, db).results
    assert uat.status == "fail" and "qa (cat) rejected" in uat.reasons
    assert drill.status == "fail"
    assert drill.reasons == ["failover drill passed: RTO 70 of 60 min", "RTO missed by 10 min",
                             "the drill recorded no RPO"]
    assert pir.status == "pass" and pir.reasons == ["review held: successful with issues, 2 action(s)"]


@pytest.mark.parametrize("gate,message", [
    ({"kind": "pir", "min_pass_rate": 0.9}, "min_pass_rate applies to regression, integration, smoke gates, not pir"),
    ({"kind": "uat"}, "a uat gate needs roles"),
    ({"kind": "smoke", "max_age_days": 1, "max_age_min": 5}, "give max_age_days or max_age_min, not both"),
    ({"kind": "regression", "roles": ["x"]}, "roles applies to uat, training gates, not regression"),
    ({"kind": "audit"}, "evidence.staging.gates[0].kind(=audit)"),
])
def test_gate_rules_are_checked_with_the_line(gate, message):
    with pytest.raises(PlanError) as caught:
        _plan([gate])
    assert message in str(caught.value) and str(caught.value).startswith("sim.yaml:")


def test_a_stage_the_plan_lacks(tmp_path):
    with pytest.raises(PlanError, match="no such stage; the plan's stages: staging"):
        api.evidence_check(_plan([{"kind": "pir"}]), tmp_path / "x.duckdb", stage="prod-wave")


def test_evidence_for_another_change_is_refused_with_a_plan(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("held_at: 2027-03-02T00:00:00Z\noutcome: successful\n")
    with pytest.raises(DataError, match=r"--change\(=CHG-9\): evidence for another change; the plan's is CHG-1"):
        api.evidence_add(tmp_path / "s.duckdb", path, kind="pir", change_id="CHG-9", env="prod",
                         plan=_plan([{"kind": "pir"}]))
    with pytest.raises(DataError, match="--env"):
        api.evidence_add(tmp_path / "s.duckdb", path, kind="pir", change_id="CHG-1", env="../etc")


def test_sample_evidence_fails_one_gate_on_purpose(tmp_path):
    from upgradesim.sample.evidence import AS_OF as SAMPLE_AS_OF
    from upgradesim.sample.evidence import EVIDENCE, write_evidence

    plan = api.load(sample_plan_path())
    write_evidence(tmp_path)
    db = tmp_path / "s.duckdb"
    for name, (kind, env, extra) in EVIDENCE.items():
        at = dt.datetime.fromisoformat(extra[1]) if extra else None
        api.evidence_add(db, tmp_path / "evidence" / name, kind=kind, change_id=plan.change_id, env=env, at=at)
    report = api.evidence_check(plan, db, stage="staging", as_of=dt.datetime.fromisoformat(SAMPLE_AS_OF))
    assert {r.kind: r.status for r in report.results} == {
        "regression": "pass", "performance": "fail", "uat": "pass", "dr_drill": "pass", "training": "pass"}
    assert report.results[1].reasons == [
        "1 transaction(s) over +10%: checkout-submit p95 467 ms vs 410 ms (+13.9%)"]


def test_cli_add_list_show_check(tmp_path):
    runner = CliRunner()
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(json.loads(_plan([{"kind": "smoke", "min_pass_rate": 1.0}]).model_dump_json(
        exclude_none=True)), sort_keys=False))
    db = tmp_path / "s.duckdb"
    xml = tmp_path / "smoke.xml"
    xml.write_text(junit({"a::1": "passed", "a::2": "passed"}))
    res = runner.invoke(cli, ["evidence", "add", str(xml), "--kind", "smoke", "--change", CHG, "--env", "staging",
                              "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)
    assert rec["summary"]["pass_rate"] == 1.0
    res = runner.invoke(cli, ["evidence", "list", "--db", str(db)])
    assert res.exit_code == 0 and rec["evidence_id"][:8] in res.output and "smoke" in res.output
    res = runner.invoke(cli, ["evidence", "show", rec["evidence_id"][:8], "--db", str(db), "--json"])
    assert json.loads(res.output)["details"]["cases"][0] == {"id": "a::1", "outcome": "passed", "time_s": 0.0}
    res = runner.invoke(cli, ["evidence", "check", str(plan), "--stage", "staging", "--db", str(db),
                              "--as-of", "2027-03-05T00:00:00Z"])
    assert res.exit_code == 0 and "PASS     smoke, pass rate >= 100%" in res.output
    res = runner.invoke(cli, ["evidence", "check", str(plan), "--stage", "staging", "--db", str(db),
                              "--as-of", "2027-02-05T00:00:00Z", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["gates"][0]["status"] == "missing"
    res = runner.invoke(cli, ["evidence", "add", str(xml), "--kind", "smoke", "--change", CHG, "--env", "staging",
                              "--db", str(db), "--at", "later"])
    assert res.exit_code == 1 and "--at(=later): must be an ISO 8601" in res.output
    res = runner.invoke(cli, ["evidence", "show", "zzzzzzzz", "--db", str(db)])
    assert res.exit_code == 1 and "no evidence 'zzzzzzzz'" in res.output
