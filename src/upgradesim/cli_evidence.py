"""CLI verbs of evidence: evidence add/list/show/check, probe, parity, data compare/pii."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import DB_OPTION, _emit, _user_errors, cli


def _moment(text: str | None, what: str):
    import datetime as dt

    from .errors import DataError
    from .readers import parse_timestamp

    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        return parse_timestamp(text)
    except ValueError:
        raise DataError(f"{what}(={text}): must be an ISO 8601 date or date-time (2027-03-13T02:30:00Z)") from None


@cli.group()
def evidence() -> None:
    """Evidence records (test runs, sign-offs, drills, probes) and the plan's gates."""


@evidence.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", "-k", required=True, help="regression, integration, smoke, performance, uat, dr_drill, "
              "training or pir.")
@click.option("--change", "change_id", required=True, help="The change id the evidence belongs to.")
@click.option("--env", "-e", required=True, help="The environment it was taken in (staging, prod, ...).")
@click.option("--by", default=None, help="Who records it (default: the login name).")
@click.option("--at", "at", default=None, help="When it happened (ISO 8601; default: the file's own time, else now).")
@click.option("--plan", "plan", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Refuse evidence for a change other than this plan's.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def evidence_add(file: Path, kind: str, change_id: str, env: str, by, at, plan, db: Path, as_json: bool) -> None:
    """Read FILE as evidence of a kind and store it, with its keyed digest."""
    from . import api

    loaded = api.load(plan) if plan is not None else None
    rec = api.evidence_add(db, file, kind=kind, change_id=change_id, env=env, by=by, plan=loaded,
                           at=_moment(at, "--at") if at else None)
    brief = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in rec["summary"].items()
                      if not isinstance(v, (list, dict)))
    _emit(as_json, rec, [f"stored {kind} evidence {rec['evidence_id']} for {change_id} in {env}: {brief}"])


