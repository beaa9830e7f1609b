"""data compare and data pii: every source kind, a single changed cell in a large table, keys,
types, missing tables; each PII class with its checksum, shapes instead of values."""

from __future__ import annotations

import json
import sqlite3

import duckdb
import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.datasets.pii import iban_ok, luhn, shape
from upgradesim.errors import DataError


def _parquet(path, sql):
    con = duckdb.connect()
    con.execute(f"COPY ({sql}) TO '{path}'")
    con.close()


def test_a_single_changed_cell_in_a_million_rows(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    base = "SELECT range AS id, range * 3 AS amount, 'c' || (range % 100) AS customer FROM range(1000000)"
    _parquet(a / "orders.parquet", base)
    _parquet(b / "orders.parquet", f"SELECT id, CASE WHEN id = 424242 THEN amount + 1 ELSE amount END AS amount, "
                                   f"customer FROM ({base}) ORDER BY random()")  # another order: still the same rows
    result = api.data_compare(a, b)
    (t,) = result.tables
    assert t.status == "different" and t.rows == (1000000, 1000000)
    assert t.differences == ["column amount: sum differs", "content differs (order-independent hash of the rows)"]
    assert t.keys == [("424242", "changed")]
    assert result.exit_code == 2
    _parquet(b / "orders.parquet", f"SELECT * FROM ({base}) ORDER BY random()")
    same = api.data_compare(a, b)
    assert same.same and same.exit_code == 0 and same.tables[0].differences == []


def test_sqlite_against_duckdb_with_missing_rows_duplicates_nulls_and_types(tmp_path):
    src = tmp_path / "legacy.sqlite"
    con = sqlite3.connect(src)
    con.execute("CREATE TABLE customers (cid INTEGER, email TEXT, score REAL)")
    con.executemany("INSERT INTO customers VALUES (?, ?, ?)", [(i, f"u{i}@x.io", i / 2) for i in range(1, 101)])
    con.execute("CREATE TABLE audit (x INTEGER)")
    con.commit()
    con.close()
    tgt = tmp_path / "new.duckdb"
    con = duckdb.connect(str(tgt))
    con.execute("CREATE TABLE customers AS SELECT range::BIGINT AS cid, 'u' || range || '@x.io' AS email, "
                "CASE WHEN range = 7 THEN NULL ELSE range / 2 END AS score FROM range(1, 100)")  # 99 rows, a NULL
    con.execute("INSERT INTO customers VALUES (5, 'u5@x.io', 2.5)")  # a duplicate key
    con.execute("CREATE TABLE extra AS SELECT 1 AS y")
    con.close()
    result = api.data_compare(src, tgt, keys={"customers": "cid"})
    by = {t.table: t for t in result.tables}
    assert by["audit"].status == "only_source" and by["extra"].status == "only_target"
    c = by["customers"]
    assert c.rows == (100, 100)
    assert "key cid: 1 duplicate value(s) in the target" in c.differences
    assert "column score: 0 nulls in the source, 1 in the target" in c.differences
    assert ("100", "missing in the target") in c.keys and ("7", "changed") in c.keys
    assert ("5", "changed") in c.keys  # twice in the target: its rows differ from the source's one


def test_type_mismatch_no_common_tables_and_bad_inputs(tmp_path):
    _parquet(tmp_path / "a.parquet", "SELECT 1 AS id, 2 AS v")
    _parquet(tmp_path / "b.parquet", "SELECT 1 AS id, '2' AS v")
    result = api.data_compare(tmp_path / "a.parquet", tmp_path / "b.parquet")
    assert [t.status for t in result.tables] == ["only_source", "only_target", "different"]
    assert result.tables[2].differences == ["the datasets have no table in common"]
    a, b = tmp_path / "x", tmp_path / "y"
    a.mkdir()
    b.mkdir()
    _parquet(a / "t.parquet", "SELECT 1 AS id, 2 AS v")
    _parquet(b / "t.parquet", "SELECT 1 AS id, '2' AS v")
    (t,) = api.data_compare(a, b).tables
    assert t.differences == ["column v: type INTEGER in the source, VARCHAR in the target"]
    with pytest.raises(DataError, match="not found"):
        api.data_compare(tmp_path / "nope.parquet", b)
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01junk")
    with pytest.raises(DataError, match="not a dataset"):
        api.data_compare(tmp_path / "junk.bin", b)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="bad.parquet: cannot read it as parquet"):
        api.data_compare(tmp_path / "bad.parquet", b)
    with pytest.raises(DataError, match="--key t=nope: no column 'nope' on both sides of t"):
        api.data_compare(a, b, keys={"t": "nope"})


def test_checksums():
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    assert shape("Jane.Doe@example.com") == "xxxx.xxx@xxxxxxx.xxx"
    assert shape("4111 1111 1111 1111") == "9999 9999 9999 9999"


def test_each_pii_class_and_no_values_in_the_output(tmp_path):
    path = tmp_path / "staging.csv"
    rows = [
        ("first_name", "email", "phone", "card", "iban", "ssn", "ip", "note"),
        ("Jane", "jane.doe@example.com", "+44 20 7946 0958", "4111 1111 1111 1111", "GB82WEST12345698765432",
         "123-45-6789", "192.168.10.4", "ok"),
        ("Ravi", "r@corp.example", "(555) 010-9999", "4111-1111-1111-1112", "GB82WEST12345698765433", "000-12-3456",
         "0.0.0.0", "ref 2024.06"),
        ("XXXX", "masked", "12", "1234", "nope", "AB123456C", "2001:db8::1", "QQ123456C"),
    ]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    findings, scanned = api.data_pii(path)
    got = {(f.column, f.pii_class): f.count for f in findings}
    assert scanned == {"staging": 3}
    assert got == {("first_name", "person_name"): 2, ("email", "email"): 2, ("phone", "phone"): 2,
                   ("card", "payment_card"): 1, ("iban", "iban"): 1, ("ssn", "national_id"): 2,
                   ("ip", "ip_address"): 2}  # QQ is no NINO prefix; "ref 2024.06" no phone
    text = json.dumps([f.as_dict() for f in findings])
    for value in ("jane.doe", "4111 1111 1111 1111", "GB82WEST", "123-45-6789", "192.168.10.4", "Jane"):
        assert value not in text


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    _parquet(tmp_path / "t.parquet", "SELECT range AS id, 'n' || range AS code FROM range(5)")
    res = runner.invoke(cli, ["data", "compare", str(tmp_path / "t.parquet"), str(tmp_path / "t.parquet")])
    assert res.exit_code == 0 and "SAME         t (5 vs 5 rows)" in res.output
    res = runner.invoke(cli, ["data", "compare", str(tmp_path / "t.parquet"), str(tmp_path / "t.parquet"),
                              "--key", "broken", "--json"])
    assert res.exit_code == 1 and "--key(=broken): must look like TABLE=COLUMN" in res.output
    res = runner.invoke(cli, ["data", "pii", str(tmp_path / "t.parquet"), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["findings"] == []
    _parquet(tmp_path / "p.parquet", "SELECT 'a' || range || '@mail.example' AS contact FROM range(5)")
    res = runner.invoke(cli, ["data", "pii", str(tmp_path / "p.parquet")])
    assert res.exit_code == 2 and "p.contact: 5 of 5 look like email (e.g. x9@xxxx.xxxxxxx" in res.output
