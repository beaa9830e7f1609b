"""The DuckDB store: transactional, idempotent ingest with quarantine; baselines; results."""

from __future__ import annotations

import datetime as dt
import textwrap

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from upgradesim import DataError, StoreError, load_plan, sample_plan_path, simulate
from upgradesim.cli import cli
from upgradesim.store import SCHEMA_VERSION, TABLES, Store, data_dictionary, parse_window

GOOD = textwrap.dedent("""\
    ts,service,metric,value,region,host
    2026-11-02T10:00:00Z,api,latency_ms,12.5,eu,h1
    2026-11-02T10:01:00Z,api,latency_ms,13.0,eu,h1
    2026-11-02T10:02:00+01:00,api,latency_ms,14.0,eu,h2
    """)
BAD_ROWS = textwrap.dedent("""\
    ts,service,metric,value
    2026-11-02T10:00:00Z,api,errors,1
    yesterday,api,errors,2
    2026-11-02T10:02:00Z,api,errors,lots
    2026-11-02T10:03:00Z,,errors,3
    2026-11-02T10:04:00Z,api,errors,
    2026-11-02T10:05:00Z,api,,5
    2026-11-02T10:06:00Z,api,errors,NaN
    """)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def count(store, table):
    return store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_ingest_long_csv(store, tmp_path):
    report = store.ingest([write(tmp_path, "good.csv", GOOD)])
    assert (report.rows, report.quarantined) == (3, 0)
    frame = store.table("telemetry").sort_values("ts")
    assert list(frame.host) == ["h2", "h1", "h1"]  # 10:02+01:00 is 09:02 UTC, the earliest
    assert frame.ts.iloc[0] == pd.Timestamp("2026-11-02T09:02:00Z")


def test_bad_rows_are_quarantined_with_reasons(store, tmp_path):
    report = store.ingest([write(tmp_path, "bad.csv", BAD_ROWS)])
    assert report.rows == 2  # the good row and the NaN (a missing value the judge's NaN rule handles)
    assert report.files[0].reasons == {"unparseable time": 1, "non-numeric value": 1, "missing service": 1,
                                       "missing value": 1, "missing metric": 1}
    q = store.quarantine()
    assert list(q.row_number) == [2, 3, 4, 5, 6]
    assert q.set_index("row_number").loc[3, "reason"] == "non-numeric value"
    assert '"value":"lots"' in q.set_index("row_number").loc[3, "raw"]
    assert "5 quarantined" in report.lines()[0]


def test_missing_columns_refused_and_store_unchanged(store, tmp_path):
    good = write(tmp_path, "good.csv", GOOD)
    wrong = write(tmp_path, "wrong.csv", "time,svc,value\n2026-11-02T10:00:00Z,api,1\n")
    with pytest.raises(DataError, match=r"wrong.csv: missing required columns ts, service, metric"):
        store.ingest([good, wrong])
    assert count(store, "telemetry") == 0 and count(store, "ingest_ledger") == 0 and count(store, "quarantine") == 0
    store.ingest([good])
    assert count(store, "telemetry") == 3


def test_a_failure_in_the_middle_leaves_the_store_as_it_was(store, tmp_path):
    store.ingest([write(tmp_path, "first.csv", GOOD)])
    before = store.table("telemetry")
    bad = write(tmp_path, "bad.csv", BAD_ROWS)
    with pytest.raises(DataError):
        store.ingest([bad, tmp_path / "missing.csv"])
    pd.testing.assert_frame_equal(store.table("telemetry"), before)
    assert count(store, "quarantine") == 0 and count(store, "ingest_ledger") == 1


def test_ingest_is_idempotent_by_content(store, tmp_path):
    a = write(tmp_path, "a.csv", GOOD)
    b = write(tmp_path, "copy-of-a.csv", GOOD)
    store.ingest([a])
    report = store.ingest([a, b])
    assert [f.status for f in report.files] == ["skipped", "skipped"]
    assert count(store, "telemetry") == 3 and count(store, "ingest_ledger") == 1


def test_naive_times_need_a_zone(store, tmp_path):
    naive = write(tmp_path, "naive.csv", "ts,service,metric,value\n2026-07-01 10:00:00,api,x,1\n")
    with pytest.raises(DataError, match="have no time zone.*give --tz"):
        store.ingest([naive])
    store.ingest([naive], tz="Europe/Dublin")
    assert store.table("telemetry").ts.iloc[0] == pd.Timestamp("2026-07-01T09:00:00Z")  # IST is UTC+1
    with pytest.raises(DataError, match="unknown IANA time zone"):
        store.ingest([naive], tz="Mars/Base")


