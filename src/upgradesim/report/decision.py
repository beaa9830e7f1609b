"""The CAB's decision: GO, GO WITH CONDITIONS or NO-GO, with its reasons in plain words,
reconciling readiness, the chosen strategy's simulated risk against the appetite, the
recommendation, planning warnings and whether the stored results belong to this plan."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .words import label, minutes, odds

__all__ = ["Decision", "decide", "say_figure", "plain_checks"]

GO, CONDITIONS, NO_GO = "GO", "GO WITH CONDITIONS", "NO-GO"


@dataclass(frozen=True)
class Decision:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)

    def headline(self) -> str:
        return f"Decision: {self.verdict}"


def say_figure(figure: str, value: float) -> str:
    """A figure's value in words: probabilities as odds, minutes as durations."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if figure.startswith("p_"):
        return odds(value)
    if figure.endswith("_min"):
        return minutes(value)
    return f"{value:,.0f}"


def decide(ctx, cab, warnings: list[str] = ()) -> Decision:
    """The decision for the board from a :class:`~.context.ReportContext` and :class:`~.data.CabData`."""
    from .context import stale_note

    blocking, reasons, conditions = [], [], []
    ready = cab.readiness
    if ready is None:
        blocking.append("No readiness assessment is stored, so nobody has checked dependencies, support dates and "
                        "capacity for this change.")
    else:
        note = stale_note(ctx, str(ready.run.get("plan_hash", "") or ""), "readiness assessment")
        if note:
            blocking.append("The readiness assessment was made for another version of the plan.")
        blockers = ready.findings[ready.findings["severity"] == "blocker"]
        if len(blockers):
            first = blockers.iloc[0]
            blocking.append(f"Readiness finds {len(blockers)} blocker{'s' if len(blockers) > 1 else ''} to fix first, "
                            f"for example {first['component']}: {first['message']}")
        else:
            warn = int((ready.findings["severity"] == "warning").sum())
            reasons.append(f"Readiness finds no blocker ({warn} warning{'s' if warn != 1 else ''} to note).")
    roll = cab.rollout
    if roll is None or not len(cab.checks):
        blocking.append(f"No simulation of the chosen strategy ({cab.strategy or 'none chosen'}) is stored, so its "
                        "risk is unknown.")
    else:
        if stale_note(ctx, str(roll.meta.get("plan_hash", "") or ""), "simulation"):
            blocking.append("The simulated risk was computed for another version of the plan.")
        for c in cab.checks.itertuples():
            said = f"{label(c.figure)} {say_figure(c.figure, c.estimate)} (limit {say_figure(c.figure, c.limit)})"
            if c.status == "breach":
                blocking.append(f"{cab.strategy} is outside the risk appetite: {said}.")
            elif c.status == "inconclusive":
                conditions.append(f"Too close to call: {said}; run more replications before the window.")
        if not any(c.status != "within" for c in cab.checks.itertuples()):
            reasons.append(f"{cab.strategy} is within the risk appetite on every bounded figure.")
        if roll.recommended and roll.recommended != cab.strategy:
            conditions.append(_choice_cost(roll, cab.strategy))
    pins = getattr(cab, "pipelines", None)
    if pins is not None and len(pins):
        stale = pins[pins["status"] == "stale"]
        first = (stale if len(stale) else pins).iloc[0]
        n, other = len(stale), len(pins) - len(stale)

        def defs(k: int) -> str:
            return f"{k} pipeline or build definition{'s' if k != 1 else ''}"

        if n:
            head = f"{defs(n)} still pin{'s' if n == 1 else ''} an old version" + (
                f" and {other} more pin{'s' if other == 1 else ''} no version that can be checked" if other else "")
        else:
            head = f"{defs(other)} pin{'s' if other == 1 else ''} no version that can be checked against the target"
        conditions.append(f"{head} (for example {first['file']} line {first['line']}: {first['found']}, needs "
                          f"{first['required']}); update them before the window, or staging and production will not "
                          "build what was tested.")
    conditions.extend(f"Planning warning: {w}" for w in warnings)
    verdict = NO_GO if blocking else CONDITIONS if conditions else GO
    return Decision(verdict, blocking + reasons, conditions)


def _choice_cost(roll, chosen: str) -> str:
    """Why the recommendation differs, and what the chosen strategy costs against it."""
    est = roll.summary.pivot(index="strategy", columns="figure", values="estimate")
    best = roll.recommended
    parts = []
    for figure in ("downtime_min", "p_rollback", "duration_p50_min", "extra_node_hours", "cost"):
        if chosen in est.index and best in est.index and figure in est.columns:
            a, b = est.loc[chosen, figure], est.loc[best, figure]
            if a != b:
                parts.append(f"{label(figure)} {say_figure(figure, a)} instead of {say_figure(figure, b)}")
    cost = "; ".join(parts) if parts else "no figure differs"
    return (f"The recommended strategy is {best}, not the chosen {chosen} ({roll.reason}). Choosing {chosen} means: "
            f"{cost}. The board should confirm the choice.")


def plain_checks(checks):
    """The tolerance checks for people: the figure's name, its value and limit in words."""
    import pandas as pd

    if not len(checks):
        return pd.DataFrame(columns=["figure", "estimate", "limit", "status"])
    return pd.DataFrame({"figure": [label(f) for f in checks["figure"]],
                         "estimate": [say_figure(f, v) for f, v in zip(checks["figure"], checks["estimate"], strict=True)],
                         "limit": [say_figure(f, v) for f, v in zip(checks["figure"], checks["limit"], strict=True)],
                         "status": list(checks["status"])})
