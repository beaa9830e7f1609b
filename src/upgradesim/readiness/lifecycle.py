"""The support-lifecycle snapshot (endoflife.date, MIT): loading with row-precise errors."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import DataError

__all__ = ["Cycle", "Lifecycle", "load_lifecycle", "bundled_lifecycle_path", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS = ("product", "cycle", "release_date", "support_end", "eol", "latest")


@dataclass(frozen=True)
class Cycle:
    """One release cycle of a product. ``eol`` None means no end announced; a past-only fact
    (``eol: true`` without a date) is ``eol_known=True`` with ``eol=None``."""

    product: str
    cycle: str
    release_date: dt.date | None
    support_end: dt.date | None
    eol: dt.date | None
    eol_reached_undated: bool
    latest: str
    eoes: dt.date | None
    title: str


@dataclass(frozen=True)
class Lifecycle:
    source: str
    cycles: dict[str, dict[str, Cycle]]  # product -> cycle -> Cycle

    def products(self) -> list[str]:
        return sorted(self.cycles)


def bundled_lifecycle_path() -> Path:
    folder = resources.files("upgradesim") / "data" / "lifecycle"
    return Path(str(sorted(p for p in folder.iterdir() if p.name.endswith(".csv"))[-1]))


def _date(value: str, where: str, column: str, *, boolean_ok: bool = False) -> tuple[dt.date | None, bool]:
    value = (value or "").strip()
    if not value:
        return None, False
    if boolean_ok and value.lower() in ("true", "false"):
        return None, value.lower() == "true"
    try:
        return dt.date.fromisoformat(value), False
    except ValueError:
        rule = "an ISO date (YYYY-MM-DD)" + (" or true/false" if boolean_ok else "")
        raise DataError(f"{where}: {column}(={value}): must be {rule}") from None


def load_lifecycle(path: str | Path | None = None) -> Lifecycle:
    """Read a snapshot in the endoflife CSV shape (the bundled one by default).

    Every malformed row is reported, one line each, naming the file, row, column and value.
    """
    path = Path(path) if path else bundled_lifecycle_path()
    try:
        handle = path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    problems: list[str] = []
    cycles: dict[str, dict[str, Cycle]] = {}
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                            f"(found: {', '.join(reader.fieldnames or []) or 'none'})")
        for number, row in enumerate(reader, start=2):
            where = f"{path}:{number}"
            try:
                if not (row.get("product") or "").strip() or not (row.get("cycle") or "").strip():
                    raise DataError(f"{where}: product and cycle are required")
                released, _ = _date(row["release_date"], where, "release_date")
                support, _ = _date(row["support_end"], where, "support_end", boolean_ok=True)
                eol, undated = _date(row["eol"], where, "eol", boolean_ok=True)
                eoes, _ = _date(row.get("eoes", ""), where, "eoes", boolean_ok=True)
            except DataError as exc:
                problems.append(str(exc))
                continue
            product = row["product"].strip()
            cycles.setdefault(product, {})[row["cycle"].strip()] = Cycle(
                product, row["cycle"].strip(), released, support, eol, undated, (row.get("latest") or "").strip(),
                eoes, (row.get("product_title") or product).strip())
    if problems:
        raise DataError("\n".join(problems))
    return Lifecycle(str(path), cycles)
