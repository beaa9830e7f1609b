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


def test_the_golden_file_names_every_case():
    assert sorted(json.loads(GOLDEN.read_text())) == sorted(CORPUS)
