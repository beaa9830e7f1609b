"""Reading evidence files into typed records: what each kind holds, checked on the way in.

Kinds and their files:

- ``regression``, ``integration``, ``smoke``: JUnit XML from any test framework (read with
  ``junitparser`` after ``defusedxml`` refused entity tricks); per test case its outcome.
- ``performance``: CSV with ``transaction`` and ``p50_ms``, ``p95_ms`` (``p99_ms``, ``count``
  optional) per transaction.
- ``uat``: YAML sign-off — ``scope``, ``signer``, ``role``, ``outcome`` (approved, rejected,
  approved_with_conditions), ``conditions``, ``signed_at``.
- ``dr_drill``: YAML — ``drill`` (restore, failover), ``performed_at``, ``rto_target_min``,
  ``rto_achieved_min``, ``rpo_target_min``, ``rpo_achieved_min``, ``outcome`` (passed, failed).
- ``training``: CSV with ``person``, ``role``, ``course``, ``completed_at``.
- ``pir``: YAML post-implementation review — ``held_at``, ``outcome`` (successful,
  successful_with_issues, unsuccessful), ``actions``.
- ``probe``: written by ``upgradesim probe`` itself.

A record is ``(observed_at, summary, details)``: ``summary`` holds what gates read, ``details``
the rows (test cases, transactions, people) for ``evidence show`` and comparisons.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..errors import DataError
from ..plan.base import NonNegative, _Frozen
from ..readers import parse_timestamp, read_csv, read_text

__all__ = ["KINDS", "TEST_KINDS", "parse_evidence", "Record"]

TEST_KINDS = ("regression", "integration", "smoke")
KINDS = (*TEST_KINDS, "performance", "uat", "dr_drill", "training", "pir", "probe")
MAX_XML_BYTES = 64 * 1024 * 1024

Record = tuple[dt.datetime | None, dict, dict]


def _junit(path: Path) -> Record:
    import defusedxml.ElementTree as ET
    from defusedxml import DefusedXmlException
    from junitparser import JUnitXml, TestSuite

    data = path.read_bytes()
    if len(data) > MAX_XML_BYTES:
        raise DataError(f"{path}: larger than {MAX_XML_BYTES // 2**20} MiB; not a test report")
    try:
        root = ET.fromstring(data)
    except DefusedXmlException as exc:
        raise DataError(f"{path}: refused: the XML uses {type(exc).__name__} (entities or DTDs are not allowed)") from None
    except ET.ParseError as exc:
        raise DataError(f"{path}: not well-formed XML ({exc})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise DataError(f"{path}: not a JUnit report (the root element is <{root.tag}>, not <testsuites> or <testsuite>)")
    xml = JUnitXml.fromroot(root)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    cases, stamps = [], []
    for suite in suites:
        if suite.timestamp:
            try:
                stamps.append(parse_timestamp(suite.timestamp))
            except ValueError:
                raise DataError(f"{path}: testsuite {suite.name!r}: timestamp(={suite.timestamp}) is not ISO 8601") from None
        for case in suite:
            if case.is_skipped:
                outcome = "skipped"
            elif case.is_passed:
                outcome = "passed"
            else:
                outcome = "error" if any(type(r).__name__ == "Error" for r in case.result) else "failed"
            cases.append({"id": f"{case.classname or suite.name}::{case.name}", "outcome": outcome,
                          "time_s": float(case.time or 0.0)})
    if not cases:
        raise DataError(f"{path}: the report holds no test cases (0 tests is not evidence)")
    counts = {o: sum(1 for c in cases if c["outcome"] == o) for o in ("passed", "failed", "error", "skipped")}
    ran = len(cases) - counts["skipped"]
    summary = {"tests": len(cases), **counts, "pass_rate": counts["passed"] / ran if ran else 0.0}
    return (max(stamps) if stamps else None), summary, {"cases": cases}


def _performance(path: Path) -> Record:
    frame = read_csv(path, {"transaction": "text", "p50_ms": "number", "p95_ms": "number", "p99_ms": "number",
                            "count": "count"}, required=("transaction", "p50_ms", "p95_ms"))
    if frame.empty:
        raise DataError(f"{path}: no transactions")
    if frame["transaction"].duplicated().any():
        name = frame.loc[frame["transaction"].duplicated(), "transaction"].iloc[0]
        raise DataError(f"{path}: transaction {name!r} appears twice")
    bad = frame[(frame["p50_ms"] < 0) | (frame["p95_ms"] < frame["p50_ms"])]
    if len(bad):
        row = bad.iloc[0]
        raise DataError(f"{path}: transaction {row['transaction']!r}: needs 0 <= p50_ms <= p95_ms "
                        f"(p50 {row['p50_ms']:g}, p95 {row['p95_ms']:g})")
    rows = [{k: (None if v != v else v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")]
    return None, {"transactions": len(rows), "worst_p95_ms": float(frame["p95_ms"].max())}, {"transactions": rows}


class _Uat(_Frozen):
    scope: str = Field(min_length=1)
    signer: str = Field(min_length=1)
    role: str = Field(min_length=1)
    outcome: Literal["approved", "rejected", "approved_with_conditions"]
    conditions: tuple[str, ...] = ()
    signed_at: dt.datetime


class _Drill(_Frozen):
    drill: Literal["restore", "failover"]
    performed_at: dt.datetime
    rto_target_min: NonNegative
    rto_achieved_min: NonNegative
    rpo_target_min: NonNegative | None = None
    rpo_achieved_min: NonNegative | None = None
    outcome: Literal["passed", "failed"]


class _Pir(_Frozen):
    held_at: dt.datetime
    outcome: Literal["successful", "successful_with_issues", "unsuccessful"]
    actions: tuple[str, ...] = ()


def _yaml(path: Path, model) -> _Frozen:
    from ..yamlmodel import load_model

    return load_model(path, model, error=DataError)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _uat(path: Path) -> Record:
    uat = _yaml(path, _Uat)
    summary = {"role": uat.role, "signer": uat.signer, "outcome": uat.outcome, "conditions": list(uat.conditions),
               "scope": uat.scope}
    return _utc(uat.signed_at), summary, {}


def _drill(path: Path) -> Record:
    d = _yaml(path, _Drill)
    if (d.rpo_target_min is None) != (d.rpo_achieved_min is None):
        raise DataError(f"{path}: give rpo_target_min and rpo_achieved_min together")
    summary = {"drill": d.drill, "outcome": d.outcome, "rto_target_min": d.rto_target_min,
               "rto_achieved_min": d.rto_achieved_min, "rpo_target_min": d.rpo_target_min,
               "rpo_achieved_min": d.rpo_achieved_min}
    return _utc(d.performed_at), summary, {}


def _training(path: Path) -> Record:
    frame = read_csv(path, {"person": "text", "role": "text", "course": "text", "completed_at": "timestamp"},
                     required=("person", "role", "course", "completed_at"))
    if frame.empty:
        raise DataError(f"{path}: no completions")
    rows = [{"person": r.person, "role": r.role, "course": r.course, "completed_at": r.completed_at.isoformat()}
            for r in frame.itertuples()]
    roles = sorted(set(frame["role"]))
    return frame["completed_at"].max().to_pydatetime(), {"people": int(frame["person"].nunique()), "roles": roles}, {
        "completions": rows}


def _pir(path: Path) -> Record:
    p = _yaml(path, _Pir)
    return _utc(p.held_at), {"outcome": p.outcome, "actions": list(p.actions)}, {}


READERS = {"performance": _performance, "uat": _uat, "dr_drill": _drill, "training": _training, "pir": _pir,
           **dict.fromkeys(TEST_KINDS, _junit)}


def parse_evidence(path: str | Path, kind: str) -> Record:
    """Read ``path`` as evidence of ``kind``; a DataError names the file and the rule broken."""
    path = Path(path)
    if kind not in READERS:
        raise DataError(f"--kind(={kind}): unknown; use one of {', '.join(k for k in KINDS if k != 'probe')} "
                        "(probe records come from `upgradesim probe`)")
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if kind in TEST_KINDS or kind in ("performance", "training"):
        read_text(path, what="evidence")  # size, encoding and binary checks, one message each
    return READERS[kind](path)
