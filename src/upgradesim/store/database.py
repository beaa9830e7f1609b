"""The DuckDB store: the system of record. Only this package speaks SQL; callers get DataFrames."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..errors import DataError, StoreError
from .artefacts import ArtefactQueries
from .capacity import CapacityQueries
from .decisions import DecisionQueries
from .evidence import EvidenceQueries
from .governance import GovernanceQueries
from .ingest import IngestReport, WideMapping, ingest_files
from .results import ResultQueries
from .schema import DDL, MIGRATIONS, SCHEMA_VERSION, TABLES

__all__ = ["Store", "DEFAULT_DB", "parse_window"]

DEFAULT_DB = "upgradesim.duckdb"
BATCH_ROWS = 1_000_000  # telemetry rows per aggregation batch (bounds the memory of baselines and peaks)
AGGREGATE_MEMORY = "64MB"  # DuckDB's buffer pool while computing baselines and daily peaks

Window = tuple[dt.datetime | None, dt.datetime | None]


def parse_window(text: str | None, what: str = "--window") -> Window:
    """``START..END`` (ISO dates or times, either side may be empty) -> aware UTC datetimes."""
    if text is None or text.strip() in ("", ".."):
        return (None, None)
    if ".." not in text:
        raise DataError(f"{what}(={text}): must look like START..END, e.g. 2026-10-01..2026-11-01")
    out = []
    for part in text.split("..", 1):
        part = part.strip()
        if not part:
            out.append(None)
            continue
        try:
            value = dt.datetime.fromisoformat(part.replace("Z", "+00:00"))
        except ValueError:
            raise DataError(f"{what}(={text}): {part!r} is not an ISO date or time") from None
        out.append(value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC))
    if out[0] and out[1] and out[1] <= out[0]:
        raise DataError(f"{what}(={text}): the end must be after the start")
    return (out[0], out[1])


class Store(GovernanceQueries, DecisionQueries, EvidenceQueries, ArtefactQueries, CapacityQueries, ResultQueries):
    """One DuckDB file with a documented schema (see :mod:`upgradesim.store.schema`).

    Examples
    --------
    >>> with Store(":memory:") as store:
    ...     store.telemetry_range()["rows"]
    0
    """

    def __init__(self, path: str | os.PathLike = DEFAULT_DB, *, read_only: bool = False, must_exist: bool = False):
        self.path = str(path)
        if (read_only or must_exist) and self.path != ":memory:" and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no store here (run ingest first, or give --db)")
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"{self.path}: cannot open the store: {str(exc).splitlines()[0]}") from None
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: not a DuckDB store: {str(exc).splitlines()[0]}") from None
        self.con.execute("SET TimeZone = 'UTC'")
        # a library never prints; inside Jupyter DuckDB refuses the change without ipywidgets (and prints nothing)
        with contextlib.suppress(duckdb.Error):
            self.con.execute("SET enable_progress_bar = false")
        if not read_only:
            self._migrate()
            self._ensure_schema()
        self._check_version()

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _ensure_schema(self) -> None:
        with self.transaction():
            for ddl in DDL:
                self.con.execute(ddl)
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", [dt.datetime.now(dt.UTC).isoformat()])

    def _stored_version(self) -> int | None:
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.CatalogException:
            return None
        return int(row[0]) if row else None

    def _migrate(self) -> None:
        """Bring an older store to this schema: a copy of the file is kept first (``<store>.v<N>.bak``),
        then every step runs in one transaction, so a failure leaves the store as it was."""
        version = self._stored_version()
        if version is None or version >= SCHEMA_VERSION:
            return
        if self.path != ":memory:":
            self.con.execute("CHECKPOINT")
            self.con.close()
            backup = Path(f"{self.path}.v{version}.bak")
            shutil.copy2(self.path, backup)
            self.con = duckdb.connect(self.path)
            self.con.execute("SET TimeZone = 'UTC'")
        with self.transaction():
            for step in range(version, SCHEMA_VERSION):
                if step not in MIGRATIONS:
                    raise StoreError(f"{self.path}: schema version {version} cannot be migrated (no step from {step})")
                for statement in MIGRATIONS[step]:
                    self.con.execute(statement)
            self.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])

    def _check_version(self) -> None:
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.CatalogException:
            raise StoreError(f"{self.path}: not an upgradesim store (no meta table)") from None
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {row[0]} is newer than this upgradesim ({SCHEMA_VERSION}); "
                             "upgrade upgradesim to open it")
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {row[0] if row else 'unknown'}, this upgradesim needs "
                             f"{SCHEMA_VERSION} (open it once without read-only access to migrate it)")

    class _Tx:
        def __init__(self, con):
            self.con = con

        def __enter__(self):
            self.con.execute("BEGIN TRANSACTION")

        def __exit__(self, kind, value, tb):
            self.con.execute("ROLLBACK" if kind else "COMMIT")
            return False

    def transaction(self):
        """``with store.transaction():`` everything inside commits together or not at all."""
        return Store._Tx(self.con)

    # ------------------------------------------------------------------ ingest

    def ingest(self, files, *, tz: str | None = None, mapping: WideMapping | dict | None = None) -> IngestReport:
        """Ingest telemetry files in one transaction: a failure leaves the store as it was."""
        if isinstance(mapping, dict):
            mapping = WideMapping.from_dict(mapping)
        started = time.perf_counter()
        try:
            with self.transaction():
                results = ingest_files(self.con, list(files), tz=tz, mapping=mapping)
        except duckdb.Error as exc:
            raise DataError(f"ingest failed, nothing was stored: {str(exc).splitlines()[0]}") from None
        return IngestReport(results, time.perf_counter() - started)

    def quarantine(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM quarantine ORDER BY ingest_id, row_number").df()

    def ledger(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM ingest_ledger ORDER BY ingest_id").df()

    def telemetry_range(self) -> dict:
        start, end, rows = self.con.execute("SELECT min(ts), max(ts), count(*) FROM telemetry").fetchone()
        return {"start": start, "end": end, "rows": rows}

    def services(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT service FROM telemetry ORDER BY 1").fetchall()]

    def metrics(self, service: str | None = None) -> list[str]:
        sql = "SELECT DISTINCT metric FROM telemetry" + (" WHERE service = ?" if service else "") + " ORDER BY 1"
        return [r[0] for r in self.con.execute(sql, [service] if service else []).fetchall()]

    # ------------------------------------------------------------------ baselines

    @staticmethod
    def _where(window: Window, params: list, column: str = "ts") -> str:
        clauses = []
        start, end = (None if pd.isna(x) else x for x in window)  # NaT (an open bound read back) is open
        if start is not None:
            clauses.append(f"{column} >= ?")
            params.append(start)
        if end is not None:
            clauses.append(f"{column} < ?")
            params.append(end)
        return (" WHERE " + " AND ".join(clauses)) if clauses else ""

    def _bounds(self, window: Window) -> tuple[dt.datetime, dt.datetime]:
        rng = self.telemetry_range()
        if not rng["rows"]:
            raise StoreError(f"{self.path}: no telemetry to compute baselines from (ingest first)")
        return (window[0] or rng["start"], window[1] or (rng["end"] + dt.timedelta(microseconds=1)))

    def compute_baselines(self, window: Window = (None, None)) -> pd.DataFrame:
        """Per service, metric and UTC hour of week: n, mean, std, p50, p95, p99 (NaN values left out).

        Stored in ``baselines`` (replacing those of the same window) and returned.
        """
        start, end = self._bounds(window)
        with self._memory_limit(AGGREGATE_MEMORY), self.transaction():
            self.con.execute("DELETE FROM baselines WHERE window_start = ? AND window_end = ?", [start, end])
            for batch in self._service_batches(start, end):
                marks = ", ".join("?" for _ in batch)
                self.con.execute(f"""
                    INSERT INTO baselines
                    SELECT ?, ?, service, metric, how, n, mean, std, q[1], q[2], q[3], now()
                    FROM (SELECT service, metric, (isodow(ts) - 1) * 24 + hour(ts) AS how, count(*) AS n,
                                 avg(value) AS mean, stddev_samp(value) AS std,
                                 quantile_cont(value, [0.5, 0.95, 0.99]) AS q
                          FROM telemetry WHERE ts >= ? AND ts < ? AND NOT isnan(value) AND service IN ({marks})
                          GROUP BY ALL)
                """, [start, end, start, end, *batch])
        return self.baselines((start, end))

    @contextlib.contextmanager
    def _memory_limit(self, limit: str):
        """DuckDB's buffer pool capped for the block (it caches table blocks up to its limit; the
        batched aggregates need little), then restored."""
        old = self.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        self.con.execute(f"SET memory_limit = '{limit}'")
        try:
            yield
        finally:
            self.con.execute(f"SET memory_limit = '{old}'")

    def _service_batches(self, start, end, rows_per_batch: int = BATCH_ROWS) -> list[list[str]]:
        """Services in batches of about ``rows_per_batch`` telemetry rows: aggregates that must hold
        their values (quantiles) or many groups (per-timestamp sums) stay within bounded memory."""
        counts = self.con.execute("SELECT service, count(*) FROM telemetry WHERE ts >= ? AND ts < ? GROUP BY 1 "
                                  "ORDER BY 1", [start, end]).fetchall()
        batches, current, size = [], [], 0
        for service, n in counts:
            if current and size + n > rows_per_batch:
                batches.append(current)
                current, size = [], 0
            current.append(service)
            size += n
        return batches + ([current] if current else [])

    def compute_daily_peaks(self, window: Window = (None, None)) -> pd.DataFrame:
        """Per UTC day, service, metric and region: the highest per-timestamp sum over the region's hosts."""
        start, end = self._bounds(window)
        with self._memory_limit(AGGREGATE_MEMORY), self.transaction():
            self.con.execute("DELETE FROM daily_peaks WHERE window_start = ? AND window_end = ?", [start, end])
            for batch in self._service_batches(start, end):
                marks = ", ".join("?" for _ in batch)
                self.con.execute(f"""
                    INSERT INTO daily_peaks
                    SELECT ?, ?, CAST(ts AS DATE) AS day, service, metric, region, max(total)
                    FROM (SELECT ts, service, metric, region, sum(value) AS total FROM telemetry
                          WHERE ts >= ? AND ts < ? AND service IN ({marks}) GROUP BY ALL)
                    GROUP BY ALL
                """, [start, end, start, end, *batch])
        return self.daily_peaks()

    def baselines(self, window: Window | None = None) -> pd.DataFrame:
        """Stored baselines (of one window, or the newest)."""
        if window is None:
            row = self.con.execute("SELECT window_start, window_end FROM baselines ORDER BY computed_at DESC LIMIT 1").fetchone()
            if row is None:
                return pd.DataFrame(columns=list(TABLES["baselines"]))
            window = row
        return self.con.execute(
            "SELECT * FROM baselines WHERE window_start = ? AND window_end = ? ORDER BY service, metric, hour_of_week",
            list(window)).df()

    def daily_peaks(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM daily_peaks ORDER BY day, service, metric, region").df()

    # ------------------------------------------------------------------ samples for the judge

    def _telemetry_filter(self, services, window: Window, hosts_like: str | None,
                          hosts_not_like: str | None) -> tuple[str, list]:
        """The WHERE clause (and its parameters) of a telemetry read: window, services, host globs."""
        params: list = []
        where = self._where(window, params)
        extra = []
        if services:
            extra.append("service IN (" + ", ".join("?" for _ in services) + ")")
            params.extend(services)
        if hosts_like:
            extra.append("host GLOB ?")
            params.append(hosts_like)
        if hosts_not_like:
            extra.append("(host IS NULL OR NOT host GLOB ?)")
            params.append(hosts_not_like)
        if extra:
            where = (where + " AND " if where else " WHERE ") + " AND ".join(extra)
        return where, params

    def samples(self, services: list[str] | None, window: Window, *, hosts_like: str | None = None,
                hosts_not_like: str | None = None, aggregate: bool = False) -> pd.DataFrame:
        """Telemetry for the judge: raw rows (ts, service, metric, value, region, host), or with
        ``aggregate`` one row per service, metric and timestamp (value = the hosts' mean, total =
        their sum), computed in DuckDB."""
        where, params = self._telemetry_filter(services, window, hosts_like, hosts_not_like)
        if aggregate:
            return self.con.execute(
                "SELECT ts, service, metric, avg(value) AS value, sum(value) AS total FROM telemetry"
                f"{where} GROUP BY ts, service, metric ORDER BY service, metric, ts", params).df()
        return self.con.execute(
            f"SELECT ts, service, metric, value, region, host FROM telemetry{where} ORDER BY service, metric, ts, host",
            params).df()

    def series(self, services: list[str] | None, window: Window, *, hosts_like: str | None = None,
               hosts_not_like: str | None = None, batch: int = 256) -> dict:
        """Telemetry for the judge as numpy arrays: ``{(service, metric): (epoch seconds, hosts' mean,
        hosts' sum)}``, one entry per timestamp (duplicates and hosts aggregated), sorted, computed in
        DuckDB a batch of services at a time. Series are keyed by DuckDB's hash of (service, metric)
        — sorting integers, not strings — after checking that no two keys collide."""
        names = list(services) if services else self.services()
        out: dict = {}
        for i in range(0, len(names), batch):
            where, params = self._telemetry_filter(names[i:i + batch], window, hosts_like, hosts_not_like)
            keys = self.con.execute(f"SELECT service, metric, hash(service, metric) FROM telemetry{where} "
                                    "GROUP BY 1, 2 ORDER BY 3", params).fetchall()
            if not keys:
                continue
            hashes = np.array([k[2] for k in keys], dtype=np.uint64)
            hashed = len(np.unique(hashes)) == len(hashes)  # else a collision: order by the names
            if not hashed:
                keys = sorted(keys)
            key_sql, order = ("hash(service, metric) AS k", "k") if hashed else ("service, metric", "service, metric")
            data = self.con.execute(f"SELECT {key_sql}, epoch(ts)::BIGINT AS sec, value FROM telemetry{where} "
                                    f"ORDER BY {order}, sec", params).fetchnumpy()
            sec = np.asarray(data["sec"], dtype=np.int64)
            value = np.ma.filled(np.ma.asarray(data["value"], dtype=float), np.nan)
            if hashed:
                h = np.asarray(data["k"], dtype=np.uint64)
                same_key = h[1:] == h[:-1]
            else:
                svc, met = np.asarray(data["service"], dtype=object), np.asarray(data["metric"], dtype=object)
                same_key = (svc[1:] == svc[:-1]) & (met[1:] == met[:-1])
            # hosts (and duplicated rows) of one timestamp are adjacent: mean and sum per run, in numpy
            starts = np.flatnonzero(np.r_[True, ~(same_key & (sec[1:] == sec[:-1]))])
            if len(starts) == len(sec):
                total = value
            else:
                total = np.add.reduceat(value, starts)
                value = total / np.diff(np.r_[starts, len(sec)])
                sec = sec[starts]
                if hashed:
                    h = h[starts]
                else:
                    svc, met = svc[starts], met[starts]
            if hashed:
                bounds = np.searchsorted(h, hashes, side="left").tolist() + [len(h)]
            else:
                change = np.flatnonzero((svc[1:] != svc[:-1]) | (met[1:] != met[:-1])) + 1
                bounds = np.concatenate(([0], change, [len(sec)]))
            for n, (service, metric, _) in enumerate(keys):
                lo, hi = bounds[n], bounds[n + 1]
                out[(service, metric)] = (sec[lo:hi].astype(np.int64), value[lo:hi].astype(float),
                                          total[lo:hi].astype(float))
        return out

    def write_backtest(self, result) -> str:
        """Store a judge backtest (:class:`~upgradesim.judge.backtest.Backtest`); returns its id."""
        backtest_id = str(uuid.uuid4())
        with self.transaction():
            self.con.execute("INSERT INTO backtest_runs VALUES (?, ?, ?, ?, ?, ?, ?)", [
                backtest_id, dt.datetime.now(dt.UTC), result.baseline_days, result.candidate_hours, result.pairs,
                result.alarm_rate, json.dumps(result.config, default=str)])
            self._insert("backtest_metrics", result.metrics, "backtest_id", backtest_id)
        return backtest_id

    def false_alarm_rates(self) -> dict[tuple[str, str], float]:
        """{(service, metric): false-alarm rate} of the newest backtest ({} when none is stored)."""
        row = self.con.execute("SELECT backtest_id FROM backtest_runs ORDER BY created_at DESC LIMIT 1").fetchone()
        if row is None:
            return {}
        rows = self.con.execute("SELECT service, metric, false_alarm_rate FROM backtest_metrics WHERE backtest_id = ?",
                                [row[0]]).fetchall()
        return {(s, m): r for s, m, r in rows}

    # ------------------------------------------------------------------ results

    def write_simulation(self, result) -> str:
        """Store a :class:`~upgradesim.sim.SimulationResult`; returns its run id."""
        run_id = str(uuid.uuid4())
        meta = result.meta
        with self.transaction():
            self.con.execute("INSERT INTO sim_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                run_id, dt.datetime.now(dt.UTC), meta.get("plan"), meta.get("plan_hash"), int(meta.get("seed", 0)),
                int(meta.get("replications", 0)), meta.get("strategies"), meta.get("package_version")])
            for table, frame in (("sim_replications", result.replications), ("sim_summary", result.summary),
                                 ("sim_events", result.events)):
                self._insert(table, frame, "run_id", run_id)
        return run_id

    def simulation_runs(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM sim_runs ORDER BY created_at").df()

    def simulation(self, run_id: str | None = None):
        """The :class:`~upgradesim.sim.SimulationResult` a ``write_simulation`` stored (the newest by
        default): replications, events, summary, and its run as ``meta`` (with ``run_id``)."""
        from ..sim.runner import SimulationResult

        run_id = run_id or self._newest("sim_runs", "run_id", "no simulation results stored (run compare --db)")
        frames = {t: self.con.execute(f"SELECT * EXCLUDE (run_id) FROM {t} WHERE run_id = ?", [run_id]).df()
                  for t in ("sim_replications", "sim_summary", "sim_events")}
        run = self.con.execute("SELECT * FROM sim_runs WHERE run_id = ?", [run_id]).df()
        if run.empty:
            raise StoreError(f"no simulation run {run_id} in {self.path}")
        meta = {k: (v.item() if hasattr(v, "item") else v) for k, v in run.iloc[0].to_dict().items()}
        meta["plan"] = meta.pop("plan_name")  # the key write_simulation read it from
        return SimulationResult(frames["sim_replications"], frames["sim_events"], frames["sim_summary"], meta)

    def _rows_of(self, table: str, key: str, value: str) -> pd.DataFrame:
        """One stored run's rows of ``table`` in the order written, without the key column; DATE
        columns as dates (None: none)."""
        frame = self.con.execute(f"SELECT * FROM {table} WHERE {key} = ? ORDER BY rowid", [value]).df()
        for column, (kind, _) in TABLES[table].items():
            if kind == "DATE":
                frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
        return frame.drop(columns=[key])

    def _newest(self, table: str, key: str, missing: str) -> str:
        """Id of the newest run in ``table``; StoreError saying ``missing`` when there is none."""
        row = self.con.execute(f"SELECT {key} FROM {table} ORDER BY created_at DESC LIMIT 1").fetchone()
        if row is None:
            raise StoreError(f"{self.path}: {missing}")
        return row[0]

    def _insert(self, table: str, frame: pd.DataFrame, key: str, value: str) -> None:
        frame = frame.copy()
        frame.insert(0, key, value)
        self.con.register("_frame", frame)
        cols = ", ".join(f'"{c}"' for c in TABLES[table])
        self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _frame")
        self.con.unregister("_frame")

    def table(self, name: str) -> pd.DataFrame:
        """A whole documented table, for notebooks and exports."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r}; the store has {', '.join(TABLES)}")
        return self.con.execute(f"SELECT * FROM {name}").df()
