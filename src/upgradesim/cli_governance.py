"""CLI verbs of governance: audit, runbook, sod, history, kpi, calibrate, archive."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import DB_OPTION, _as_of, _emit, _gate, _key, _records, _user_errors, cli


@cli.group()
def audit() -> None:
    """The tamper-evident execution log: append, ingest, verify, show."""


@audit.command("append")
@click.option("--change", "change_id", required=True, help="Change id.")
@click.option("--step", required=True, help="Runbook step.")
@click.option("--actor", required=True, help="Who did it.")
@click.option("--role", required=True, help="executor, validator, approver, ...")
@click.option("--action", required=True, help="What was done.")
@click.option("--outcome", default="ok", show_default=True, help="ok, failed, rolled_back, ...")
@click.option("--details", default="{}", help="JSON object with anything else.")
@click.option("--ts", help="When (ISO with zone); now by default.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def audit_append(change_id, step, actor, role, action, outcome, details, ts, db, as_json: bool) -> None:
    """Append one record to the hash chain."""
    import datetime as dt

    from .control import append
    from .errors import DataError
    from .store import Store

    try:
        extra = json.loads(details)
    except json.JSONDecodeError as exc:
        raise DataError(f"--details(={details}): not JSON: {exc.msg}") from None
    record = {"ts": ts or dt.datetime.now(dt.UTC).isoformat(), "change_id": change_id, "step": step, "actor": actor,
              "role": role, "action": action, "outcome": outcome, "details": extra}
    with Store(db) as store:
        rows = append(store, _key(db), [record], source="--")
    _emit(as_json, {"seq": rows[-1]["seq"], "head": rows[-1]["hash"]},
          [f"record {rows[-1]['seq']} appended; head {rows[-1]['hash'][:16]}"])


@audit.command("ingest")
@click.argument("file", type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def audit_ingest(file: Path, db: Path, as_json: bool) -> None:
    """Append every record of a JSONL FILE (ts, change_id, step, actor, role, action, outcome, details)."""
    from .control import append, read_jsonl
    from .store import Store

    records = read_jsonl(file)
    with Store(db) as store:
        rows = append(store, _key(db), records, source=str(file))
    _emit(as_json, {"appended": len(rows), "head": rows[-1]["hash"] if rows else None},
          [f"{len(rows)} records appended from {file}; head {rows[-1]['hash'][:16] if rows else '-'}"])


@audit.command("verify")
@DB_OPTION
@click.option("--expect-head", help="The head hash recorded elsewhere (catches removal at the end).")
@click.option("--expect-count", type=click.IntRange(0), help="The number of records recorded elsewhere.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def audit_verify(db: Path, expect_head: str | None, expect_count: int | None, as_json: bool) -> None:
    """Check the chain; exit 2 naming the first edited, deleted, inserted or reordered record.

    Never creates anything: a missing store or key is an error.
    """
    import re

    from .control import store_key, verify
    from .errors import DataError
    from .store import Store

    if expect_head is not None and not re.fullmatch(r"[0-9a-f]{8,64}", expect_head):
        raise DataError(f"--expect-head(={expect_head!r}): must be 8 to 64 lowercase hex digits of a recorded head")
    with Store(db, read_only=True) as store:
        result = verify(store, store_key(db, create=False), expect_head=expect_head, expect_count=expect_count)
    _gate(as_json, {"ok": result.ok, "message": result.message(), "records": result.checked,
                    "first_broken": result.first_broken, "head": result.head}, [result.message()], not result.ok)


@audit.command("show")
@click.option("--change", "change_id", help="Only this change.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON records.")
@_user_errors
def audit_show(change_id: str | None, db: Path, as_json: bool) -> None:
    """List the execution log."""
    from .store import Store

    with Store(db, must_exist=True) as store:
        frame = store.audit_records(change_id)
    if as_json:
        click.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        return
    for r in frame.itertuples():
        click.echo(f"{r.seq:>5} {r.ts:%Y-%m-%d %H:%M} {r.change_id} {r.step} | {r.actor} ({r.role}) {r.action}: {r.outcome}")


@cli.command()
@click.argument("runbook_file", type=click.Path(path_type=Path))
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Print the service start-up sequence from its dependency graph.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Check the rules against the executed log.")
@click.option("--change", "change_id", help="Change whose executed log is checked (default: the runbook's).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def runbook(runbook_file: Path, plan_path: Path | None, db: Path | None, change_id: str | None,
            as_json: bool) -> None:
    """Validate a runbook's order and patching rules (against the executed log); exit 2 on problems."""
    from .control import check_runbook, load_runbook, startup_sequence
    from .plan import load_plan
    from .store import Store

    book = load_runbook(runbook_file)
    executed = None
    if db:
        with Store(db, must_exist=True) as store:
            executed = store.audit_records(change_id or book.change_id or None)
    problems, order = check_runbook(book, executed)
    sequence = startup_sequence(load_plan(plan_path)) if plan_path else None
    lines = ["step order: " + (" -> ".join(order) if order else "(none: the steps form a cycle)")]
    if sequence is not None:
        lines.append("start-up sequence: " + " | ".join(", ".join(g) for g in sequence))
    _gate(as_json, {"order": order, "startup_sequence": sequence, "problems": [str(p) for p in problems]},
          lines + [f"  PROBLEM {p}" for p in problems], len(problems))


