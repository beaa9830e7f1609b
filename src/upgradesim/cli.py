"""The ``upgradesim`` command: parse, make one library call, print, exit.

One error contract for every verb: exit 0 ok; 1 an error (bad input, unreadable file, a usage
mistake, an internal failure) printed as one line per problem on stderr, never a traceback (unless
``--debug`` or ``UPGRADESIM_DEBUG=1``); 2 a gate finding; 3 inconclusive. Under ``--json`` an
error is a JSON object on stdout: ``{"error": {"type": ..., "messages": [...]}}``.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from .errors import UpgradesimError
from .version import __version__

__all__ = ["main", "cli"]


_DEBUG = {"on": False}


def _fail(kind: str, lines: list[str], as_json: bool) -> None:
    """Report an error by the contract and exit 1."""
    if as_json:
        click.echo(json.dumps({"error": {"type": kind, "messages": lines}}, indent=2))
    else:
        for line in lines:
            click.echo(line, err=True)
    sys.exit(1)


def _debug() -> bool:
    import os

    return _DEBUG["on"] or os.environ.get("UPGRADESIM_DEBUG", "") not in ("", "0")


def _user_errors(func):
    """The error contract at the CLI boundary: any exception becomes exit 1 and one line per problem."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        as_json = bool(kwargs.get("as_json"))
        try:
            return func(*args, **kwargs)
        except UpgradesimError as exc:
            _fail(type(exc).__name__, exc.lines, as_json)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except OSError as exc:  # unreadable, missing, a directory, no permission, disk full
            if _debug():
                raise
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            _fail("OSError", [f"{where}{exc.strerror or exc}"], as_json)
        except UnicodeError as exc:
            if _debug():
                raise
            _fail("DataError", [f"cannot decode the input ({exc.reason}); give UTF-8 text"], as_json)
        except Exception as exc:  # noqa: BLE001 - the contract's catch-all: never a traceback
            if _debug():
                raise
            first = (str(exc).splitlines() or [""])[0][:300]
            _fail("InternalError", [f"internal error: {type(exc).__name__}: {first} (a bug in upgradesim; "
                                    "run with --debug for the traceback)"], as_json)

    return wrapper


