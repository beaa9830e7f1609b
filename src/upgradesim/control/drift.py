"""Drift between a configuration and an approved baseline (or another environment), classified
by a register of governed exceptions: each has an owner, an approver and an expiry."""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import DataError
from ..yamlmodel import load_model

__all__ = ["DriftException", "ExceptionRegister", "load_exceptions", "diff_entries", "classify", "Drift",
           "DRIFT_COLUMNS"]

DRIFT_COLUMNS = ["file", "key", "change", "baseline", "current", "status", "exception", "owner", "expires"]


class DriftException(BaseModel):
    """An approved difference: a key pattern (``file:key`` glob) in an environment, until expiry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)  # "app.properties:pool.max*" or "*:feature.flags.*"
    env: str = "*"
    reason: str = Field(min_length=3)
    owner: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: dt.date

    @model_validator(mode="after")
    def _four_eyes(self) -> DriftException:
        if self.owner == self.approver:
            raise ValueError("owner and approver must be different people")
        return self

    def covers(self, env: str, file: str, key: str) -> bool:
        return fnmatch.fnmatchcase(env, self.env) and fnmatch.fnmatchcase(f"{file}:{key}", self.key)


class ExceptionRegister(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exceptions: tuple[DriftException, ...] = ()


def load_exceptions(path) -> ExceptionRegister:
    """Read an exception register; problems are reported like plan problems (file, line, field)."""
    return load_model(path, ExceptionRegister, error=DataError)


def diff_entries(baseline: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Added, removed and changed keys (value or type) between two sets of entries."""
    b = baseline.set_index(["file", "key"])[["value", "type"]]
    c = current.set_index(["file", "key"])[["value", "type"]]
    joined = b.join(c, how="outer", suffixes=("_b", "_c"))
    rows = []
    for (file, key), r in joined.iterrows():
        vb, vc = r["value_b"], r["value_c"]
        if pd.isna(vb) and pd.isna(r["type_b"]):
            change = "added"
        elif pd.isna(vc) and pd.isna(r["type_c"]):
            change = "removed"
        elif vb != vc or r["type_b"] != r["type_c"]:
            change = "changed"
        else:
            continue
        rows.append({"file": file, "key": key, "change": change,
                     "baseline": None if pd.isna(vb) else vb, "current": None if pd.isna(vc) else vc})
    return pd.DataFrame(rows, columns=["file", "key", "change", "baseline", "current"])


@dataclass(frozen=True)
class Drift:
    differences: pd.DataFrame
    baseline: str
    current: str
    as_of: dt.date

    @property
    def unapproved(self) -> pd.DataFrame:
        return self.differences[self.differences["status"] != "approved"]

    def counts(self) -> dict[str, int]:
        return {s: int((self.differences["status"] == s).sum()) for s in ("unapproved", "approved", "expired")}


def classify(diff: pd.DataFrame, env: str, register: ExceptionRegister | None, as_of: dt.date) -> pd.DataFrame:
    """Status per difference: approved (an exception in force covers it), expired (only an expired
    one does), or unapproved."""
    out = diff.copy()
    statuses, names, owners, expiries = [], [], [], []
    for row in diff.itertuples():
        matching = [e for e in (register.exceptions if register else ()) if e.covers(env, row.file, row.key)]
        live = [e for e in matching if e.expires >= as_of]
        chosen = live[0] if live else (matching[0] if matching else None)
        statuses.append("approved" if live else "expired" if matching else "unapproved")
        names.append(chosen.reason if chosen else "")
        owners.append(chosen.owner if chosen else "")
        expiries.append(chosen.expires.isoformat() if chosen else "")
    out["status"], out["exception"], out["owner"], out["expires"] = statuses, names, owners, expiries
    return out[DRIFT_COLUMNS]
