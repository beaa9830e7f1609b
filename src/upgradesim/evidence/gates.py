"""Holding a stage's gates against the evidence in the store: pass, fail or missing, each with
the reasons and the records used. Missing evidence is never a pass; evidence of another change
never counts (records of any change count only for the performance baseline)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

from ..errors import PlanError, Problem
from ..plan import Plan
from ..plan.evidence import TEST_KINDS, Gate

__all__ = ["GateResult", "StageReport", "check_stage", "check_all"]


@dataclass
class GateResult:
    stage: str
    gate: str  # the gate in words
    kind: str
    env: str
    status: str  # pass, fail, missing
    reasons: list = field(default_factory=list)
    evidence: list = field(default_factory=list)  # ids of the records used
    notes: list = field(default_factory=list)  # findings that do not decide the gate

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class StageReport:
    stage: str
    as_of: dt.datetime
    results: list

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.results}
        return "fail" if "fail" in statuses else "missing" if "missing" in statuses else "pass"

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "pass" else 2

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.as_dict() for r in self.results])

    def to_dict(self) -> dict:
        return {"stage": self.stage, "as_of": self.as_of.isoformat(), "status": self.status,
                "exit_code": self.exit_code, "gates": [r.as_dict() for r in self.results]}


def describe(gate: Gate) -> str:
    parts = [gate.kind]
    if gate.min_pass_rate is not None:
        parts.append(f"pass rate >= {gate.min_pass_rate:.0%}")
    if gate.no_new_failures:
        parts.append("no new failures")
    if gate.max_p95_increase_pct is not None:
        parts.append(f"p95 within {gate.max_p95_increase_pct:g}% of {gate.baseline_env}")
    if gate.roles:
        parts.append("by " + ", ".join(gate.roles))
    if gate.kind == "dr_drill":
        parts.append("meeting " + " and ".join(x for x, on in (("RTO", gate.meet_rto), ("RPO", gate.meet_rpo)) if on))
    if gate.probe_stage:
        parts.append(f"{gate.probe_stage}-upgrade probes all passing")
    if gate.max_age is not None:
        parts.append(f"in the last {_age(gate.max_age)}")
    return ", ".join(parts)


def _age(delta: dt.timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes / 1440:g} days" if minutes >= 1440 else f"{minutes:g} min"


def check_all(plan: Plan, store, *, as_of: dt.datetime | None = None, before_go_only: bool = False) -> list[StageReport]:
    return [check_stage(plan, store, name, as_of=as_of) for name, stage in plan.evidence.items()
            if stage.before_go or not before_go_only]


def stage_of(plan: Plan, stage: str):
    """The plan's stage called ``stage``; a PlanError names the stages there are."""
    if stage not in plan.evidence:
        known = ", ".join(plan.evidence) or "none (declare evidence: in the plan)"
        raise PlanError([Problem(plan.name, None, "evidence", stage, f"no such stage; the plan's stages: {known}")])
    return plan.evidence[stage]


