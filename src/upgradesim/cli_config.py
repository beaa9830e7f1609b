"""CLI verbs of configuration control: config snapshot (store and git), restore, log, drift (against
a baseline or the declared desired state), freeze-check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import DB_OPTION, _as_of, _emit, _gate, _records, _user_errors, cli


@cli.group()
def config() -> None:
    """Configuration snapshots, drift against an approved baseline, change-freeze violations."""


@config.command("snapshot")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--env", required=True, help="Environment the folder belongs to (prod, staging, ...).")
@click.option("--tag", required=True, help="Name of this state, e.g. pre-upgrade.")
@click.option("--git", "git_repo", type=click.Path(file_okay=False, path_type=Path),
              help="Also commit the files (secrets as placeholders) to this git repository, tagged "
                   "upgradesim/ENV/TAG.")
@click.option("--change", "change_id", default="", help="Change id recorded in the git tag's message.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_snapshot(folder: Path, env: str, tag: str, git_repo: Path | None, change_id: str, db: Path,
                    as_json: bool) -> None:
    """Read FOLDER's configuration files (YAML, JSON, INI, .properties, .env, TOML) into the store."""
    from . import api

    snap = api.snapshot(folder, env=env, tag=tag, db=db, git=git_repo, change=change_id)
    lines = [f"snapshot {tag} of {env}: {snap.files} files, {snap.keys} keys ({snap.secrets} secrets kept as "
             f"fingerprints only), id {snap.snapshot_id}"]
    if snap.commit:
        lines.append(f"committed to {git_repo} as {snap.commit[:12]}, tag upgradesim/{env}/{tag}")
    lines += [f"  not kept for restore: {f} ({why})" for f, why in sorted(snap.not_kept.items())]
    _emit(as_json, snap.to_dict(), lines)


