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
