"""Migrations from real DDL (issue 18.4): each statement's lock, blocking and rewrite per engine and
version, timing from table sizes, phases the simulation runs, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.simplans import make_plan
from upgradesim import api
from upgradesim.artefacts.ddl import lint_sql, split_statements
from upgradesim.artefacts.migration import (
    derive_phases,
    lint_migration,
    read_sizes,
    with_sql_migration,
)
from upgradesim.cli import cli
from upgradesim.errors import DataError
from upgradesim.sim.runner import prepare, run_replication


def one(sql: str, engine: str = "postgresql", version: str | None = "16.4"):
    found = [s for s in lint_sql("SET lock_timeout = '2s';\nCREATE TABLE scratch (a int);\n" + sql, "m.sql", engine,
                                 version) if s.operation not in ("create table",)]
    assert len(found) == 1, found
    s = found[0]
    return s.operation, s.lock, s.blocks, s.work, s.severity


@pytest.mark.parametrize(("sql", "expected"), [
    ("CREATE INDEX i ON orders (a)", ("create index", "SHARE", "writes", "index", "blocker")),
    ("CREATE INDEX CONCURRENTLY i ON orders (a)", ("create index concurrently", "SHARE UPDATE EXCLUSIVE", "nothing", "index", "ok")),
    ("ALTER TABLE orders ADD COLUMN c text", ("add column", "ACCESS EXCLUSIVE", "nothing", "none", "ok")),
    ("ALTER TABLE orders ADD COLUMN c int DEFAULT 0", ("add column", "ACCESS EXCLUSIVE", "nothing", "none", "ok")),
    ("ALTER TABLE orders ADD COLUMN c uuid DEFAULT gen_random_uuid()",
     ("add column with volatile default", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker")),
    ("ALTER TABLE orders ADD COLUMN c bigserial", ("add column with volatile default", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker")),
    ("ALTER TABLE orders ADD COLUMN c int NOT NULL",
     ("add column not null without default", "ACCESS EXCLUSIVE", "reads and writes", "none", "error")),
    ("ALTER TABLE orders ALTER COLUMN a TYPE bigint", ("change column type", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker")),
    ("ALTER TABLE orders ALTER COLUMN a SET NOT NULL", ("set not null", "ACCESS EXCLUSIVE", "reads and writes", "scan", "blocker")),
    ("ALTER TABLE orders ALTER COLUMN a DROP NOT NULL", ("alter column", "ACCESS EXCLUSIVE", "nothing", "none", "ok")),
    ("ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES customers (id)",
     ("add foreign key", "SHARE ROW EXCLUSIVE", "writes", "scan", "blocker")),
    ("ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES customers (id) NOT VALID",
     ("add foreign key not valid", "SHARE ROW EXCLUSIVE", "nothing", "none", "ok")),
    ("ALTER TABLE orders ADD CONSTRAINT k CHECK (a > 0)", ("add check", "ACCESS EXCLUSIVE", "reads and writes", "scan", "blocker")),
    ("ALTER TABLE orders ADD CONSTRAINT k CHECK (a > 0) NOT VALID", ("add check not valid", "ACCESS EXCLUSIVE", "nothing", "none", "ok")),
    ("ALTER TABLE orders ADD PRIMARY KEY (id)", ("add primary key or unique", "ACCESS EXCLUSIVE", "reads and writes", "index", "blocker")),
    ("ALTER TABLE orders VALIDATE CONSTRAINT f", ("validate constraint", "SHARE UPDATE EXCLUSIVE", "nothing", "scan", "ok")),
    ("ALTER TABLE orders DROP COLUMN legacy", ("drop column", "ACCESS EXCLUSIVE", "nothing", "none", "warning")),
    ("ALTER TABLE orders RENAME COLUMN a TO b", ("rename", "ACCESS EXCLUSIVE", "nothing", "none", "warning")),
    ("ALTER TABLE orders SET TABLESPACE fast", ("set storage", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker")),
    ("VACUUM FULL orders", ("vacuum full", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker")),
    ("CLUSTER orders USING i", ("cluster", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker")),
    ("REINDEX TABLE orders", ("reindex", "SHARE", "writes", "index", "blocker")),
    ("DROP INDEX i", ("drop index", "ACCESS EXCLUSIVE", "reads and writes", "none", "warning")),
    ("UPDATE orders SET a = 1", ("update every row", "ROW EXCLUSIVE", "writes", "update", "warning")),
    ("UPDATE orders SET a = 1 WHERE id < 1000", ("update", "ROW EXCLUSIVE", "nothing", "none", "ok")),
    ("CREATE INDEX i ON scratch (a)", ("create index", "SHARE", "nothing", "none", "ok")),  # a table made here
])
def test_postgresql_rules(sql, expected):
    assert one(sql) == expected


def test_versions_and_mysql():
    assert one("ALTER TABLE orders ADD COLUMN c int DEFAULT 0", version="10.23")[-1] == "blocker"  # rewrote before 11
    assert one("ALTER TABLE t ADD COLUMN c int", "mysql", "8.0.36") == ("add column", "", "nothing", "none", "ok")
    assert one("ALTER TABLE t ADD COLUMN c int", "mysql", "5.7.44") == ("add column", "", "nothing", "rewrite", "warning")
    assert one("ALTER TABLE t MODIFY COLUMN c bigint", "mysql", "8.0.36") == (
        "change column type", "", "writes", "rewrite", "blocker")
    assert one("CREATE INDEX i ON t (c)", "mysql", "8.0.36") == ("create index", "", "nothing", "index", "ok")


@pytest.mark.parametrize(("sql", "expected"), [
    ("ALTER TABLE t ADD INDEX idx (a)", ("add index", "", "nothing", "index", "ok")),
    ("ALTER TABLE t ADD KEY idx (a)", ("add index", "", "nothing", "index", "ok")),
    ("ALTER TABLE t ADD FULLTEXT INDEX ft (body)", ("add fulltext or spatial index", "", "writes", "index", "blocker")),
    ("ALTER TABLE t ADD SPATIAL INDEX sp (g)", ("add fulltext or spatial index", "", "writes", "index", "blocker")),
    ("ALTER TABLE t ADD UNIQUE KEY uk (a)", ("add key", "", "nothing", "index", "ok")),
    ("ALTER TABLE t ADD PRIMARY KEY (id)", ("add primary key", "", "nothing", "rewrite", "warning")),
    ("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", ("convert character set", "", "writes", "rewrite", "blocker")),
    ("ALTER TABLE t ENGINE=InnoDB", ("rebuild table", "", "nothing", "rewrite", "warning")),
    ("ALTER TABLE t FORCE", ("rebuild table", "", "nothing", "rewrite", "warning")),
    ("RENAME TABLE t TO t2", ("rename", "", "nothing", "none", "warning")),
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)",
     ("add foreign key", "", "writes", "rewrite", "blocker")),
])
def test_mysql_rules(sql, expected):
    assert one(sql, "mysql", "8.0.36") == expected


def test_lock_timeout_transactions_and_bad_sql_are_reported_and_the_rest_judged():
    sql = ("BEGIN;\nALTER TABLE orders ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nCOMMIT;\n"
           "SELEC broken;\nINSERT INTO t VALUES ('it''s; fine'); -- a ; in a comment\nDROP INDEX j;\n")
    found = [(s.line, s.operation, s.severity) for s in lint_sql(sql, "m.sql", "postgresql", "16")]
    assert found == [(2, "add column", "ok"), (2, "no lock_timeout", "warning"),
                     (3, "create index concurrently", "error"), (5, "unparseable", "error"), (6, "insert", "ok"),
                     (7, "drop index", "warning")]
    assert [(s.line, s.operation) for s in lint_sql("INSERT INTO x VALUES ('never closed);\n", "m.sql")] == [
        (1, "unparseable")]


def test_split_statements_keeps_lines():
    text = "\n-- head\nSELECT 1;\n\nSELECT ';'\n  ;\nSELECT 3"
    assert split_statements(text, "postgresql") == [(3, "SELECT 1"), (5, "SELECT ';'"), (7, "SELECT 3")]


SIZES = {"orders": {"rows": 120_000_000, "bytes": 64_000_000_000, "index_bytes": 21_000_000_000},
         "order_lines": {"rows": 410_000_000, "bytes": 98_000_000_000, "index_bytes": 35_000_000_000}}


@pytest.fixture
def sample(tmp_path) -> Path:
    from upgradesim.sample import write_sample

    write_sample(tmp_path / "s", baseline_weeks=1, post_days=1, step_min=60)
    return tmp_path / "s"


def test_sample_migration_timed_from_sizes(sample):
    plan = api.load(sample / "plan.yaml")
    lint = lint_migration(plan, sample, SIZES)
    blocking = lint.findings
    assert blocking[["line", "operation", "severity"]].values.tolist() == [[16, "create index", "blocker"]]
    assert lint.exit_code == 2 and lint.engine == "postgresql" and lint.version == "16.4" and lint.unsized == []
    assert lint.blocking_min == pytest.approx(64_000 / 40 / 60)
    assert lint.total_min == pytest.approx(64_000 / 40 / 60 + 2 * 98_000 / 40 / 60 + 98_000 / 400 / 60)
    assert derive_phases(lint) == [
        {"minutes": pytest.approx(64_000 / 40 / 60), "blocking": True, "statement": "001_orders_7_0.sql:16"},
        {"minutes": pytest.approx(2 * 98_000 / 40 / 60 + 98_000 / 400 / 60), "blocking": False,
         "statement": "001_orders_7_0.sql:18; 001_orders_7_0.sql:19; 001_orders_7_0.sql:21"}]
    part = lint_migration(plan, sample, {"orders": SIZES["orders"]})
    assert part.unsized == ["order_lines"] and part.total_min is None and part.blocking_min == pytest.approx(26.6667, 1e-4)


def test_the_simulation_uses_the_derived_phases(sample):
    db = sample / "s.duckdb"
    plan = api.load(sample / "plan.yaml")
    assert with_sql_migration(plan, sample, None)[1] == (
        "migration from rows / rows_per_s: its SQL is timed from table sizes in a store (--db, filled by "
        "upgradesim migration sizes)")
    assert with_sql_migration(plan, sample, sample / "empty.duckdb")[1] == (
        "migration from rows / rows_per_s: no table sizes in the store (upgradesim migration sizes)")
    assert api.migration_sizes(sample / "migrations" / "table_sizes.csv", db=db) == 3
    derived, note = with_sql_migration(plan, sample, db)
    assert note == "migration from its SQL: 112.4 min, 26.7 min blocking, per region"
    assert [(round(p.minutes, 2), p.blocking) for p in derived.migration.phases] == [(26.67, True), (85.75, False)]
    assert with_sql_migration(derived, sample, db) == (derived, "")  # phases given: nothing to derive
    assert prepare(derived).migration_estimate_min() == pytest.approx(
        112.4167 + prepare(plan).migration_estimate_min() - 120_000_000 * 0.65 / 50_000 / 60, 1e-3)
    result = api.compare(sample / "plan.yaml", ["rolling-25pct"], replications=4, seed=1, db=db, progress=False)
    assert result.result.meta["migration"] == note
    assert result.result.meta["plan_hash"] == __import__("upgradesim.plan", fromlist=["plan_hash"]).plan_hash(plan)


def test_phases_take_the_region_down_only_while_blocking():
    def edit(data):
        data["migration"] = {"rows": 60000, "rows_per_s": 100, "phases": [
            {"minutes": 4, "blocking": False}, {"minutes": 3, "blocking": True}, {"minutes": 5, "blocking": False}]}
        data["regions"][0]["nodes"]["db"] = 2
        data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]
    record, events = run_replication(prepare(make_plan(edit)), "s", 0, 0, keep_events=True)
    log = [(event, at) for node, event, at, _, _ in events if event.startswith("migration")]
    assert log == [("migration_start", 40.0), ("migration_done", 52.0)]
    assert record["migration_min"] == 12.0 and record["downtime_min"] == 3.0  # vs 10 min down without phases


def test_sizes_csv_errors(tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text("relname,n_live_tup,pg_table_size,pg_indexes_size\npublic.orders,10,2000,30\n")
    assert read_sizes(good)[["db_table", "rows", "bytes", "index_bytes"]].values.tolist() == [["public.orders", 10, 2000, 30]]
    good.write_text("table,rows,bytes\norders,1.2e9,9223372036854775807\nlines, 7 ,\n")  # as exports write them
    assert read_sizes(good)[["db_table", "rows", "bytes", "index_bytes"]].values.tolist() == [
        ["orders", 1_200_000_000, 9223372036854775807, 0], ["lines", 7, 0, 0]]
    for text, message in [("table,rows\norders,1\n", "ok.csv:1: no bytes column"),
                          ("table,rows,bytes\norders,x,1\n", r"ok.csv:2: rows\(='x'\): must be a whole number"),
                          ("table,rows,bytes\norders,1,-5\n", r"ok.csv:2: bytes\(=-5\): must be between 0 and "
                           "9223372036854775807"),
                          ("table,rows,bytes\norders,1e309,5\n", r"ok.csv:2: rows\(='1e309'\): must be a whole number"),
                          ("table,rows,bytes\norders,nan,5\n", r"ok.csv:2: rows\(='nan'\): must be a whole number"),
                          ("table,rows,bytes\norders,1.5,5\n", r"ok.csv:2: rows\(='1.5'\): must be a whole number"),
                          ("table,rows,bytes\norders,1,9223372036854775808\n",
                           r"ok.csv:2: bytes\(=9223372036854775808\): must be between 0 and 9223372036854775807"),
                          ("table,rows,bytes\norders,1,5\nOrders,2,6\n",
                           r"ok.csv:3: table\(='Orders'\): given twice \(line 2 too\); one size per table"),
                          ("table,rows,bytes\n", "ok.csv: no table sizes"),
                          ("table,rows,bytes\n'; drop,1,1\n", "ok.csv:2: table.*not a table name"),
                          ("table,rows,bytes\norders,1\n", "ok.csv:2: 2 cells, the header has 3")]:
        good.write_text(text)
        with pytest.raises(DataError, match=message):
            read_sizes(good)


def test_cli(sample):
    runner = CliRunner()
    db = sample / "s.duckdb"
    out = runner.invoke(cli, ["migration", "lint", str(sample / "plan.yaml")])
    assert out.exit_code == 2 and "BLOCKER 001_orders_7_0.sql:16 create index on orders [SHARE, blocks writes]" in out.output
    assert "CREATE INDEX CONCURRENTLY" in out.output
    out = runner.invoke(cli, ["migration", "sizes", str(sample / "migrations" / "table_sizes.csv"), "--db", str(db)])
    assert out.exit_code == 0 and out.output == f"3 table sizes stored in {db}\n"
    out = runner.invoke(cli, ["migration", "lint", str(sample / "plan.yaml"), "--db", str(db), "--json"])
    doc = json.loads(out.output)
    assert out.exit_code == 2 and doc["counts"] == {"error": 0, "blocker": 1, "warning": 0, "ok": 7}
    assert doc["blocking_min"] == pytest.approx(26.6667, 1e-4)
    (sample / "migrations" / "001_orders_7_0.sql").write_text("SET lock_timeout='1s';\nALTER TABLE orders ADD COLUMN c text;\n")
    assert runner.invoke(cli, ["migration", "lint", str(sample / "plan.yaml")]).exit_code == 0
    (sample / "migrations" / "001_orders_7_0.sql").unlink()
    out = runner.invoke(cli, ["migration", "lint", str(sample / "plan.yaml")])
    assert out.exit_code == 1 and "migration.sql(=migrations/*.sql): no such file" in out.output


@pytest.mark.parametrize(("sql", "shown"), [
    ("CREATE USER app WITH PASSWORD 'S3cret!pw'", "CREATE USER app WITH PASSWORD '***'"),
    ("ALTER ROLE app PASSWORD 'it''s-secret'", "ALTER ROLE app PASSWORD '***'"),
    ("CREATE USER 'u'@'%' IDENTIFIED BY 'pw123456'", "CREATE USER 'u'@'%' IDENTIFIED BY '***'"),
    ("CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY 'pw'",
     "CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY '***'"),
    ("INSERT INTO cfg VALUES ('dsn', 'postgres://app:hunter2@db/x')", "INSERT INTO cfg VALUES ('dsn', '***')"),
    ("INSERT INTO cfg VALUES ('gh', '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')", "INSERT INTO cfg VALUES ('gh', '***')"),
    ("CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password 'pw9')",
     "CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password '***')"),
    ("COPY t FROM PROGRAM 'curl https://u:tok3n99@h/x'", "COPY t FROM PROGRAM '***'"),
    ("SELECT * FROM dblink(connstr) -- mysql://root:pw@h/db", "SELECT * FROM dblink(connstr) -- mysql://***:***@h/db"),
    ("UPDATE t SET a = 'hello world' WHERE b = 'it''s'", "UPDATE t SET a = 'hello world' WHERE b = 'it''s'"),
])
def test_secrets_in_statements_are_never_shown(sql, shown):
    from upgradesim.artefacts.ddl import mask_secrets

    assert mask_secrets(sql) == shown


def test_no_secret_leaves_the_lint_even_from_unparseable_sql(tmp_path):
    found = lint_sql("CREATE USER app PASSWORD 'S3cretPW';\nTHIS 'postgres://u:pw12345@h/db' BROKEN;\n"
                     "INSERT INTO t VALUES ('x', 'PASSWORD never closed);\n", "m.sql")
    assert [(s.line, s.operation, s.sql) for s in found] == [
        (1, "command", "CREATE USER app PASSWORD '***'"), (2, "unparseable", "THIS '***' BROKEN"),
        (3, "unparseable", "INSERT INTO t VALUES ('x', 'PASSWORD never closed)")]
    assert not any(word in repr(found) for word in ("S3cretPW", "pw12345"))


def test_one_sql_file_without_a_list_and_files_with_no_statement(sample):
    runner = CliRunner()
    plan_text = (sample / "plan.yaml").read_text()
    assert "  sql: [migrations/*.sql]" in plan_text
    (sample / "plan.yaml").write_text(plan_text.replace("  sql: [migrations/*.sql]", "  sql: migrations/empty.sql"))
    (sample / "migrations" / "empty.sql").write_text("-- written later\n\n")
    plan = api.load(sample / "plan.yaml")
    assert plan.migration.sql == ("migrations/empty.sql",)
    lint = lint_migration(plan, sample, SIZES)
    assert lint.statements[["file", "line", "operation", "severity"]].values.tolist() == [
        ["empty.sql", 1, "no statement", "warning"]]
    assert (lint.judged, lint.exit_code) == (0, 3)
    assert with_sql_migration(plan, sample, sample / "none.duckdb")[1] == (
        "migration from rows / rows_per_s: no table sizes in the store (upgradesim migration sizes)")
    out = runner.invoke(cli, ["migration", "lint", str(sample / "plan.yaml")])
    assert out.exit_code == 3 and out.output.splitlines() == [
        "postgresql 16.4: 0 unparseable, 0 blocking, 1 warnings, 0 safe",
        "  WARNING empty.sql:1 no statement", "            the file holds no SQL statement: is it the right file?",
        "INCONCLUSIVE: the migration's SQL files hold no statement to judge"]
    (sample / "plan.yaml").write_text(plan_text.replace("  sql: [migrations/*.sql]",
                                                        "  sql: [migrations/empty.sql, migrations/*_7_0.sql]"))
    lint = lint_migration(api.load(sample / "plan.yaml"), sample, SIZES)
    assert (lint.judged, lint.exit_code, len(lint.statements)) == (8, 2, 9)


def test_psql_backslash_commands_are_not_sql_and_an_include_is_named():
    sql = ("\\set ON_ERROR_STOP on\nSET lock_timeout = '2s';\n  \\connect orders\nCREATE INDEX i ON orders (a);\n"
           "\\ir 002_more.sql\nSELECT E'\\\\d';\n")
    found = [(s.line, s.operation, s.sql, s.severity) for s in lint_sql(sql, "m.sql", "postgresql", "16")]
    assert found == [(4, "create index", "CREATE INDEX i ON orders (a)", "blocker"),
                     (5, "psql include", "\\ir 002_more.sql", "warning"), (6, "select", "SELECT E'\\\\d'", "ok")]
