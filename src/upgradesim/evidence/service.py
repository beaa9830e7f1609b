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


def probe(plan, *, stage: str, db=None, env: str = "prod", names: tuple[str, ...] = ()) -> dict:
    """Run the plan's probes (or those named) now; with ``db`` the results are stored as evidence
    of kind ``probe`` for the plan's change. Returns the summary with every result."""
    from ..paths import safe_name
    from ..store import Store
    from .probes import run_probes

    if stage not in ("pre", "post"):
        raise DataError(f"--stage(={stage}): must be pre or post")
    safe_name(env, "--env")
    chosen = [p for p in plan.probes if not names or p.name in names]
    unknown = sorted(set(names) - {p.name for p in plan.probes})
    if unknown:
        raise DataError(f"--probe(={unknown[0]}): not a probe of the plan (it has "
                        f"{', '.join(p.name for p in plan.probes) or 'none'})")
    if not chosen:
        raise DataError(f"{plan.name}: the plan declares no probes (add probes: with url or tcp)")
    started = dt.datetime.now(dt.UTC)
    results = run_probes(chosen)
    failures = [r.name for r in results if not r.ok]
    summary = {"stage": stage, "probes": len(results), "failed": len(failures), "failures": failures}
    details = {"results": [r.as_dict() for r in results]}
    out = {"summary": summary, **details, "evidence_id": None, "checked_at": started.isoformat()}
    if db is not None:
        import json

        with Store(db) as store:
            digest = "sha256:" + hashlib.sha256(json.dumps(details, sort_keys=True).encode()).hexdigest()
            out["evidence_id"] = store.write_evidence(
                kind="probe", change_id=plan.change_id, env=env, observed_at=started, recorded_by=_who(None),
                source=f"upgradesim probe --stage {stage}", digest=digest, summary=summary, details=details)
    return out


def parity(plan, *, env: str, against: str = "prod", db=None):
    """How much ``env`` resembles ``against``: a :class:`~.parity.ParityReport` (score, items)."""
    from ..store import Store
    from .parity import parity as run

    if db is None or not Path(db).exists():
        return run(plan, env, against=against, store=None)
    with Store(db, read_only=True) as store:
        return run(plan, env, against=against, store=store)