def check_stage(plan: Plan, store, stage: str, *, as_of: dt.datetime | None = None) -> StageReport:
    """Every gate of ``stage`` against the store's evidence of the plan's change, as of ``as_of``."""
    stage_of(plan, stage)
    as_of = (as_of or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    spec = plan.evidence[stage]
    results = []
    for gate in spec.gates:
        env = gate.env or spec.env
        result = GateResult(stage, describe(gate), gate.kind, env, "pass")
        frame = store.evidence_list(change_id=plan.change_id or None, kind=gate.kind, env=env)
        frame = frame[pd.to_datetime(frame["observed_at"], utc=True) <= pd.Timestamp(as_of)]
        fresh = frame
        if gate.max_age is not None:
            fresh = frame[pd.to_datetime(frame["observed_at"], utc=True) >= pd.Timestamp(as_of - gate.max_age)]
        if gate.kind == "probe" and gate.probe_stage:
            fresh = fresh[fresh["summary"].map(lambda s, want=gate.probe_stage: s.get("stage") == want)]
        if fresh.empty:
            within = f" in the last {_age(gate.max_age)}" if gate.max_age is not None else ""
            older = f" (the newest is from {frame['observed_at'].iloc[0]:%Y-%m-%d %H:%M})" if len(frame) else ""
            result.status = "missing"
            result.reasons.append(f"no {gate.kind} evidence for change {plan.change_id or '(any)'} in {env}{within}{older}")
            results.append(result)
            continue
        CHECKS[gate.kind](gate, fresh, frame, store, result)
        results.append(result)
    return StageReport(stage, as_of, results)


def _fail(result: GateResult, reason: str, status: str = "fail") -> None:
    if result.status != "fail":
        result.status = status
    result.reasons.append(reason)


def _tests(gate, fresh, frame, store, result):
    newest = fresh.iloc[0]
    s = newest["summary"]
    result.evidence.append(newest["evidence_id"])
    ran = s["tests"] - s["skipped"]
    result.reasons.append(f"{s['passed']} of {ran} run passed ({s['pass_rate']:.1%}), {s['skipped']} skipped")
    if s["tests"] < gate.min_tests:
        _fail(result, f"{s['tests']} tests < {gate.min_tests}")
    if gate.min_pass_rate is not None and s["pass_rate"] < gate.min_pass_rate - 1e-12:
        _fail(result, f"pass rate {s['pass_rate']:.1%} < {gate.min_pass_rate:.0%}")
    if gate.no_new_failures:
        failing = {c["id"] for c in store.evidence(newest["evidence_id"])["details"]["cases"]
                   if c["outcome"] in ("failed", "error")}
        older = frame[frame["evidence_id"] != newest["evidence_id"]]
        older = older[pd.to_datetime(older["observed_at"], utc=True) <= pd.Timestamp(newest["observed_at"])]
        if older.empty:
            new = failing
            note = "no previous run: every failure counts as new"
        else:
            prev = store.evidence(older.iloc[0]["evidence_id"])["details"]["cases"]
            before = {c["id"] for c in prev if c["outcome"] in ("failed", "error")}
            new = failing - before
            note = f"against the previous run {older.iloc[0]['evidence_id'][:8]}"
            result.evidence.append(older.iloc[0]["evidence_id"])
        if new:
            shown = ", ".join(sorted(new)[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
            _fail(result, f"{len(new)} new failure(s) ({note}): {shown}")


def _performance(gate, fresh, frame, store, result):
    newest = fresh.iloc[0]
    result.evidence.append(newest["evidence_id"])
    if gate.max_p95_increase_pct is None:
        return
    base = store.evidence_list(kind="performance", env=gate.baseline_env)
    base = base[pd.to_datetime(base["observed_at"], utc=True) <= pd.Timestamp(newest["observed_at"])]
    base = base[base["evidence_id"] != newest["evidence_id"]]
    if base.empty:
        _fail(result, f"no performance baseline in {gate.baseline_env} to compare with", "missing")
        return
    result.evidence.append(base.iloc[0]["evidence_id"])
    ref = {t["transaction"]: t for t in store.evidence(base.iloc[0]["evidence_id"])["details"]["transactions"]}
    slower, unknown = [], []
    for t in store.evidence(newest["evidence_id"])["details"]["transactions"]:
        b = ref.get(t["transaction"])
        if b is None:
            unknown.append(t["transaction"])
            continue
        increase = (t["p95_ms"] - b["p95_ms"]) / b["p95_ms"] * 100 if b["p95_ms"] > 0 else float("inf")
        if increase > gate.max_p95_increase_pct + 1e-9:
            slower.append(f"{t['transaction']} p95 {t['p95_ms']:g} ms vs {b['p95_ms']:g} ms (+{increase:.1f}%)")
    if slower:
        _fail(result, f"{len(slower)} transaction(s) over +{gate.max_p95_increase_pct:g}%: " + "; ".join(slower[:5]))
    if unknown:
        _fail(result, f"no baseline for {', '.join(sorted(unknown)[:5])}", "missing")
    if not slower and not unknown:
        result.reasons.append(f"every transaction's p95 within {gate.max_p95_increase_pct:g}% of {gate.baseline_env}")


def _uat(gate, fresh, frame, store, result):
    for role in gate.roles:
        signed = fresh[fresh["summary"].map(lambda s, role=role: s.get("role") == role)]
        if signed.empty:
            _fail(result, f"no sign-off by {role}", "missing")
            continue
        s = signed.iloc[0]["summary"]
        result.evidence.append(signed.iloc[0]["evidence_id"])
        if s["outcome"] == "rejected":
            _fail(result, f"{role} ({s['signer']}) rejected")
        else:
            extra = f"; conditions: {'; '.join(s['conditions'])}" if s["conditions"] else ""
            result.reasons.append(f"{role} ({s['signer']}) {s['outcome'].replace('_', ' ')}{extra}")
    for other in sorted({s.get("role") for s in fresh["summary"]} - set(gate.roles)):
        result.notes.append(f"a sign-off by {other}, a role this gate does not ask for (it needs "
                            f"{', '.join(gate.roles)})")


def _drill(gate, fresh, frame, store, result):
    newest = fresh.iloc[0]
    s = newest["summary"]
    result.evidence.append(newest["evidence_id"])
    result.reasons.append(f"{s['drill']} drill {s['outcome']}: RTO {s['rto_achieved_min']:g} of {s['rto_target_min']:g} min"
                          + (f", RPO {s['rpo_achieved_min']:g} of {s['rpo_target_min']:g} min"
                             if s["rpo_target_min"] is not None else ""))
    if s["outcome"] != "passed":
        _fail(result, "the drill failed")
    if gate.meet_rto and s["rto_achieved_min"] > s["rto_target_min"]:
        _fail(result, f"RTO missed by {s['rto_achieved_min'] - s['rto_target_min']:g} min")
    if gate.meet_rpo:
        if s["rpo_target_min"] is None:
            _fail(result, "the drill recorded no RPO", "missing")
        elif s["rpo_achieved_min"] > s["rpo_target_min"]:
            _fail(result, f"RPO missed by {s['rpo_achieved_min'] - s['rpo_target_min']:g} min")


def _training(gate, fresh, frame, store, result):
    done: dict[str, list[str]] = {}
    for _, row in fresh.iterrows():
        for c in store.evidence(row["evidence_id"])["details"]["completions"]:
            done.setdefault(c["role"], []).append(c["person"])
        result.evidence.append(row["evidence_id"])
    for role in gate.roles:
        if role in done:
            result.reasons.append(f"{role}: {', '.join(sorted(set(done[role])))}")
        else:
            _fail(result, f"nobody in the role {role} has completed the training", "missing")


def _pir(gate, fresh, frame, store, result):
    newest = fresh.iloc[0]
    result.evidence.append(newest["evidence_id"])
    s = newest["summary"]
    result.reasons.append(f"review held: {s['outcome'].replace('_', ' ')}, {len(s['actions'])} action(s)")


def _probe(gate, fresh, frame, store, result):
    newest = fresh.iloc[0]
    s = newest["summary"]
    result.evidence.append(newest["evidence_id"])
    if s["failed"]:
        _fail(result, f"{s['failed']} of {s['probes']} probes failed: {', '.join(s['failures'][:5])}")
    else:
        result.reasons.append(f"{s['probes']} probes passed ({s.get('stage', '')}-upgrade)")


CHECKS = {**dict.fromkeys(TEST_KINDS, _tests), "performance": _performance, "uat": _uat, "dr_drill": _drill,
          "training": _training, "pir": _pir, "probe": _probe}