@evidence.command("list")
@click.option("--change", "change_id", default=None, help="Only this change.")
@click.option("--kind", "-k", default=None, help="Only this kind.")
@click.option("--env", "-e", default=None, help="Only this environment.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def evidence_list(change_id, kind, env, db: Path, as_json: bool) -> None:
    """The stored evidence, newest first."""
    from . import api
    from .tables import text_table

    frame = api.evidence_list(db, change_id=change_id, kind=kind, env=env)
    rows = frame.assign(id=frame["evidence_id"].str[:8], observed=frame["observed_at"].astype(str).str[:16],
                        summary=frame["summary"].map(lambda s: ", ".join(
                            f"{k} {v}" for k, v in s.items() if not isinstance(v, (list, dict)))[:70]))
    table = text_table(rows[["id", "kind", "change_id", "env", "observed", "recorded_by", "summary"]])
    _emit(as_json, {"evidence": frame.astype(str).to_dict("records") if len(frame) else []},
          [table if len(frame) else "no evidence stored"])


@evidence.command("show")
@click.argument("evidence_id")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def evidence_show(evidence_id: str, db: Path, as_json: bool) -> None:
    """One record with its details (an id prefix of 8 characters is enough)."""
    import json

    from . import api

    rec = api.evidence_show(db, evidence_id)
    lines = [f"{k}: {v}" for k, v in rec.items() if k not in ("summary", "details")]
    lines.append("summary: " + json.dumps(rec["summary"], default=str))
    for name, rows in rec["details"].items():
        lines.append(f"{name}: {len(rows)}")
        lines += [f"  {json.dumps(r, default=str)}" for r in rows[:50]]
    _emit(as_json, rec, lines)


@evidence.command("check")
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--stage", "-s", required=True, help="A stage of the plan's evidence: section.")
@click.option("--as-of", "as_of", default=None, help="The moment judged (ISO 8601; default now).")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def evidence_check(plan: Path, stage: str, as_of, db: Path, as_json: bool) -> None:
    """Hold a stage's gates against the stored evidence: exit 0 when all pass, 2 when any fails or
    is missing (each named)."""
    from . import api

    report = api.evidence_check(api.load(plan), db, stage=stage, as_of=_moment(as_of, "--as-of"))
    lines = [f"stage {stage}: {report.status.upper()} (as of {report.as_of:%Y-%m-%d %H:%M} UTC)"]
    for r in report.results:
        lines.append(f"  {r.status.upper():8} {r.gate} [{r.env}]")
        lines += [f"           {reason}" for reason in r.reasons]
        lines += [f"           note: {n}" for n in r.notes]
    _emit(as_json, report.to_dict(), lines)
    sys.exit(report.exit_code)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--stage", "-s", required=True, type=click.Choice(["pre", "post"]), help="Before or after the upgrade.")
@click.option("--probe", "names", multiple=True, help="Only this probe (repeatable; default: all of the plan's).")
@click.option("--env", "-e", default="prod", show_default=True, help="The environment probed.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store the results as evidence (kind probe) for the plan's change.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def probe(plan: Path, stage: str, names, env: str, db, as_json: bool) -> None:
    """Run the plan's health probes concurrently (HTTP status, body and latency; TCP connect), with
    timeouts and retries; exit 2 when any fails."""
    from . import api

    out = api.probe(api.load(plan), stage=stage, db=db, env=env, names=tuple(names))
    lines = [f"{'OK  ' if r['ok'] else 'FAIL'} {r['name']} ({r['component']}, {r['target']}): {r['reason']}"
             + (f" after {r['attempts']} attempts" if r["attempts"] > 1 else "") for r in out["results"]]
    s = out["summary"]
    lines.append(f"{s['probes'] - s['failed']} of {s['probes']} probes passed ({stage}-upgrade, {env})"
                 + (f"; stored evidence {out['evidence_id']}" if out["evidence_id"] else ""))
    _emit(as_json, out, lines)
    sys.exit(2 if s["failed"] else 0)


@cli.group()
def data() -> None:
    """Data checks: compare two datasets after a migration, scan one for unmasked personal data."""


@data.command("compare")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--key", "keys", multiple=True, metavar="TABLE=COLUMN",
              help="A table's key column (default: a column named id); repeatable.")
@click.option("--sample", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Differing keys shown per table.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def data_compare(source: Path, target: Path, keys, sample: int, as_json: bool) -> None:
    """Compare SOURCE and TARGET (Parquet, CSV, DuckDB or SQLite files, or folders of Parquet/CSV)
    table by table in DuckDB: rows, key uniqueness, nulls, aggregates, a content hash. Exit 2 on
    any difference."""
    from . import api
    from .errors import DataError

    parsed = {}
    for item in keys:
        table, sep, column = item.partition("=")
        if not sep or not table or not column:
            raise DataError(f"--key(={item}): must look like TABLE=COLUMN")
        parsed[table] = column
    result = api.data_compare(source, target, keys=parsed, sample=sample)
    lines = []
    for t in result.tables:
        rows = f" ({t.rows[0]} vs {t.rows[1]} rows)" if t.rows[0] is not None else ""
        lines.append(f"{t.status.upper():12} {t.table}{rows}")
        lines += [f"    {d}" for d in t.differences]
        lines += [f"    key {k}: {what}" for k, what in t.keys]
    lines.append("same data" if result.same else "the datasets differ")
    _emit(as_json, result.to_dict(), lines)
    sys.exit(result.exit_code)


@data.command("pii")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--rows", type=click.IntRange(1), default=100_000, show_default=True, help="Rows scanned per table.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def data_pii(dataset: Path, rows: int, as_json: bool) -> None:
    """Scan DATASET for unmasked personal data (e-mail, phone, payment card, IBAN, national id, IP,
    person names by column name): counts per column with examples as shapes only. Exit 2 when any
    is found."""
    from . import api

    findings, scanned = api.data_pii(dataset, rows=rows)
    lines = [f"{f.table}.{f.column}: {f.count} of {f.scanned} look like {f.pii_class.replace('_', ' ')} "
             f"(e.g. {', '.join(f.examples)})" for f in findings]
    lines.append(f"scanned {sum(scanned.values())} rows in {len(scanned)} tables: "
                 + ("no unmasked personal data found" if not findings else f"{len(findings)} finding(s)"))
    _emit(as_json, {"findings": [f.as_dict() for f in findings], "scanned": scanned}, lines)
    sys.exit(2 if findings else 0)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--env", "-e", required=True, help="The environment compared (one of the plan's environments:).")
@click.option("--against", default="prod", show_default=True, help="The environment it should resemble.")
@click.option("--min-score", type=click.FloatRange(0, 100), default=80.0, show_default=True,
              help="Exit 2 below this parity score (or on any high-risk difference).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The store: configuration snapshots and staging test runs.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def parity(plan: Path, env: str, against: str, min_score: float, db, as_json: bool) -> None:
    """Staging parity: topology, versions, configuration, data volume and exercised workflows of
    ENV against production, each difference with its risk, and a parity score."""
    from . import api

    report = api.parity(api.load(plan), env=env, against=against, db=db)
    lines = [f"{'ok  ' if i.ok else i.risk.upper():6} {i.area}: {i.check}" + (f" ({i.detail})" if i.detail else "")
             for i in report.items]
    high = [i for i in report.differences() if i.risk == "high"]
    lines.append(f"parity score {report.score:g} of 100 ({len(report.differences())} difference(s), {len(high)} high)")
    _emit(as_json, report.to_dict(), lines)
    sys.exit(2 if high or report.score < min_score else 0)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--osv", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A folder of OSV advisories (JSON files, one advisory or a list each).")
@click.option("--kev", type=click.Path(dir_okay=False, path_type=Path),
              help="CISA's Known Exploited Vulnerabilities catalogue (its CSV or JSON).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def advisories(plan: Path, osv: Path, kev, as_json: bool) -> None:
    """Security advisories of the plan's components, offline: per component the advisory, its
    severity (CVSS), whether it is known exploited, the first fixed version and whether the target
    fixes it. Exit 2 when a component stays affected after the plan."""
    from . import api
    from .readiness.advisories import load_kev, load_osv, match_advisories

    loaded = api.load(plan)
    feed = load_osv(osv)
    catalogue = load_kev(kev) if kev else {}
    found = match_advisories(loaded, feed, catalogue)
    lines = []
    for f in found:
        fate = ("the target fixes it" if f.target_fixes else "still affected after the plan" if f.target_fixes is False
                else "not upgraded: still affected" if f.affected and not f.target_version else "cannot be judged")
        lines.append(f"{f.component} {f.version}: {f.advisory} {f.severity}"
                     + (f" {f.score:g}" if f.score is not None else "") + (" KEV" if f.known_exploited else "")
                     + (f", fixed in {f.fixed_in}" if f.fixed_in else ", no fix") + f"; {fate}"
                     + (f" ({f.note})" if f.note else ""))
    open_ = [f for f in found if f.affected and not f.target_fixes]
    lines.append(f"{len(feed)} advisories read, {len(catalogue)} known exploited; {len(found)} affect the plan's "
                 f"components, {len(open_)} stay open after it")
    _emit(as_json, {"advisories": len(feed), "findings": [f.as_dict() for f in found], "open": len(open_)}, lines)
    sys.exit(2 if open_ else 0)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--months", type=click.IntRange(1, 60), default=6, show_default=True, help="How far ahead.")
@click.option("--from", "start", default=None, help="The first day (ISO 8601; default now).")
@click.option("--region", default=None, help="Whose windows (default: the plan's first region).")
@click.option("--ics", "ics", type=click.Path(dir_okay=False, path_type=Path), help="Write an iCalendar file.")
@click.option("--lifecycle", "lifecycle_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A newer support-lifecycle CSV.")
@click.option("--osv", type=click.Path(file_okay=False, path_type=Path), help="OSV advisories (urgency).")
@click.option("--kev", type=click.Path(dir_okay=False, path_type=Path), help="The KEV catalogue (urgency).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def schedule(plan: Path, months: int, start, region, ics, lifecycle_file, osv, kev, as_json: bool) -> None:
    """The coming patch windows per component (cadence, urgency, the maintenance calendar with its
    blackouts and freezes) as a table and an iCalendar file; exit 2 when a component's next window
    falls after its end of support or a cadence finds no window."""
    from . import api
    from .tables import text_table

    result = api.schedule(plan, months=months, start=_moment(start, "--from"), region=region,
                          lifecycle=lifecycle_file, osv=osv, kev=kev)
    if ics is not None:
        ics.parent.mkdir(parents=True, exist_ok=True)
        ics.write_bytes(result.to_ics())
    frame = result.to_frame()
    lines = [text_table(frame.assign(start=frame["start"].str[:16], end=frame["end"].str[11:16])[
        ["start", "end", "component", "product", "version", "reason"]]) if len(frame) else "no patch windows"]
    lines += [f"FINDING {f['component']}: {f['finding']}" for f in result.findings]
    lines.append(f"{len(result.events)} patch windows over {months} months in {result.region}"
                 + (f"; wrote {ics}" if ics else ""))
    _emit(as_json, result.to_dict() | {"ics": str(ics) if ics else None}, lines)
    sys.exit(2 if result.findings else 0)


@cli.command()
@click.argument("plans", nargs=-1, type=click.Path(path_type=Path))
@click.option("--calendar", type=click.Path(dir_okay=False, path_type=Path),
              help="A change calendar CSV (change_id, start, end, components) from a change-management tool.")
@click.option("--judge-days", type=click.FloatRange(0), default=7.0, show_default=True,
              help="Days after a change during which its verdict is judged.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed of the span simulation.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def conflicts(plans, calendar, judge_days: float, seed: int, as_json: bool) -> None:
    """Conflicts between changes (PLANS and a --calendar): overlapping work on shared components or
    their dependencies, capacity taken down together, work inside another's freeze or judge window,
    ordering. Exit 2 on a conflict."""
    from . import api

    found = api.conflicts(list(plans), calendar=calendar, judge_days=judge_days, seed=seed)
    lines = [f"{c.kind.upper():13} {' / '.join(c.changes)}: {c.detail}" for c in found]
    lines.append(f"{len(found)} conflict(s)" if found else "no conflicts")
    _emit(as_json, {"conflicts": [c.as_dict() for c in found]}, lines)
    sys.exit(2 if found else 0)


@cli.command()
@click.option("--add", "add", type=click.Path(dir_okay=False, path_type=Path),
              help="Add items from a YAML list or CSV (component, kind, title, owner, created, ...).")
@click.option("--propose", "propose_from", type=click.Path(dir_okay=False, path_type=Path),
              help="Add the items readiness proposes for this plan.")
@click.option("--owner", default="unassigned", show_default=True, help="Owner of proposed items.")
@click.option("--close", default=None, help="Close an open item (8 or more characters of its id).")
@click.option("--all", "show_all", is_flag=True, help="List closed items too.")
@click.option("--as-of", "as_of", default=None, help="Aging as of this date (YYYY-MM-DD; default today).")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def debt(add, propose_from, owner, close, show_all, as_of, db: Path, as_json: bool) -> None:
    """The technical-debt register: deferred upgrades, customisations, workarounds and unsupported
    versions with owner, due date, effort, interest and age; exit 2 when an item is overdue."""
    from . import api
    from .cli import _as_of
    from .tables import text_table

    frame = api.debt(db, add=add, propose_from=propose_from, as_of=_as_of(as_of), owner=owner, close=close,
                     status=None if show_all else "open")
    overdue = int((frame["overdue_days"] > 0).sum()) if len(frame) else 0
    if len(frame):
        shown = frame.assign(id=frame["item_id"].str[:8], title=frame["title"].str[:60])[
            ["id", "component", "kind", "owner", "age_days", "overdue_days", "status", "title"]]
        lines = [text_table(shown)]
    else:
        lines = ["the register is empty"]
    lines.append(f"{len(frame)} item(s), {overdue} overdue")
    _emit(as_json, {"items": frame.astype(str).to_dict("records") if len(frame) else [], "overdue": overdue}, lines)
    sys.exit(2 if overdue else 0)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--add", "file", type=click.Path(dir_okay=False, path_type=Path),
              help="A ticket export (CSV or JSON: id, opened, closed, priority, service or ci, summary).")
@click.option("--judge-days", type=click.FloatRange(0), default=7.0, show_default=True,
              help="Days after the cutover in which an incident may be the change's.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store the triage; a failed verdict stored there adds to the reasons.")
@click.option("--logs-before", type=click.Path(dir_okay=False, path_type=Path), help="Logs before the change.")
@click.option("--logs-after", type=click.Path(dir_okay=False, path_type=Path),
              help="Logs after it: new or more frequent patterns naming an incident's component are linked.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def incidents(plan: Path, file, judge_days: float, db, logs_before, logs_after, as_json: bool) -> None:
    """Post-upgrade incidents: each linked to a component, judged likely caused by the change or
    not (with reasons), routed to its team's on-call; per component the open ones and the time to
    resolve. Exit 2 when an open incident is likely the change's."""
    from . import api
    from .tables import text_table

    found, summary = api.incidents(plan, file, db=db, judge_days=judge_days, logs_before=logs_before,
                                   logs_after=logs_after)
    lines = [f"{i.id} {i.priority} {i.service} -> {i.component or '?'}"
             + (f" (team {i.team}, on call {i.on_call})" if i.team else "")
             + (": LIKELY THE CHANGE'S" if i.likely_caused else "") + (f" - {'; '.join(i.reasons)}" if i.reasons else "")
             for i in found]
    if len(summary):
        lines.append(text_table(summary.round(1)))
    open_caused = [i for i in found if i.likely_caused and i.closed is None]
    lines.append(f"{len(found)} incident(s), {sum(i.likely_caused for i in found)} likely caused by the change, "
                 f"{len(open_caused)} of those open")
    _emit(as_json, {"incidents": [i.as_dict() for i in found], "by_component": summary.to_dict("records")}, lines)
    sys.exit(2 if open_caused else 0)