def test_parquet_and_naive_parquet(store, tmp_path):
    frame = pd.DataFrame({"ts": pd.to_datetime(["2026-11-02 10:00", "2026-11-02 10:01"]), "service": "api",
                          "metric": "x", "value": [1.0, 2.0]})
    frame.to_parquet(tmp_path / "naive.parquet")
    with pytest.raises(DataError, match="without a time zone"):
        store.ingest([tmp_path / "naive.parquet"])
    frame.assign(ts=frame.ts.dt.tz_localize("UTC")).to_parquet(tmp_path / "aware.parquet")
    assert store.ingest([tmp_path / "aware.parquet"]).rows == 2


def test_wide_form_with_mapping(store, tmp_path):
    wide = write(tmp_path, "wide.csv", "time,cpu,mem,node\n2026-11-02T10:00:00Z,50,70,n1\n2026-11-02T10:01:00Z,oops,71,n1\n")
    mapping = {"ts": "time", "service": "=billing", "labels": {"host": "node"}, "metrics": {"cpu": "cpu_pct", "mem": "mem_pct"}}
    report = store.ingest([wide], mapping=mapping)
    assert (report.rows, report.quarantined) == (3, 1)
    frame = store.table("telemetry")
    assert set(frame.metric) == {"cpu_pct", "mem_pct"} and set(frame.service) == {"billing"} and set(frame.host) == {"n1"}
    with pytest.raises(DataError, match="mapping names missing column"):
        store.ingest([write(tmp_path, "w2.csv", "time,cpu\n2026-11-02T10:00:00Z,1\n")], mapping=mapping)


def test_baselines_known_values(store, tmp_path):
    rows = ["ts,service,metric,value"]
    for week in range(3):  # Mondays 10:xx UTC: hour of week 10
        day = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC) + dt.timedelta(weeks=week)
        for minute, v in enumerate([1, 2, 3, 4]):
            rows.append(f"{(day + dt.timedelta(minutes=minute)).isoformat()},api,lat,{v + week}")
    store.ingest([write(tmp_path, "b.csv", "\n".join(rows) + "\n")])
    base = store.compute_baselines()
    row = base[(base.hour_of_week == 10)].iloc[0]
    values = [1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6]
    assert row.n == 12 and row["mean"] == pytest.approx(sum(values) / 12)
    assert row.p50 == pytest.approx(pd.Series(values).quantile(0.5))
    assert row.p95 == pytest.approx(pd.Series(values).quantile(0.95))
    peaks = store.compute_daily_peaks()
    assert list(peaks.peak) == [4.0, 5.0, 6.0]


def test_demand_profile_from_counts(store, tmp_path):
    rows = ["ts,service,metric,value,region,host"]
    start = dt.datetime(2026, 11, 2, 0, tzinfo=dt.UTC)
    for i in range(7 * 24 * 4):  # 15-minute counts for a week, two hosts
        ts = start + dt.timedelta(minutes=15 * i)
        for host in ("a", "b"):
            rows.append(f"{ts.isoformat()},api,requests,{900 * (1 + ts.hour)},eu,{host}")
    store.ingest([write(tmp_path, "r.csv", "\n".join(rows) + "\n")])
    profile = store.demand_profile("api", "requests", "eu", "UTC")
    assert len(profile) == 168
    assert profile[0] == pytest.approx(2 * 900 * 1 / 900)  # requests per 15 min / 900 s, both hosts
    assert profile[13] == pytest.approx(2 * 900 * 14 / 900)


def test_simulation_results_round_trip(store):
    result = simulate(load_plan(sample_plan_path()), "big-bang", replications=4, seed=3)
    run_id = store.write_simulation(result)
    back = store.simulation()
    assert type(back) is type(result) and back.meta["run_id"] == run_id  # the object write_simulation took
    pd.testing.assert_frame_equal(back.replications, result.replications, check_dtype=False)
    pd.testing.assert_frame_equal(back.summary, result.summary, check_dtype=False)
    assert len(back.events) == len(result.events) == len(back.events.dropna(how="all"))
    assert {k: back.meta[k] for k in ("plan", "plan_hash", "seed", "replications")} == {
        k: result.meta[k] for k in ("plan", "plan_hash", "seed", "replications")}


def test_schema_is_documented_and_versioned(tmp_path):
    path = tmp_path / "v.duckdb"
    with Store(path) as s:
        tables = {r[0] for r in s.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(TABLES) <= tables
    assert {row["table"] for row in data_dictionary()} == set(TABLES)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match=f"schema version 999 is newer than this upgradesim \\({SCHEMA_VERSION}\\)"):
        Store(path)


