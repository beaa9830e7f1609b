"""The Python API: what a notebook calls, and what the CLI parses arguments for and renders.

Every function takes paths or already-loaded objects, opens and closes the store itself, and
returns a typed result with ``to_dict()`` (JSON-ready) and ``to_frame()`` (a pandas table).
Errors are :class:`upgradesim.errors.UpgradesimError` subclasses with one-line messages.

>>> from upgradesim import api
>>> plan = api.load("plan.yaml")                                   # doctest: +SKIP
>>> api.compare(plan, replications=200, seed=1).to_frame()         # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

    from .plan import Plan

__all__ = ["load", "validate", "Validation", "simulate", "compare", "check", "Comparison", "Check", "readiness",
           "judge", "logs_diff", "snapshot", "Snapshot", "drift", "Drift", "restore", "Restore", "config_log", "pipelines", "migration_lint", "migration_sizes", "report", "what_if", "demand_from_store",
           "sample_workspace", "SAMPLE_FOLDER", "what_if_changes", "what_if_controls", "optimize",
           "forecast", "evidence_add", "evidence_list", "evidence_show", "evidence_check", "probe", "data_compare",
           "data_pii", "parity", "schedule",
           "conflicts", "debt", "incidents"]

PathLike = str | os.PathLike

from .artefacts.pipelines import scan as pipelines  # noqa: E402
from .artefacts.service import migration_lint, migration_sizes  # noqa: E402
from .control.service import Drift, Restore, Snapshot, config_log, drift, restore, snapshot  # noqa: E402
from .evidence.service import (  # noqa: E402
    evidence_add,
    evidence_check,
    evidence_list,
    evidence_show,
    parity,
    probe,
)

# ----------------------------------------------------------------------------- plans


def load(plan: PathLike | Plan, overlays: tuple[PathLike, ...] | list[PathLike] = ()) -> Plan:
    """A validated plan from a file (with overlays merged in order), or the plan itself."""
    from .plan import Plan, load_plan

    if isinstance(plan, Plan):
        return plan
    return load_plan(Path(plan), [Path(o) for o in overlays])


@dataclass(frozen=True)
class Validation:
    """A valid plan, its summary lines and planning warnings (a rollback that fits no window...)."""

    plan: Plan
    summary: list[str]
    warnings: list[str]

    def to_dict(self) -> dict:
        return {"plan": self.plan.name, "summary": self.summary, "warnings": self.warnings}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({"kind": ["summary"] * len(self.summary) + ["warning"] * len(self.warnings),
                             "text": self.summary + self.warnings})


def validate(plan: PathLike | Plan, overlays=()) -> Validation:
    """Load and check ``plan``; raises :class:`PlanError` listing every problem."""
    from .plan import summarize_plan
    from .sim.feasibility import rollback_fit

    loaded = load(plan, overlays)
    return Validation(loaded, summarize_plan(loaded), rollback_fit(loaded))


# ----------------------------------------------------------------------------- simulation


def demand_from_store(plan: Plan, db: PathLike | None) -> dict | None:
    """Hour-of-week demand from the store for regions whose traffic names a telemetry metric."""
    wanted = [r for r in plan.regions if r.traffic.metric]
    if not wanted or db is None:
        return None
    from .store import Store

    with Store(Path(db), must_exist=True) as store:
        return {r.name: store.demand_profile(*r.traffic.metric.split("/", 1), r.name, r.tz) for r in wanted}


@dataclass(frozen=True)
class Comparison:
    """Simulated strategies with the one that best fits the plan's risk tolerance."""

    result: Any  # upgradesim.sim.SimulationResult
    recommended: str | None
    reason: str
    run_id: str | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        return self.result.summary

    def to_frame(self) -> pd.DataFrame:
        """One row per strategy, each figure as ``estimate [low, high]``."""
        from .tables import interval_table

        return interval_table(self.result.summary)

    def to_dict(self) -> dict:
        from .documents import json_records

        return {"meta": self.result.meta, "summary": json_records(self.result.summary),
                "recommendation": {"strategy": self.recommended, "reason": self.reason},
                "run_id": self.run_id, "written": [str(p) for p in self.written]}


def _store_result(result, out: PathLike | None, db: PathLike | None) -> tuple[str | None, list[Path]]:
    written = list(result.to_parquet(Path(out))) if out else []
    run_id = None
    if db:
        from .store import Store

        with Store(Path(db)) as store:
            run_id = store.write_simulation(result)
    return run_id, written


