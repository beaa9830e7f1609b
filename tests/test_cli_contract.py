"""The error contract, verb by verb: exit 1 and one line per problem (JSON under --json), never a
traceback; nothing created by a verifier; names that would escape their folder refused."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from upgradesim.cli import cli

# verb -> arguments that point at a file or store that does not exist
MISSING = {
    "validate": ["{t}/nope.yaml"],
    "simulate": ["{t}/nope.yaml", "--strategy", "x"],
    "compare": ["{t}/nope.yaml"],
    "check": ["{t}/nope.yaml"],
    "ingest": ["{t}/nope.csv", "--db", "{t}/s.duckdb"],
    "logs-diff": ["{t}/nope.log", "{t}/nope2.log"],
    "readiness": ["{t}/nope.yaml"],
    "runbook": ["{t}/nope.yaml"],
    "history": ["{t}/nope.csv", "--db", "{t}/s.duckdb"],
    "audit ingest": ["{t}/nope.jsonl", "--db", "{t}/s.duckdb"],
    "audit verify": ["--db", "{t}/none.duckdb"],
    "archive verify": ["{t}/no-archive"],
    "config snapshot": ["{t}/no-folder", "--env", "prod", "--tag", "t1", "--db", "{t}/s.duckdb"],
    "sod": ["--plan", "{t}/nope.yaml"],
    "config freeze-check": ["--plan", "{t}/nope.yaml", "--env", "prod", "--db", "{t}/s.duckdb"],
}
JSON_VERBS = set(MISSING)  # every verb speaks JSON


@pytest.mark.parametrize("verb", sorted(MISSING))
def test_a_missing_input_is_one_line_and_exit_1(verb, tmp_path):
    args = verb.split() + [a.format(t=tmp_path) for a in MISSING[verb]]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, (verb, result.output)
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and all(len(line) < 400 for line in lines)
    if verb in JSON_VERBS:
        as_json = CliRunner().invoke(cli, args + ["--json"])
        assert as_json.exit_code == 1
        doc = json.loads(as_json.stdout)
        assert set(doc) == {"error"} and doc["error"]["messages"] and doc["error"]["type"]


def test_usage_mistakes_exit_1_not_2(tmp_path):
    result = CliRunner().invoke(cli, ["check"])  # missing PLAN
    assert result.exit_code == 1 and "Missing argument" in result.output
    result = CliRunner().invoke(cli, ["no-such-verb"])
    assert result.exit_code == 1
    result = CliRunner().invoke(cli, ["check", "x.yaml", "--replications", "0", "--json"])
    assert result.exit_code == 1 and "error" in json.loads(result.stdout)


def test_an_internal_error_is_exit_1_with_one_line(monkeypatch, tmp_path):
    import upgradesim.plan as plan_module

    def boom(*args, **kwargs):
        raise RuntimeError("planted\nsecond line")

    monkeypatch.setattr(plan_module, "load_plan", boom)
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "x.yaml")])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("internal error: RuntimeError: planted (a bug in upgradesim; run with --debug "
                                     "for the traceback)")
    debug = CliRunner().invoke(cli, ["--debug", "validate", str(tmp_path / "x.yaml")])
    assert isinstance(debug.exception, RuntimeError)


def test_audit_verify_creates_nothing_and_checks_its_arguments(tmp_path):
    db = tmp_path / "none.duckdb"
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", str(db)])
    assert result.exit_code == 1 and "no store here" in result.stderr
    assert list(tmp_path.iterdir()) == []
    runner = CliRunner()
    assert runner.invoke(cli, ["audit", "append", "--change", "C1", "--step", "s", "--actor", "a", "--role", "executor",
                               "--action", "x", "--db", str(db)]).exit_code == 0
    for head in ("", "zz", "ABC"):
        bad = runner.invoke(cli, ["audit", "verify", "--db", str(db), "--expect-head", head])
        assert bad.exit_code == 1 and "--expect-head" in bad.stderr
    ok = runner.invoke(cli, ["audit", "verify", "--db", str(db), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True and json.loads(ok.stdout)["records"] == 1
    (tmp_path / "none.duckdb.key").rename(tmp_path / "moved.key")
    nokey = runner.invoke(cli, ["audit", "verify", "--db", str(db)])
    assert nokey.exit_code == 1 and "no key beside the store" in nokey.stderr
    assert not (tmp_path / "none.duckdb.key").exists()


@pytest.mark.parametrize("name", ["../escape", "/abs/path", "a/b", "..", ".hidden", "", "x" * 200])
def test_names_that_would_escape_their_folder_are_refused(name, tmp_path):
    runner = CliRunner()
    db = tmp_path / "s.duckdb"
    out = tmp_path / "out"
    result = runner.invoke(cli, ["archive", "create", "--change", name, "--out", str(out), "--db", str(db)])
    assert result.exit_code == 1 and "--change" in result.stderr, result.output
    conf = tmp_path / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "app.yaml").write_text("a: 1\n")
    for option in ("--env", "--tag"):
        args = {"--env": "prod", "--tag": "t1"} | {option: name}
        snap = runner.invoke(cli, ["config", "snapshot", str(conf), "--env", args["--env"], "--tag", args["--tag"],
                                   "--db", str(db)])
        assert snap.exit_code == 1 and option in snap.stderr, snap.output
    assert not (tmp_path.parent / "escape").exists() and not out.exists()


def test_archive_verify_follows_no_links(tmp_path):
    runner = CliRunner()
    db = tmp_path / "s.duckdb"
    assert runner.invoke(cli, ["audit", "append", "--change", "C1", "--step", "s", "--actor", "a", "--role",
                               "executor", "--action", "x", "--db", str(db)]).exit_code == 0
    out = tmp_path / "arch"
    assert runner.invoke(cli, ["archive", "create", "--change", "C1", "--out", str(out), "--db", str(db)]).exit_code == 0
    assert runner.invoke(cli, ["archive", "verify", str(out / "C1")]).exit_code == 0
    assert [p.name for p in out.iterdir()] == ["C1"]  # no partial folder left behind
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    (out / "C1" / "link.txt").symlink_to(secret)
    result = runner.invoke(cli, ["archive", "verify", str(out / "C1"), "--json"])
    assert result.exit_code == 2
    assert "link.txt: not in the manifest" in json.loads(result.stdout)["problems"]


@pytest.mark.parametrize("args", [
    ["kpi"], ["baseline"], ["config", "drift", "--env", "prod"], ["audit", "show"], ["sod"],
    ["judge", "--baseline", "..2026-01-01", "--candidate", "2026-01-01.."], ["judge", "backtest"],
    ["calibrate", "--out", "{t}/overlay.yaml"], ["archive", "create", "--change", "C1", "--out", "{t}/arch"],
])
def test_reading_verbs_never_create_a_store(args, tmp_path):
    db = tmp_path / "missing.duckdb"
    result = CliRunner().invoke(cli, [a.format(t=tmp_path) for a in args] + ["--db", str(db)])
    assert result.exit_code == 1 and "no store here" in result.stderr, result.output
    assert list(tmp_path.iterdir()) == []


def test_a_plan_that_never_finishes_fails_check(write_plan):
    from .conftest import TINY_PLAN

    never = write_plan(TINY_PLAN.replace("horizon_days: 14", "horizon_days: 1").replace('"sat 01:00-05:00"',
                                                                                        '"sun 01:00-05:00"'))
    result = CliRunner().invoke(cli, ["check", str(never), "--strategy", "all-at-once", "-n", "20", "--json"])
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "breach"
    assert any(c["limit_key"] == "horizon" and "no replication finished within the plan's horizon" in c["message"]
               for c in doc["checks"])
    fine = write_plan(TINY_PLAN)
    ok = CliRunner().invoke(cli, ["check", str(fine), "--strategy", "all-at-once", "-n", "20"])
    assert ok.exit_code == 0 and "nothing to check" in ok.output


def test_every_verb_prints_json_on_success(tmp_path):
    runner = CliRunner()

    def ok(args):
        result = runner.invoke(cli, args + ["--json"])
        assert result.exit_code in (0, 2), (args, result.output)
        return json.loads(result.stdout)

    folder = tmp_path / "estate"
    doc = ok(["init", str(folder), "--weeks", "1", "--post-days", "1", "--step-min", "60"])
    assert doc["plan"].endswith("plan.yaml") and doc["telemetry_rows"] > 0
    assert ok(["schema"])["title"] == "upgradesim plan"
    db = str(tmp_path / "s.duckdb")
    doc = ok(["ingest", *doc["telemetry"], "--db", db])
    assert doc["rows"] > 0 and doc["files"][0]["status"] == "ingested"
    assert ok(["history", str(folder / "history.csv"), "--db", db]) == {"stored": 10}
    doc = ok(["audit", "append", "--change", "C9", "--step", "s", "--actor", "a", "--role", "executor", "--action", "x",
              "--db", db])
    assert doc["seq"] == 1 and len(doc["head"]) == 64
    assert ok(["audit", "ingest", str(folder / "logs" / "executed-CHG-2026-0077.jsonl"), "--db", db])["appended"] > 0
    doc = ok(["config", "snapshot", str(folder / "config" / "prod"), "--env", "prod", "--tag", "t1", "--db", db])
    assert doc["env"] == "prod" and doc["secrets"] > 0
    doc = ok(["archive", "create", "--change", "C9", "--out", str(tmp_path / "arch"), "--db", db])
    assert doc["change_id"] == "C9" and doc["files"] > 0
    doc = ok(["archive", "retention", str(tmp_path / "arch")])
    assert [a["change_id"] for a in doc["archives"]] == ["C9"]
