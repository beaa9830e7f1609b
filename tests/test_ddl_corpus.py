"""Every rule of the migration lint on a corpus of statements, every field of every finding (the
table, the lock, what it blocks, the work, the severity, the advice, the statement as shown).

The expected findings are in ``tests/golden/ddl_corpus.json``, read and checked by hand when
written; regenerate on purpose with ``UPGRADESIM_REGOLD=1`` and review the diff. The corpus names
the rule each case is there for.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from upgradesim.artefacts.ddl import lint_sql

GOLDEN = Path(__file__).parent / "golden" / "ddl_corpus.json"
LONG = "UPDATE orders SET note = '" + "x" * 200 + "' WHERE id = 1"
AT_160 = "UPDATE orders SET note = '" + "y" * (160 - 40) + "' WHERE id = 1"  # shown whole: 160 characters
AT_161 = "UPDATE orders SET note = '" + "z" * (161 - 40) + "' WHERE id = 1"  # cut: 157 and "..."

# name -> (engine, version, SQL): one migration file each (a lock_timeout or transaction lasts for the file)
CORPUS: dict[str, tuple[str, str | None, str]] = {
    "pg a table made here is empty": ("postgresql", "16.4", "CREATE TABLE s (a int);\nCREATE INDEX i ON s (a);\n"
                                      "ALTER TABLE s ADD COLUMN b int NOT NULL;\nALTER TABLE S ALTER COLUMN a TYPE bigint;\n"
                                      "CREATE TABLE public.t2 (a int);\nUPDATE public.t2 SET a = 1;\n"),
    "pg indexes": ("postgresql", "16.4", "SET lock_timeout = '2s';\nCREATE INDEX i ON public.orders (a);\n"
                   "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON orders (b) WHERE c IS NULL;\n"
                   "DROP INDEX i;\nDROP INDEX CONCURRENTLY i2;\n"),
    "pg drops and truncates": ("postgresql", "16.4", "SET lock_timeout = '2s';\nDROP TABLE old_orders;\n"
                               "DROP TABLE a, b;\nDROP VIEW v;\nTRUNCATE orders;\nTRUNCATE TABLE a, b;\n"),
    "pg updates and deletes": ("postgresql", "16.4", "UPDATE orders SET a = 1;\nDELETE FROM orders;\n"
                               "DELETE FROM orders WHERE id < 10;\nUPDATE orders SET a = 1 WHERE id < 10;\n"
                               "INSERT INTO t VALUES (1);\nSELECT 1;\n"),
    "pg columns": ("postgresql", "16.4", "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN a text;\n"
                   "ALTER TABLE orders ADD COLUMN b int NOT NULL DEFAULT 0;\n"
                   "ALTER TABLE orders ADD COLUMN c timestamptz DEFAULT clock_timestamp();\n"
                   "ALTER TABLE orders ADD COLUMN d bigint DEFAULT nextval('s');\n"
                   "ALTER TABLE orders ADD COLUMN e serial;\nALTER TABLE orders ADD COLUMN f int NOT NULL;\n"
                   "ALTER TABLE orders ADD COLUMN g timestamptz DEFAULT now();\n"
                   "ALTER TABLE orders ADD COLUMN h uuid DEFAULT uuid_generate_v4();\n"
                   "ALTER TABLE orders ADD COLUMN i int NULL;\n"),
    "pg 10 defaults rewrite": ("postgresql", "10.23", "SET lock_timeout = '2s';\n"
                               "ALTER TABLE orders ADD COLUMN b int DEFAULT 0;\nALTER TABLE orders ADD COLUMN a int;\n"),
    "pg alter column": ("postgresql", "16.4", "SET lock_timeout = '2s';\nALTER TABLE orders ALTER COLUMN a TYPE text;\n"
                        "ALTER TABLE orders ALTER COLUMN b TYPE varchar(20);\n"
                        "ALTER TABLE orders ALTER COLUMN c TYPE bigint USING c::bigint;\n"
                        "ALTER TABLE orders ALTER COLUMN d SET NOT NULL;\nALTER TABLE orders ALTER COLUMN e DROP NOT NULL;\n"
                        "ALTER TABLE orders ALTER COLUMN f SET DEFAULT 1;\n"),
    "pg 11 set not null scans": ("postgresql", "11.22", "SET lock_timeout = '2s';\n"
                                 "ALTER TABLE orders ALTER COLUMN d SET NOT NULL;\nREINDEX TABLE orders;\n"),
    "pg constraints": ("postgresql", "16.4", "SET lock_timeout = '2s';\n"
                       "ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES customers (id);\n"
                       "ALTER TABLE orders ADD CONSTRAINT g FOREIGN KEY (c) REFERENCES customers (id) NOT VALID;\n"
                       "ALTER TABLE orders ADD CONSTRAINT k CHECK (a > 0);\n"
                       "ALTER TABLE orders ADD CONSTRAINT l CHECK (a > 0) NOT VALID;\n"
                       "ALTER TABLE orders ADD CONSTRAINT p PRIMARY KEY (id);\n"
                       "ALTER TABLE orders ADD CONSTRAINT u UNIQUE (ref);\n"
                       "ALTER TABLE orders ADD CONSTRAINT u2 UNIQUE USING INDEX u_idx;\n"
                       "ALTER TABLE orders VALIDATE CONSTRAINT f;\n"
                       "ALTER TABLE orders ADD FOREIGN KEY (c) REFERENCES customers (id);\n"),
    "pg storage": ("postgresql", "16.4", "SET lock_timeout = '2s';\nALTER TABLE orders SET TABLESPACE fast;\n"
                   "ALTER TABLE orders SET LOGGED;\nALTER TABLE orders SET UNLOGGED;\n"
                   "ALTER TABLE orders SET (fillfactor = 70);\n"),
    "pg maintenance commands": ("postgresql", "16.4", "VACUUM FULL orders;\nVACUUM FULL VERBOSE orders;\n"
                                "VACUUM orders;\nVACUUM ANALYZE orders;\nCLUSTER orders USING i;\nCLUSTER VERBOSE orders;\n"
                                "REINDEX TABLE orders;\nREINDEX INDEX i;\nREINDEX TABLE CONCURRENTLY orders;\n"
                                "LOCK TABLE orders IN SHARE MODE;\nLOCK TABLE orders;\n"),
    "pg transactions": ("postgresql", "16.4", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nCOMMIT;\n"
                        "CREATE INDEX CONCURRENTLY j ON orders (a);\nSTART TRANSACTION;\n"
                        "CREATE INDEX CONCURRENTLY k ON orders (a);\nROLLBACK;\nCREATE INDEX CONCURRENTLY l ON orders (a);\n"),
    "pg transaction words": ("postgresql", "16.4", "BEGIN WORK;\nCREATE INDEX CONCURRENTLY a ON t (x);\nEND;\n"
                             "START TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE INDEX CONCURRENTLY b ON t (x);\n"
                             "ROLLBACK TO SAVEPOINT s;\nCREATE INDEX CONCURRENTLY c ON t (x);\nABORT;\n"
                             "CREATE INDEX CONCURRENTLY d ON t (x);\nEND_OF_IT;\n"),
    "pg lock modes": ("postgresql", "16.4", "LOCK orders;\nLOCK TABLE ONLY orders IN ROW EXCLUSIVE MODE;\n"
                      "LOCK TABLE a IN EXCLUSIVE MODE;\nLOCK TABLE b IN SHARE UPDATE EXCLUSIVE MODE;\n"
                      "LOCK TABLE c IN SHARE ROW EXCLUSIVE MODE;\nLOCK TABLE d IN ACCESS SHARE MODE;\n"),
    "pg lock_timeout warned once per file": ("postgresql", "16.4", "ALTER TABLE orders ADD COLUMN a int;\n"
                                             "ALTER TABLE orders DROP COLUMN b;\nALTER TABLE lines ADD COLUMN c int;\n"),
    "pg lock_timeout set later": ("postgresql", "16.4", "CREATE INDEX i ON orders (a);\nSET lock_timeout TO '3s';\n"
                                  "ALTER TABLE orders ADD COLUMN a int;\n"),
    "pg renames and drops": ("postgresql", "16.4", "SET lock_timeout = '2s';\nALTER TABLE orders RENAME COLUMN a TO b;\n"
                             "ALTER TABLE orders RENAME TO orders_v2;\nALTER TABLE orders DROP COLUMN legacy;\n"),
    "pg without a version": ("postgresql", None, "SET lock_timeout = '2s';\n"
                             "ALTER TABLE orders ADD COLUMN b int DEFAULT 0;\nALTER TABLE orders ALTER COLUMN d SET NOT NULL;\n"
                             "REINDEX TABLE orders;\n"),
    "pg not statements": ("postgresql", "16.4", "SELEC broken;\nFOO BAR BAZ;\nVACUUM (;\nCLUSTER;\n"
                          "INSERT INTO t VALUES ('never closed);\n"),
    "pg shown text": ("postgresql", "16.4", "-- a comment; with a semicolon\nUPDATE orders   SET\n  a = 1; -- trailing\n"
                      "CREATE USER app PASSWORD 'S3cret99';\n" + LONG + ";\n"),
    "pg vacuum options": ("postgresql", "16.4", "SET lock_timeout = '2s';\nVACUUM (FULL) orders;\n"
                          "VACUUM (FULL, VERBOSE) public.orders;\nVACUUM (FULL FALSE, ANALYZE) orders;\n"
                          "VACUUM (VERBOSE) orders;\nVACUUM FULL ANALYZE orders;\nVACUUM FULL;\nVACUUM (FULL ON) lines;\n"),
    "pg other statements": ("postgresql", "16.4", "SET lock_timeout = '2s';\nCOMMENT ON TABLE orders IS 'x';\n"
                            "GRANT SELECT ON orders TO r;\nREVOKE SELECT ON orders FROM r;\n"
                            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a;\n"
                            "COPY t TO '/tmp/x.csv';\nANALYZE orders;\nSHOW work_mem;\n"
                            "ALTER INDEX i SET TABLESPACE fast;\nALTER TABLE orders SET ACCESS METHOD heap2;\n"
                            "ALTER TABLE engine ADD COLUMN a int;\nLOCK TABLE a, b IN SHARE MODE;\n"
                            "LOCK TABLE c IN WEIRD THING MODE;\nALTER TABLE orders ADD CONSTRAINT x EXCLUDE USING gist (a WITH =);\n"),
    "pg multi-action alters keep the worst": (
        "postgresql", "16.4", "SET lock_timeout = '2s';\n"
        "ALTER TABLE orders ADD COLUMN a int, ALTER COLUMN b TYPE bigint;\n"
        "ALTER TABLE orders ALTER COLUMN b TYPE bigint, ADD COLUMN a int;\n"
        "ALTER TABLE orders DROP COLUMN x, ADD COLUMN y int;\nALTER TABLE orders ADD COLUMN y int, DROP COLUMN x;\n"
        "ALTER TABLE orders ADD COLUMN z int NOT NULL, ALTER COLUMN b TYPE bigint;\n"
        "ALTER TABLE orders ALTER COLUMN b TYPE bigint, ADD COLUMN z int NOT NULL;\n"
        "ALTER TABLE orders DROP COLUMN x, ALTER COLUMN b TYPE bigint;\n"
        "ALTER TABLE orders ALTER COLUMN b TYPE bigint, DROP COLUMN x;\n"
        "ALTER TABLE orders ALTER COLUMN b TYPE bigint, ALTER COLUMN c SET NOT NULL;\n"
        "ALTER TABLE orders ALTER COLUMN c SET NOT NULL, ALTER COLUMN b TYPE bigint;\n"
        "ALTER TABLE orders ADD COLUMN a int DEFAULT 1, ADD COLUMN b text;\n"
        "ALTER TABLE orders DROP COLUMN x, DROP COLUMN y;\n"),
    "pg 12 boundaries": ("postgresql", "12.0", "SET lock_timeout = '2s';\nALTER TABLE orders ALTER COLUMN d SET NOT NULL;\n"
                         "REINDEX TABLE orders;\nALTER TABLE orders ADD COLUMN b int DEFAULT 0;\n"),
    "pg 11 defaults are metadata": ("postgresql", "11.0", "SET lock_timeout = '2s';\n"
                                    "ALTER TABLE orders ADD COLUMN b int DEFAULT 0;\n"),
    "pg an unterminated string splits at line ends": (
        "postgresql", "16.4", "SELECT 1;\n\n  INSERT INTO t VALUES ('x);\nCREATE INDEX i ON t (a);  \n"
        "-- only a comment;\nUPDATE t\n  SET a = 1;\nDELETE FROM t\n  WHERE a = 1\n"),
    "pg the last statement without a semicolon": ("postgresql", "16.4", "SELECT 1;\nUPDATE t SET a = 1 -- done\n"),
    "pg the last statement ends at its last token": ("postgresql", "16.4", "SELECT 1;\nUPDATE t SET a = 1--done\n"),
    "pg lock_timeout reset to default": ("postgresql", "16.4", "SET lock_timeout = '2s';\nSET lock_timeout TO DEFAULT;\n"
                                         "ALTER TABLE orders ADD COLUMN a int;\n"),
    "pg lock_timeout of zero is none": ("postgresql", "16.4", "SET lock_timeout = '2s';\nSET lock_timeout = 0;\n"
                                        "ALTER TABLE orders ADD COLUMN a int;\nSET LOCAL lock_timeout TO '1s';\n"
                                        "SET lock_timeout TO DEFAULT;\nALTER TABLE lines ADD COLUMN b int;\n"
                                        "SET search_path = public;\n"),
    "pg odd words": ("postgresql", "16.4", "\n\\i first.sql\nCLUSTER VERBOSE;\nALTER INDEX i ATTACH PARTITION p;\n"
                     "LOCK TABLE mode;\nLOCK TABLE;\n"),
    "pg psql includes": ("postgresql", "16.4", "SELECT 1;\n\\i a.sql\n  \\ir b.sql\n\\include c.sql\n"
                         "\\include_relative d.sql\n\\I e.sql\n\\echo done\nSELECT 2;\n"),
    "pg comments inside statements": ("postgresql", "16.4", "UPDATE orders -- why: the new column\n  SET a = 1\n"
                                      "  WHERE id = 2; /* block; comment */ DELETE FROM orders WHERE id = 3;\n"
                                      + AT_160 + ";\n" + AT_161 + ";\n"),
    "pg errors stay errors on a table made here": (
        "postgresql", "16.4", "CREATE TABLE n (a int);\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON n (a);\nCOMMIT;\n"
        "CREATE TABLE t2 AS SELECT * FROM orders;\nCREATE INDEX j ON t2 (a);\nALTER TABLE t2 ALTER COLUMN a TYPE text;\n"),
    "mysql other statements": ("mysql", "8.0.36", "USE shop;\nDESCRIBE t;\nSHOW TABLES;\nRENAME TABLE `t` TO t2;\n"
                               "ALTER TABLE `big` CONVERT TO CHARACTER SET utf8mb4;\n"
                               "ALTER TABLE t DEFAULT CHARACTER SET utf8mb4;\nALTER TABLE t ADD COLUMN engine int;\n"
                               "SELECT 1; # a MySQL comment; with a semicolon\nALTER TABLE t ALTER COLUMN c TYPE bigint;\n"
                               "ALTER TABLE t FORCE;\nALTER TABLE t ROW_FORMAT=COMPRESSED;\n"
                               "ALTER DATABASE shop CHARACTER SET utf8mb4;\n"),
    "mysql 8.0.36": ("mysql", "8.0.36", "SET SESSION lock_wait_timeout = 5;\nALTER TABLE t ADD COLUMN c int;\n"
                     "ALTER TABLE t ADD COLUMN d int NOT NULL;\nALTER TABLE t MODIFY COLUMN c bigint;\n"
                     "ALTER TABLE t CHANGE COLUMN c e bigint;\nCREATE INDEX i ON t (c);\nALTER TABLE t ADD INDEX j (c);\n"
                     "ALTER TABLE t ADD FULLTEXT INDEX ft (body);\nALTER TABLE t ADD UNIQUE KEY uk (a);\n"
                     "ALTER TABLE t ADD PRIMARY KEY (id);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);\n"
                     "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4;\nALTER TABLE t ENGINE=InnoDB;\nOPTIMIZE TABLE t;\n"
                     "RENAME TABLE t TO t2;\nALTER TABLE t DROP COLUMN x;\nALTER TABLE t RENAME COLUMN a TO b;\n"
                     "DROP INDEX i ON t;\nALTER TABLE t ALTER COLUMN c SET DEFAULT 1;\nUPDATE t SET a = 1;\n"),
    "mysql 5.7 and 8.0.11 rebuild for a column": ("mysql", "5.7.44", "ALTER TABLE t ADD COLUMN c int;\n"
                                                   "ALTER TABLE t ADD CHECK (a > 0);\n"),
    "mysql 8.0.11": ("mysql", "8.0.11", "ALTER TABLE t ADD COLUMN c int;\n"),
    "mysql 8.0.12": ("mysql", "8.0.12", "ALTER TABLE t ADD COLUMN c int;\n"),
    "mysql without a version": ("mysql", None, "ALTER TABLE t ADD COLUMN c int;\n"),
}


def _lint(name: str) -> list[dict]:
    engine, version, sql = CORPUS[name]
    return [dataclasses.asdict(s) for s in lint_sql(sql, "m.sql", engine, version)]


if os.environ.get("UPGRADESIM_REGOLD"):
    GOLDEN.write_text(json.dumps({name: _lint(name) for name in CORPUS}, indent=1) + "\n")


@pytest.mark.parametrize("name", list(CORPUS))
def test_each_rule_gives_exactly_its_finding(name):
    expected = json.loads(GOLDEN.read_text())[name]
    assert _lint(name) == expected


def test_sqlglots_fallback_notices_are_not_printed():
    import logging

    logging.getLogger("sqlglot").setLevel(logging.NOTSET)
    lint_sql("VACUUM orders;\n", "m.sql")  # sqlglot keeps it as a Command, and would say so
    assert logging.getLogger("sqlglot").level == logging.ERROR


def test_the_golden_file_names_every_case():
    assert sorted(json.loads(GOLDEN.read_text())) == sorted(CORPUS)
