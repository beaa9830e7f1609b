"""The ``upgradesim`` command: parse, make one library call, print, exit.

Exit codes: 0 success; 1 a user error (printed one problem per line, no traceback); commands that
gate a pipeline document their own codes (``check``: 2 breach, 3 inconclusive).
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import UpgradesimError

__all__ = ["main", "cli"]


def _user_errors(func):
    """Print an UpgradesimError one problem per line on stderr and exit 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UpgradesimError as exc:
            for line in exc.lines:
                click.echo(line, err=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="upgradesim")
def cli() -> None:
    """Plan, simulate, judge and govern production upgrades."""


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=20261121, show_default=True, help="Seed of the synthetic telemetry.")
@click.option("--weeks", type=click.IntRange(1, 52), default=4, show_default=True, help="Baseline weeks of telemetry.")
@click.option("--post-days", type=click.IntRange(1, 60), default=7, show_default=True, help="Days of telemetry after the cutover.")
@click.option("--step-min", type=click.IntRange(1, 1440), default=15, show_default=True, help="Telemetry resolution in minutes.")
@click.option("--force", is_flag=True, help="Overwrite an existing plan.yaml.")
@_user_errors
def init(folder: Path, seed: int, weeks: int, post_days: int, step_min: int, force: bool) -> None:
    """Write the sample estate (plan.yaml, telemetry/) into FOLDER."""
    from .sample import write_sample

    files = write_sample(folder, seed=seed, baseline_weeks=weeks, post_days=post_days, step_min=step_min, force=force)
    click.echo(f"wrote {files.plan}")
    click.echo(f"wrote {len(files.telemetry)} telemetry files ({files.telemetry_rows} rows) in {files.plan.parent / 'telemetry'}")
    for path in files.extra:
        click.echo(f"wrote {path}")


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the validated plan as JSON.")
@_user_errors
def validate(plan: Path, as_json: bool) -> None:
    """Check PLAN; print a summary, or every problem one per line (exit 1)."""
    from .plan import load_plan, summarize_plan

    loaded = load_plan(plan)
    if as_json:
        click.echo(loaded.model_dump_json(indent=2))
        return
    click.echo(f"{plan}: valid")
    for line in summarize_plan(loaded):
        click.echo(f"  {line}")


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
def schema(out: Path | None) -> None:
    """Print the JSON Schema of the plan file (for editors)."""
    from .plan import plan_schema

    text = json.dumps(plan_schema(), indent=2)
    if out:
        out.write_text(text + "\n")
    else:
        click.echo(text)


def _sim_options(func):
    for option in reversed([
        click.option("--replications", "-n", type=click.IntRange(1), default=1000, show_default=True,
                     help="Monte Carlo replications per strategy."),
        click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Root seed."),
        click.option("--workers", "-w", type=click.IntRange(1), default=1, show_default=True,
                     help="Local processes; results do not depend on it."),
        click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786)."),
        click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write replications (and .events/.summary) as Parquet."),
        click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table."),
    ]):
        func = option(func)
    return func


def _print_summary(result, as_json: bool, extra: dict | None = None) -> None:
    if as_json:
        doc = {"meta": result.meta, "summary": result.summary.to_dict(orient="records")} | (extra or {})
        click.echo(json.dumps(doc, indent=2, default=str))
        return
    click.echo(_format_table(result.summary))
    for line in (extra or {}).get("lines", []):
        click.echo(line)


