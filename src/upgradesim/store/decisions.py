"""The store's decision tables: optimize fronts and live forecasts, each a JSON document with the
plan it was computed from. A mixin of :class:`~upgradesim.store.Store`."""

from __future__ import annotations

import datetime as dt
import json
import uuid

__all__ = ["DecisionQueries"]


class DecisionQueries:
    """Write and read optimize and forecast results (SQL stays in the store package)."""

    def write_optimize(self, doc: dict, plan_hash: str) -> str:
        run_id = str(uuid.uuid4())
        meta = doc.get("meta", {})
        with self.transaction():
            self.con.execute("INSERT INTO optimize_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                run_id, dt.datetime.now(dt.UTC), doc.get("plan"), plan_hash, int(meta.get("seed", 0)),
                int(meta.get("budget", 0)), int(doc.get("recommended", 0)), json.dumps(doc, default=str)])
        return run_id

    def optimize_run(self, run_id: str | None = None) -> dict:
        """The stored front (the newest by default) with ``run_id``, ``plan_hash``, ``created_at``."""
        run_id = run_id or self._newest("optimize_runs", "run_id", "no optimize results stored (run optimize --db)")
        row = self.con.execute("SELECT plan_hash, created_at, document FROM optimize_runs WHERE run_id = ?",
                               [run_id]).fetchone()
        if row is None:
            from ..errors import StoreError

            raise StoreError(f"{self.path}: no optimize run {run_id!r}")
        return json.loads(row[2]) | {"run_id": run_id, "plan_hash": row[0], "created_at": row[1]}

    def write_forecast(self, doc: dict, plan_hash: str, remaining: list | None = None) -> str:
        forecast_id = str(uuid.uuid4())
        with self.transaction():
            self.con.execute("INSERT INTO forecast_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                forecast_id, dt.datetime.now(dt.UTC), doc.get("plan"), plan_hash, doc.get("change_id"),
                dt.datetime.fromisoformat(doc["now"]), doc.get("decision"), json.dumps(doc, default=str),
                json.dumps(remaining or [])])
        return forecast_id

    def forecast_run(self, forecast_id: str | None = None) -> dict:
        """The stored forecast (the newest by default), with its burn-down paths."""
        forecast_id = forecast_id or self._newest("forecast_runs", "forecast_id",
                                                  "no forecast stored (run forecast --db)")
        row = self.con.execute("SELECT plan_hash, created_at, document, remaining FROM forecast_runs "
                               "WHERE forecast_id = ?", [forecast_id]).fetchone()
        if row is None:
            from ..errors import StoreError

            raise StoreError(f"{self.path}: no forecast {forecast_id!r}")
        return json.loads(row[2]) | {"forecast_id": forecast_id, "plan_hash": row[0], "created_at": row[1],
                                     "remaining": json.loads(row[3])}

    # ------------------------------------------------------------------ technical debt

    def write_debt(self, items, source: str) -> list[str]:
        """Add register items in one transaction (an item already open for the same component,
        kind and title is not added twice); returns the new ids."""
        ids = []
        with self.transaction():
            for item in items:
                dup = self.con.execute("SELECT item_id FROM debt_items WHERE component = ? AND kind = ? AND title = ? "
                                       "AND status = 'open'", [item.component, item.kind, item.title]).fetchone()
                if dup:
                    continue
                item_id = str(uuid.uuid4())
                self.con.execute("INSERT INTO debt_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, ?)", [
                    item_id, item.component, item.kind, item.title, item.owner, item.created, item.due,
                    item.effort_days, item.interest_per_month, item.interest_note, json.dumps(list(item.links)),
                    source])
                ids.append(item_id)
        return ids

    def debt(self, *, status: str | None = "open"):
        sql = "SELECT * FROM debt_items" + (" WHERE status = ?" if status else "") + " ORDER BY created, component"
        return self.con.execute(sql, [status] if status else []).df()

    def close_debt(self, item_id: str, on: dt.date) -> None:
        from ..errors import StoreError

        with self.transaction():
            rows = self.con.execute("SELECT item_id FROM debt_items WHERE item_id LIKE ? || '%' AND status = 'open'",
                                    [item_id]).fetchall()
            if len(rows) != 1:
                raise StoreError(f"debt item {item_id!r}: {'no open item' if not rows else 'ambiguous'} "
                                 "(give 8 or more characters of an open item's id)")
            self.con.execute("UPDATE debt_items SET status = 'closed', closed = ? WHERE item_id = ?", [on, rows[0][0]])

    # ------------------------------------------------------------------ incidents

    def write_incidents(self, incidents, change_id: str) -> int:
        """Insert or replace triaged incidents (by ticket id) in one transaction; returns how many."""
        with self.transaction():
            for inc in incidents:
                self.con.execute("DELETE FROM incidents WHERE incident_id = ?", [inc.id])
                self.con.execute("INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                    inc.id, inc.opened, inc.closed, inc.priority, inc.service, inc.summary, change_id, inc.component,
                    inc.team, inc.on_call, inc.likely_caused, json.dumps(inc.reasons)])
        return len(incidents)

    def incidents(self, change_id: str | None = None):
        sql = "SELECT * FROM incidents" + (" WHERE change_id = ?" if change_id else "") + " ORDER BY opened"
        return self.con.execute(sql, [change_id] if change_id else []).df()
