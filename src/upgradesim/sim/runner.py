"""Monte Carlo over replications: one SeedSequence child per replication, common random numbers
across strategies, local processes or a Dask cluster, identical results whatever the workers."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SimulationError
from ..plan import Plan, plan_hash
from .model import Rollout
from .prepared import Prepared, prepare
from .records import EVENT_FIELDS, REPLICATION_FIELDS
from .stats import mean_ci, quantile_ci, wilson
from .strategies import build_strategy

__all__ = ["SimulationResult", "simulate", "compare", "run_replication", "summarize"]

_PREPARED: dict[tuple, Prepared] = {}  # per-process cache of prepared plans (not configuration)


@dataclass(frozen=True)
class SimulationResult:
    """Replication records, a few replications' events, and the summary with 95% intervals."""

    replications: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame
    meta: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per strategy, one column per figure (estimate), for printing."""
        return self.summary.pivot(index="strategy", columns="figure", values="estimate").loc[
            list(dict.fromkeys(self.summary["strategy"]))]

    def to_parquet(self, path: str | os.PathLike) -> list[Path]:
        """Write replications to ``path`` and events and summary beside it; returns the paths."""
        path = Path(path)
        out = [path, path.with_name(path.stem + ".events.parquet"), path.with_name(path.stem + ".summary.parquet")]
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {k: str(v) for k, v in self.meta.items()}
        for frame, target in ((self.replications, out[0]), (self.events, out[1]), (self.summary, out[2])):
            frame = frame.copy()
            frame.attrs = meta
            frame.to_parquet(target, index=False)
        return out


def _prepared(plan: Plan, demand) -> Prepared:
    key = (plan_hash(plan), repr(sorted((demand or {}).items())))
    found = _PREPARED.get(key)
    if found is None:
        if len(_PREPARED) > 8:
            _PREPARED.clear()
        found = _PREPARED[key] = prepare(plan, demand)
    return found


def _root_entropy(seed) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise SimulationError(f"seed(={seed!r}) must be a non-negative int or a numpy Generator")


def run_replication(prep: Prepared, strategy: str, seed: int, replication: int, *, keep_events: bool = False):
    """One replication: (record, events). Its random inputs depend only on seed and replication."""
    child = np.random.SeedSequence(seed, spawn_key=(replication,))
    rollout = Rollout(prep, build_strategy(prep.plan, strategy), child, keep_events=keep_events)
    record = rollout.run()
    record = {"strategy": strategy, "replication": replication, "seed": seed, **record}
    return record, rollout.events or []


def _chunk(plan: Plan, demand, strategies: tuple[str, ...], seed: int, indices: range, keep_events: int):
    prep = _prepared(plan, demand)
    records, events = [], []
    for strategy in strategies:
        for i in indices:
            record, evs = run_replication(prep, strategy, seed, i, keep_events=i < keep_events)
            records.append(record)
            events.extend((strategy, i, *e) for e in evs)
    return records, events


def compare(
    plan: Plan,
    strategies: list[str] | None = None,
    *,
    replications: int = 1000,
    seed=0,
    workers: int = 1,
    scheduler: str | None = None,
    keep_events: int = 3,
    demand: dict[str, list[float]] | None = None,
    progress: bool | None = None,
) -> SimulationResult:
    """Simulate several strategies of ``plan`` on the same replication seeds.

    Parameters
    ----------
    plan : Plan
    strategies : list of str, optional
        Names of the plan's strategies; all of them when None.
    replications : int
        Replications per strategy.
    seed : int or numpy.random.Generator
        Root seed; replication ``i`` uses ``SeedSequence(seed, spawn_key=(i,))`` in every strategy.
    workers : int
        Local processes (1 runs in this process). Results do not depend on it.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``); overrides ``workers``.
    keep_events : int
        Event logs are kept for the first ``keep_events`` replications only.
    demand : dict, optional
        168 hour-of-week requests/s per region whose traffic comes from a telemetry metric.
    progress : bool, optional
        A tqdm bar; by default on a terminal outside CI.

    Examples
    --------
    >>> from upgradesim import load_plan, sample_plan_path, compare
    >>> result = compare(load_plan(sample_plan_path()), ["rolling-4", "big-bang"], replications=20, seed=1)
    >>> sorted(result.replications["strategy"].unique())
    ['big-bang', 'rolling-4']
    """
    names = tuple(strategies or [s.name for s in plan.strategies])
    for name in names:
        try:
            plan.strategy(name)
        except KeyError as exc:
            raise SimulationError(str(exc).strip("'\"")) from None
    if replications < 1:
        raise SimulationError(f"replications(={replications}) must be >= 1")
    if workers < 1:
        raise SimulationError(f"workers(={workers}) must be >= 1")
    root = _root_entropy(seed)
    _prepared(plan, demand)  # fail early, in this process, on a plan that cannot run
    chunks = _split(replications, 1 if (workers == 1 and not scheduler) else _parts(replications, workers))
    # a bar on a terminal; elsewhere (CI logs, pipes) a line every 10% unless progress=False
    show = progress_mode(progress)
    started = dt.datetime.now(dt.UTC)
    results = _execute(plan, demand, names, root, chunks, keep_events, workers, scheduler, show)
    records = [r for recs, _ in results for r in recs]
    events = [e for _, evs in results for e in evs]
    reps = pd.DataFrame.from_records(records, columns=list(REPLICATION_FIELDS))
    # (strategy, replication) pairs are unique: the order is total, in the order the strategies were asked for
    reps = reps.sort_values(["strategy", "replication"],
                            key=lambda s: s.map(names.index) if s.name == "strategy" else s).reset_index(drop=True)
    ev = pd.DataFrame.from_records(events, columns=list(EVENT_FIELDS))
    from ..version import __version__

    meta = {"plan": plan.name, "plan_hash": plan_hash(plan), "seed": root, "replications": replications,
            "strategies": ",".join(names), "package_version": __version__, "created_at": started.isoformat()}
    from .feasibility import capacity_floor_pct

    floors = {name: capacity_floor_pct(plan, name) for name in names}
    return SimulationResult(reps, ev, summarize(reps, deadline_min(plan), floors), meta)


def simulate(plan: Plan, strategy: str, replications: int = 1000, seed=0, workers: int = 1, **kwargs) -> SimulationResult:
    """Simulate one strategy of ``plan``; see :func:`compare` for the parameters."""
    return compare(plan, [strategy], replications=replications, seed=seed, workers=workers, **kwargs)


CHUNKS_PER_WORKER = 8  # tasks per worker: the last task's tail is at most 1/8 of a worker's share
MIN_CHUNK = 25  # replications per task at least, so that shipping a task costs little next to running it


def _parts(replications: int, workers: int) -> int:
    """How many tasks to cut ``replications`` into for ``workers`` workers."""
    return max(workers, min(workers * CHUNKS_PER_WORKER, replications // MIN_CHUNK))


def _split(n: int, parts: int) -> list[range]:
    parts = max(1, min(parts, n))
    bounds = np.linspace(0, n, parts + 1)  # int() below truncates, as astype(int) would
    return [range(int(a), int(b)) for a, b in itertools.pairwise(bounds) if b > a]


class _Lines:
    """A progress log for non-terminals: one line on stderr each time another 10% is done."""

    QUIET_S = 2.0  # a run shorter than this says nothing

    def __init__(self, total: int, unit: str = "replication batches"):
        import time

        self.unit = unit
        self.reset(total)
        self.started = time.monotonic()

    def reset(self, total: int) -> None:
        self.total, self.done, self.said = max(total, 1), 0, 0

    def update(self, n: int = 1) -> None:
        self.done += n
        import time

        tenth = self.done * 10 // self.total
        if tenth > self.said and time.monotonic() - self.started >= self.QUIET_S:
            self.said = tenth  # stderr is line-buffered: each line shows at once
            print(f"upgradesim: simulated {self.done}/{self.total} {self.unit} ({self.done * 100 // self.total}%)",
                  file=sys.stderr)

    def close(self) -> None:
        pass


def progress_mode(progress: bool | None) -> str:
    """``bar`` when asked (True) or, by default, on a terminal outside CI; ``lines`` by default
    elsewhere (CI logs, pipes); ``off`` when asked (False)."""
    if progress is None:
        return "bar" if sys.stderr.isatty() and not os.environ.get("CI") else "lines"
    return "bar" if progress else "off"


def _progress(total: int, mode: str, unit: str = "replication batches"):
    """One bar for the whole pool (``bar``), 10% log lines (``lines``) or nothing (``off``)."""
    if mode == "lines":
        return _Lines(total, unit)
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=unit, disable=mode != "bar", leave=False)


def _execute(plan, demand, names, root, chunks, keep_events, workers, scheduler, show):
    bar = _progress(len(chunks), show)
    try:
        if scheduler:
            from distributed import Client, as_completed

            with Client(scheduler, set_as_default=False) as client:
                # the plan is small and goes with each task (a broadcast scatter costs more than it saves)
                threads = max(sum(client.nthreads().values()), 1)
                chunks = _split(sum(len(c) for c in chunks), _parts(sum(len(c) for c in chunks), threads))
                bar.reset(total=len(chunks))
                futures = [client.submit(_chunk, plan, demand, names, root, c, keep_events, pure=False)
                           for c in chunks]
                for _ in as_completed(futures, loop=client.loop):
                    bar.update()
                return client.gather(futures)
        if workers == 1:
            out = []
            for c in chunks:
                out.append(_chunk(plan, demand, names, root, c, keep_events))
                bar.update()
            return out
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_chunk, plan, demand, names, root, c, keep_events) for c in chunks]
            out = []
            for f in futures:
                out.append(f.result())
                bar.update()
            return out
    finally:
        bar.close()


FIGURES = ("duration_min", "duration_p50_min", "duration_p95_min", "downtime_min", "sla_breach_min",
           "unserved_requests", "extra_node_hours", "cost_node_hours", "cost", "p_rollback", "p_overrun", "p_complete",
           "p_defect_shipped")


def deadline_min(plan: Plan) -> float | None:
    """The risk policy's ``finish_by`` in minutes since the calendar start (None when unset)."""
    at = plan.risk.finish_by_utc
    return None if at is None else (at - plan.calendar.start_utc).total_seconds() / 60.0


