"""The store's governance tables: configuration snapshots, the hash-chained audit log, and the
history of past upgrades. A mixin of :class:`~upgradesim.store.Store`."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pandas as pd

from ..errors import DataError, StoreError

__all__ = ["GovernanceQueries", "AUDIT_FIELDS", "HISTORY_COLUMNS"]

AUDIT_FIELDS = ("ts", "change_id", "step", "actor", "role", "action", "outcome", "details")
HISTORY_COLUMNS = ("change_id", "started_at", "finished_at", "requested_at", "downtime_min", "outcome", "rolled_back",
                   "incidents_p1", "incidents_p2", "incidents_p3")


class GovernanceQueries:
    """Snapshots, audit records and upgrade history (SQL stays in the store package)."""

    # ------------------------------------------------------------------ snapshots

    def write_snapshot(self, env: str, tag: str, root: str, entries, hashes: dict[str, str],
                       taken_at: dt.datetime | None = None, *, contents: dict[str, bytes | None] | None = None,
                       notes: dict[str, str] | None = None, before_commit=None) -> str:
        """Store a snapshot (and the redacted bytes of its files); ``before_commit(snapshot_id,
        taken_at)`` runs inside the transaction, so when it raises nothing is stored."""
        from ..paths import safe_name

        safe_name(env, "--env")  # both become file names in archives and restores
        safe_name(tag, "--tag")
        snapshot_id = str(uuid.uuid4())
        taken_at = taken_at or dt.datetime.now(dt.UTC)
        frame = pd.DataFrame([e.__dict__ for e in entries], columns=["file", "key", "value", "type", "secret"])
        with self.transaction():
            if self.con.execute("SELECT 1 FROM config_snapshots WHERE env = ? AND tag = ?", [env, tag]).fetchone():
                raise DataError(f"--tag(={tag}): env {env} already has a snapshot with this tag; tags name one state")
            self.con.execute("INSERT INTO config_snapshots VALUES (?, ?, ?, ?, ?, ?, ?)", [
                snapshot_id, env, tag, taken_at, root, len(hashes), json.dumps(hashes, sort_keys=True)])
            self._insert("config_entries", frame, "snapshot_id", snapshot_id)
            for file, content in sorted((contents or {}).items()):
                self.con.execute("INSERT INTO config_files VALUES (?, ?, ?, ?)",
                                 [snapshot_id, file, content, (notes or {}).get(file, "")])
            if before_commit is not None:
                before_commit(snapshot_id, taken_at)
        return snapshot_id

    def snapshot_files(self, snapshot_id: str) -> dict[str, tuple[bytes | None, str]]:
        """{file: (bytes with placeholders or None, why not kept)} of a snapshot."""
        rows = self.con.execute("SELECT file, content, note FROM config_files WHERE snapshot_id = ? ORDER BY file",
                                [snapshot_id]).fetchall()
        return {file: (None if content is None else bytes(content), note or "") for file, content, note in rows}

    def snapshots(self, env: str | None = None) -> pd.DataFrame:
        sql = "SELECT * FROM config_snapshots" + (" WHERE env = ?" if env else "") + " ORDER BY taken_at"
        return self.con.execute(sql, [env] if env else []).df()

    def find_snapshot(self, *, env: str | None = None, tag: str | None = None) -> pd.Series:
        """The snapshot with ``tag`` (in ``env`` when given), or the newest of ``env``."""
        if tag is None and env is None:
            raise StoreError("name a snapshot by --tag or --env")
        clauses, params = [], []
        if tag is not None:
            clauses.append("tag = ?")
            params.append(tag)
        if env is not None:
            clauses.append("env = ?")
            params.append(env)
        rows = self.con.execute(f"SELECT * FROM config_snapshots WHERE {' AND '.join(clauses)} "
                                "ORDER BY taken_at DESC", params).df()
        if rows.empty:
            raise StoreError(f"no snapshot with {' and '.join(f'{c.split()[0]} {p}' for c, p in zip(clauses, params, strict=True))}"
                             f" in {self.path} (take one with: upgradesim config snapshot)")
        if tag is not None and env is None and rows["env"].nunique() > 1:
            raise StoreError(f"tag {tag} exists in several environments ({', '.join(rows['env'].unique())}); "
                             "name one with --baseline-env")
        return rows.iloc[0]

    def snapshot_entries(self, snapshot_id: str) -> pd.DataFrame:
        return self.con.execute("SELECT file, key, value, type, secret FROM config_entries WHERE snapshot_id = ? "
                                "ORDER BY file, key", [snapshot_id]).df()

    # ------------------------------------------------------------------ audit log

    def audit_records(self, change_id: str | None = None) -> pd.DataFrame:
        sql = "SELECT * FROM audit_log" + (" WHERE change_id = ?" if change_id else "") + " ORDER BY seq"
        return self.con.execute(sql, [change_id] if change_id else []).df()

    def audit_head(self) -> tuple[int, str]:
        row = self.con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, "") if row is None else (int(row[0]), row[1])

    def audit_insert(self, rows: list[dict]) -> None:
        """Append chained rows (seq, fields, prev_hash, hash) in one transaction."""
        with self.transaction():
            for r in rows:
                self.con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                    r["seq"], r["ts"], r["change_id"], r["step"], r["actor"], r["role"], r["action"], r["outcome"],
                    r["details"], r["prev_hash"], r["hash"]])

    # ------------------------------------------------------------------ history

    def write_history(self, frame: pd.DataFrame) -> int:
        """Add past upgrades (one row per change; a change already stored is replaced)."""
        missing = [c for c in ("change_id", "started_at", "finished_at", "outcome") if c not in frame.columns]
        if missing:
            raise DataError(f"history: missing columns {', '.join(missing)}")
        frame = frame.reindex(columns=list(HISTORY_COLUMNS))
        with self.transaction():
            self.con.register("_frame", frame)
            self.con.execute("DELETE FROM upgrade_history WHERE change_id IN (SELECT change_id FROM _frame)")
            self.con.execute(f"INSERT INTO upgrade_history SELECT {', '.join(HISTORY_COLUMNS)} FROM _frame")
            self.con.unregister("_frame")
        return len(frame)

    def history(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM upgrade_history ORDER BY started_at").df()
