"""The deciding verbs of :mod:`upgradesim.api`: ``optimize`` (which plan to run) and ``forecast``
(on the night, whether to go on). Re-exported by ``upgradesim.api``."""

from __future__ import annotations

import datetime as dt
import os

from .plan import Plan

__all__ = ["optimize", "forecast"]

PathLike = str | os.PathLike


def optimize(plan: PathLike | Plan, *, budget: int | None = None, seed: int = 0, workers: int = 1,
             scheduler: str | None = None, overlays=(), db: PathLike | None = None, progress: bool | None = None,
             screen: int | None = None, confirm: int | None = None):
    """Search the plan's ``optimize:`` design space for the Pareto front of P(on time), duration,
    customer impact, P(rollback) and cost, within the risk policy; returns an
    :class:`upgradesim.optimize.OptimizeResult` (``to_frame()``, ``to_dict()``, ``overlay(point)``).
    Raises :class:`upgradesim.optimize.Infeasible` when no design meets the policy."""
    from .api import demand_from_store, load
    from .optimize import optimize as search
    from .plan import plan_hash

    loaded = load(plan, overlays)
    result = search(loaded, budget=budget, seed=seed, workers=workers, scheduler=scheduler,
                    demand=demand_from_store(loaded, db), progress=progress, screen=screen, confirm=confirm)
    if db is not None:
        from .store import Store

        with Store(db) as store:
            result.meta["run_id"] = store.write_optimize(result.to_dict(), plan_hash(loaded))
    return result


def forecast(plan: PathLike | Plan, log: PathLike, *, now: dt.datetime | None = None, strategy: str | None = None,
             replications: int = 400, seed: int = 0, overlays=(), min_p_window: float | None = None,
             db: PathLike | None = None):
    """Forecast a rollout under way from its execution log (see :mod:`upgradesim.forecast`): the
    decision (continue, pause, rollback, complete) with reasons, P(inside the open window), P(by
    the deadline), the finish time's spread and the point of no return; a
    :class:`upgradesim.forecast.Forecast` (``exit_code``, ``to_dict()``, ``to_frame()``). With
    ``db`` the forecast and its burn-down are stored for the forecast report."""
    from .api import load
    from .forecast import forecast as run
    from .forecast.forecast import MIN_P_WINDOW
    from .plan import plan_hash

    loaded = load(plan, overlays)
    result = run(loaded, log, now=now, strategy=strategy, replications=replications, seed=seed,
                 min_p_window=MIN_P_WINDOW if min_p_window is None else min_p_window)
    if db is not None:
        from .store import Store

        burn = result.burn_down.to_dict("records") if result.burn_down is not None else []
        with Store(db) as store:
            result.stored_as = store.write_forecast(result.to_dict(), plan_hash(loaded), burn)
    return result
