"""The plan's migration read from its SQL: each statement judged (:mod:`.ddl`), timed from the table
sizes in the store, and turned into the phases the simulation runs (blocking or not)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

    from ..plan import Plan

__all__ = ["engine_of", "MigrationLint", "lint_migration", "derive_phases", "read_sizes", "with_sql_migration",
           "STATEMENT_COLUMNS"]

STATEMENT_COLUMNS = ["file", "line", "statement", "table", "operation", "lock", "blocks", "work", "severity", "advice",
                     "minutes", "scratch_gb"]
_ENGINE = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql",
           "percona-server": "mysql"}


def engine_of(plan: Plan) -> tuple[str, str | None]:
    """(engine, version) of the migration: the plan's, else its tier's database component's target."""
    m = plan.migration
    comps = [c for c in plan.components if c.tier == m.tier and (c.lifecycle or c.product).lower() in _ENGINE]
    engine = m.engine or (_ENGINE[(comps[0].lifecycle or comps[0].product).lower()] if comps else "postgresql")
    version = m.engine_version or next((c.target_version or c.version for c in comps
                                        if _ENGINE[(c.lifecycle or c.product).lower()] == engine), None)
    return engine, version


def _size(sizes: dict[str, dict], table: str | None) -> dict | None:
    if not table:
        return None
    key = table.lower()
    return sizes.get(key) or sizes.get(key.rsplit(".", 1)[-1]) or next(
        (v for k, v in sizes.items() if k.rsplit(".", 1)[-1] == key), None)


def _minutes(stmt, size: dict | None, plan: Plan) -> tuple[float | None, float]:
    """(minutes or None when the table's size is unknown, scratch GB a rewrite needs)."""
    m = plan.migration
    if stmt.work == "none" or stmt.severity == "error":
        return 0.0, 0.0
    if size is None:
        return None, 0.0
    mb, index_mb = size["bytes"] / 1e6, size["index_bytes"] / 1e6
    t = m.throughput
    if stmt.work == "rewrite":
        return (mb + index_mb) / t.rewrite_mb_per_s / 60.0, (mb + index_mb) / 1e3
    if stmt.work == "index":
        passes = 2 if "concurrently" in stmt.operation else 1  # a concurrent build reads the table twice
        return passes * mb / t.index_mb_per_s / 60.0, 0.0
    if stmt.work == "scan":
        return mb / t.scan_mb_per_s / 60.0, 0.0
    return size["rows"] / m.rows_per_s / 60.0, 0.0  # update


@dataclass(frozen=True)
class MigrationLint:
    """Every statement of the migration's SQL judged and timed."""

    engine: str
    version: str | None
    statements: pd.DataFrame  # STATEMENT_COLUMNS
    files: list[str]
    unsized: list[str] = field(default_factory=list)  # tables whose size the store does not know

    @property
    def findings(self) -> pd.DataFrame:
        return self.statements[self.statements["severity"].isin(["blocker", "error", "warning"])].reset_index(drop=True)

    @property
    def judged(self) -> int:
        """Statements judged (an empty file's note is not one)."""
        return int((self.statements["operation"] != "no statement").sum())

    @property
    def exit_code(self) -> int:
        """2 a blocking or unparseable statement; 3 no statement at all to judge; else 0."""
        return 2 if self.statements["severity"].isin(["blocker", "error"]).any() else 3 if not self.judged else 0

    @property
    def blocking_min(self) -> float | None:
        blocked = self.statements[self.statements["blocks"] != "nothing"]
        return None if blocked["minutes"].isna().any() else float(blocked["minutes"].sum())

    @property
    def total_min(self) -> float | None:
        return None if self.statements["minutes"].isna().any() else float(self.statements["minutes"].sum())

    def to_frame(self) -> pd.DataFrame:
        return self.statements

    def to_dict(self) -> dict:
        from ..documents import json_records

        counts = self.statements["severity"].value_counts().to_dict()
        return {"engine": self.engine, "version": self.version, "files": self.files, "unsized": self.unsized,
                "counts": {k: int(counts.get(k, 0)) for k in ("error", "blocker", "warning", "ok")},
                "blocking_min": self.blocking_min, "total_min": self.total_min,
                "statements": json_records(self.statements)}


def lint_migration(plan: Plan, plan_dir: str | os.PathLike, sizes: dict[str, dict] | None = None) -> MigrationLint:
    """Judge and time every statement of ``plan.migration.sql`` (paths relative to ``plan_dir``)."""
    import pandas as pd

    from ..errors import DataError
    from ..readers import read_text
    from .ddl import lint_sql

    if plan.migration is None or not plan.migration.sql:
        raise DataError("migration.sql: the plan's migration names no SQL files (migration: {sql: [file.sql]})")
    engine, version = engine_of(plan)
    rows, files, unsized = [], [], set()
    for pattern in plan.migration.sql:
        matches = sorted(Path(plan_dir).glob(pattern)) if any(ch in pattern for ch in "*?[") else [
            Path(plan_dir) / pattern]
        if not matches:
            raise DataError(f"migration.sql(={pattern}): no such file next to the plan")
        for path in matches:
            text = read_text(path, what="SQL file")
            files.append(str(path))
            statements = lint_sql(text, path.name, engine, version)
            if not statements:
                rows.append({"file": path.name, "line": 1, "statement": "", "table": None, "operation": "no statement",
                             "lock": "", "blocks": "nothing", "work": "none", "severity": "warning",
                             "advice": "the file holds no SQL statement: is it the right file?", "minutes": 0.0,
                             "scratch_gb": 0.0})
            for stmt in statements:
                size = _size(sizes or {}, stmt.table)
                minutes, scratch = _minutes(stmt, size, plan)
                if minutes is None:
                    unsized.add(stmt.table)
                rows.append({"file": stmt.file, "line": stmt.line, "statement": stmt.sql, "table": stmt.table,
                             "operation": stmt.operation, "lock": stmt.lock, "blocks": stmt.blocks, "work": stmt.work,
                             "severity": stmt.severity, "advice": stmt.advice, "minutes": minutes,
                             "scratch_gb": scratch})
    frame = pd.DataFrame(rows, columns=STATEMENT_COLUMNS)
    return MigrationLint(engine, version, frame, files, sorted(unsized))


