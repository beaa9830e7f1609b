"""The store's tables read from real artefacts: pipeline pins found stale by `upgradesim
pipelines`, and the table sizes migrations are judged against. A mixin of
:class:`~upgradesim.store.Store`."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd

__all__ = ["ArtefactQueries", "PIPELINE_COLUMNS", "SIZE_COLUMNS"]

PIPELINE_COLUMNS = ["file", "line", "component", "kind", "found", "required", "suggestion", "status"]
SIZE_COLUMNS = ["db_table", "rows", "bytes", "index_bytes", "measured_at", "source"]


class ArtefactQueries:
    def write_pipeline_findings(self, plan: str, plan_hash: str, findings: pd.DataFrame) -> str:
        """Store one scan's findings (stale and unknown references); returns the scan id."""
        scan_id = str(uuid.uuid4())
        frame = findings.reindex(columns=PIPELINE_COLUMNS).copy()
        frame.insert(0, "plan_hash", plan_hash)
        frame.insert(0, "plan", plan)
        frame.insert(0, "scanned_at", dt.datetime.now(dt.UTC))
        frame.insert(0, "scan_id", scan_id)
        with self.transaction():
            self.con.execute("DELETE FROM pipeline_findings WHERE plan = ?", [plan])  # the newest scan stands
            if len(frame):
                self.con.register("_pipeline_rows", frame)
                try:
                    self.con.execute("INSERT INTO pipeline_findings SELECT * FROM _pipeline_rows")
                finally:
                    self.con.unregister("_pipeline_rows")
        return scan_id

    def pipeline_findings(self, plan: str | None = None) -> pd.DataFrame:
        """The newest scan's findings (of ``plan`` when given), in file and line order."""
        sql = "SELECT * FROM pipeline_findings" + (" WHERE plan = ?" if plan else "") + " ORDER BY file, line"
        return self.con.execute(sql, [plan] if plan else []).df()

    def write_table_sizes(self, sizes: pd.DataFrame, source: str) -> int:
        """Replace the sizes of the tables named in ``sizes`` (db_table, rows, bytes, index_bytes)."""
        frame = sizes.reindex(columns=SIZE_COLUMNS).copy()
        measured = pd.to_datetime(frame["measured_at"], utc=True)
        frame["measured_at"] = measured.fillna(pd.Timestamp.now(tz="UTC")) if len(frame) else measured
        frame["source"] = source
        frame["index_bytes"] = frame["index_bytes"].fillna(0)
        with self.transaction():
            for name in frame["db_table"]:
                self.con.execute("DELETE FROM table_sizes WHERE lower(db_table) = lower(?)", [name])
            self.con.register("_size_rows", frame)
            try:
                self.con.execute("INSERT INTO table_sizes SELECT * FROM _size_rows")
            finally:
                self.con.unregister("_size_rows")
        return len(frame)

    def table_sizes(self) -> dict[str, dict]:
        """{lower-case table name: {rows, bytes, index_bytes}}."""
        rows = self.con.execute("SELECT db_table, rows, bytes, index_bytes FROM table_sizes").fetchall()
        return {name.lower(): {"rows": int(r or 0), "bytes": int(b or 0), "index_bytes": int(i or 0)}
                for name, r, b, i in rows}
