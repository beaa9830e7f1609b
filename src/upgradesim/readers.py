"""Safe readers shared by every verb: bounded sizes, explicit encodings, typed CSV with row numbers.

- :func:`read_text`: a file that must be text — UTF-8 (a BOM is dropped) or UTF-16 with its BOM;
  anything else, a NUL byte (binary), a folder, a missing file or a file above ``max_bytes`` is a
  :class:`~upgradesim.errors.DataError` naming the file and what to do.
- :func:`read_csv`: a CSV whose columns are declared (name -> kind); the first bad rows are named
  ``FILE:ROW: column(=value): rule`` (row 1 is the header), all at once, up to ten.
- :func:`is_gzip`: by magic bytes, never by the file name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import DataError

__all__ = ["read_text", "decode_text", "read_csv", "is_gzip", "MAX_TEXT_BYTES", "parse_timestamp"]

MAX_TEXT_BYTES = 64 * 1024 * 1024
_MAX_SHOWN = 10


def is_gzip(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_text(path: str | Path, *, max_bytes: int = MAX_TEXT_BYTES, what: str = "file") -> str:
    """The file's text; see the module text for what is refused."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: {what} not found")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a {what}")
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{path}: {size} bytes, larger than the {max_bytes} this reader takes")
    return decode_text(path, path.read_bytes(), what)


def decode_text(path: str | Path, data: bytes, what: str = "file") -> str:
    """``data`` read from ``path`` as text, by :func:`read_text`'s rules (UTF-8 without its BOM,
    UTF-16 with one; NUL bytes and other encodings refused)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not valid UTF-16 (byte {exc.start})") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataError(f"{path}: binary data (a NUL byte at {nul}), not a text {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); save it as "
                        "UTF-8") from None


def parse_timestamp(text: str) -> dt.datetime:
    """ISO 8601 date or date-time; naive means UTC. ValueError with the rule otherwise."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _count(text: str) -> int:
    value = _number(text)
    if value < 0 or value != int(value):
        raise ValueError("must be a whole number >= 0")
    return int(value)


def _boolean(text: str) -> bool:
    low = text.strip().lower()
    if low in ("true", "yes", "1", "y", "t"):
        return True
    if low in ("false", "no", "0", "n", "f"):
        return False
    raise ValueError("must be true or false")


def _text(text: str) -> str:
    if any(ord(c) < 32 and c not in "\t" for c in text):
        raise ValueError("must not contain control characters")
    return text


KINDS: dict[str, Callable[[str], object]] = {"text": _text, "timestamp": parse_timestamp, "number": _number,
                                              "count": _count, "bool": _boolean}
_RULES = {"timestamp": "must be an ISO 8601 date or date-time (2026-11-30T02:00:00Z)",
          "number": "must be a finite number", "count": "must be a whole number >= 0", "bool": "must be true or false"}


def csv_table(path: str | Path, text: str) -> list[list[str]]:
    """The rows of CSV ``text`` (the header first, stripped); one error naming ``path`` when it is
    no CSV or has no header row."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(f"{path}: not a CSV file ({exc})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DataError(f"{path}: empty, no header row")
    rows[0] = [cell.strip() for cell in rows[0]]
    return rows


def csv_records(path: str | Path, text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(line number, {column: stripped cell})]) of CSV ``text``; blank rows are skipped and
    a row with another number of cells than the header is an error naming its line."""
    table = csv_table(path, text)
    header, rows = table[0], []
    for number, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}:{number}: {len(row)} cells, the header has {len(header)}")
        rows.append((number, dict(zip(header, (c.strip() for c in row), strict=True))))
    return header, rows


def json_lines(path: str | Path, text: str):
    """Yields (line number, object) of each non-blank line of JSON Lines ``text``, in order (a
    caller's check of one line runs before the next is parsed); a bad line names its number."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not JSON: {exc.msg}") from None
        except RecursionError:
            raise DataError(f"{path}:{number}: nested too deeply") from None
        if not isinstance(obj, dict):
            raise DataError(f"{path}:{number}: each line must be a JSON object")
        yield number, obj


def read_csv(path: str | Path, columns: dict[str, str], *, required: tuple[str, ...] = (),
             choices: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Rows of a CSV with declared column kinds (text, timestamp, number, count, bool); empty cells
    of optional columns are missing values. Unknown columns are an error (a typo is not data)."""
    rows = csv_table(path, read_text(path, what="CSV"))
    header = rows[0]
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    problems = []
    if missing:
        problems.append(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if unknown:
        problems.append(f"{path}:1: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                        f"(known: {', '.join(columns)})")
    if len(set(header)) != len(header):
        problems.append(f"{path}:1: a column is named twice")
    if problems:
        raise DataError("\n".join(problems))
    out: dict[str, list] = {name: [] for name in columns}
    choices = choices or {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{path}:{number}: {len(row)} cells, the header has {len(header)}")
            continue
        values = dict(zip(header, row, strict=True))
        for name, kind in columns.items():
            cell = values.get(name, "").strip()
            if not cell:
                if name in required:
                    problems.append(f"{path}:{number}: {name}: required, empty")
                out[name].append(None)
                continue
            try:
                value = KINDS[kind](cell)
                if name in choices and value not in choices[name]:
                    raise ValueError(f"must be one of {', '.join(str(c) for c in choices[name])}")
            except (ValueError, OverflowError) as exc:
                rule = str(exc) if str(exc).startswith("must") else _RULES.get(kind, str(exc))
                shown = cell if len(cell) <= 40 else cell[:37] + "..."
                problems.append(f"{path}:{number}: {name}(={shown}): {rule}")
                value = None
            out[name].append(value)
        if len(problems) >= _MAX_SHOWN:
            problems.append(f"{path}: (stopped after {_MAX_SHOWN} problems)")
            break
    if problems:
        raise DataError("\n".join(problems))
    frame = pd.DataFrame(out)
    dtypes = {"number": "float64", "count": "Int64", "bool": "boolean", "text": "string"}
    for name, kind in columns.items():
        if kind == "timestamp":
            frame[name] = pd.to_datetime(frame[name], utc=True)
        else:
            frame[name] = frame[name].astype(dtypes[kind])
    return frame
