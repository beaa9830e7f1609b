"""Datasets DuckDB can read without network extensions, as named tables of one connection:
a DuckDB file (its tables), a SQLite file (through the standard library, copied in chunks), a
Parquet or CSV file (one table, named by the file), or a folder of them (a table per file)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

__all__ = ["Dataset", "attach", "SQLITE_CHUNK"]

SQLITE_CHUNK = 50_000  # rows per chunk copied from SQLite
SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".duckdb": "duckdb",
            ".db": "sqlite?", ".sqlite": "sqlite", ".sqlite3": "sqlite"}


@dataclass
class Dataset:
    path: Path
    schema: str  # where its tables are in the connection
    tables: dict[str, str]  # table name -> qualified relation
    kind: str


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _kind(path: Path) -> str:
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise DataError(f"{path}: not found")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind == "sqlite?" or kind is None:
        if _is_sqlite(path):
            return "sqlite"
        if kind is None:
            with path.open("rb") as fh:
                head = fh.read(16)
            if head[8:12] == b"DUCK":
                return "duckdb"
            raise DataError(f"{path}: not a dataset (use Parquet, CSV, a DuckDB or SQLite file, or a folder of them)")
        return "duckdb"
    return kind


def attach(con, path: str | Path, alias: str) -> Dataset:
    """Make the tables of ``path`` visible in ``con`` under schema ``alias``."""
    import duckdb

    path = Path(path)
    kind = _kind(path)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {alias}")
    tables: dict[str, str] = {}
    try:
        if kind == "duckdb":
            con.execute(f"ATTACH {_literal(str(path))} AS {alias}_db (READ_ONLY)")
            for (name,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = ? "
                                       "AND table_schema = 'main' ORDER BY 1", [f"{alias}_db"]).fetchall():
                tables[name] = f"{alias}_db.main.{_quote(name)}"
        elif kind == "sqlite":
            _copy_sqlite(con, path, alias, tables)
        else:
            files = [path] if kind != "folder" else sorted(
                p for p in path.iterdir() if p.is_file() and SUFFIXES.get(p.suffix.lower()) in ("parquet", "csv"))
            if kind == "folder" and not files:
                raise DataError(f"{path}: the folder holds no Parquet or CSV files")
            for f in files:
                reader = "read_parquet" if SUFFIXES[f.suffix.lower()] == "parquet" else "read_csv"
                name = f.stem
                if name in tables:
                    raise DataError(f"{f}: table {name!r} comes from two files in {path}")
                con.execute(f"CREATE VIEW {alias}.{_quote(name)} AS SELECT * FROM {reader}({_literal(str(f))})")
                tables[name] = f"{alias}.{_quote(name)}"
                con.execute(f"SELECT * FROM {tables[name]} LIMIT 0")  # fail here, with the file's name
    except DataError:
        raise
    except (duckdb.Error, sqlite3.Error, OSError, UnicodeError) as exc:  # an unreadable file
        first = (str(exc).splitlines() or [""])[0][:200]
        raise DataError(f"{path}: cannot read it as {kind} ({first})") from None
    return Dataset(path, alias, tables, kind)


def _copy_sqlite(con, path: Path, alias: str, tables: dict[str, str]) -> None:
    import pandas as pd

    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for name in names:
            cursor = src.execute(f"SELECT * FROM {_quote(name)}")
            columns = [d[0] for d in cursor.description]
            target = f"{alias}.{_quote(name)}"
            first = True
            while True:
                rows = cursor.fetchmany(SQLITE_CHUNK)
                if not rows and not first:
                    break
                chunk = pd.DataFrame.from_records(rows, columns=columns)
                con.register("_chunk", chunk)
                if first:
                    con.execute(f"CREATE TABLE {target} AS SELECT * FROM _chunk")
                    first = False
                else:
                    con.execute(f"INSERT INTO {target} SELECT * FROM _chunk")
                con.unregister("_chunk")
                if not rows:
                    break
            tables[name] = target
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{path}: not a readable SQLite file ({exc})") from None
    finally:
        src.close()
