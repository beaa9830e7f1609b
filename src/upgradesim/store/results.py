"""Stored judge verdicts and readiness assessments, read back as the objects that were written."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pandas as pd

from ..errors import StoreError
from .schema import TABLES

__all__ = ["ResultQueries"]

# a readiness assessment's tables, in the order of the Readiness fields they hold
_READINESS_TABLES = (("findings", "findings"), ("component_readiness", "components"),
                     ("readiness_lifecycle", "lifecycle"), ("readiness_capacity", "capacity"),
                     ("readiness_workflows", "workflows"), ("readiness_resources", "resources"))


class ResultQueries:
    """Verdicts and readiness assessments (mixed into :class:`~upgradesim.store.Store`)."""

    def write_verdict(self, verdict) -> str:
        """Store a judge :class:`~upgradesim.judge.Verdict`; returns its id."""
        verdict_id = str(uuid.uuid4())
        with self.transaction():
            self.con.execute("INSERT INTO verdict_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                verdict_id, dt.datetime.now(dt.UTC), verdict.mode, *verdict.baseline_window, *verdict.candidate_window,
                verdict.verdict, json.dumps(verdict.config, default=str), verdict.comparison])
            for table, frame in (("verdicts", verdict.services), ("verdict_metrics", verdict.metrics)):
                self._insert(table, frame, "verdict_id", verdict_id)
        return verdict_id

    def verdict(self, verdict_id: str | None = None):
        """The stored :class:`~upgradesim.judge.Verdict` (the newest without ``verdict_id``), as
        :meth:`write_verdict` took it, with its ``verdict_id`` and ``created_at``."""
        from ..judge.verdict import Verdict

        verdict_id = verdict_id or self._newest("verdict_runs", "verdict_id", "no verdicts stored (run judge --db)")
        row = self._run_row("verdict_runs", "verdict_id", verdict_id, "verdict")

        def when(value):
            return None if pd.isna(value) else value

        return Verdict(row["verdict"], self._rows_of("verdicts", "verdict_id", verdict_id),
                       self._rows_of("verdict_metrics", "verdict_id", verdict_id), row["mode"], row["comparison"],
                       (when(row["baseline_start"]), when(row["baseline_end"])),
                       (when(row["candidate_start"]), when(row["candidate_end"])), json.loads(row["config"] or "{}"),
                       verdict_id=verdict_id, created_at=row["created_at"])

    def write_readiness(self, readiness) -> str:
        """Store a :class:`~upgradesim.readiness.Readiness`; returns its id."""
        readiness_id = str(uuid.uuid4())
        counts = readiness.counts()
        with self.transaction():
            columns = ", ".join(f'"{c}"' for c in TABLES["readiness_runs"])
            self.con.execute(f"INSERT INTO readiness_runs ({columns}) VALUES ({', '.join('?' * 13)})", [
                readiness_id, dt.datetime.now(dt.UTC), readiness.meta.get("plan"), readiness.as_of,
                readiness.decision, readiness.score, counts["blocker"], counts["warning"],
                readiness.meta.get("lifecycle_source"), readiness.meta.get("plan_hash", ""),
                json.dumps(readiness.upgrade_order), json.dumps(readiness.cycles),
                json.dumps(readiness.meta, default=str)])
            for table, field in _READINESS_TABLES:
                frame = getattr(readiness, field)
                if len(frame):
                    self._insert(table, frame, "readiness_id", readiness_id)
        return readiness_id

    def readiness(self, readiness_id: str | None = None):
        """The stored :class:`~upgradesim.readiness.Readiness` (the newest without ``readiness_id``),
        as :meth:`write_readiness` took it, with ``readiness_id`` and ``created_at``."""
        from ..readiness.assess import Readiness

        readiness_id = readiness_id or self._newest("readiness_runs", "readiness_id",
                                                    "no readiness assessment stored (run readiness --db)")
        row = self._run_row("readiness_runs", "readiness_id", readiness_id, "readiness assessment")
        frames = {field: self._rows_of(table, "readiness_id", readiness_id) for table, field in _READINESS_TABLES}
        return Readiness(as_of=pd.Timestamp(row["as_of"]).date(), **frames,
                         upgrade_order=json.loads(row["upgrade_order"]), cycles=json.loads(row["cycles"]),
                         score=float(row["score"]), go=row["decision"] == "go",
                         meta=json.loads(row["meta"]) | {"plan_hash": row["plan_hash"]},
                         readiness_id=readiness_id, created_at=row["created_at"])

    def _run_row(self, table: str, key: str, value: str, what: str) -> pd.Series:
        """The run ``value`` of ``table``; StoreError naming ``what`` when there is none."""
        run = self.con.execute(f"SELECT * FROM {table} WHERE {key} = ?", [value]).df()
        if run.empty:
            raise StoreError(f"{self.path}: no {what} {value}")
        return run.iloc[0]
