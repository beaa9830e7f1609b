"""Writing the sample estate into a folder."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import DataError
from ..plan import load_plan
from .governance import write_governance
from .logs import write_logs
from .telemetry import synthetic_telemetry

__all__ = ["SampleFiles", "sample_plan_path", "write_sample"]


def sample_plan_path() -> Path:
    """Path of the bundled sample plan (read-only package data)."""
    return Path(str(resources.files("upgradesim") / "data" / "sample_plan.yaml"))


@dataclass(frozen=True)
class SampleFiles:
    """What :func:`write_sample` wrote."""

    plan: Path
    telemetry: tuple[Path, ...]
    telemetry_rows: int
    extra: tuple[Path, ...] = field(default=())


def write_sample(
    folder: str | Path,
    *,
    seed: int = 20261121,
    baseline_weeks: int = 4,
    post_days: int = 7,
    step_min: int = 15,
    force: bool = False,
) -> SampleFiles:
    """Write ``plan.yaml`` and ``telemetry/*.parquet`` of the sample estate into ``folder``.

    Telemetry covers ``baseline_weeks`` weeks before the plan's ``cutover_at`` and ``post_days``
    days after it, one row per ``step_min`` minutes, service, region, host and metric. After the
    cutover ``order-api`` regresses (higher latency and error rate); the other services do not.
    """
    folder = Path(folder)
    plan_file = folder / "plan.yaml"
    tele_dir = folder / "telemetry"
    if plan_file.exists() and not force:
        raise DataError(f"{plan_file}: already exists; use --force to overwrite")
    if baseline_weeks < 1 or post_days < 1 or step_min < 1:
        raise DataError("baseline_weeks, post_days and step_min must each be >= 1")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_plan_path(), plan_file)
    plan = load_plan(plan_file)
    for generated in (tele_dir, folder / "config", folder / "pipelines", folder / "iac", folder / "migrations"):
        if generated.exists():
            shutil.rmtree(generated)
    tele_dir.mkdir()
    cutover = plan.cutover_at or plan.calendar.start_utc
    frame = synthetic_telemetry(
        plan, start=cutover - dt.timedelta(weeks=baseline_weeks), end=cutover + dt.timedelta(days=post_days),
        cutover=cutover, step_min=step_min, seed=seed,
    )
    paths = []
    week = frame["ts"].dt.tz_convert("UTC").dt.strftime("%G-W%V")
    for label, part in frame.groupby(week, sort=True):
        path = tele_dir / f"metrics-{label}.parquet"
        part.reset_index(drop=True).to_parquet(path, index=False)
        paths.append(path)
    logs = write_logs(folder / "logs", cutover, seed=seed)
    judge_file = folder / "judge.yaml"
    judge_file.write_text(JUDGE_YAML)
    governance = write_governance(folder, plan, seed=seed)
    from .executions import write_executions

    executions = write_executions(folder, plan)
    from .evidence import write_evidence

    evidence = write_evidence(folder)
    from .datasets import write_datasets

    datasets = write_datasets(folder, seed=seed)
    from .advisories import write_advisories

    advisories = write_advisories(folder)
    from .changes import write_changes

    changes = write_changes(folder)
    from .debt import write_debt

    debt = write_debt(folder)
    from .artefacts import write_artefacts

    artefacts = write_artefacts(folder)
    return SampleFiles(plan_file, tuple(paths), len(frame), (*logs, judge_file, *governance, *executions, *evidence,
                                                             *datasets, *advisories, *changes, *debt, *artefacts))


JUDGE_YAML = """\
# Judge configuration for the sample estate (upgradesim judge --config judge.yaml).
alpha: 0.01              # shared by each metric's checks (level, p95, p99, excursion)
min_points: 5
critical_missing: inconclusive   # a critical metric without a judgement: the service is Inconclusive
pass_score: 75
marginal_score: 50
groups: {errors: 3, latency: 2, saturation: 1}
metrics:
  - {match: errors, kind: count, denominator: requests, direction: increase, allowed_increase: 1.2, critical: true, group: errors}
  - {match: "latency*", direction: increase, allowed_increase: 1.1, group: latency}
  - {match: "cpu*", direction: increase, allowed_increase: 1.15, group: saturation}
"""
