"""CLI verbs that read the team's real artefacts: pipelines (stale pins in CI/CD, image and build
definitions) and migration (lint of the migration's SQL; table sizes for its duration)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import _emit, _records, _user_errors, cli


@cli.command()
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Store the findings (the CAB pack lists them).")
@click.option("--all", "show_all", is_flag=True, help="Also list the references that satisfy the target.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def pipelines(plan: Path, folders: tuple[Path, ...], db: Path | None, show_all: bool, as_json: bool) -> None:
    """References in CI/CD, image and build definitions under FOLDERS to the products PLAN upgrades
    that do not admit the target version. Exit 2 when any, 3 when only unknown pins remain."""
    from . import api

    found = api.pipelines(plan, list(folders), db=db)
    refs = found.references if show_all else found.references[found.references["status"] != "ok"]
    def line(r) -> str:
        others = r.component.count(",")
        text = (f"  {r.status.upper():8s}{r.file}:{r.line} {r.component.split(', ')[0]}{f' (+{others})' if others else ''}"
                f" {r.kind} {r.found} -> {r.required}")
        return text + (f"\n            suggest: {r.suggestion}" if r.suggestion else "")

    ok = int((found.references["status"] == "ok").sum())
    lines = [f"{len(found.stale)} stale, {len(found.unknown)} unknown, {ok} up to date references in "
             f"{', '.join(found.scanned)}", *(line(r) for r in refs.itertuples()),
             *(f"  skipped {f}: {why}" for f, why in sorted(found.skipped.items()))]
    _emit(as_json, found.to_dict() if not show_all else found.to_dict() | {"references": _records(refs)}, lines)
    sys.exit(found.exit_code)


@cli.group()
def migration() -> None:
    """The plan's migration SQL: locks, rewrites and safer alternatives; table sizes for its timing."""


@migration.command("lint")
@click.argument("plan", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Time each statement from its table's size.")
@click.option("--all", "show_all", is_flag=True, help="Also list the statements that are safe.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def migration_lint(plan: Path, db: Path | None, show_all: bool, as_json: bool) -> None:
    """Each statement of the migration's SQL with the lock it takes, whether it blocks or rewrites,
    and the safer way to write it. Exit 2 on a blocking statement or unparseable SQL."""
    from . import api

    lint = api.migration_lint(plan, db=db)
    rows = lint.statements if show_all else lint.findings
    counts = lint.to_dict()["counts"]

    def minutes(v) -> str:  # timed only from a store's table sizes
        return "" if db is None or v is None or v != v else f" ~{v:.1f} min"

    def what(r) -> str:
        if r.operation == "unparseable":
            return f"unparseable: {r.statement}"
        table = f" on {r.table}" if isinstance(r.table, str) and r.table else ""
        return f"{r.operation}{table}{' [' + r.lock + ', blocks ' + r.blocks + ']' if r.lock else ''}"

    timing = ("" if lint.total_min is None or db is None else f"; {lint.total_min:.1f} min per region, {lint.blocking_min:.1f} "
              "blocking")
    lines = [f"{lint.engine} {lint.version or ''}: {counts['error']} unparseable, {counts['blocker']} blocking, "
             f"{counts['warning']} warnings, {counts['ok']} safe{timing}",
             *(f"  {r.severity.upper():8s}{r.file}:{r.line} {what(r)}{minutes(r.minutes)}"
               + (f"\n            {r.advice}" if r.advice else "") for r in rows.itertuples()),
             *([f"  no size for: {', '.join(t for t in lint.unsized if t)} (upgradesim migration sizes FILE)"]
               if lint.unsized and db else []),
             *(["INCONCLUSIVE: the migration's SQL files hold no statement to judge"] if not lint.judged else [])]
    _emit(as_json, lint.to_dict(), lines)
    sys.exit(lint.exit_code)


@migration.command("sizes")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("upgradesim.duckdb"),
              show_default=True, help="The DuckDB store.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def migration_sizes(file: Path, db: Path, as_json: bool) -> None:
    """Store table sizes (CSV: table,rows,bytes[,index_bytes]) for timing the migration."""
    from . import api

    n = api.migration_sizes(file, db=db)
    _emit(as_json, {"tables": n, "db": str(db)}, [f"{n} table sizes stored in {db}"])
