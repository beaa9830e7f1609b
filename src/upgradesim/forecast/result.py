"""What ``forecast`` returns: the decision with its reasons and the figures behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

__all__ = ["Forecast", "EXIT"]

EXIT = {"continue": 0, "complete": 0, "pause": 2, "rollback": 3}


def _iso(value):
    return value.replace(microsecond=0).isoformat() if isinstance(value, dt.datetime) else value


def _triple(t):
    return None if t is None else {"estimate": t[0], "low": t[1], "high": t[2]}


@dataclass
class Forecast:
    """``decision``: continue, pause (at the next batch boundary), rollback (now) or complete."""

    plan: str
    change_id: str
    strategy: str
    now: dt.datetime
    log: str
    nodes: int
    upgraded: int
    in_progress: list
    posteriors: list
    decision: str
    reasons: list
    replications: int = 0
    p_window: tuple | None = None  # P(completed inside the window open now), Wilson interval
    window_end: dt.datetime | None = None
    p_deadline: tuple | None = None  # P(completed by risk.finish_by, else the horizon's end)
    deadline: dt.datetime | None = None
    finish: dict | None = None  # mean, p05, p50, p95 of the finish time of completed replications
    p_rollback: tuple | None = None
    point_of_no_return: dt.datetime | None = None  # latest start of a rollback that ends inside the window
    point_by_region: dict = field(default_factory=dict)
    bake_left_min: float = 0.0
    finished_at: dt.datetime | None = None
    planned: dict = field(default_factory=dict)  # the same figures with the plan's own parameters
    replications_frame: pd.DataFrame | None = None
    burn_down: pd.DataFrame | None = None  # minute from now -> nodes left (p10, p50, p90)
    stored_as: str | None = None  # the forecast id in a store

    @property
    def exit_code(self) -> int:
        return EXIT[self.decision]

    def to_frame(self) -> pd.DataFrame:
        """The simulated replications of the remaining work (minutes from ``now``)."""
        return self.replications_frame if self.replications_frame is not None else pd.DataFrame()

    def to_dict(self) -> dict:
        return {
            "plan": self.plan, "change_id": self.change_id, "strategy": self.strategy, "now": _iso(self.now),
            "log": self.log, "decision": self.decision, "exit_code": self.exit_code, "reasons": self.reasons,
            "nodes": self.nodes, "upgraded": self.upgraded, "in_progress": self.in_progress,
            "replications": self.replications, "p_window": _triple(self.p_window),
            "window_end": _iso(self.window_end), "p_deadline": _triple(self.p_deadline),
            "deadline": _iso(self.deadline), "finish": {k: _iso(v) for k, v in (self.finish or {}).items()} or None,
            "p_rollback": _triple(self.p_rollback), "point_of_no_return": _iso(self.point_of_no_return),
            "point_by_region": {k: _iso(v) for k, v in self.point_by_region.items()},
            "bake_left_min": self.bake_left_min, "finished_at": _iso(self.finished_at),
            "planned": {k: (_triple(v) if isinstance(v, tuple) else
                            {a: _iso(b) for a, b in v.items()} if isinstance(v, dict) else v)
                        for k, v in self.planned.items()},
            "posteriors": [{k: v for k, v in asdict(p).items() if k not in ("duration", "failure_prob")}
                           for p in self.posteriors],
        }