def _format_table(summary) -> str:
    """Strategy table: each figure as estimate [low, high]."""
    columns = [("duration_p50_min", "duration p50 h", 1 / 60), ("duration_p95_min", "duration p95 h", 1 / 60),
               ("downtime_min", "downtime min", 1), ("sla_breach_min", "SLA breach min", 1),
               ("p_rollback", "P(rollback)", 1), ("p_overrun", "P(overrun)", 1), ("p_complete", "P(complete)", 1)]
    rows = []
    for strategy in dict.fromkeys(summary["strategy"]):
        part = summary[summary.strategy == strategy].set_index("figure")
        cells = [strategy]
        for figure, _, scale in columns:
            r = part.loc[figure]
            cells.append(f"{r.estimate * scale:.3g} [{r.low * scale:.3g}, {r.high * scale:.3g}]")
        rows.append(cells)
    header = ["strategy"] + [c[1] for c in columns]
    widths = [max(len(str(x[i])) for x in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(header, widths, strict=True))]
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    n = int(summary["n"].iloc[0]) if len(summary) else 0
    lines.append(f"(estimate [95% interval] over {n} replications per strategy)")
    return "\n".join(lines)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategy", "-s", required=True, help="Name of a strategy in the plan.")
@_sim_options
@_user_errors
def simulate(plan: Path, strategy: str, replications: int, seed: int, workers: int, scheduler: str | None,
             out: Path | None, as_json: bool) -> None:
    """Simulate one strategy of PLAN as Monte Carlo."""
    from .plan import load_plan
    from .sim import simulate as run

    result = run(load_plan(plan), strategy, replications=replications, seed=seed, workers=workers, scheduler=scheduler)
    if out:
        for path in result.to_parquet(out):
            click.echo(f"wrote {path}", err=True)
    _print_summary(result, as_json)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategies", help="Comma-separated strategy names (default: all).")
@_sim_options
@_user_errors
def compare(plan: Path, strategies: str | None, replications: int, seed: int, workers: int, scheduler: str | None,
            out: Path | None, as_json: bool) -> None:
    """Compare strategies of PLAN on common random numbers and name the best fit to the risk tolerance."""
    from .plan import load_plan
    from .sim import compare as run
    from .sim.tolerance import recommend

    loaded = load_plan(plan)
    names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else None
    result = run(loaded, names, replications=replications, seed=seed, workers=workers, scheduler=scheduler)
    if out:
        for path in result.to_parquet(out):
            click.echo(f"wrote {path}", err=True)
    best, reason = recommend(result.summary, loaded.risk)
    _print_summary(result, as_json, {"recommendation": {"strategy": best, "reason": reason},
                                      "lines": [f"recommended: {best}: {reason}"]})


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategy", "-s", help="Strategy to check (default: the plan's chosen_strategy).")
@_sim_options
@_user_errors
def check(plan: Path, strategy: str | None, replications: int, seed: int, workers: int, scheduler: str | None,
          out: Path | None, as_json: bool) -> None:
    """Gate a pipeline: simulate the chosen strategy against the plan's risk tolerance.

    Exit 0 when every figure's interval lies within tolerance, 2 when an estimate breaches it,
    3 when an interval straddles a limit (more replications needed), 1 on error.
    """
    from .errors import PlanError, Problem
    from .plan import load_plan
    from .sim import simulate as run
    from .sim.tolerance import check_tolerance

    loaded = load_plan(plan)
    name = strategy or loaded.chosen_strategy
    if not name:
        raise PlanError([Problem(str(plan), None, "chosen_strategy", None,
                                 "required by check (or pass --strategy)", has_value=False)])
    result = run(loaded, name, replications=replications, seed=seed, workers=workers, scheduler=scheduler)
    if out:
        result.to_parquet(out)
    checks = check_tolerance(result.summary, loaded.risk, name)
    status = "breach" if any(c.status == "breach" for c in checks) else (
        "inconclusive" if any(c.status == "inconclusive" for c in checks) else "within")
    code = {"within": 0, "breach": 2, "inconclusive": 3}[status]
    if as_json:
        click.echo(json.dumps({"strategy": name, "status": status, "exit_code": code, "meta": result.meta,
                               "checks": [c.as_dict() for c in checks]}, indent=2, default=str))
    else:
        for c in checks:
            click.echo(c.message)
        if not checks:
            click.echo("the plan's risk tolerance bounds no figure: nothing to check")
        click.echo(f"{name}: {status.upper()}")
    sys.exit(code)


def main() -> None:
    cli(prog_name="upgradesim")