def compare(plan: PathLike | Plan, strategies: list[str] | None = None, *, replications: int = 1000, seed: int = 0,
            workers: int = 1, scheduler: str | None = None, overlays=(), db: PathLike | None = None,
            out: PathLike | None = None, progress: bool | None = None, plan_dir: PathLike | None = None
            ) -> Comparison:
    """Simulate ``strategies`` (all by default) on common random numbers; recommend one. With
    ``db`` the results are stored (and regions whose traffic names a metric take it from there,
    and a migration with SQL is timed from the table sizes there); with ``out`` they are written
    as Parquet. ``plan_dir``: where the migration's SQL files are (the plan file's folder)."""
    from .artefacts.migration import with_sql_migration
    from .sim import compare as run
    from .sim.tolerance import recommend

    loaded = load(plan, overlays)
    folder = plan_dir or (Path(plan).parent if isinstance(plan, (str, os.PathLike)) else Path("."))
    original = loaded
    loaded, migration_note = with_sql_migration(loaded, folder, db)
    result = run(loaded, strategies, replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                 demand=demand_from_store(loaded, db), progress=progress)
    if migration_note:
        result.meta["migration"] = migration_note
    if loaded is not original:  # results belong to the plan as written (reports check its hash)
        from .plan import plan_hash

        result.meta["plan_hash"] = plan_hash(original)
    run_id, written = _store_result(result, out, db)
    best, reason = recommend(result.summary, loaded.risk)
    return Comparison(result, best, reason, run_id, written)


def simulate(plan: PathLike | Plan, strategy: str, **kwargs) -> Comparison:
    """One strategy; the keyword arguments of :func:`compare`."""
    return compare(plan, [strategy], **kwargs)


@dataclass(frozen=True)
class Check:
    """The chosen strategy against the risk tolerance: within (0), breach (2) or inconclusive (3)."""

    strategy: str
    status: str
    checks: list
    comparison: Comparison

    @property
    def exit_code(self) -> int:
        return {"within": 0, "breach": 2, "inconclusive": 3}[self.status]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([c.as_dict() for c in self.checks])

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "status": self.status, "exit_code": self.exit_code,
                "meta": self.comparison.result.meta, "checks": [c.as_dict() for c in self.checks]}


def check(plan: PathLike | Plan, strategy: str | None = None, **kwargs) -> Check:
    """Simulate ``strategy`` (the plan's ``chosen_strategy`` by default) and hold it against
    ``risk``; the keyword arguments of :func:`compare`."""
    from .errors import PlanError, Problem
    from .sim.tolerance import check_tolerance

    loaded = load(plan, kwargs.pop("overlays", ()))
    name = strategy or loaded.chosen_strategy
    if not name:
        raise PlanError([Problem(str(plan) if not hasattr(plan, "name") else loaded.name, None, "chosen_strategy",
                                 None, "required by check (or pass a strategy)", has_value=False)])
    folder = Path(plan).parent if isinstance(plan, (str, os.PathLike)) else None
    comparison = compare(loaded, [name], plan_dir=folder, **kwargs)
    checks = check_tolerance(comparison.result.summary, loaded.risk, name)
    status = "breach" if any(c.status == "breach" for c in checks) else (
        "inconclusive" if any(c.status == "inconclusive" for c in checks) else "within")
    return Check(name, status, checks, comparison)


def data_compare(source: PathLike, target: PathLike, *, keys: dict[str, str] | None = None, sample: int = 10):
    """Compare two datasets table by table in DuckDB (see :mod:`upgradesim.datasets.compare`)."""
    from .datasets import compare_datasets

    return compare_datasets(source, target, keys=keys, sample=sample)


def data_pii(dataset: PathLike, *, rows: int = 100_000):
    """Scan a dataset for unmasked personal data: (findings, {table: rows scanned})."""
    from .datasets import scan_pii

    return scan_pii(dataset, rows=rows)


def what_if(plan: PathLike | Plan, strategy: str, *, changes: dict | None = None, strategy_changes: dict | None = None,
            replications: int = 200, seed: int = 0) -> Comparison:
    """Re-simulate ``strategy`` after ``changes`` (a plan overlay as a mapping, e.g.
    ``{"tiers": {"app": {"failure_prob": 0.05}}}``) and ``strategy_changes`` (fields of that
    strategy, e.g. ``{"batch_size": 6}``), validated through the plan model like a file. Results
    are cached per (changed plan, strategy, replications, seed): moving a slider back is instant."""
    from .plan import plan_hash
    from .plan.overlay import apply_overlay, strategy_overlay

    loaded = load(plan)
    changed = apply_overlay(loaded, changes or {}, source="what-if")
    if strategy_changes:
        changed = apply_overlay(changed, strategy_overlay(changed, strategy, **strategy_changes), source="what-if")
    key = (plan_hash(changed), strategy, replications, seed)
    found = _WHAT_IF.get(key)
    if found is None:
        if len(_WHAT_IF) > 64:
            _WHAT_IF.clear()
        found = _WHAT_IF[key] = compare(changed, [strategy], replications=replications, seed=seed, progress=False)
    return found