def test_an_older_store_is_migrated_in_a_transaction_after_a_backup(tmp_path):
    path = tmp_path / "old.duckdb"
    with Store(path):
        pass
    con = duckdb.connect(str(path))  # make it a version-1 store, as the first release wrote it
    for column in ("n_eff_baseline", "n_eff_candidate", "variation", "cycle", "false_alarm_rate", "checks"):
        con.execute(f'ALTER TABLE verdict_metrics DROP COLUMN "{column}"')
    con.execute("ALTER TABLE verdict_metrics RENAME COLUMN baseline_value TO statistic")
    con.execute("ALTER TABLE verdict_metrics RENAME COLUMN candidate_value TO shift")
    con.execute("DROP TABLE backtest_runs")
    con.execute("ALTER TABLE readiness_runs DROP COLUMN plan_hash")  # added by schema 3
    for column in ("rollback_node_hours", "cost_node_hours", "cost"):  # added by schema 4
        con.execute(f'ALTER TABLE sim_replications DROP COLUMN "{column}"')
    con.execute("DROP TABLE optimize_runs")  # added by schema 5
    con.execute("DROP TABLE forecast_runs")
    for table in ("config_files", "pipeline_findings", "table_sizes"):  # added by schema 6
        con.execute(f"DROP TABLE {table}")
    for table in ("readiness_workflows", "readiness_resources"):  # added by schema 7
        con.execute(f"DROP TABLE {table}")
    for column in ("upgrade_order", "cycles", "meta"):
        con.execute(f'ALTER TABLE readiness_runs DROP COLUMN "{column}"')
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match=f"schema version 1, this upgradesim needs {SCHEMA_VERSION}"):
        Store(path, read_only=True)  # read-only never migrates
    with Store(path) as store:
        columns = {r[0] for r in store.con.execute("DESCRIBE verdict_metrics").fetchall()}
        assert {"baseline_value", "candidate_value", "checks", "cycle"} <= columns and "shift" not in columns
        assert store.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "7"
        assert {"optimize_runs", "forecast_runs", "config_files", "pipeline_findings", "table_sizes",
                "readiness_workflows", "readiness_resources"} <= {r[0] for r in store.con.execute("SHOW TABLES").fetchall()}
        assert {"plan_hash", "upgrade_order", "cycles", "meta"} <= {
            r[0] for r in store.con.execute("DESCRIBE readiness_runs").fetchall()}
        assert {"rollback_node_hours", "cost_node_hours", "cost"} <= {
            r[0] for r in store.con.execute("DESCRIBE sim_replications").fetchall()}
    backup = tmp_path / "old.duckdb.v1.bak"
    con = duckdb.connect(str(backup), read_only=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    con.close()


def test_parse_window():
    start, end = parse_window("2026-10-01..2026-11-01T12:00")
    assert start == dt.datetime(2026, 10, 1, tzinfo=dt.UTC) and end.hour == 12
    assert parse_window("..2026-11-01")[0] is None
    with pytest.raises(DataError, match="must look like START..END"):
        parse_window("2026-10-01")
    with pytest.raises(DataError, match="the end must be after the start"):
        parse_window("2026-11-01..2026-10-01")


def test_cli_ingest_errors_are_one_line(tmp_path):
    db = tmp_path / "c.duckdb"
    wrong = write(tmp_path, "wrong.csv", "a,b\n1,2\n")
    result = CliRunner().invoke(cli, ["ingest", str(wrong), "--db", str(db)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().startswith(f"{wrong}: missing required columns")
    ok = CliRunner().invoke(cli, ["ingest", str(write(tmp_path, "g.csv", GOOD)), "--db", str(db)])
    assert ok.exit_code == 0 and "total: 3 rows, 0 quarantined" in ok.output


def test_series_aggregates_hosts_and_duplicates_per_timestamp(tmp_path):
    ts = pd.to_datetime(["2026-11-02T00:00Z", "2026-11-02T00:00Z", "2026-11-02T00:00Z", "2026-11-02T00:01Z",
                         "2026-11-02T00:02Z"])
    frame = pd.DataFrame({"ts": ts, "service": ["a", "a", "a", "a", "b"], "metric": "m",
                          "value": [1.0, 3.0, 5.0, 7.0, float("nan")], "host": ["h1", "h2", "h2", "h1", "h1"]})
    frame.to_parquet(tmp_path / "s.parquet")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([tmp_path / "s.parquet"])
        series = store.series(None, (None, None))
        sec, value, total = series[("a", "m")]
        # h2's second row at 00:00 repeats a key of the file: stored once (the first), so the mean is (1 + 3) / 2
        assert list(sec) == [1793577600, 1793577660] and list(value) == [2.0, 7.0] and list(total) == [4.0, 7.0]
        # parquet writes NaN as null: a missing value, quarantined
        assert sorted(store.quarantine()["reason"]) == ["duplicate row in the file", "missing value"]
        assert ("b", "m") not in series
        only_h1 = store.series(["a"], (None, None), hosts_like="h1")
        assert list(only_h1[("a", "m")][1]) == [1.0, 7.0]
        window = store.series(["a"], (pd.Timestamp("2026-11-02T00:01Z"), None))
        assert list(window[("a", "m")][0]) == [1793577660]


def test_reingesting_the_same_rows_is_idempotent_and_bad_values_never_stored(store, tmp_path):
    first = store.ingest([write(tmp_path, "a.csv", GOOD)])
    again = store.ingest([write(tmp_path, "b.csv", GOOD + "2026-11-02T10:03:00Z,api,latency_ms,15.0,eu,h1\n")])
    assert first.rows == 3 and again.rows == 1  # another file, the same three rows: stored once
    assert again.files[0].reasons == {"already stored": 3}
    assert count(store, "telemetry") == 4
    odd = store.ingest([write(tmp_path, "c.csv", "ts,service,metric,value\n2026-11-02T11:00:00Z,api,m,inf\n"
                                                 "2026-11-02T11:01:00Z,api,m,-Infinity\n2026-11-02T11:02:00Z,a\x00pi,m,1\n")])
    assert odd.rows == 0 and odd.files[0].reasons == {"infinite value": 2, "NUL byte in a label": 1}


def test_file_names_are_taken_literally(store, tmp_path):
    write(tmp_path, "x1.csv", GOOD)
    literal = write(tmp_path, "x[1].csv", GOOD.replace("api", "literal"))
    report = store.ingest([literal])
    assert report.rows == 3 and store.services() == ["literal"]
    fake = tmp_path / "t.csv.gz"
    fake.write_text(GOOD)
    with pytest.raises(DataError, match="named .gz but not gzip"):
        store.ingest([fake])


def test_the_newest_of_several_runs_is_read_back(tmp_path):
    import time

    from upgradesim import compare
    from upgradesim.judge import judge_frames

    plan = load_plan(sample_plan_path())
    with Store(tmp_path / "runs.duckdb") as store:
        first = store.write_simulation(compare(plan, ["big-bang"], replications=2, seed=1))
        time.sleep(0.01)
        second = store.write_simulation(compare(plan, ["blue-green"], replications=3, seed=2))
        assert first != second
        newest = store.simulation()
        assert newest.meta["run_id"] == second and set(newest.replications["strategy"]) == {"blue-green"}
        assert store.simulation(first).meta["run_id"] == first
        assert set(store.simulation(first).replications["strategy"]) == {"big-bang"}
        with pytest.raises(StoreError, match="no simulation run nope"):
            store.simulation("nope")
        frame = pd.DataFrame({"ts": pd.date_range("2026-01-01", periods=10, freq="h", tz="UTC"), "service": "a",
                              "metric": "m", "value": range(10)})
        v1 = store.write_verdict(judge_frames(frame, frame, mode="control"))
        time.sleep(0.01)
        v2 = store.write_verdict(judge_frames(frame, frame.assign(value=frame["value"] * 3), mode="control"))
        newest, first = store.verdict(), store.verdict(v1)
        assert newest.verdict_id == v2 != v1 and first.verdict_id == v1
        # read back as the Verdict write_verdict took: the same fields, frames and JSON
        written = judge_frames(frame, frame.assign(value=frame["value"] * 3), mode="control")
        assert (newest.verdict, newest.mode, newest.comparison) == (written.verdict, written.mode, written.comparison)
        pd.testing.assert_frame_equal(newest.services, written.services, check_dtype=False)
        assert list(newest.metrics.columns) == list(written.metrics.columns)
        assert newest.to_dict()["metrics"] == written.to_dict()["metrics"]
        assert newest.config == written.config and newest.exit_code == written.exit_code
        assert first.metrics["candidate_value"].tolist() != newest.metrics["candidate_value"].tolist()
        with pytest.raises(StoreError, match="no verdict nope"):
            store.verdict("nope")
