"""The execution log's hash chain, field by field: the canonical form, every hashed field, every
Verification field of every failure, and the input rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from upgradesim import Store
from upgradesim.control.audit import (
    REQUIRED,
    Verification,
    _canonical,
    append,
    read_jsonl,
    record_hash,
    verify,
)
from upgradesim.control.keys import keyed_hash
from upgradesim.errors import DataError

KEY = b"k" * 32


def record(i: int, **extra) -> dict:
    return {"ts": f"2026-11-0{i}T10:00:00+01:00", "change_id": "C1", "step": f"s{i}", "actor": "ann", "role": "executor",
            "action": "upgrade", "outcome": "ok", "details": {"i": i}} | extra


def test_the_canonical_form_and_hash_are_exact():
    r = record(1)
    assert _canonical(7, r) == ('[7,"2026-11-01T09:00:00+00:00","C1","s1","ann","executor","upgrade","ok",'
                                '"{\\"i\\": 1}"]')
    assert record_hash(KEY, "abc", 7, r) == keyed_hash(KEY, "abc|" + _canonical(7, r))


@pytest.mark.parametrize("field", ["ts", *REQUIRED[1:], "details"])
def test_every_field_is_in_the_hash(field):
    r = record(1)
    base = record_hash(KEY, "", 1, r)
    changed = dict(r)
    changed[field] = "2026-11-01T10:00:01+01:00" if field == "ts" else ({"i": 2} if field == "details" else "x")
    assert record_hash(KEY, "", 1, changed) != base
    assert record_hash(KEY, "other", 1, r) != base and record_hash(KEY, "", 2, r) != base
    assert record_hash(b"j" * 32, "", 1, r) != base


def test_append_links_and_verify_reports_every_field(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        rows = append(store, KEY, [record(1), record(2)])
        assert [(r["seq"], r["prev_hash"]) for r in rows] == [(1, ""), (2, rows[0]["hash"])]
        assert rows[0]["ts"] == dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC) and rows[0]["details"] == '{"i": 1}'
        more = append(store, KEY, [record(3)])
        assert (more[0]["seq"], more[0]["prev_hash"]) == (3, rows[1]["hash"])
        good = verify(store, KEY)
        assert good == Verification(True, 3, None, "", more[0]["hash"])
        assert good.message() == f"audit log intact: 3 records, head {more[0]['hash'][:16]}"
        assert verify(store, KEY, expect_count=3).ok and verify(store, KEY, expect_head=more[0]["hash"]).ok
        short = verify(store, KEY, expect_count=5)
        assert short == Verification(False, 3, 4, "2 records missing from the end", more[0]["hash"])
        assert short.message() == "audit log BROKEN at record 4: 2 records missing from the end"
        wrong_head = verify(store, KEY, expect_head="ffff")
        assert (wrong_head.ok, wrong_head.checked, wrong_head.first_broken) == (False, 3, 3)
        store.con.execute("UPDATE audit_log SET outcome = 'failed' WHERE seq = 2")
        edited = verify(store, KEY)
        assert edited == Verification(False, 1, 2, "its contents do not match its hash: edited, or written without "
                                                    "the key", rows[0]["hash"])
        store.con.execute("UPDATE audit_log SET outcome = 'ok' WHERE seq = 2")
        store.con.execute("DELETE FROM audit_log WHERE seq = 1")
        gone = verify(store, KEY)
        assert gone == Verification(False, 0, 1, "record 1 is missing (the next is 2): deleted", "")


def test_append_and_jsonl_refuse_bad_records(tmp_path):
    with Store(tmp_path / "b.duckdb") as store:
        with pytest.raises(DataError, match=r"^record: missing actor, outcome$"):
            append(store, KEY, [record(1, actor=" ", outcome="")])
        with pytest.raises(DataError, match=r"^batch:2: ts\(=2026-11-02T10:00\): must carry a time zone"):
            append(store, KEY, [record(1), record(2, ts="2026-11-02T10:00")], source="batch")
        with pytest.raises(DataError, match=r"ts\(=yesterday\): must be an ISO time with a zone"):
            append(store, KEY, [record(1, ts="yesterday")])
        with pytest.raises(DataError, match="details must be a JSON object"):
            append(store, KEY, [record(1, details=[1, 2])])
        assert store.audit_head()[0] == 0  # nothing was stored by a failed append
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(record(1)) + "\n\n" + "[1]\n")
    with pytest.raises(DataError, match=r"log.jsonl:3: each line must be a JSON object"):
        read_jsonl(path)
    path.write_text(json.dumps(record(1)) + "\n{bad\n")
    with pytest.raises(DataError, match=r"log.jsonl:2: not JSON"):
        read_jsonl(path)
    path.write_text(json.dumps(record(1, change_id="")) + "\n")
    with pytest.raises(DataError, match=r"log.jsonl:1: missing change_id"):
        read_jsonl(path)
    path.write_text(json.dumps(record(1)) + "\n\n" + json.dumps(record(2)) + "\n")
    assert [r["step"] for r in read_jsonl(path)] == ["s1", "s2"]


def test_relinking_and_head_failures_are_reported_exactly(tmp_path):
    with Store(tmp_path / "c.duckdb") as store:
        rows = append(store, KEY, [record(1), record(2), record(3)])
        head = rows[-1]["hash"]
        wrong = verify(store, KEY, expect_head="ffff0000")
        assert wrong == Verification(False, 3, 3, f"the head {head[:16]} is not the recorded head ffff0000: records "
                                                  "were removed or replaced at the end", head)
        store.con.execute("DELETE FROM audit_log WHERE seq = 3")
        cut = verify(store, KEY, expect_head=head)
        assert cut == Verification(False, 2, 2, f"the head {rows[1]['hash'][:16]} is not the recorded head "
                                                f"{head[:16]}: records were removed or replaced at the end",
                                   rows[1]["hash"])
        # record 2 relinked to nothing: the link is checked before the contents
        store.con.execute("UPDATE audit_log SET prev_hash = 'x' WHERE seq = 2")
        assert verify(store, KEY) == Verification(False, 1, 2, "does not link to the record before it: inserted, "
                                                             "deleted or reordered records", rows[0]["hash"])


def test_a_deeply_nested_jsonl_line_is_refused(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(DataError, match=r"deep.jsonl:1: nested too deeply"):
        read_jsonl(path)


def test_details_hash_alike_as_text_or_object_whatever_the_key_order():
    as_object = record(1, details={"b": 1, "a": [2, 3]})
    reordered = record(1, details={"a": [2, 3], "b": 1})
    as_text = record(1, details='{"a": [2, 3], "b": 1}')  # as the store holds it
    assert record_hash(KEY, "", 1, as_object) == record_hash(KEY, "", 1, reordered) == record_hash(KEY, "", 1, as_text)
    assert _canonical(1, as_object).endswith(',"{\\"a\\": [2, 3], \\"b\\": 1}"]')
    assert _canonical(1, record(1, details=None)).endswith(',"{}"]')


def test_normalised_records_keep_details_in_key_order(tmp_path):
    with Store(tmp_path / "n.duckdb") as store:
        rows = append(store, KEY, [record(1, details={"z": 1, "a": 2})])
    assert rows[0]["details"] == '{"a": 2, "z": 1}'
    assert rows[0]["ts"] == dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def test_an_absent_field_is_missing_like_an_empty_one(tmp_path):
    absent = record(1)
    del absent["actor"], absent["role"]
    with Store(tmp_path / "m.duckdb") as store, pytest.raises(DataError) as caught:
        append(store, KEY, [absent])
    assert str(caught.value) == "record: missing actor, role"


def test_a_binary_log_is_named_as_a_jsonl_file(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}\x00\n')
    with pytest.raises(DataError) as caught:
        read_jsonl(path)
    assert str(caught.value) == f"{path}: binary data (a NUL byte at 8), not a text JSONL file"
    with pytest.raises(DataError) as caught:
        read_jsonl(tmp_path / "none.jsonl")
    assert str(caught.value) == f"{tmp_path / 'none.jsonl'}: JSONL file not found"
