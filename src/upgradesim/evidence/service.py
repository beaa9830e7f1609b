"""The evidence verbs behind ``upgradesim.api``: add a record, list and show them, check a stage."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import hmac
import os
from pathlib import Path

from ..errors import DataError

__all__ = ["evidence_add", "evidence_list", "evidence_show", "evidence_check"]


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user database (containers)
        return os.environ.get("USER", "unknown")


def evidence_add(db, path, *, kind: str, change_id: str, env: str, by: str | None = None, plan=None,
                 at: dt.datetime | None = None) -> dict:
    """Read ``path`` as evidence of ``kind`` and store it for ``change_id`` in ``env``, with the
    file's digest keyed with the store key. With ``plan``, the change id must be the plan's.
    ``at``: when it happened, for files that do not say (default: the file's own time, else now)."""
    from ..control.keys import store_key
    from ..paths import safe_name
    from ..store import Store
    from .records import parse_evidence

    if not change_id.strip():
        raise DataError("--change: required, empty (the change the evidence belongs to)")
    safe_name(env, "--env")
    if plan is not None and plan.change_id and change_id != plan.change_id:
        raise DataError(f"--change(={change_id}): evidence for another change; the plan's is {plan.change_id}")
    observed, summary, details = parse_evidence(path, kind)
    observed = at or observed
    data = Path(path).read_bytes()
    key = store_key(db)
    digest = "hmac:" + hmac.new(key, data, hashlib.sha256).hexdigest()
    with Store(db) as store:
        evidence_id = store.write_evidence(kind=kind, change_id=change_id, env=env, observed_at=observed,
                                           recorded_by=_who(by), source=Path(path).name, digest=digest,
                                           summary=summary, details=details)
    return {"evidence_id": evidence_id, "kind": kind, "change_id": change_id, "env": env,
            "observed_at": observed.isoformat() if observed else None, "summary": summary}


def evidence_list(db, *, change_id: str | None = None, kind: str | None = None, env: str | None = None):
    from ..store import Store

    with Store(db, read_only=True) as store:
        return store.evidence_list(change_id=change_id, kind=kind, env=env)


def evidence_show(db, evidence_id: str) -> dict:
    from ..store import Store

    with Store(db, read_only=True) as store:
        return store.evidence(evidence_id)


def evidence_check(plan, db, *, stage: str, as_of: dt.datetime | None = None):
    """Hold the plan's ``stage`` gates against the store; a :class:`~.gates.StageReport`."""
    from ..store import Store
    from .gates import GateResult, StageReport, check_stage, describe, stage_of

    spec = stage_of(plan, stage)
    if not Path(db).exists():  # no store: every gate is missing, never a pass
        results = [GateResult(stage, describe(g), g.kind, g.env or spec.env, "missing",
                              [f"no store at {db}: no evidence recorded"]) for g in spec.gates]
        return StageReport(stage, (as_of or dt.datetime.now(dt.UTC)), results)
    with Store(db, read_only=True) as store:
        return check_stage(plan, store, stage, as_of=as_of)
