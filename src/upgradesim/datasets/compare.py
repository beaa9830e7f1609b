"""Did the migration keep the data? Two datasets compared table by table inside DuckDB: row
counts, key uniqueness, null counts, per-column aggregates and an order-independent content hash
(the sum of every row's hash, so duplicates count); for a changed table, a sample of the keys
that differ. Nothing is loaded into pandas; values are never printed, only keys."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import asdict, dataclass, field

from ..errors import DataError
from .sources import _quote, attach

__all__ = ["TableDiff", "DataComparison", "compare_datasets"]

INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "DOUBLE", "REAL")


@dataclass
class TableDiff:
    table: str
    status: str  # same, different, only_source, only_target
    rows: tuple = (None, None)
    differences: list = field(default_factory=list)
    keys: list = field(default_factory=list)  # a sample of differing keys: (key, what)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class DataComparison:
    source: str
    target: str
    tables: list

    @property
    def same(self) -> bool:
        return bool(self.tables) and all(t.status == "same" for t in self.tables)

    @property
    def exit_code(self) -> int:
        return 0 if self.same else 2

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "same": self.same, "exit_code": self.exit_code,
                "tables": [t.as_dict() for t in self.tables]}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"table": t.table, "status": t.status, "source_rows": t.rows[0], "target_rows": t.rows[1],
                              "differences": len(t.differences)} for t in self.tables])


def _columns(con, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def _profile(con, relation: str, columns: dict[str, str], key: str | None) -> dict:
    parts = ["count(*)"]
    for name, kind in columns.items():
        q = _quote(name)
        parts.append(f"count(*) - count({q})")
        base = kind.split("(")[0]
        if base in INTEGER:  # exact
            parts += [f"min({q})::VARCHAR", f"max({q})::VARCHAR", f"sum({q}::HUGEINT)::VARCHAR"]
        elif base in NUMERIC or base == "DECIMAL":
            parts += [f"min({q})::VARCHAR", f"max({q})::VARCHAR", f"sum({q})::DOUBLE"]
        else:
            parts += [f"min({q})::VARCHAR IS NOT NULL", "NULL", "NULL"]  # presence only: values are not shown
    cols = ", ".join(_quote(c) for c in columns)
    parts.append(f"coalesce(sum(hash({cols})::HUGEINT), 0)::VARCHAR" if columns else "'0'")
    if key:
        parts.append(f"count(*) - count(DISTINCT {_quote(key)})")
    row = con.execute(f"SELECT {', '.join(parts)} FROM {relation}").fetchone()
    out = {"rows": row[0], "columns": {}}
    for i, name in enumerate(columns):
        nulls, lo, hi, total = row[1 + 4 * i: 5 + 4 * i]
        out["columns"][name] = {"nulls": nulls, "min": lo, "max": hi, "sum": total}
    out["hash"] = row[1 + 4 * len(columns)]
    out["duplicate_keys"] = row[2 + 4 * len(columns)] if key else None
    return out


def compare_datasets(source, target, *, keys: dict[str, str] | None = None, sample: int = 10) -> DataComparison:
    """Compare every table of ``source`` with the table of the same name in ``target``.
    ``keys``: table -> key column (default: a column named ``id`` when there is one)."""
    import duckdb

    keys = keys or {}
    spill = tempfile.mkdtemp(prefix="upgradesim-data-")
    con = duckdb.connect()
    try:
        con.execute(f"SET temp_directory = '{spill}'")
        with contextlib.suppress(duckdb.Error):
            con.execute("SET enable_progress_bar = false")
        a, b = attach(con, source, "src"), attach(con, target, "tgt")
        unknown = sorted(set(keys) - set(a.tables) - set(b.tables))
        if unknown:
            raise DataError(f"--key {unknown[0]}=...: no table {unknown[0]!r} on either side")
        results = []
        for name in sorted(set(a.tables) | set(b.tables)):
            if name not in b.tables:
                results.append(TableDiff(name, "only_source", differences=["missing in the target"]))
            elif name not in a.tables:
                results.append(TableDiff(name, "only_target", differences=["not in the source"]))
            else:
                results.append(_table(con, name, a.tables[name], b.tables[name], keys.get(name), sample))
        if not results:
            raise DataError(f"{source} and {target}: no tables on either side")
        if not any(r.status in ("same", "different") for r in results):
            results.append(TableDiff("(all)", "different", differences=["the datasets have no table in common"]))
        return DataComparison(str(source), str(target), results)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _table(con, name, src, tgt, key, sample) -> TableDiff:
    ca, cb = _columns(con, src), _columns(con, tgt)
    diff = TableDiff(name, "same")
    for c in sorted(set(ca) - set(cb)):
        diff.differences.append(f"column {c} only in the source")
    for c in sorted(set(cb) - set(ca)):
        diff.differences.append(f"column {c} only in the target")
    common = {c: ca[c] for c in ca if c in cb}
    for c, kind in common.items():
        if kind != cb[c]:
            diff.differences.append(f"column {c}: type {kind} in the source, {cb[c]} in the target")
    if key is None and "id" in common:
        key = "id"
    if key is not None and key not in common:
        raise DataError(f"--key {name}={key}: no column {key!r} on both sides of {name}")
    same_type = {c: t for c, t in common.items() if t == cb[c]}
    pa, pb = _profile(con, src, same_type, key), _profile(con, tgt, same_type, key)
    diff.rows = (pa["rows"], pb["rows"])
    if pa["rows"] != pb["rows"]:
        diff.differences.append(f"rows: {pa['rows']} in the source, {pb['rows']} in the target")
    for side, p in (("source", pa), ("target", pb)):
        if key and p["duplicate_keys"]:
            diff.differences.append(f"key {key}: {p['duplicate_keys']} duplicate value(s) in the {side}")
    for c in same_type:
        x, y = pa["columns"][c], pb["columns"][c]
        if x["nulls"] != y["nulls"]:
            diff.differences.append(f"column {c}: {x['nulls']} nulls in the source, {y['nulls']} in the target")
        for stat in ("min", "max", "sum"):
            if x[stat] != y[stat] and not (isinstance(x[stat], float) and isinstance(y[stat], float)
                                           and abs(x[stat] - y[stat]) <= 1e-9 * max(abs(x[stat]), abs(y[stat]), 1)):
                diff.differences.append(f"column {c}: {stat} differs")
    if pa["hash"] != pb["hash"]:
        diff.differences.append("content differs (order-independent hash of the rows)")
        diff.keys = _differing(con, src, tgt, list(same_type), key, sample)
    if diff.differences:
        diff.status = "different"
    return diff


def _differing(con, src, tgt, columns, key, sample) -> list:
    cols = ", ".join(_quote(c) for c in columns)
    if key is None:
        n = con.execute(f"SELECT count(*) FROM (SELECT hash({cols}) FROM {src} EXCEPT ALL "
                        f"SELECT hash({cols}) FROM {tgt})").fetchone()[0]
        m = con.execute(f"SELECT count(*) FROM (SELECT hash({cols}) FROM {tgt} EXCEPT ALL "
                        f"SELECT hash({cols}) FROM {src})").fetchone()[0]
        return [("(no key)", f"{n} source rows without an equal target row, {m} target rows without an equal "
                             "source row (give --key TABLE=COLUMN for the keys)")]
    k = _quote(key)
    rows = con.execute(f"""
        SELECT coalesce(a.k, b.k)::VARCHAR,
               CASE WHEN a.k IS NULL THEN 'only in the target' WHEN b.k IS NULL THEN 'missing in the target'
                    ELSE 'changed' END
        FROM (SELECT {k} AS k, sum(hash({cols})::HUGEINT) AS h FROM {src} GROUP BY 1) a
        FULL OUTER JOIN (SELECT {k} AS k, sum(hash({cols})::HUGEINT) AS h FROM {tgt} GROUP BY 1) b ON a.k = b.k
        WHERE a.h IS DISTINCT FROM b.h ORDER BY 1 LIMIT {int(sample)}""").fetchall()
    return [tuple(r) for r in rows]
