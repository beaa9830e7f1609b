"""Telemetry ingest: CSV and Parquet, long or wide form, streamed through DuckDB (never pandas).

Good rows go to ``telemetry``; bad rows (unparseable time, non-numeric or missing value, missing
service or metric) go to ``quarantine`` with the reason. A file is recorded in the ledger by its
content hash, so ingesting it again adds nothing. The caller holds the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from ..errors import DataError

__all__ = ["FileResult", "IngestReport", "ingest_files", "WideMapping", "REQUIRED", "LABELS"]

REQUIRED = ("ts", "service", "metric", "value")
LABELS = ("region", "host", "env", "phase")
_TZ_SUFFIX = r"(Z|z|[+-]\d\d(:?\d\d)?)$"


@dataclass(frozen=True)
class WideMapping:
    """How a wide file maps to long form: one column per metric.

    ``service`` and labels are column names, or ``=constant``; ``metrics`` maps column -> metric
    name (a list means the column names are the metric names).
    """

    ts: str = "ts"
    service: str = "service"
    metrics: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict, source: str = "mapping") -> WideMapping:
        if not isinstance(data, dict) or "metrics" not in data:
            raise DataError(f"{source}: a wide mapping needs metrics: [column, ...] or {{column: metric}}")
        metrics = data["metrics"]
        if isinstance(metrics, list):
            metrics = {str(c): str(c) for c in metrics}
        if not isinstance(metrics, dict) or not metrics:
            raise DataError(f"{source}: metrics(={metrics!r}) must be a non-empty list or mapping")
        unknown = set(data) - {"ts", "service", "metrics", "labels"}
        if unknown:
            raise DataError(f"{source}: unknown keys {sorted(unknown)}; use ts, service, metrics, labels")
        labels = data.get("labels") or {}
        bad = set(labels) - set(LABELS)
        if bad:
            raise DataError(f"{source}: labels {sorted(bad)} are not among {', '.join(LABELS)}")
        return cls(str(data.get("ts", "ts")), str(data.get("service", "service")),
                   {str(k): str(v) for k, v in metrics.items()}, {str(k): str(v) for k, v in labels.items()})


@dataclass
class FileResult:
    path: str
    status: str  # ingested | skipped (already in the ledger)
    rows: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)


@dataclass
class IngestReport:
    files: list[FileResult]
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    def lines(self) -> list[str]:
        out = []
        for f in self.files:
            if f.status == "skipped":
                out.append(f"{f.path}: already ingested (same content), skipped")
                continue
            why = ", ".join(f"{n} {r}" for r, n in f.reasons.most_common())
            out.append(f"{f.path}: {f.rows} rows" + (f", {f.quarantined} quarantined ({why})" if f.quarantined else ""))
        rate = f", {self.rows / self.seconds:,.0f} rows/s" if self.seconds > 0 and self.rows else ""
        out.append(f"total: {self.rows} rows, {self.quarantined} quarantined{rate}")
        return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ingest_files(con: duckdb.DuckDBPyConnection, paths, *, tz: str | None = None,
                 mapping: WideMapping | None = None) -> list[FileResult]:
    """Ingest every file; raises DataError (the caller rolls back) on a file that cannot be read."""
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise DataError(f"--tz(={tz}): unknown IANA time zone") from None
    results = []
    for raw in paths:
        results.append(_ingest_one(con, Path(raw), tz, mapping))
    return results


def _ingest_one(con, path: Path, tz: str | None, mapping: WideMapping | None) -> FileResult:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    digest = sha256_of(path)
    if con.execute("SELECT 1 FROM ingest_ledger WHERE sha256 = ?", [digest]).fetchone():
        return FileResult(str(path), "skipped")
    name = path.name.lower()
    literal = _literal(_no_glob(str(path)))  # DuckDB expands globs in file names: take the name literally
    if name.endswith((".parquet", ".pq")):
        fmt, scan = "parquet", f"read_parquet({literal})"
    elif name.endswith((".csv", ".csv.gz", ".tsv")):
        if name.endswith(".gz"):
            with open(path, "rb") as fh:
                if fh.read(2) != b"\x1f\x8b":
                    raise DataError(f"{path}: named .gz but not gzip (no gzip magic bytes)")
        fmt = "csv"
        scan = f"read_csv({literal}, all_varchar = true, header = true)"
    else:
        raise DataError(f"{path}: unknown format; use .csv, .csv.gz, .tsv or .parquet")
    try:
        columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot be read as {fmt}: {str(exc).splitlines()[0]}") from None

    if mapping is not None:
        source, columns = _wide(path, scan, columns, mapping)
        fmt += "/wide"
    else:
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise DataError(f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)} (found: {', '.join(columns) or 'none'}); "
                            "long form needs ts, service, metric, value (wide files need --mapping)")
        source = scan

    ts_type = columns["ts"].upper()
    ts_expr = _ts_expression(path, con, source, ts_type, tz)
    value_expr = "TRY_CAST(value AS DOUBLE)" if columns["value"].upper() != "DOUBLE" else "value"
    label_exprs = ", ".join(f"CAST({_quote(c)} AS VARCHAR) AS {c}" if c in columns else f"NULL::VARCHAR AS {c}"
                            for c in LABELS)
    ingest_id = (con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_ledger").fetchone()[0])
    nul_check = " OR ".join(f"coalesce(contains(CAST({_quote(c)} AS VARCHAR), chr(0)), false)"
                            for c in ("service", "metric", *LABELS) if c in columns)
    staged = f"""
        SELECT row_number() OVER () AS row_number, *,
               CASE
                 WHEN ts IS NULL THEN 'missing time'
                 WHEN ts_parsed IS NULL THEN 'unparseable time'
                 WHEN service IS NULL OR trim(CAST(service AS VARCHAR)) = '' THEN 'missing service'
                 WHEN metric IS NULL OR trim(CAST(metric AS VARCHAR)) = '' THEN 'missing metric'
                 WHEN value IS NULL THEN 'missing value'
                 WHEN value_parsed IS NULL THEN 'non-numeric value'
                 WHEN isinf(value_parsed) THEN 'infinite value'
                 WHEN {nul_check} THEN 'NUL byte in a label'
               END AS reason
        FROM (SELECT *, {ts_expr} AS ts_parsed, {value_expr} AS value_parsed FROM {source})
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE _checked AS {staged}")
    # the same row twice (in this file, or already stored from another file) is stored once; the
    # costly checks run only when a cheap one says they can find something
    keys = f"c.ts_parsed, CAST(c.service AS VARCHAR), CAST(c.metric AS VARCHAR), {_key_cols('c', columns)}"
    repeated = con.execute(f"SELECT count(*) FROM (SELECT {keys} FROM _checked c WHERE c.reason IS NULL GROUP BY ALL "
                           "HAVING count(*) > 1)").fetchone()[0]
    overlap = con.execute("""
        SELECT count(*) FROM (SELECT 1 FROM telemetry t
        WHERE t.ts BETWEEN (SELECT min(ts_parsed) FROM _checked) AND (SELECT max(ts_parsed) FROM _checked)
          AND t.service IN (SELECT DISTINCT CAST(service AS VARCHAR) FROM _checked) LIMIT 1)""").fetchone()[0]
    if repeated or overlap:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _staged AS
            SELECT c.* REPLACE (coalesce(c.reason, CASE
                     WHEN row_number() OVER (PARTITION BY c.reason IS NULL, {keys} ORDER BY c.row_number) > 1
                          THEN 'duplicate row in the file'
                     WHEN EXISTS (SELECT 1 FROM telemetry t WHERE t.ts = c.ts_parsed
                                  AND t.service = CAST(c.service AS VARCHAR) AND t.metric = CAST(c.metric AS VARCHAR)
                                  AND {_same_labels('t', 'c', columns)}) THEN 'already stored'
                   END) AS reason)
            FROM _checked c
        """)
    else:
        con.execute("ALTER TABLE _checked RENAME TO _staged")
    con.execute(f"""
        INSERT INTO telemetry (ts, service, metric, value, region, host, env, phase, ingest_id)
        SELECT ts_parsed, CAST(service AS VARCHAR), CAST(metric AS VARCHAR), value_parsed, {label_exprs}, {ingest_id}
        FROM _staged WHERE reason IS NULL
    """)
    con.execute(f"""
        INSERT INTO quarantine (ingest_id, file, row_number, reason, raw)
        SELECT {ingest_id}, {_literal(str(path))}, row_number, reason,
               CAST(to_json(struct_pack(ts := CAST(ts AS VARCHAR), service := CAST(service AS VARCHAR),
                    metric := CAST(metric AS VARCHAR), value := CAST(value AS VARCHAR))) AS VARCHAR)
        FROM _staged WHERE reason IS NOT NULL
    """)
    reasons = Counter(dict(con.execute(
        "SELECT reason, count(*) FROM quarantine WHERE ingest_id = ? GROUP BY reason", [ingest_id]).fetchall()))
    rows = con.execute("SELECT count(*) FROM telemetry WHERE ingest_id = ?", [ingest_id]).fetchone()[0]
    quarantined = sum(reasons.values())
    con.execute("INSERT INTO ingest_ledger VALUES (?, ?, ?, ?, ?, ?, ?)",
                [ingest_id, str(path), digest, fmt, rows, quarantined, dt.datetime.now(dt.UTC)])
    con.execute("DROP TABLE IF EXISTS _staged")
    con.execute("DROP TABLE IF EXISTS _checked")
    return FileResult(str(path), "ingested", rows, quarantined, reasons)


def _no_glob(path: str) -> str:
    """A file name DuckDB will not expand: each glob character in brackets matches only itself."""
    return "".join(f"[{c}]" if c in "*?[]{}" else c for c in path)


def _key_cols(alias: str, columns: dict) -> str:
    return ", ".join(f"{alias}.{c}" for c in ("host", "region") if c in columns) or "1"


def _same_labels(a: str, b: str, columns: dict) -> str:
    parts = [f"{a}.{c} IS NOT DISTINCT FROM CAST({b}.{c} AS VARCHAR)" if c in columns else f"{a}.{c} IS NULL"
             for c in ("host", "region")]
    return " AND ".join(parts)


def _ts_expression(path: Path, con, source: str, ts_type: str, tz: str | None) -> str:
    """SQL turning the ts column into TIMESTAMPTZ; naive times need an explicit zone."""
    if ts_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return "ts"
    if ts_type.startswith("TIMESTAMP") or ts_type == "DATE":
        if tz is None:
            raise DataError(f"{path}: column ts holds times without a time zone ({ts_type}); give --tz (e.g. --tz UTC)")
        return f"timezone({_literal(tz)}, CAST(ts AS TIMESTAMP))"
    if ts_type in ("VARCHAR", "STRING"):
        naive = con.execute(
            f"SELECT count(*) FROM {source} WHERE ts IS NOT NULL AND NOT regexp_matches(trim(ts), '{_TZ_SUFFIX}')"
            " AND TRY_CAST(ts AS TIMESTAMP) IS NOT NULL").fetchone()[0]
        if naive and tz is None:
            raise DataError(f"{path}: {naive} times have no time zone (e.g. '2026-11-01 10:00'); "
                            "give --tz, or write them with an offset ('...Z', '+01:00')")
        local = f"timezone({_literal(tz)}, TRY_CAST(trim(ts) AS TIMESTAMP))" if tz else "NULL"
        return (f"CASE WHEN regexp_matches(trim(ts), '{_TZ_SUFFIX}') THEN TRY_CAST(trim(ts) AS TIMESTAMPTZ) "
                f"ELSE {local} END")
    raise DataError(f"{path}: column ts has type {ts_type}; it must be a timestamp or text")


def _wide(path: Path, scan: str, columns: dict[str, str], mapping: WideMapping) -> tuple[str, dict[str, str]]:
    """A long-form view of a wide file: UNPIVOT the metric columns."""
    wanted = [mapping.ts, *mapping.metrics]
    if not mapping.service.startswith("="):
        wanted.append(mapping.service)
    wanted += [c for c in mapping.labels.values() if not c.startswith("=")]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise DataError(f"{path}: mapping names missing column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} (found: {', '.join(columns)})")

    def col_or_const(spec: str) -> str:
        return _literal(spec[1:]) if spec.startswith("=") else f"CAST({_quote(spec)} AS VARCHAR)"

    keys = [f"{_quote(mapping.ts)} AS ts", f"{col_or_const(mapping.service)} AS service"]
    keys += [f"{col_or_const(spec)} AS {label}" for label, spec in mapping.labels.items()]
    values = [f"CAST({_quote(c)} AS VARCHAR) AS {_quote(m)}" for c, m in mapping.metrics.items()]
    inner = f"SELECT {', '.join(keys + values)} FROM {scan}"
    on = ", ".join(_quote(m) for m in mapping.metrics.values())
    source = f"(SELECT * FROM (FROM ({inner}) UNPIVOT INCLUDE NULLS (value FOR metric IN ({on}))))"
    long_columns = {"ts": columns[mapping.ts], "service": "VARCHAR", "metric": "VARCHAR", "value": "VARCHAR"}
    long_columns |= {label: "VARCHAR" for label in mapping.labels}
    return source, long_columns