def summarize(reps: pd.DataFrame, deadline: float | None = None, floors: dict[str, float] | None = None) -> pd.DataFrame:
    """Means with t intervals, quantiles with order-statistic intervals, proportions with Wilson.

    ``deadline`` (minutes since the calendar start) adds ``p_finish_by``: completed, not rolled
    back, finished by then. ``floors`` (strategy -> percent) adds ``min_capacity_pct``, the
    structural capacity floor (an exact figure: its interval is the value itself)."""
    rows = []
    for strategy, g in reps.groupby("strategy", sort=False):
        n = len(g)

        def add(figure, triple, strategy=strategy, n=n):
            rows.append({"strategy": strategy, "figure": figure, "estimate": triple[0], "low": triple[1],
                         "high": triple[2], "n": n})

        add("duration_min", mean_ci(g["duration_min"]))
        add("duration_p50_min", quantile_ci(g["duration_min"], 0.5))
        add("duration_p95_min", quantile_ci(g["duration_min"], 0.95))
        for col in ("downtime_min", "sla_breach_min", "unserved_requests", "extra_node_hours", "cost_node_hours", "cost"):
            add(col, mean_ci(g[col]))
        add("p_rollback", wilson(int(g["rolled_back"].sum()), n))
        add("p_overrun", wilson(int((g["window_overruns"] > 0).sum()), n))
        add("p_complete", wilson(int(g["completed"].sum()), n))
        add("p_defect_shipped", wilson(int(g["defect_shipped"].sum()), n))
        if deadline is not None:
            on_time = g["completed"] & (g["finished_at_min"] <= deadline + 1e-9)
            add("p_finish_by", wilson(int(on_time.sum()), n))
        if floors is not None and strategy in floors:
            floor = floors[strategy]
            add("min_capacity_pct", (floor, floor, floor))
    return pd.DataFrame(rows, columns=["strategy", "figure", "estimate", "low", "high", "n"])
