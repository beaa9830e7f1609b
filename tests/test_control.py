"""Configuration control and governance: formats, secrets, drift, freezes, the audit chain, SoD,
runbook order, KPIs, calibration, archives."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from upgradesim import DataError, load_plan, sample_plan_path
from upgradesim.cli import cli
from upgradesim.control import (
    append,
    archive_change,
    change_success_score,
    check_runbook,
    classify,
    diff_entries,
    fit_tiers,
    freeze_violations,
    kpis,
    load_exceptions,
    load_runbook,
    read_config_dir,
    retention_check,
    sod_violations,
    startup_sequence,
    store_key,
    verify,
    verify_archive,
)
from upgradesim.control.drift import DriftException, ExceptionRegister
from upgradesim.store import Store

KEY = bytes(range(32))


def config_dir(tmp_path, name="cfg", **overrides):
    root = tmp_path / name
    root.mkdir()
    files = {
        "app.yaml": "server:\n  port: 8443\n  tls: true\nlist: [1, 2]\ndb:\n  password: hunter2\n",
        "x.json": '{"a": {"b": 1.5, "c": null}, "items": [{"n": 1}]}',
        "db.ini": "[pg]\nmax_connections = 400\nwork_mem = 64MB\n",
        "s.properties": "pool.max=50\ndb.url: jdbc:postgresql://h/db\n# comment\n",
        ".env": "export TOKEN=abc123\nLEVEL='info'\nURL=postgres://u:p4ss@h/db\n",
        "r.toml": "[jvm]\nheap = \"6g\"\nthreads = 8\n",
    } | overrides
    for file, text in files.items():
        (root / file).write_text(text)
    return root


def test_each_format_is_flattened_with_types(tmp_path):
    entries, hashes = read_config_dir(config_dir(tmp_path), KEY)
    got = {(e.file, e.key): (e.value, e.type) for e in entries}
    assert got[("app.yaml", "server.port")] == ("8443", "int")
    assert got[("app.yaml", "server.tls")] == ("true", "bool")
    assert got[("app.yaml", "list")] == ("[1, 2]", "list")
    assert got[("x.json", "a.b")] == ("1.5", "float") and got[("x.json", "a.c")] == ("", "null")
    assert got[("x.json", "items[0].n")] == ("1", "int")
    assert got[("db.ini", "pg.max_connections")] == ("400", "str")
    assert got[("s.properties", "pool.max")] == ("50", "str") and got[("s.properties", "db.url")][0].startswith("jdbc")
    assert got[(".env", "LEVEL")] == ("info", "str")
    assert got[("r.toml", "jvm.threads")] == ("8", "int")
    secrets = {(e.file, e.key) for e in entries if e.secret}
    assert secrets == {("app.yaml", "db.password"), (".env", "TOKEN"), (".env", "URL")}
    assert all(e.value.startswith("fp:") and e.type == "secret" for e in entries if e.secret)
    assert len(hashes) == 6


@pytest.mark.parametrize(("file", "text", "message"), [
    ("bad.yaml", "a: [1, 2\n", "bad.yaml:2: not valid YAML"),
    ("bad.json", '{"a": }', "bad.json:1: not valid JSON"),
    ("bad.toml", "a = = 1\n", "bad.toml:1: not valid TOML"),
    ("bad.env", "hunter2 is the password\n", "bad.env:1: expected KEY=VALUE"),
])
def test_malformed_files_are_named(tmp_path, file, text, message):
    root = tmp_path / "c"
    root.mkdir()
    (root / file).write_text(text)
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("(", r"\(")):
        read_config_dir(root, KEY)


def test_secrets_never_reach_the_database_file(tmp_path):
    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    for env, pw in (("prod", "hunter2"), ("staging", "correct-horse-battery")):
        root = config_dir(tmp_path, env, **{"app.yaml": f"db:\n  password: {pw}\n"})
        assert runner.invoke(cli, ["config", "snapshot", str(root), "--env", env, "--tag", "t1", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["config", "drift", "--baseline-env", "prod", "--env", "staging", "--db", str(db), "--json"])
    doc = json.loads(result.output)
    changed = [d for d in doc["differences"] if d["key"] == "db.password"][0]
    assert changed["change"] == "changed" and changed["baseline"].startswith("fp:")  # detected without the value
    data = db.read_bytes() + (db.with_suffix(".duckdb.wal").read_bytes() if db.with_suffix(".duckdb.wal").exists() else b"")
    for secret in (b"hunter2", b"correct-horse-battery", b"abc123", b"p4ss"):
        assert secret not in data
    assert (tmp_path / "s.duckdb.key").stat().st_mode & 0o777 == 0o600


def entries(**values):
    return pd.DataFrame([{"file": "a.yaml", "key": k, "value": v, "type": "str", "secret": False} for k, v in values.items()])


def test_drift_classes_and_expiry():
    diff = diff_entries(entries(x="1", y="2", z="3"), entries(x="1", y="9", w="4"))
    assert dict(zip(diff.key, diff.change, strict=True)) == {"w": "added", "y": "changed", "z": "removed"}
    register = ExceptionRegister(exceptions=(
        DriftException(key="a.yaml:y", env="prod", reason="tuning", owner="ann", approver="bob", expires=dt.date(2026, 12, 1)),
        DriftException(key="a.yaml:w", env="*", reason="old", owner="ann", approver="bob", expires=dt.date(2026, 1, 1)),
    ))
    on_expiry = classify(diff, "prod", register, dt.date(2026, 12, 1)).set_index("key").status.to_dict()
    assert on_expiry == {"w": "expired", "y": "approved", "z": "unapproved"}
    day_after = classify(diff, "prod", register, dt.date(2026, 12, 2)).set_index("key").status.to_dict()
    assert day_after["y"] == "expired"  # an exception past its expiry no longer covers
    assert classify(diff, "staging", register, dt.date(2026, 11, 1)).set_index("key").status["y"] == "unapproved"


def test_exception_register_errors_name_the_line(tmp_path):
    path = tmp_path / "ex.yaml"
    path.write_text("exceptions:\n  - {key: 'a:*', reason: ok then, owner: ann, approver: ann, expires: 2027-01-01}\n"
                    "  - {key: 'b:*', reason: fine, owner: ann, approver: bob, expires: soon}\n")
    with pytest.raises(DataError) as info:
        load_exceptions(path)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{path}:2: exceptions[0]") and "owner and approver must be different people" in lines[0]
    assert lines[1].startswith(f"{path}:3: exceptions[1].expires(=soon)")


def test_drift_cli_exit_codes(tmp_path):
    db = tmp_path / "d.duckdb"
    runner = CliRunner()
    base = config_dir(tmp_path, "base")
    runner.invoke(cli, ["config", "snapshot", str(base), "--env", "prod", "--tag", "approved", "--db", str(db)])
    same = runner.invoke(cli, ["config", "drift", "--baseline", "approved", "--env", "prod", "--db", str(db)])
    assert same.exit_code == 0 and "0 differences" in same.output
    changed = config_dir(tmp_path, "changed", **{"db.ini": "[pg]\nmax_connections = 500\nwork_mem = 64MB\n"})
    runner.invoke(cli, ["config", "snapshot", str(changed), "--env", "prod", "--tag", "now", "--db", str(db)])
    drift = runner.invoke(cli, ["config", "drift", "--baseline", "approved", "--env", "prod", "--db", str(db)])
    assert drift.exit_code == 2 and "UNAPPROVED db.ini:pg.max_connections 400 -> 500" in drift.output
    register = tmp_path / "ex.yaml"
    register.write_text("exceptions:\n  - {key: 'db.ini:pg.*', env: prod, reason: capacity test, owner: ann, "
                        "approver: bob, expires: 2099-01-01}\n")
    ok = runner.invoke(cli, ["config", "drift", "--baseline", "approved", "--env", "prod", "--db", str(db),
                             "--exceptions", str(register)])
    assert ok.exit_code == 0 and "APPROVED" in ok.output
    err = runner.invoke(cli, ["config", "drift", "--baseline", "nope", "--env", "prod", "--db", str(db)])
    assert err.exit_code == 1 and "no snapshot with tag nope" in err.output
    dup = runner.invoke(cli, ["config", "snapshot", str(base), "--env", "prod", "--tag", "now", "--db", str(db)])
    assert dup.exit_code == 1 and "already has a snapshot with this tag" in dup.output


def test_changes_inside_a_freeze_are_violations(tmp_path):
    plan = load_plan(sample_plan_path())  # freeze quarter-end 2027-03-30 .. 2027-04-02
    with Store(tmp_path / "f.duckdb") as store:
        for tag, when, conns in (("a", dt.datetime(2027, 3, 20, tzinfo=dt.UTC), "400"),
                                 ("b", dt.datetime(2027, 3, 25, tzinfo=dt.UTC), "450"),   # outside the freeze
                                 ("c", dt.datetime(2027, 3, 31, tzinfo=dt.UTC), "500")):  # inside
            root = config_dir(tmp_path, tag, **{"db.ini": f"[pg]\nmax_connections = {conns}\nwork_mem = 64MB\n"})
            found, hashes = read_config_dir(root, KEY)
            store.write_snapshot("prod", tag, str(root), found, hashes, taken_at=when)
        violations = freeze_violations(plan, store, "prod", None, dt.date(2027, 3, 31))
        assert list(violations.key) == ["pg.max_connections"] and violations.freeze.iloc[0] == "quarter-end"
        register = ExceptionRegister(exceptions=(DriftException(
            key="db.ini:*", env="prod", reason="emergency fix", owner="ann", approver="bob", expires=dt.date(2027, 4, 30)),))
        assert freeze_violations(plan, store, "prod", register, dt.date(2027, 3, 31)).empty


def audit_store(tmp_path, n=6):
    store = Store(tmp_path / "a.duckdb")
    records = [{"ts": f"2026-09-12T01:{i:02d}:00Z", "change_id": "CHG-1", "step": f"s{i}", "actor": "dana",
                "role": "executor", "action": "run", "outcome": "ok", "details": {"i": i}} for i in range(n)]
    append(store, KEY, records)
    return store


def tamper(store, sql):
    store.con.execute(sql)


@pytest.mark.parametrize(("sql", "first", "words"), [
    ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3", 3, "edited"),
    ("UPDATE audit_log SET details = '{\"i\": 99}' WHERE seq = 5", 5, "edited"),
    ("DELETE FROM audit_log WHERE seq = 4", 4, "deleted"),
    ("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3; UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103; "
     "INSERT INTO audit_log SELECT 3, ts, change_id, 'forged', actor, role, action, outcome, details, hash, "
     "'0000' FROM audit_log WHERE seq = 2",
     3, "do not match its hash"),  # a record inserted at 3, the chain renumbered after it
    ("UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; "
     "UPDATE audit_log SET seq = 3 WHERE seq = 100", 2, "does not link"),  # two records swapped
])
def test_every_kind_of_tampering_is_detected(tmp_path, sql, first, words):
    store = audit_store(tmp_path)
    assert verify(store, KEY).ok
    tamper(store, sql)
    result = verify(store, KEY)
    assert not result.ok and result.first_broken == first and words in result.problem
    store.close()


def test_removal_at_the_end_needs_the_recorded_head(tmp_path):
    store = audit_store(tmp_path)
    head = verify(store, KEY).head
    tamper(store, "DELETE FROM audit_log WHERE seq = 6")
    assert verify(store, KEY).ok  # a shorter chain is consistent in itself ...
    result = verify(store, KEY, expect_head=head[:16])
    assert not result.ok and "records were removed or replaced at the end" in result.problem  # ... not against the head
    assert not verify(store, KEY, expect_count=6).ok
    store.close()


def test_a_forged_chain_without_the_key_fails(tmp_path):
    store = audit_store(tmp_path)
    from upgradesim.control.audit import record_hash

    rows = store.audit_records()
    prev = ""
    for r in rows.to_dict(orient="records"):  # rewrite everything consistently, with the wrong key
        r["actor"] = "mallory"
        h = record_hash(b"wrong key", prev, int(r["seq"]), r)
        store.con.execute("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?", ["mallory", prev, h, r["seq"]])
        prev = h
    assert verify(store, KEY).first_broken == 1
    store.close()


def test_audit_cli_and_jsonl_errors(tmp_path):
    db = tmp_path / "c.duckdb"
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "append", "--change", "C1", "--step", "db", "--actor", "dana", "--role", "executor",
                             "--action", "upgrade", "--db", str(db), "--ts", "2026-11-30T01:00:00Z"])
    assert ok.exit_code == 0 and "record 1 appended" in ok.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ts": "2026-11-30T02:00:00Z", "change_id": "C1", "step": "x", "actor": "a", "role": "r", '
                   '"action": "a", "outcome": "ok"}\n{"ts": "2026-11-30 03:00", "change_id": "C1", "step": "x", '
                   '"actor": "a", "role": "r", "action": "a", "outcome": "ok"}\nnot json\n')
    result = runner.invoke(cli, ["audit", "ingest", str(bad), "--db", str(db)])
    assert result.exit_code == 1 and f"{bad}:2: ts(=2026-11-30 03:00): must carry a time zone" in result.output
    with Store(db) as store:
        assert len(store.audit_records()) == 1  # nothing from the bad file
    assert runner.invoke(cli, ["audit", "verify", "--db", str(db)]).exit_code == 0
    con = duckdb.connect(str(db))
    con.execute("UPDATE audit_log SET outcome = 'failed'")
    con.close()
    broken = runner.invoke(cli, ["audit", "verify", "--db", str(db)])
    assert broken.exit_code == 2 and "BROKEN at record 1" in broken.output


def test_segregation_of_duties():
    plan = load_plan(sample_plan_path())
    assert sod_violations(plan).empty
    same = plan.model_copy(update={"roles": plan.roles.model_copy(update={"approver": "dana.ops"})})
    found = sod_violations(same)
    assert list(found.message) == ["dana.ops is both executor and approver in the plan"]
    audit = pd.DataFrame([
        {"change_id": "C1", "actor": "ann", "role": "executor", "step": "db"},
        {"change_id": "C1", "actor": "bob", "role": "validator", "step": "check"},
        {"change_id": "C1", "actor": "ann", "role": "approver", "step": "approve"},
        {"change_id": "C2", "actor": "ann", "role": "executor", "step": "db"},
        {"change_id": "C2", "actor": "bob", "role": "approver", "step": "approve"},
    ])
    found = sod_violations(None, audit)
    assert list(found.message) == ["ann acted as approver and executor in C1 (steps: approve, db)", "C2 has no recorded validator"]


def test_kpis_on_a_hand_built_history():
    history = pd.DataFrame({
        "change_id": ["A", "B", "C", "D"],
        "requested_at": pd.to_datetime(["2026-01-01", "2026-01-20", "2026-03-01", "2026-04-10"], utc=True),
        "started_at": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-03-10", "2026-04-20"], utc=True),
        "finished_at": pd.to_datetime(["2026-01-11 00:00", "2026-02-01 06:00", "2026-03-11 00:00", "2026-04-21 00:00"],
                                      utc=True),
        "downtime_min": [10, 0, 60, 5], "outcome": ["successful", "successful_with_issues", "unsuccessful", "successful"],
        "rolled_back": [False, False, True, False], "incidents_p1": [0, 0, 1, 0], "incidents_p2": [0, 1, 0, 0],
        "incidents_p3": [1, 0, 2, 0]})
    assert list(change_success_score(history)) == [3 - 2, -2 - 5, -5 - 10 - 4, 3]
    periods, overall = kpis(history, by="quarter")
    assert list(periods.period) == ["2026Q1", "2026Q2"]
    q1 = periods.set_index("period").loc["2026Q1"]
    assert q1.changes == 3 and q1.success_score == 1 - 7 - 19 and q1.rollback_rate == pytest.approx(1 / 3)
    assert q1.incidents == 5 and q1.downtime_min == 70
    assert overall["overall"]["mean_lead_time_days"] == pytest.approx((10 + 12.25 + 10 + 11) / 4)
    with pytest.raises(DataError, match="outcome"):
        change_success_score(history.assign(outcome="fine"))


def test_calibration_recovers_known_parameters():
    rng = np.random.default_rng(11)
    median, p95, p_fail = 20.0, 50.0, 0.08
    sigma = np.log(p95 / median) / 1.6448536269514722
    n = 600
    durations = rng.lognormal(np.log(median), sigma, n)
    failed = rng.random(n) < p_fail
    audit = pd.DataFrame({"change_id": [f"C{i % 5}" for i in range(n)], "action": "node_upgrade",
                          "outcome": np.where(failed, "failed", "ok"),
                          "details": [json.dumps({"tier": "app", "duration_min": float(d)}) for d in durations]})
    fit = fit_tiers(audit).set_index("tier").loc["app"]
    assert fit.median_min == pytest.approx(median, rel=0.08)   # stated tolerance: 8% on the median
    assert fit.p95_min == pytest.approx(p95, rel=0.12)         # 12% on the 95th percentile
    assert fit.failure_low <= p_fail <= fit.failure_high        # the Beta posterior's interval covers the truth
    assert fit.attempts == n and fit.changes == 5


def test_calibrated_overlay_feeds_the_next_simulation(tmp_path):
    from upgradesim.control import overlay_yaml

    audit = pd.DataFrame({"change_id": "C", "action": "node_upgrade", "outcome": "ok",
                          "details": [json.dumps({"tier": "db", "duration_min": 30 + i % 7}) for i in range(40)]})
    path = tmp_path / "overlay.yaml"
    path.write_text(overlay_yaml(fit_tiers(audit), "test"))
    plan = load_plan(sample_plan_path(), overlays=[path])
    assert plan.tiers["db"].upgrade_min.dist == "lognormal" and 30 < plan.tiers["db"].upgrade_min.median < 37
    # 0 failures in 40 attempts is not a probability of 0: the Beta(1, 41) posterior, drawn per replication
    assert plan.tiers["db"].failure_prob.model_dump() == {"dist": "beta", "alpha": 1.0, "beta": 41.0}
    assert plan.tiers["db"].upgrade_min.n == 40
    assert plan.tiers["app"] == load_plan(sample_plan_path()).tiers["app"]  # untouched tiers stay


def test_calibration_estimates_exact_values_and_the_overlay_writes_the_estimate():
    from upgradesim.control import overlay_yaml

    durations = [10.0, 20.0, 40.0, 20.0, 20.0]
    audit = pd.DataFrame({"change_id": ["A", "A", "B", "B", "C"], "action": "node_upgrade",
                          "outcome": ["ok", "failed", "ok", "ok", "ok"],
                          "details": [json.dumps({"tier": "app", "duration_min": d, "detect_min": 4}) for d in durations]})
    fit = fit_tiers(audit).set_index("tier").loc["app"]
    logs = np.log(durations)
    assert fit.median_min == pytest.approx(np.exp(logs.mean()), rel=1e-12)  # geometric mean = 20
    assert fit.p95_min == pytest.approx(np.exp(logs.mean() + 1.6448536269514722 * logs.std(ddof=1)), rel=1e-12)
    assert (fit.failures, fit.failure_alpha, fit.failure_beta) == (1, 2.0, 5.0)
    assert fit.failure_prob == pytest.approx(2 / 7) and fit.detect_mean_min == 4.0
    assert fit.failure_low < 2 / 7 < fit.failure_high
    text = overlay_yaml(fit_tiers(audit), "t")
    assert "failure_prob: {dist: beta, alpha: 2.0, beta: 5.0}" in text  # the estimate, never a bound
    assert f"median: {round(fit.median_min, 3)}" in text and "n: 5" in text


def test_parameter_uncertainty_is_propagated_into_replications():
    from upgradesim.sim import prepare, run_replication

    from .simplans import make_plan

    def edit(data, prob):
        data["tiers"]["app"]["failure_prob"] = prob
        data["rollback"] = {}
    point = prepare(make_plan(lambda d: edit(d, 0.0)))
    beta = prepare(make_plan(lambda d: edit(d, {"dist": "beta", "alpha": 1, "beta": 19})))
    fails_point = sum(run_replication(point, "one-by-one", 3, i)[0]["nodes_failed"] for i in range(200))
    fails_beta = sum(run_replication(beta, "one-by-one", 3, i)[0]["nodes_failed"] for i in range(200))
    assert fails_point == 0 and 10 <= fails_beta <= 60  # about 3 nodes x 200 x 0.05 = 30


def test_loo_check_reports_coverage_near_nominal():
    from upgradesim.control.calibrate import loo_check

    rng = np.random.default_rng(5)
    rows = []
    for c in range(12):
        for _ in range(25):
            rows.append({"change_id": f"C{c}", "action": "node_upgrade",
                         "outcome": "failed" if rng.random() < 0.1 else "ok",
                         "details": json.dumps({"tier": "app", "duration_min": float(rng.lognormal(3, 0.4))})})
    result = loo_check(pd.DataFrame(rows))
    assert result["changes"] == 12 and result["attempts"] == 300
    assert 0.72 <= result["coverage"]["duration 80%"] <= 0.88
    assert 0.90 <= result["coverage"]["duration 95%"] <= 0.99
    assert result["coverage"]["failures 95%"] >= 0.8
    with pytest.raises(DataError, match="at least 3 changes"):
        loo_check(pd.DataFrame(rows[:30]))


def test_runbook_order_rules_and_startup(tmp_path):
    path = tmp_path / "rb.yaml"
    path.write_text("change_id: C1\nsteps:\n  - {id: a, name: db step, tier: db}\n  - {id: b, name: app step, tier: app, "
                    "depends_on: [a]}\n  - {id: c, name: mw step, tier: middleware, depends_on: [b, d]}\n"
                    "  - {id: d, name: loop, depends_on: [c]}\nrules:\n  - {first: middleware, then: app}\n")
    problems, order = check_runbook(load_runbook(path))
    assert "steps form a cycle: c -> d -> c" in problems and order == []
    path.write_text("change_id: C1\nsteps:\n  - {id: a, name: db step, tier: db}\n  - {id: m, name: mw step, tier: middleware, "
                    "depends_on: [a]}\n  - {id: b, name: app step, tier: app, depends_on: [m]}\nrules:\n"
                    "  - {first: middleware, then: app}\n")
    executed = pd.DataFrame({"ts": pd.to_datetime(["2026-01-01 01:00", "2026-01-01 01:10", "2026-01-01 01:30"], utc=True),
                             "step": ["a", "b", "m"], "details": ["{}", "{}", "{}"]})
    problems, order = check_runbook(load_runbook(path), executed)
    assert order == ["a", "m", "b"]
    assert problems == ["executed log: app step 'b' at 2026-01-01 01:10 started before the last middleware step "
                        "finished (2026-01-01 01:30), against rule 'middleware before app'"]
    sequence = startup_sequence(load_plan(sample_plan_path()))
    flat = [c for group in sequence for c in group]
    assert flat.index("orders-db") < flat.index("order-api") and flat.index("app-jvm") < flat.index("servlet-container")


def test_archive_manifest_and_retention(tmp_path):
    store = audit_store(tmp_path)
    result = archive_change("CHG-1", tmp_path / "arch", store, retention_days=30, today=dt.date(2026, 11, 30))
    store.close()
    assert verify_archive(result.folder) == []
    manifest = json.loads(result.manifest.read_text())
    assert manifest["audit_records"] == 6 and manifest["retain_until"] == "2026-12-30"
    (result.folder / "audit.jsonl").write_text("edited\n")
    (result.folder / "extra.txt").write_text("x")
    assert verify_archive(result.folder) == ["audit.jsonl: changed (sha256 differs)", "extra.txt: not in the manifest"]
    assert retention_check(tmp_path / "arch", dt.date(2026, 12, 30))[0]["status"] == "kept"
    assert retention_check(tmp_path / "arch", dt.date(2026, 12, 31))[0]["status"] == "due for disposal"
    with pytest.raises(DataError, match="exists already"), Store(tmp_path / "a.duckdb") as s:
        archive_change("CHG-1", tmp_path / "arch", s)


@pytest.mark.slow  # the whole governance chain on the sample
def test_sample_governance_end_to_end(tmp_path):
    from upgradesim import write_sample

    files = write_sample(tmp_path / "s", baseline_weeks=1, post_days=1, step_min=240)
    folder = files.plan.parent
    db = str(folder / "g.duckdb")
    runner = CliRunner()
    for env in ("prod", "staging"):
        assert runner.invoke(cli, ["config", "snapshot", str(folder / "config" / env), "--env", env, "--tag", "t",
                                   "--db", db]).exit_code == 0
    drift = runner.invoke(cli, ["config", "drift", "--baseline-env", "prod", "--env", "staging", "--db", db,
                                "--exceptions", str(folder / "config" / "exceptions.yaml"), "--as-of", "2026-11-30", "--json"])
    assert drift.exit_code == 2
    assert json.loads(drift.output)["counts"] == {"unapproved": 3, "approved": 2, "expired": 1}
    assert runner.invoke(cli, ["audit", "ingest", str(folder / "logs" / "executed-CHG-2026-0077.jsonl"), "--db", db]).exit_code == 0
    assert runner.invoke(cli, ["audit", "verify", "--db", db]).exit_code == 0
    sod = runner.invoke(cli, ["sod", "--plan", str(files.plan), "--db", db])
    assert sod.exit_code == 2 and "morgan.cab acted as approver and validator" in sod.output
    assert runner.invoke(cli, ["runbook", str(folder / "runbook.yaml"), "--db", db]).exit_code == 0
    assert runner.invoke(cli, ["history", str(folder / "history.csv"), "--db", db]).exit_code == 0
    kpi = runner.invoke(cli, ["kpi", "--db", db, "--json"])
    assert kpi.exit_code == 0 and json.loads(kpi.output)["overall"]["changes"] == 10
    cal = runner.invoke(cli, ["calibrate", "--db", db, "--out", str(folder / "overlay.yaml")])
    assert cal.exit_code == 0 and "app: 210 attempts" in cal.output  # 70 app nodes, three rehearsals
    sim = runner.invoke(cli, ["simulate", str(files.plan), "-s", "big-bang", "-n", "5", "--overlay",
                              str(folder / "overlay.yaml")])
    assert sim.exit_code == 0, sim.output
    arch = runner.invoke(cli, ["archive", "create", "--change", "CHG-2026-0077", "--out", str(folder / "arch"), "--db", db])
    assert arch.exit_code == 0
    assert runner.invoke(cli, ["archive", "verify", str(folder / "arch" / "CHG-2026-0077")]).exit_code == 0
    assert (folder / "g.duckdb.key").exists() and store_key(db) == store_key(db)
    shutil.rmtree(folder / "arch")


def test_a_type_only_change_is_drift():
    base = pd.DataFrame([{"file": "a.yaml", "key": "port", "value": "8080", "type": "int", "secret": False},
                         {"file": "a.yaml", "key": "same", "value": "x", "type": "str", "secret": False}])
    cur = base.copy()
    cur.loc[0, "type"] = "str"  # "8080" quoted now: the same text, another type
    diff = diff_entries(base, cur)
    assert diff.to_dict(orient="records") == [{"file": "a.yaml", "key": "port", "change": "changed",
                                               "baseline": "8080", "current": "8080"}]


def _attempts(outcomes, durations, nodes=None, ts=None):
    n = len(outcomes)
    return pd.DataFrame({"change_id": "C", "action": "node_upgrade", "outcome": outcomes,
                         "ts": ts or [f"2026-01-01T00:{i:02d}:00Z" for i in range(n)],
                         "details": [json.dumps({"tier": "app", "duration_min": d,
                                                 **({"node": nodes[i]} if nodes else {})})
                                     for i, d in enumerate(durations)]})


def test_calibration_refuses_histories_it_cannot_trust():
    ok = ["ok"] * 6
    # too few attempts in every tier: an error naming the rule and what was found, no empty overlay
    with pytest.raises(DataError, match=r"min_attempts\(=5\).*found app 3"):
        fit_tiers(_attempts(ok[:3], [10, 11, 12]))
    # an outcome nobody defined
    with pytest.raises(DataError, match=r"outcome\(='maybe'\) must be one of"):
        fit_tiers(_attempts(["ok"] * 5 + ["maybe"], [10] * 6))
    # a duration that is not a positive number of minutes
    with pytest.raises(DataError, match=r"duration_min\(=-4\) must be a positive number"):
        fit_tiers(_attempts(ok, [10, 11, -4, 12, 13, 14]))
    with pytest.raises(DataError, match=r"duration_min\(='slow'\)"):
        fit_tiers(_attempts(ok, [10, 11, "slow", 12, 13, 14]))
    # the same attempt of the same node recorded as succeeded and as failed: contradictory
    same = ["2026-01-01T00:00:00Z"] * 2 + [f"2026-01-01T01:{i:02d}:00Z" for i in range(4)]
    with pytest.raises(DataError, match="app-1 in change C: the same attempt is recorded both"):
        fit_tiers(_attempts(["ok", "failed", "ok", "ok", "ok", "ok"], [10] * 6,
                            nodes=["app-1", "app-1", "app-2", "app-3", "app-4", "app-5"], ts=same))
    # a node's second attempt at another time is no contradiction
    fits = fit_tiers(_attempts(["failed", "ok", "ok", "ok", "ok", "ok"], [10] * 6,
                               nodes=["app-1", "app-1", "app-2", "app-3", "app-4", "app-5"]))
    assert fits.set_index("tier").loc["app", "failures"] == 1
