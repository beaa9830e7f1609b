"""Health probes against a real local HTTP server and real sockets (no mocks of the network)."""

from __future__ import annotations

import json
import socket
import time

import pytest
import yaml
from click.testing import CliRunner
from werkzeug import Response

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError, PlanError
from upgradesim.evidence.probes import redact

from .simplans import make_plan


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


def _plan(probes):
    def edit(d):
        d["change_id"] = "CHG-1"
        d["probes"] = probes
        d["evidence"] = {"wave": {"gates": [{"kind": "probe", "probe_stage": "post", "max_age_min": 30}]}}
    return make_plan(edit)


def test_probes_pass_fail_and_retry_against_a_real_server(httpserver, tmp_path):
    httpserver.expect_request("/health").respond_with_data("status: UP")
    httpserver.expect_request("/down").respond_with_data("oops", status=500)
    httpserver.expect_request("/wrong").respond_with_data("status: DOWN")

    def slow(request):
        time.sleep(0.3)
        return Response("UP")
    httpserver.expect_request("/slow").respond_with_handler(slow)
    httpserver.expect_oneshot_request("/flaky").respond_with_data("busy", status=503)  # the first answer only
    httpserver.expect_request("/flaky").respond_with_data("UP")
    closed = _closed_port()
    plan = _plan([
        {"name": "ok", "component": "app", "url": httpserver.url_for("/health"), "body": "UP"},
        {"name": "down", "component": "app", "url": httpserver.url_for("/down"), "retries": 0},
        {"name": "wrong-body", "component": "app", "url": httpserver.url_for("/wrong"), "body": "UP$", "retries": 0},
        {"name": "slow", "component": "app", "url": httpserver.url_for("/slow"), "latency_ms": 100, "retries": 0},
        {"name": "flaky", "component": "app", "url": httpserver.url_for("/flaky"), "retries": 1},
        {"name": "port-open", "component": "db", "tcp": f"127.0.0.1:{httpserver.port}"},
        {"name": "port-closed", "component": "db", "tcp": f"127.0.0.1:{closed}", "retries": 0},
        {"name": "timeout", "component": "app", "url": httpserver.url_for("/slow"), "timeout_s": 0.05, "retries": 0},
    ])
    db = tmp_path / "s.duckdb"
    out = api.probe(plan, stage="post", db=db)
    by = {r["name"]: r for r in out["results"]}
    assert [r["name"] for r in out["results"]] == ["ok", "down", "wrong-body", "slow", "flaky", "port-open",
                                                   "port-closed", "timeout"]
    assert by["ok"]["ok"] and by["ok"]["status"] == 200 and by["ok"]["attempts"] == 1, by["ok"]["reason"]
    assert not by["down"]["ok"] and by["down"]["reason"] == "status 500, expected 200"
    assert by["wrong-body"]["reason"] == "the body does not match 'UP$'"
    assert not by["slow"]["ok"] and by["slow"]["reason"].endswith("over the 100 ms budget")
    assert by["flaky"]["ok"] and by["flaky"]["attempts"] == 2
    assert by["port-open"]["ok"] and not by["port-closed"]["ok"]
    assert by["port-closed"]["reason"].startswith("cannot connect")
    assert by["timeout"]["reason"] == "no answer within 0.05 s"
    assert out["summary"] == {"stage": "post", "probes": 8, "failed": 5,
                              "failures": ["down", "wrong-body", "slow", "port-closed", "timeout"]}
    # stored as evidence: the wave gate sees the failures
    report = api.evidence_check(plan, db, stage="wave")
    assert report.results[0].status == "fail"
    assert report.results[0].reasons == ["5 of 8 probes failed: down, wrong-body, slow, port-closed, timeout"]


def test_a_passing_run_passes_the_gate_and_the_cli_exits_by_result(httpserver, tmp_path):
    httpserver.expect_request("/health").respond_with_data("UP")
    plan = _plan([{"name": "ok", "component": "app", "url": httpserver.url_for("/health")}])
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(json.loads(plan.model_dump_json(exclude_none=True)), sort_keys=False))
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    res = runner.invoke(cli, ["probe", str(path), "--stage", "post", "--db", str(db)])
    assert res.exit_code == 0 and res.output.startswith("OK   ok (app, http://")
    assert api.evidence_check(plan, db, stage="wave").results[0].status == "pass"
    res = runner.invoke(cli, ["probe", str(path), "--stage", "pre", "--probe", "nope", "--json"])
    assert res.exit_code == 1 and "--probe(=nope): not a probe of the plan (it has ok)" in res.output
    closed = _closed_port()
    bad = _plan([{"name": "c", "component": "db", "tcp": f"127.0.0.1:{closed}", "retries": 0}])
    path.write_text(yaml.safe_dump(json.loads(bad.model_dump_json(exclude_none=True)), sort_keys=False))
    res = runner.invoke(cli, ["probe", str(path), "--stage", "pre", "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["summary"]["failed"] == 1


def test_credentials_in_a_url_are_never_shown(httpserver):
    httpserver.expect_request("/h").respond_with_data("UP")
    url = httpserver.url_for("/h").replace("http://", "http://admin:s3cret@")
    out = api.probe(_plan([{"name": "p", "component": "app", "url": url}]), stage="pre")
    assert "s3cret" not in json.dumps(out) and "admin" not in json.dumps(out)
    assert redact("https://u:p@example.com:8443/x?q=1") == "https://***@example.com:8443/x?q=1"
    assert redact("https://example.com/x") == "https://example.com/x"


@pytest.mark.parametrize("probe,message", [
    ({"name": "p", "component": "app"}, "give url or tcp, exactly one"),
    ({"name": "p", "component": "app", "url": "ftp://x"}, "url must start with http:// or https://"),
    ({"name": "p", "component": "app", "tcp": "host"}, "tcp must look like host:port"),
    ({"name": "p", "component": "app", "tcp": "h:1", "body": "x"}, "body and expect_status apply to url probes"),
    ({"name": "p", "component": "app", "url": "http://x", "body": "("}, "body is not a regular expression"),
    ({"name": "p", "component": "ap", "url": "http://x"}, "probes[0].component(=ap): unknown component"),
])
def test_probe_rules(probe, message):
    with pytest.raises(PlanError) as caught:
        _plan([probe])
    assert message in str(caught.value)


def test_no_probes_and_a_bad_stage():
    with pytest.raises(DataError, match="the plan declares no probes"):
        api.probe(_plan([]), stage="pre")
    with pytest.raises(DataError, match=r"--stage\(=during\): must be pre or post"):
        api.probe(_plan([]), stage="during")
