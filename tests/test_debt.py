"""The technical-debt register: reading items, aging, proposals from readiness, closing, the CAB pack."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError, StoreError
from upgradesim.sustain.debt import age, read_items


def test_items_from_yaml_and_csv_with_their_problems(tmp_path):
    from upgradesim.sample.debt import write_debt

    path, _ = write_debt(tmp_path)
    items = read_items(path)
    assert [(i.component, i.kind, i.due) for i in items] == [
        ("erp-connector", "workaround", dt.date(2026, 12, 31)), ("reporting-db", "deferred_upgrade", dt.date(2027, 4, 30))]
    assert items[0].interest_per_month == 1200 and items[0].links == ("SEC-001",)
    csv = tmp_path / "d.csv"
    csv.write_text("component,kind,title,owner,created,links\nx,workaround,t,o,2027-01-01,A-1;B-2\n")
    assert read_items(csv)[0].links == ("A-1", "B-2")
    csv.write_text("component,kind,title,owner,created\nx,debt,t,o,2027-01-01\n")
    with pytest.raises(DataError, match=r"d.csv:2: kind: Input should be 'deferred_upgrade'"):
        read_items(csv)
    csv.write_text("component,kind,title\nx,workaround,t\n")
    with pytest.raises(DataError, match="d.csv:1: missing columns owner, created"):
        read_items(csv)


def test_age_and_overdue():
    assert age(dt.date(2027, 1, 1), dt.date(2027, 1, 10), dt.date(2027, 1, 15)) == {"age_days": 14, "overdue_days": 5}
    assert age(dt.date(2027, 1, 1), None, dt.date(2027, 1, 15)) == {"age_days": 14, "overdue_days": 0}


def test_register_propose_close_and_cli(tmp_path):
    from upgradesim.sample.debt import write_debt
    from upgradesim.sample.estate import sample_plan_path

    register, _ = write_debt(tmp_path)
    db = tmp_path / "s.duckdb"
    frame = api.debt(db, add=register, as_of=dt.date(2027, 3, 5))
    assert frame[["component", "age_days", "overdue_days"]].values.tolist() == [
        ["erp-connector", 277, 64], ["reporting-db", 110, 0]]
    again = api.debt(db, add=register, as_of=dt.date(2027, 3, 5))
    assert len(again) == 2  # the same open items are not added twice
    proposed = api.debt(db, propose_from=sample_plan_path(), as_of=dt.date(2026, 11, 30), owner="dana.ops")
    kinds = proposed.groupby("kind").size().to_dict()
    assert kinds["customisation"] == 5 and kinds["unsupported_version"] >= 5  # one per customization finding
    assert set(proposed[proposed.kind == "customisation"].component) == {"customer-portal", "erp-connector",
                                                                          "order-api", "order-worker"}
    first = proposed[proposed.kind == "customisation"]["item_id"].iloc[0]
    closed = api.debt(db, close=first[:8], as_of=dt.date(2027, 3, 6))
    assert first not in set(closed["item_id"])
    with pytest.raises(StoreError, match="no open item"):
        api.debt(db, close=first[:8])
    res = CliRunner().invoke(cli, ["debt", "--db", str(db), "--as-of", "2027-03-05", "--json"])
    doc = json.loads(res.output)
    assert res.exit_code == 2 and doc["overdue"] == 1  # the ERP workaround


def test_cab_pack_debt_table(tmp_path):
    from upgradesim.report.data import debt_table
    from upgradesim.sample.debt import write_debt
    from upgradesim.sample.estate import sample_plan_path

    register, _ = write_debt(tmp_path)
    db = tmp_path / "s.duckdb"
    api.debt(db, add=register)
    table = debt_table(api.load(sample_plan_path()), str(db))
    assert table[["component", "kind", "age (days)"]].values.tolist() == [
        ["erp-connector", "workaround", 278], ["reporting-db", "deferred upgrade", 111]]  # aged at 2027-03-06
