"""The execution log: append-only records in a keyed hash chain; verify names the first record
that was edited, deleted, inserted or reordered."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .keys import keyed_hash

__all__ = ["AuditRecord", "append", "verify", "Verification", "read_jsonl", "record_hash", "REQUIRED"]

REQUIRED = ("ts", "change_id", "step", "actor", "role", "action", "outcome")


@dataclass(frozen=True)
class AuditRecord:
    ts: dt.datetime
    change_id: str
    step: str
    actor: str
    role: str
    action: str
    outcome: str
    details: dict


def _canonical(seq: int, r: dict) -> str:
    ts = pd.Timestamp(r["ts"]).tz_convert("UTC").isoformat()
    details = r["details"] if isinstance(r["details"], str) else json.dumps(r["details"] or {}, sort_keys=True)
    return json.dumps([seq, ts, r["change_id"], r["step"], r["actor"], r["role"], r["action"], r["outcome"], details],
                      separators=(",", ":"))


def record_hash(key: bytes, prev_hash: str, seq: int, record: dict) -> str:
    return keyed_hash(key, prev_hash + "|" + _canonical(seq, record))


def _normalise(record: dict, where: str) -> dict:
    missing = [f for f in REQUIRED if not str(record.get(f, "") or "").strip()]
    if missing:
        raise DataError(f"{where}: missing {', '.join(missing)}")
    try:
        ts = pd.Timestamp(record["ts"])
    except (ValueError, TypeError):
        raise DataError(f"{where}: ts(={record['ts']}): must be an ISO time with a zone") from None
    if ts.tzinfo is None:
        raise DataError(f"{where}: ts(={record['ts']}): must carry a time zone (e.g. ...Z or +01:00)")
    details = record.get("details") or {}
    if not isinstance(details, dict):
        raise DataError(f"{where}: details must be a JSON object")
    out = {f: str(record[f]).strip() for f in REQUIRED if f != "ts"}
    return out | {"ts": ts.tz_convert("UTC").to_pydatetime(), "details": json.dumps(details, sort_keys=True)}


def append(store, key: bytes, records: list[dict], source: str = "record") -> list[dict]:
    """Validate and append records after the chain's head, all in one transaction."""
    seq, prev = store.audit_head()
    rows = []
    for i, record in enumerate(records, start=1):
        r = _normalise(record, f"{source}:{i}" if len(records) > 1 else source)
        seq += 1
        h = record_hash(key, prev, seq, r)
        rows.append(r | {"seq": seq, "prev_hash": prev, "hash": h})
        prev = h
    store.audit_insert(rows)
    return rows


def read_jsonl(path: str | Path) -> list[dict]:
    """Records from a JSONL file of the team's own tooling; a bad line names its number."""
    from ..readers import json_lines, read_text

    path = Path(path)
    records = []
    for number, obj in json_lines(path, read_text(path, what="JSONL file")):
        _normalise(obj, f"{path}:{number}")  # fail before anything is stored
        records.append(obj)
    return records


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken: int | None
    problem: str
    head: str

    def message(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} records, head {self.head[:16]}"
        return f"audit log BROKEN at record {self.first_broken}: {self.problem}"


def verify(store, key: bytes, *, expect_head: str | None = None, expect_count: int | None = None) -> Verification:
    """Walk the chain from the first record; the first inconsistency is named.

    An edited record no longer matches its hash; a deleted one leaves a gap in the sequence (or
    breaks the link of its successor); an inserted or reordered one breaks the links. Removing
    records from the end is only visible against a head recorded elsewhere: pass ``expect_head``
    (or ``expect_count``).
    """
    frame = store.audit_records()
    prev, expected = "", 1
    for row in frame.itertuples(index=False):
        r = row._asdict()
        seq = int(r["seq"])
        if seq != expected:
            return Verification(False, expected - 1, expected,
                                f"record {expected} is missing (the next is {seq}): deleted", prev)
        if r["prev_hash"] != prev:
            return Verification(False, seq - 1, seq, "does not link to the record before it: inserted, deleted "
                                                     "or reordered records", prev)
        if record_hash(key, prev, seq, r) != r["hash"]:
            return Verification(False, seq - 1, seq, "its contents do not match its hash: edited, or written without "
                                                     "the key", prev)
        prev, expected = r["hash"], expected + 1
    count = expected - 1
    if expect_count is not None and count < expect_count:
        return Verification(False, count, count + 1, f"{expect_count - count} records missing from the end", prev)
    if expect_head is not None and not prev.startswith(expect_head):
        return Verification(False, count, count, f"the head {prev[:16]} is not the recorded head {expect_head[:16]}: "
                                                 "records were removed or replaced at the end", prev)
    return Verification(True, count, None, "", prev)
