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


def main() -> None:
    cli(prog_name="upgradesim")