def derive_phases(lint: MigrationLint) -> list[dict]:
    """Consecutive statements merged into blocking and non-blocking phases (minutes each)."""
    phases: list[dict] = []
    for r in lint.statements.itertuples():
        if r.minutes is None or r.minutes != r.minutes:  # NaN: unknown
            raise ValueError(f"{r.table}: size unknown")
        blocking = r.blocks != "nothing"
        if phases and phases[-1]["blocking"] == blocking:
            phases[-1]["minutes"] += float(r.minutes)
            phases[-1]["statement"] += f"; {r.file}:{r.line}"
        else:
            phases.append({"minutes": float(r.minutes), "blocking": blocking, "statement": f"{r.file}:{r.line}"})
    return [p for p in phases if p["minutes"] > 0 or p["blocking"]]


def with_sql_migration(plan: Plan, plan_dir: str | os.PathLike | None, db: str | os.PathLike | None
                       ) -> tuple[Plan, str]:
    """The plan with its migration's phases derived from its SQL and the store's table sizes, and a
    note saying which figures the simulation uses."""
    if plan.migration is None or not plan.migration.sql or plan.migration.phases:
        return plan, ""
    sizes = {}
    if db is not None and Path(db).exists():
        from ..store import Store

        with Store(Path(db), read_only=True) as store:
            sizes = store.table_sizes()
    if db is None:
        return plan, ("migration from rows / rows_per_s: its SQL is timed from table sizes in a store "
                      "(--db, filled by upgradesim migration sizes)")
    if not sizes:
        return plan, "migration from rows / rows_per_s: no table sizes in the store (upgradesim migration sizes)"
    lint = lint_migration(plan, plan_dir or ".", sizes)
    if not lint.judged:
        return plan, "migration from rows / rows_per_s: its SQL files hold no statement"
    if lint.unsized:
        return plan, (f"migration from rows / rows_per_s: no size for {', '.join(t for t in lint.unsized if t)} "
                      "(upgradesim migration sizes)")
    from ..plan.migration import MigrationPhase

    phases = tuple(MigrationPhase(**p) for p in derive_phases(lint))
    derived = plan.model_copy(update={"migration": plan.migration.model_copy(update={"phases": phases})})
    return derived, (f"migration from its SQL: {lint.total_min:.1f} min, {lint.blocking_min:.1f} min blocking, "
                     f"per region")


_ALIASES = {"db_table": ("table", "db_table", "relname", "table_name", "name"),
            "rows": ("rows", "n_live_tup", "reltuples", "row_count", "table_rows"),
            "bytes": ("bytes", "table_bytes", "pg_table_size", "size_bytes", "data_length"),
            "index_bytes": ("index_bytes", "pg_indexes_size", "index_length", "indexes_bytes")}


_INT64 = 2**63 - 1


def _count(text: str, where: str) -> int:
    """A row or byte count: a whole number (``1200``, ``1.2e9`` as exports write it), 0 to 2**63-1."""
    from ..errors import DataError

    if re.fullmatch(r"[+-]?\d+", text):
        value: int | float = int(text)
    else:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (value == value and abs(value) != float("inf") and value == int(value)):
            raise DataError(f"{where}(={text!r}): must be a whole number")
    if not 0 <= value <= _INT64:
        raise DataError(f"{where}(={text}): must be between 0 and {_INT64}")
    return int(value)


def read_sizes(path: str | os.PathLike) -> pd.DataFrame:
    """Table sizes from a CSV (``table,rows,bytes[,index_bytes]``, or the column names of
    ``pg_stat_user_tables``/``information_schema.tables`` exports); one error per bad cell."""
    import pandas as pd

    from ..errors import DataError
    from ..readers import csv_records, read_text

    header, records = csv_records(path, read_text(path, what="table-size CSV"))
    lower = {h.lower(): h for h in header}
    pick = {k: next((lower[a] for a in names if a in lower), None) for k, names in _ALIASES.items()}
    for need in ("db_table", "rows", "bytes"):
        if pick[need] is None:
            raise DataError(f"{path}:1: no {need.replace('db_', '')} column (one of {', '.join(_ALIASES[need])})")
    out, seen = [], {}
    for number, rec in records:
        row = {"db_table": rec[pick["db_table"]]}
        if not re.fullmatch(r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?", row["db_table"]):
            raise DataError(f"{path}:{number}: {pick['db_table']}(={row['db_table']!r}): not a table name")
        if row["db_table"].lower() in seen:
            raise DataError(f"{path}:{number}: {pick['db_table']}(={row['db_table']!r}): given twice (line "
                            f"{seen[row['db_table'].lower()]} too); one size per table")
        seen[row["db_table"].lower()] = number
        for k in ("rows", "bytes", "index_bytes"):
            text = (rec.get(pick[k]) or "").strip() if pick[k] else ""
            row[k] = _count(text, f"{path}:{number}: {pick[k]}") if text else 0
        out.append(row)
    if not out:
        raise DataError(f"{path}: no table sizes (a header and no rows)")
    return pd.DataFrame(out, columns=["db_table", "rows", "bytes", "index_bytes"]).assign(measured_at=pd.NaT)