@cli.command()
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False, path_type=Path), help="Check the plan's roles.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Check who did what in the execution log.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def sod(plan_path: Path | None, db: Path | None, as_json: bool) -> None:
    """Segregation of duties: executor, validator and approver differ (exit 2 on violations)."""
    from .control import sod_violations
    from .plan import load_plan
    from .store import Store

    audit_frame = None
    if db:
        with Store(db, must_exist=True) as store:
            audit_frame = store.audit_records()
    found = sod_violations(load_plan(plan_path) if plan_path else None, audit_frame)
    _gate(as_json, {"violations": _records(found)},
          [f"{len(found)} segregation-of-duties violations",
           *(f"  {r.change_id} ({r.source}): {r.message}" for r in found.itertuples())], len(found))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def history(file: Path, db: Path, as_json: bool) -> None:
    """Add past upgrades from a CSV (change_id, requested_at, started_at, finished_at, downtime_min,
    outcome, rolled_back, incidents_p1..p3) to the store, for KPIs."""
    from .control.kpi import read_history
    from .store import Store

    frame = read_history(file)
    with Store(db) as store:
        n = store.write_history(frame)
    _emit(as_json, {"stored": n}, [f"{n} past upgrades stored"])


@cli.command()
@DB_OPTION
@click.option("--by", type=click.Choice(["month", "quarter"]), default="quarter", show_default=True,
              help="Period of the trend.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def kpi(db: Path, by: str, as_json: bool) -> None:
    """KPIs over the history of upgrades: downtime, incidents, rollbacks, lead time, change-success score."""
    from .control import kpis
    from .errors import DataError
    from .store import Store

    with Store(db, must_exist=True) as store:
        hist = store.history()
        tickets = store.incidents()
    if hist.empty:
        raise DataError(f"{db}: no upgrade history (add it with: upgradesim history FILE.csv)")
    periods, overall = kpis(hist, by=by)
    triaged = {}
    if len(tickets):  # incidents triaged against changes (upgradesim incidents --db)
        hours = (tickets["closed"] - tickets["opened"]).dt.total_seconds() / 3600
        triaged = {"incidents": len(tickets), "likely_caused": int(tickets["likely_caused"].sum()),
                   "open": int(tickets["closed"].isna().sum()),
                   "mean_hours_to_resolve": float(hours.mean()) if hours.notna().any() else None}
    if as_json:
        click.echo(json.dumps({"periods": periods.to_dict(orient="records")} | overall | {"triaged": triaged},
                              indent=2, default=str))
        return
    click.echo(periods.round(2).to_string(index=False))
    o, t = overall["overall"], overall["trend_mean_score"]
    click.echo(f"overall: {int(o['changes'])} changes, score {o['success_score']:.0f} (mean {o['mean_score']:.2f}), "
               f"rollback rate {o['rollback_rate']:.0%}, {int(o['incidents'])} incidents, "
               f"mean lead time {o['mean_lead_time_days']:.1f} days; trend of the mean score {t['per_period']:+.2f} "
               f"per {by} (p={t['p_value']:.2g})")
    if triaged:
        mttr = triaged["mean_hours_to_resolve"]
        click.echo(f"triaged incidents: {triaged['incidents']}, {triaged['likely_caused']} likely caused by their change, "
                   f"{triaged['open']} open" + (f", mean time to resolve {mttr:.1f} h" if mttr is not None else ""))


@cli.command()
@DB_OPTION
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Overlay YAML to write.")
@click.option("--min-attempts", type=click.IntRange(2), default=5, show_default=True,
              help="Fewer attempts of a tier leave its plan values alone.")
@click.option("--check", "loo", is_flag=True,
              help="Leave-one-change-out: how often real durations and failures fall in the 80%/95% intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def calibrate(db: Path, out: Path | None, min_attempts: int, loo: bool, as_json: bool) -> None:
    """Fit duration and failure parameters per tier from executed logs (with their uncertainty);
    write a plan overlay (--out) and/or check the calibration's coverage (--check)."""
    from .control import fit_tiers, overlay_yaml
    from .control.calibrate import loo_check
    from .errors import DataError
    from .store import Store

    if out is None and not loo:
        raise DataError("give --out FILE (the overlay), --check (coverage), or both")
    with Store(db, must_exist=True) as store:
        audit = store.audit_records()
    fits = fit_tiers(audit, min_attempts=min_attempts)
    check = loo_check(audit, min_attempts=min_attempts) if loo else None
    if out is not None:
        out.write_text(overlay_yaml(fits, f"the execution log in {db}"))
    if as_json:
        click.echo(json.dumps({"tiers": _records(fits), "skipped": fits.attrs.get("skipped", 0), "check": check,
                               "overlay": str(out) if out else None},
                              indent=2, default=str))
        return
    for r in fits.itertuples():
        if r.usable:
            click.echo(f"{r.tier}: {r.attempts} attempts -> lognormal median {r.median_min:.1f}, p95 {r.p95_min:.1f} "
                       f"min (parameters uncertain, n={r.n_durations}); failure {r.failure_prob:.3f} "
                       f"[{r.failure_low:.3f}, {r.failure_high:.3f}] (Beta({r.failure_alpha:g}, {r.failure_beta:g}))")
        else:
            click.echo(f"{r.tier}: {r.attempts} attempts, too few; not calibrated")
    if fits.attrs.get("skipped"):
        click.echo(f"{fits.attrs['skipped']} node_upgrade records left out: details without a tier")
    if check is not None:
        cov = check["coverage"]
        click.echo(f"leave-one-change-out over {check['changes']} changes ({check['attempts']} attempts): durations "
                   f"inside the 80% interval {cov['duration 80%']:.0%}, the 95% {cov['duration 95%']:.0%}; "
                   f"failure counts inside the 80% {cov['failures 80%']:.0%}, the 95% {cov['failures 95%']:.0%}")
    if out is not None:
        click.echo(f"wrote {out} (use it with --overlay)")


@cli.group()
def archive() -> None:
    """Archives of a change: create, verify, check retention."""


@archive.command("create")
@click.option("--change", "change_id", required=True, help="The change to archive.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Archive root.")
@click.option("--reports", type=click.Path(file_okay=False, path_type=Path), help="Rendered reports to include.")
@click.option("--retention-days", type=click.IntRange(1), default=2555, show_default=True, help="Keep for this long.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def archive_create(change_id: str, out: Path, reports: Path | None, retention_days: int, db: Path,
                   as_json: bool) -> None:
    """Reports, execution log and snapshots of a change, with a sha256 manifest."""
    from .control import archive_change
    from .paths import safe_name
    from .store import Store

    safe_name(change_id, "--change")
    with Store(db, must_exist=True) as store:
        result = archive_change(change_id, out, store, reports=reports, retention_days=retention_days)
    _emit(as_json, {"change_id": change_id, "folder": str(result.folder), "files": result.files,
                    "manifest": str(result.manifest)},
          [f"archived {change_id}: {result.files} files in {result.folder}; manifest {result.manifest}"])


@archive.command("verify")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def archive_verify(folder: Path, as_json: bool) -> None:
    """Check an archive against its manifest (exit 2 on any difference); follows no links."""
    from .control import verify_archive

    problems = verify_archive(folder)
    _gate(as_json, {"folder": str(folder), "intact": not problems, "problems": problems},
          [f"{folder}: " + ("intact" if not problems else f"{len(problems)} problems"), *(f"  {p}" for p in problems)],
          len(problems))


@archive.command("retention")
@click.argument("root", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", help="Date of the check (YYYY-MM-DD); today by default.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def archive_retention(root: Path, as_of: str | None, as_json: bool) -> None:
    """List archives under ROOT, kept or due for disposal under their retention policy."""
    from .control import retention_check

    rows = retention_check(root, _as_of(as_of))
    _emit(as_json, {"archives": rows}, [f"{r['change_id']}: {r['status']} (retain until {r['retain_until']})" for r in rows])


@cli.command("runbook-diff")
@click.argument("runbook_file", type=click.Path(path_type=Path))
@click.option("--plan", "plan_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The change's plan (versions replaced, features removed, dependencies).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="Compare configuration snapshots.")
@click.option("--env", default="prod", show_default=True, help="With --db: the environment's snapshots.")
@click.option("--before", default=None, help="With --db: the snapshot tag before the change.")
@click.option("--after", default=None, help="With --db: the snapshot tag after the change.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def runbook_diff(runbook_file: Path, plan_path: Path, db, env: str, before, after, as_json: bool) -> None:
    """After a change: the runbook steps, start-up orders and configuration keys it made stale, as
    a checklist; exit 2 when anything is stale."""
    from .control.runbook import load_runbook
    from .control.runbook_diff import stale_items
    from .plan import load_plan
    from .store import Store

    book, plan = load_runbook(runbook_file), load_plan(plan_path)
    if db:
        with Store(db, must_exist=True) as store:
            items = stale_items(book, plan, store=store, env=env, before=before, after=after)
    else:
        items = stale_items(book, plan)
    lines = [f"[ ] {i.area}: {i.subject}: {i.what} -> {i.action}" for i in items] or ["nothing stale"]
    _gate(as_json, {"stale": [i.as_dict() for i in items]}, lines, len(items))
