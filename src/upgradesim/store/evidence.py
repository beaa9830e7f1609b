"""The store's evidence table: test runs, sign-offs, drills, probes, each with who, when, which
change and environment, and the keyed digest of its source. A mixin of :class:`~upgradesim.store.Store`."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pandas as pd

from ..errors import StoreError

__all__ = ["EvidenceQueries"]

COLUMNS = ("evidence_id", "kind", "change_id", "env", "recorded_at", "observed_at", "recorded_by", "source", "digest")


class EvidenceQueries:
    def write_evidence(self, *, kind: str, change_id: str, env: str, observed_at: dt.datetime | None, recorded_by: str,
                       source: str, digest: str, summary: dict, details: dict) -> str:
        evidence_id = str(uuid.uuid4())
        now = dt.datetime.now(dt.UTC)
        with self.transaction():
            self.con.execute("INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                evidence_id, kind, change_id, env, now, observed_at or now, recorded_by, source, digest,
                json.dumps(summary, default=str), json.dumps(details, default=str)])
        return evidence_id

    def evidence_list(self, *, change_id: str | None = None, kind: str | None = None,
                      env: str | None = None) -> pd.DataFrame:
        """Records, newest observation first, with their summaries (as dicts)."""
        where, args = [], []
        for column, value in (("change_id", change_id), ("kind", kind), ("env", env)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = (f"SELECT {', '.join(COLUMNS)}, summary FROM evidence"
               + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY observed_at DESC, recorded_at DESC")
        frame = self.con.execute(sql, args).df()
        frame["summary"] = frame["summary"].map(json.loads)
        return frame

    def evidence(self, evidence_id: str) -> dict:
        """One record with its details; an id prefix of 8 or more characters is enough."""
        if len(evidence_id) < 8:
            raise StoreError(f"evidence id {evidence_id!r}: give at least 8 characters")
        rows = self.con.execute(f"SELECT {', '.join(COLUMNS)}, summary, details FROM evidence "
                                "WHERE evidence_id LIKE ? || '%'", [evidence_id]).fetchall()
        if not rows:
            raise StoreError(f"{self.path}: no evidence {evidence_id!r}")
        if len(rows) > 1:
            raise StoreError(f"evidence id {evidence_id!r}: matches {len(rows)} records; give more characters")
        row = dict(zip((*COLUMNS, "summary", "details"), rows[0], strict=True))
        row["summary"], row["details"] = json.loads(row["summary"]), json.loads(row["details"])
        return row
