"""Unmasked personal data in a (staging) dataset: per table and column, how many of the first
``rows`` values look like an e-mail address, a phone number, a payment card (Luhn-valid), an
IBAN (mod-97-valid), a national identifier (US SSN, UK NINO), an IP address, or — for columns
whose name says so — a person's name. Examples are shown as their shape only (letters ``x``,
digits ``9``): never the values."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass

from .sources import _quote, attach

__all__ = ["PiiFinding", "scan_pii", "CLASSES", "luhn", "iban_ok", "shape"]

CLASSES = ("email", "phone", "payment_card", "iban", "national_id", "ip_address", "person_name")
# cheap candidate filters DuckDB runs over every value; Python confirms each candidate
CANDIDATES = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "payment_card": r"(^|[^0-9])[0-9]([ -]?[0-9]){12,18}([^0-9]|$)",
    "iban": r"[A-Z]{2}[0-9]{2}( ?[A-Z0-9]){11,30}",
    "national_id": r"([0-9]{3}-[0-9]{2}-[0-9]{4})|([A-CEGHJ-PR-TW-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])",
    "ip_address": r"([0-9]{1,3}\.){3}[0-9]{1,3}|([0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}",
    "phone": r"^\+?\(?[0-9][0-9 ().-]{7,}[0-9]$",
}
NAME_HINT = re.compile(r"(^|_)(first|last|given|family|sur|full|middle|maiden|customer|contact|person)_?name$|^name$",
                       re.IGNORECASE)
MASKED = re.compile(r"^[*xX#•]+$|^(redacted|masked|anonymi[sz]ed|n/?a|null|none|-)$|^[0-9a-f]{32}$|^[0-9a-f]{64}$",
                    re.IGNORECASE)
EXAMPLES = 3


@dataclass
class PiiFinding:
    table: str
    column: str
    pii_class: str
    count: int
    scanned: int
    examples: list  # shapes, never values

    def as_dict(self) -> dict:
        return asdict(self)


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    s = text.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def shape(value: str, limit: int = 24) -> str:
    """The value's form without its content: letters become x, digits 9, the rest stays."""
    out = "".join("x" if c.isalpha() else "9" if c.isdigit() else c for c in value[:limit])
    return out + ("…" if len(value) > limit else "")


def _confirm(kind: str, value: str) -> bool:
    if kind == "email":
        return True
    if kind == "payment_card":
        for m in re.finditer(r"[0-9](?:[ -]?[0-9]){12,18}", value):
            digits = re.sub(r"[ -]", "", m.group())
            if 13 <= len(digits) <= 19 and luhn(digits) and len(set(digits)) > 1:
                return True
        return False
    if kind == "iban":
        return any(iban_ok(m.group()) for m in re.finditer(r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}", value))
    if kind == "national_id":
        for m in re.finditer(r"\b([0-9]{3})-([0-9]{2})-([0-9]{4})\b", value):
            area, group, serial = m.groups()
            if area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000":
                return True
        return bool(re.search(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b",
                              value))
    if kind == "ip_address":
        for token in re.findall(r"[0-9A-Fa-f:.]{7,45}", value):
            with contextlib.suppress(ValueError):
                ip = ipaddress.ip_address(token)
                if not ip.is_unspecified:
                    return True
        return False
    if kind == "phone":
        if re.fullmatch(r"[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{1,3}(\.[0-9]{1,3}){3}", value.strip()):
            return False  # an SSN's or an IPv4 address's shape: counted there
        digits = re.sub(r"[^0-9]", "", value)
        return 9 <= len(digits) <= 15 and len(set(digits)) > 2 and not re.fullmatch(r"[0-9]+\.[0-9]+", value)
    raise KeyError(kind)  # pragma: no cover


def scan_pii(dataset, *, rows: int = 100_000) -> tuple[list[PiiFinding], dict]:
    """Findings per (table, column, class), and what was scanned: {table: rows scanned}."""
    import duckdb

    spill = tempfile.mkdtemp(prefix="upgradesim-pii-")
    con = duckdb.connect()
    findings: list[PiiFinding] = []
    scanned: dict[str, int] = {}
    try:
        con.execute(f"SET temp_directory = '{spill}'")
        with contextlib.suppress(duckdb.Error):
            con.execute("SET enable_progress_bar = false")
        data = attach(con, dataset, "ds")
        for table, relation in sorted(data.tables.items()):
            columns = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
            con.execute(f"CREATE TEMP TABLE _scan AS SELECT * FROM {relation} LIMIT {int(rows)}")
            scanned[table] = con.execute("SELECT count(*) FROM _scan").fetchone()[0]
            for name, kind, *_ in columns:
                if not (kind.startswith("VARCHAR") or NAME_HINT.search(name)):
                    continue
                findings += _column(con, table, name, scanned[table])
            con.execute("DROP TABLE _scan")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return findings, scanned


def _column(con, table: str, column: str, total: int) -> list[PiiFinding]:
    q = _quote(column)
    out = []
    for kind, pattern in CANDIDATES.items():
        values = [r[0] for r in con.execute(
            f"SELECT {q}::VARCHAR FROM _scan WHERE regexp_matches({q}::VARCHAR, ?)", [pattern]).fetchall()]
        hits = [v for v in values if _confirm(kind, v)]
        if hits:
            out.append(PiiFinding(table, column, kind, len(hits), total, [shape(v) for v in hits[:EXAMPLES]]))
    if NAME_HINT.search(column):
        values = [r[0] for r in con.execute(f"SELECT {q}::VARCHAR FROM _scan WHERE {q} IS NOT NULL").fetchall()]
        hits = [v for v in values if v.strip() and not MASKED.match(v.strip()) and re.search(r"[^\W\d_]{2}", v)]
        if hits:
            out.append(PiiFinding(table, column, "person_name", len(hits), total, [shape(v) for v in hits[:EXAMPLES]]))
    return out