class _Cli(click.Group):
    """The top-level group: usage mistakes exit 1 (2 and 3 are gate findings), JSON under --json."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            if not standalone_mode:
                raise
            if "--json" in argv:
                _fail(type(exc).__name__, [exc.format_message()], True)
            exc.show()
            sys.exit(1)
        except click.exceptions.Abort:
            if not standalone_mode:
                raise
            _fail("Aborted", ["aborted"], "--json" in argv)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="upgradesim")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def cli(debug: bool) -> None:
    """Plan, simulate, judge and govern production upgrades."""
    _DEBUG["on"] = debug


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, default=20261121, show_default=True, help="Seed of the synthetic telemetry.")
@click.option("--weeks", type=click.IntRange(1, 52), default=4, show_default=True, help="Baseline weeks of telemetry.")
@click.option("--post-days", type=click.IntRange(1, 60), default=7, show_default=True, help="Days of telemetry after the cutover.")
@click.option("--step-min", type=click.IntRange(1, 1440), default=15, show_default=True, help="Telemetry resolution in minutes.")
@click.option("--force", is_flag=True, help="Overwrite an existing plan.yaml.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def init(folder: Path, seed: int, weeks: int, post_days: int, step_min: int, force: bool, as_json: bool) -> None:
    """Write the sample estate (plan.yaml, telemetry/) into FOLDER."""
    from .sample import write_sample

    files = write_sample(folder, seed=seed, baseline_weeks=weeks, post_days=post_days, step_min=step_min, force=force)
    _emit(as_json, {"plan": str(files.plan), "telemetry": [str(t) for t in files.telemetry],
                    "telemetry_rows": files.telemetry_rows, "files": [str(e) for e in files.extra]},
          [f"wrote {files.plan}",
           f"wrote {len(files.telemetry)} telemetry files ({files.telemetry_rows} rows) in {files.plan.parent / 'telemetry'}",
           *(f"wrote {path}" for path in files.extra)])


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--overlay", "overlays", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="A plan overlay merged over PLAN (from optimize or calibrate); repeatable, applied in order.")
@click.option("--json", "as_json", is_flag=True, help="Print the validated plan as JSON.")
@_user_errors
def validate(plan: Path, overlays: tuple[Path, ...], as_json: bool) -> None:
    """Check PLAN (with any overlays); print a summary, or every problem one per line (exit 1)."""
    from . import api

    checked = api.validate(plan, overlays)
    if as_json:
        click.echo(checked.plan.model_dump_json(indent=2))
        return
    click.echo(f"{plan}: valid")
    for line in checked.summary:
        click.echo(f"  {line}")
    for line in checked.warnings:
        click.echo(f"  warning: {line}")


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file instead of stdout.")
@click.option("--json", "as_json", is_flag=True, help="Accepted for the contract: the schema is JSON already.")
@_user_errors
def schema(out: Path | None, as_json: bool) -> None:
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
        click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Also store the results in this DuckDB store."),
        click.option("--overlay", "overlays", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
                     help="A plan overlay merged over PLAN (e.g. from calibrate); repeatable, applied in order."),
    ]):
        func = option(func)
    return func


def _print_comparison(comparison, as_json: bool, recommend: bool) -> None:
    """Render an :class:`upgradesim.api.Comparison`: the table (or JSON), the files and run written."""
    for path in comparison.written:
        click.echo(f"wrote {path}", err=True)
    if comparison.run_id:
        click.echo(f"stored run {comparison.run_id}", err=True)
    if comparison.result.meta.get("migration"):
        click.echo(comparison.result.meta["migration"], err=True)
    doc = comparison.to_dict()
    if not recommend:
        doc.pop("recommendation")
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
        return
    click.echo(_format_table(comparison.summary))
    if recommend:
        click.echo(f"recommended: {comparison.recommended}: {comparison.reason}")


def _format_table(summary) -> str:
    """Strategy table: each figure as estimate [low, high] (``upgradesim.tables``)."""
    from .tables import interval_table, text_table

    n = int(summary["n"].iloc[0]) if len(summary) else 0
    return text_table(interval_table(summary)) + f"\n(estimate [95% interval] over {n} replications per strategy)"


def _sim_kwargs(replications, seed, workers, scheduler, out, db, overlays, as_json=False) -> dict:
    # under --json the document is the whole output: no progress lines
    return {"replications": replications, "seed": seed, "workers": workers, "scheduler": scheduler, "out": out,
            "db": db, "overlays": overlays, "progress": False if as_json else None}


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategy", "-s", required=True, help="Name of a strategy in the plan.")
@_sim_options
@_user_errors
def simulate(plan: Path, strategy: str, replications: int, seed: int, workers: int, scheduler: str | None,
             out: Path | None, as_json: bool, db: Path | None, overlays: tuple[Path, ...] = ()) -> None:
    """Simulate one strategy of PLAN as Monte Carlo."""
    from . import api

    result = api.simulate(plan, strategy, **_sim_kwargs(replications, seed, workers, scheduler, out, db, overlays, as_json))
    _print_comparison(result, as_json, recommend=False)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategies", help="Comma-separated strategy names (default: all).")
@_sim_options
@_user_errors
def compare(plan: Path, strategies: str | None, replications: int, seed: int, workers: int, scheduler: str | None,
            out: Path | None, as_json: bool, db: Path | None, overlays: tuple[Path, ...] = ()) -> None:
    """Compare strategies of PLAN on common random numbers and name the best fit to the risk tolerance."""
    from . import api

    names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else None
    result = api.compare(plan, names, **_sim_kwargs(replications, seed, workers, scheduler, out, db, overlays, as_json))
    _print_comparison(result, as_json, recommend=True)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategy", "-s", help="Strategy to check (default: the plan's chosen_strategy).")
@_sim_options
@_user_errors
def check(plan: Path, strategy: str | None, replications: int, seed: int, workers: int, scheduler: str | None,
          out: Path | None, as_json: bool, db: Path | None, overlays: tuple[Path, ...] = ()) -> None:
    """Gate a pipeline: simulate the chosen strategy against the plan's risk tolerance.

    Exit 0 when every figure's interval lies within tolerance, 2 when an estimate breaches it,
    3 when an interval straddles a limit (more replications needed), 1 on error.
    """
    from . import api

    result = api.check(plan, strategy, **_sim_kwargs(replications, seed, workers, scheduler, out, db, overlays, as_json))
    for path in result.comparison.written:
        click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        for c in result.checks:
            click.echo(c.message)
        if not result.checks:
            click.echo("the plan's risk tolerance bounds no figure: nothing to check")
        click.echo(f"{result.strategy}: {result.status.upper()}")
    sys.exit(result.exit_code)


DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("upgradesim.duckdb"),
                         show_default=True, help="The DuckDB store.")


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", default=None, help="Date the answer is for (YYYY-MM-DD); today by default.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store: measured peaks for capacity, and where the findings are kept.")
@click.option("--lifecycle", "lifecycle_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A newer support-lifecycle CSV in the bundled snapshot's shape.")
@click.option("--osv", type=click.Path(file_okay=False, path_type=Path), help="A folder of OSV advisories (JSON).")
@click.option("--kev", type=click.Path(dir_okay=False, path_type=Path),
              help="CISA's Known Exploited Vulnerabilities catalogue (CSV or JSON).")
@click.option("--upgrade-paths", "paths_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Upgrade-path rules (YAML) merged over the bundled ones.")
@click.option("--json", "as_json", is_flag=True, help="Print a stable JSON document.")
@_user_errors
def readiness(plan: Path, as_of: str | None, db: Path | None, lifecycle_file: Path | None, osv, kev, paths_file,
              as_json: bool) -> None:
    """Assess PLAN's readiness: findings, component classes, go/no-go (exit 0 go, 2 no-go)."""
    from . import api

    day = _as_of(as_of)
    result = api.readiness(plan, as_of=day, db=db, lifecycle=lifecycle_file, osv=osv, kev=kev,
                           upgrade_paths=paths_file)
    loaded = api.load(plan)
    if as_json:
        click.echo(result.to_json())
    else:
        counts = result.counts()
        click.echo(f"readiness of {loaded.name} as of {day}: {result.decision.upper()} (score {result.score:.0f}/100; "
                   f"{counts['blocker']} blockers, {counts['warning']} warnings, {counts['info']} info)")
        for row in result.findings.itertuples():
            if row.severity != "info":
                click.echo(f"  {row.id} {row.severity:7s} {row.component}: {row.message}")
        click.echo("  upgrade order: " + " -> ".join(result.upgrade_order))
        classes = result.components["readiness"].value_counts()
        click.echo("  components: " + ", ".join(f"{n} {c}" for c, n in classes.items()))
    sys.exit(0 if result.go else 2)