_WHAT_IF: dict = {}


# ----------------------------------------------------------------------------- readiness and telemetry


def readiness(plan: PathLike | Plan, *, as_of: dt.date | None = None, db: PathLike | None = None,
              lifecycle: PathLike | None = None, osv: PathLike | None = None, kev: PathLike | None = None,
              upgrade_paths: PathLike | None = None):
    """Readiness findings and go/no-go (:class:`upgradesim.readiness.Readiness`); with ``db`` the
    store's measured peaks feed capacity and the result is stored; ``osv`` (a folder of OSV JSON)
    and ``kev`` (the KEV catalogue) add the advisory area; ``upgrade_paths`` adds path rules."""
    from .readiness import assess
    from .readiness.advisories import load_kev, load_osv

    loaded = load(plan)
    day = as_of or dt.date.today()
    extra = {"lifecycle": lifecycle, "upgrade_paths": upgrade_paths,
             "advisories": load_osv(osv) if osv else None, "kev": load_kev(kev) if kev else None,
             "plan_dir": Path(plan).parent if isinstance(plan, (str, os.PathLike)) else Path(".")}
    if kev and not osv:
        from .errors import DataError

        raise DataError("--kev: give --osv too (the catalogue marks advisories; it names no versions)")
    if db is None:
        return assess(loaded, as_of=day, **extra)
    from .store import Store

    with Store(Path(db)) as store:
        result = assess(loaded, as_of=day, store=store, **extra)
        store.write_readiness(result)
    return result


def judge(db: PathLike, *, plan: PathLike | Plan | None = None, baseline=(None, None), candidate=(None, None),
          services: list[str] | None = None, config: PathLike | None = None, canary_hosts: str | None = None,
          control_hosts: str | None = None, workers: int = 1):
    """Judge post-upgrade (or canary) telemetry (:class:`upgradesim.judge.Verdict`). Windows are
    (start, end) pairs; without them the plan's ``cutover_at`` splits baseline and candidate."""
    from .errors import DataError
    from .judge import judge as run
    from .judge import load_judge_config
    from .store import Store

    base_w, cand_w = tuple(baseline), tuple(candidate)
    if plan is not None and (base_w == (None, None) or cand_w == (None, None)):
        cut = load(plan).cutover_at
        if cut is None:
            raise DataError(f"{plan if not hasattr(plan, 'name') else plan.name}: cutover_at is not set; give the "
                            "baseline and candidate windows")
        base_w = base_w if base_w != (None, None) else (None, cut)
        cand_w = cand_w if cand_w != (None, None) else (cut, None)
    if not canary_hosts and (base_w == (None, None) or cand_w == (None, None)):
        raise DataError("give baseline and candidate windows, or a plan with a cutover_at, or canary hosts")
    cfg = load_judge_config(Path(config)) if config else None
    with Store(Path(db), must_exist=True) as store:
        return run(store, baseline=base_w, candidate=cand_w, services=services, config=cfg,
                   canary_hosts=canary_hosts, control_hosts=control_hosts, workers=workers)


def logs_diff(before: PathLike, after: PathLike, *, alpha: float = 0.01, min_ratio: float = 2.0,
              header: str | None = None, config: PathLike | None = None):
    """Log templates new or more frequent after than before (:class:`upgradesim.judge.LogsDiff`)."""
    import re

    from .errors import DataError
    from .judge import load_judge_config
    from .judge import logs_diff as run

    if header is None and config is not None:
        header = load_judge_config(Path(config)).log_header
    if header is not None:
        try:
            re.compile(header)
        except re.error as exc:
            raise DataError(f"header: not a regular expression ({exc})") from None
    return run(Path(before), Path(after), alpha=alpha, min_ratio=min_ratio, header=header)


# ----------------------------------------------------------------------------- reports