@config.command("restore")
@click.option("--env", required=True, help="Environment of the snapshot.")
@click.option("--tag", required=True, help="Tag of the snapshot.")
@click.option("--to", "to", required=True, type=click.Path(path_type=Path), help="New or empty folder to write into.")
@click.option("--git", "git_repo", type=click.Path(file_okay=False, path_type=Path),
              help="Read the files from this repository's tag instead of the store.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_restore(env: str, tag: str, to: Path, git_repo: Path | None, db: Path, as_json: bool) -> None:
    """Write a snapshot's files back, byte for byte except secret values (placeholders to fill from
    the vault). Exit 2 when a file's text was never kept."""
    from . import api

    done = api.restore(db, env=env, tag=tag, to=to, git=git_repo)
    lines = [f"restored {len(done.written)} files of {env}/{tag} from {done.source} into {to}",
             *(f"  fill {r.file}:{r.key} <- {r.placeholder}" for r in done.placeholders.itertuples()),
             *(f"  NOT RESTORED {f}: {why}" for f, why in sorted(done.not_kept.items()))]
    _gate(as_json, done.to_dict(), lines, len(done.not_kept))


@config.command("log")
@click.option("--env", help="Only this environment.")
@click.option("--git", "git_repo", type=click.Path(file_okay=False, path_type=Path), help="Also list this repository's tags.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="The store (its snapshots).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_log(env: str | None, git_repo: Path | None, db: Path | None, as_json: bool) -> None:
    """The tagged configuration states, in the store and in git."""
    from . import api

    log = api.config_log(db, env=env, git=git_repo)
    where = {(True, True): "store+git", (True, False): "store", (False, True): "git"}
    _emit(as_json, {"states": _records(log)},
          [f"{len(log)} tagged states", *(f"  {r.taken_at[:19]}  {r.env}/{r.tag}  {where[(bool(r.in_store), bool(r.in_git))]}"
                                         f"{'  change ' + r.change if r.change and r.change != '-' else ''}"
                                         f"{'  ' + r.commit if r.commit else ''}" for r in log.itertuples())])


@config.command("drift")
@click.option("--baseline", "baseline_tag", help="Tag of the approved baseline snapshot.")
@click.option("--baseline-env", help="Environment of the baseline (or, without --baseline, its newest snapshot).")
@click.option("--env", required=True, help="Environment compared (its newest snapshot).")
@click.option("--desired", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Compare with the declared state instead: Terraform JSON (terraform show -json), rendered "
                   "Kubernetes/Helm/Kustomize YAML, or an Ansible vars file (repeatable).")
@click.option("--exceptions", type=click.Path(dir_okay=False, path_type=Path), help="Exception register (YAML).")
@click.option("--as-of", "as_of", help="Date exceptions are judged on (YYYY-MM-DD); today by default.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_drift(baseline_tag: str | None, baseline_env: str | None, env: str, desired: tuple[Path, ...],
                 exceptions: Path | None, as_of: str | None, db: Path, as_json: bool) -> None:
    """Differences between ENV and a baseline or the declared desired state; exit 0 none
    unapproved, 2 unapproved drift, 3 when the desired state declares nothing to compare, 1 error."""
    from . import api

    found = api.drift(db, env=env, baseline_env=baseline_env, baseline_tag=baseline_tag, exceptions=exceptions,
                      as_of=_as_of(as_of), desired=desired)
    diff, unapproved, day = found.differences, found.unapproved, found.as_of
    (base_env, base_tag), (cur_env, cur_tag) = found.baseline, found.current

    def line(r) -> str:
        if desired:
            what = {"changed": f"declares {r.desired}, has {r.current}", "missing": f"declares {r.desired}, absent",
                    "undeclared": f"has {r.current}, not declared"}[r.change] + f" ({r.declared_by})"
        else:
            what = {"added": f"added = {r.current}", "removed": f"removed (was {r.baseline})",
                    "changed": f"{r.baseline} -> {r.current}"}[r.change]
        note = f" [{r.exception}; owner {r.owner}; expires {r.expires}]" if r.exception else ""
        return f"  {r.status.upper():10s} {r.file + ':' if r.file else ''}{r.key} {what}{note}"

    nothing = ("INCONCLUSIVE: the desired state declares no setting to compare (ConfigMap/Secret data, workload "
               "env, parameter groups, SSM parameters, local_file, Ansible vars)") if found.declared == 0 else None
    _emit(as_json, found.to_dict(),
          [f"{cur_env}/{cur_tag} against {base_env}/{base_tag}: {len(diff)} differences, "
           f"{len(unapproved)} not approved (as of {day})", *(line(r) for r in diff.itertuples()),
           *(f"  note: {f} declares no setting compared" for f in found.empty if found.declared), *([nothing] * bool(nothing))])
    sys.exit(found.exit_code)


@config.command("freeze-check")
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The plan whose calendar names the freezes.")
@click.option("--env", required=True, help="Environment whose snapshots are checked.")
@click.option("--exceptions", type=click.Path(dir_okay=False, path_type=Path), help="Exception register (YAML).")
@click.option("--as-of", "as_of", help="Date exceptions are judged on; today by default.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_freeze_check(plan_path: Path, env: str, exceptions: Path | None, as_of: str | None, db: Path,
                        as_json: bool) -> None:
    """Configuration changed inside a change freeze without an exception (exit 2 when any)."""
    from .control import freeze_violations, load_exceptions
    from .plan import load_plan
    from .store import Store

    register = load_exceptions(exceptions) if exceptions else None
    with Store(db, must_exist=True) as store:
        found = freeze_violations(load_plan(plan_path), store, env, register, _as_of(as_of))
    _gate(as_json, {"env": env, "violations": _records(found)},
          [f"{len(found)} freeze violations in {env}",
           *(f"  {r.freeze}: {r.file}:{r.key} {r.change} in snapshot {r.snapshot} ({r.status})"
             for r in found.itertuples())], len(found))