@cli.command()
@click.argument("name")
@click.option("--plan", type=click.Path(dir_okay=False, path_type=Path), help="The upgrade plan.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="The store.")
@click.option("-p", "--parameter", "parameters", type=(str, str), multiple=True, metavar="KEY VALUE",
              help="A notebook parameter (overrides --plan/--db); repeatable.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="Reports go to OUT/<name>-<timestamp>/.")
@click.option("--notebooks", type=click.Path(file_okay=False, path_type=Path), help="Folder of the report notebooks.")
@click.option("--replications", "-n", type=click.IntRange(1), default=500, show_default=True,
              help="With all: replications per strategy when the store has no comparison yet.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="With all: the simulation seed.")
@click.option("--workers", "-w", type=click.IntRange(1), default=1, show_default=True, help="With all: processes.")
@click.option("--refresh", is_flag=True, help="With all: recompute readiness and the comparison even when stored.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def report(name: str, plan: Path | None, db: Path | None, parameters: tuple[tuple[str, str], ...], out: Path,
           notebooks: Path | None, replications: int, seed: int, workers: int, refresh: bool, as_json: bool) -> None:
    """Render report NAME (readiness, rollout_strategy, post_upgrade, cab_pack, or all) to HTML.

    Parameters merge in this order: the notebook's defaults, then --plan and --db, then -p KEY VALUE.
    `all` first produces what the store lacks (readiness, strategy comparison, verdict).
    """
    from . import api

    results = api.report(name, plan=plan, db=db, out=out, parameters=dict(parameters), notebooks=notebooks,
                         replications=replications, seed=seed, workers=workers, log=lambda m: click.echo(m, err=True),
                         refresh=refresh)
    _emit(as_json, {"reports": [{"name": r.name, "html": str(r.html), "folder": str(r.html.parent)} for r in results]},
          [f"{r.name}: {r.html}" for r in results])


# ----------------------------------------------------------------------------- governance

def _emit(as_json: bool, doc: dict, lines: list[str]) -> None:
    """Print ``doc`` as JSON under --json, else the lines."""
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
    else:
        for line in lines:
            click.echo(line)


def _gate(as_json: bool, doc: dict, lines: list[str], findings: int) -> None:
    """The tail of every gating verb: print the findings (JSON under --json), exit 2 when any, else 0."""
    _emit(as_json, doc, lines)
    sys.exit(2 if findings else 0)


def _records(frame) -> list[dict]:
    from .documents import json_records

    return json_records(frame)


def _key(db: Path) -> bytes:
    from .control import store_key

    return store_key(db)


def _as_of(text: str | None):
    import datetime as dt

    from .errors import DataError

    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError:
        raise DataError(f"--as-of(={text}): must be a date YYYY-MM-DD") from None


# the verb families register themselves on the group above
from . import cli_artefacts as _cli_artefacts  # noqa: E402,F401
from . import cli_config as _cli_config  # noqa: E402,F401
from . import cli_decide as _cli_decide  # noqa: E402,F401
from . import cli_evidence as _cli_evidence  # noqa: E402,F401
from . import cli_governance as _cli_governance  # noqa: E402,F401
from . import cli_telemetry as _cli_telemetry  # noqa: E402,F401


def main() -> None:
    cli(prog_name="upgradesim")