def report(name: str, *, plan: PathLike | None = None, db: PathLike | None = None, out: PathLike = "reports",
           parameters: dict | None = None, notebooks: PathLike | None = None, replications: int = 500,
           seed: int = 0, workers: int = 1, log=None, refresh: bool = False) -> list:
    """Render report ``name`` (or ``all``) to HTML; returns the :class:`RenderResult` of each."""
    from .errors import ReportError
    from .report import render, render_all

    if name == "all":
        if plan is None or db is None:
            raise ReportError("report all needs a plan and a store")
        return render_all(str(plan), str(db), out=Path(out), replications=replications, seed=seed, workers=workers,
                          notebooks=Path(notebooks) if notebooks else None, log=log or (lambda m: None),
                          refresh=refresh)
    return [render(name, plan=str(plan) if plan else None, db=str(db) if db else None, parameters=parameters or {},
                   out=Path(out), notebooks=Path(notebooks) if notebooks else None)]


# ----------------------------------------------------------------------------- the sample

SAMPLE_FOLDER = "upgradesim-sample"


def sample_workspace(folder: PathLike = SAMPLE_FOLDER, *, replications: int = 200) -> tuple[Path, Path]:
    """The bundled sample estate in ``folder``, with a store that holds everything the reports
    read (telemetry and baselines, readiness, a strategy comparison, a verdict, a small optimize
    front and a forecast of the troubled sample night); made on first use
    and reused after. Returns (plan path, store path). A notebook run with empty paths uses it."""
    from .sample import write_sample
    from .store import Store

    folder = Path(folder)
    plan_path, db = folder / "plan.yaml", folder / "upgradesim.duckdb"
    if not plan_path.exists():
        write_sample(folder)
    if not db.exists():
        partial = folder / "upgradesim.duckdb.partial"
        for leftover in (partial, Path(f"{partial}.key")):
            leftover.unlink(missing_ok=True)
        with Store(partial) as store:
            store.ingest(sorted((folder / "telemetry").glob("*.parquet")))
            store.compute_baselines()
            store.compute_daily_peaks()
        readiness(plan_path, db=partial)
        compare(plan_path, replications=replications, seed=7, db=partial, progress=False)
        judge(partial, plan=plan_path, config=folder / "judge.yaml" if (folder / "judge.yaml").exists() else None)
        if (folder / "pipelines").is_dir():
            pipelines(plan_path, [folder / "pipelines"], db=partial)
        # a small search and the troubled night's forecast, for the rollout-strategy and forecast reports
        optimize(plan_path, budget=16, seed=7, screen=20, confirm=100, db=partial, progress=False)
        from .sample.executions import NOW

        forecast(plan_path, folder / "forecast" / "troubled.csv", now=dt.datetime.fromisoformat(NOW),
                 replications=100, db=partial)
        key = Path(f"{partial}.key")
        if key.exists():
            key.rename(f"{db}.key")
        partial.rename(db)  # complete, or not there at all
    return plan_path, db



def what_if_changes(plan: PathLike | Plan, *, tier: str = "app", failure_prob: float | None = None,
                    traffic_growth_pct: float = 0.0, window_hours: float | None = None) -> dict:
    """A plan overlay for the what-if controls: one tier's failure probability, traffic grown by a
    percentage in every region with an hourly profile, and the weekly windows cut to ``window_hours``
    from their start (the plan's own windows when None)."""
    from .errors import DataError

    loaded = load(plan)
    changes: dict = {}
    if failure_prob is not None:
        if tier not in loaded.tiers:
            raise DataError(f"tier(={tier!r}) is not a tier of the plan ({', '.join(loaded.tiers)})")
        changes["tiers"] = {tier: {"failure_prob": float(failure_prob)}}
    if traffic_growth_pct:
        regions = [r.model_dump(mode="json", exclude_none=True) for r in loaded.regions]
        for r in regions:
            if r["traffic"].get("hourly_rps"):
                r["traffic"]["hourly_rps"] = [v * (1 + traffic_growth_pct / 100) for v in r["traffic"]["hourly_rps"]]
        changes["regions"] = regions
    if window_hours is not None:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        windows = []
        for w in loaded.calendar.windows:
            end = (w.start.hour * 60 + w.start.minute + round(window_hours * 60)) % 1440
            windows.extend(f"{names[d]} {w.start:%H:%M}-{end // 60:02d}:{end % 60:02d}" for d in w.days)
        changes["calendar"] = {"windows": windows}
    return changes


def what_if_controls(plan: PathLike | Plan, strategy: str):
    """The interactive what-if controls (ipywidgets) for ``strategy`` of ``plan``; ``.show()`` them
    in a notebook, or use ``.values``, ``.result()`` and ``.write_overlay(path)`` directly."""
    from .report.whatif import WhatIfControls

    return WhatIfControls(load(plan), strategy)


from .decide import forecast, optimize  # noqa: E402 - they use load() above
from .sustain.service import conflicts, debt, incidents, schedule  # noqa: E402
