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

from . import __version__
from .errors import UpgradesimError

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
             out: Path | None, as_json: bool, db: Path | None, overlays: tuple[Path, ...] = ()) -> None:
    """Simulate one strategy of PLAN as Monte Carlo."""
    from .plan import load_plan
    from .sim import simulate as run

    loaded = load_plan(plan, overlays)
    result = run(loaded, strategy, replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                 demand=_demand(loaded, db))
    _save(result, out, db)
    _print_summary(result, as_json)


def _demand(plan, db: Path | None) -> dict | None:
    """Hour-of-week demand from the store for regions whose traffic names a telemetry metric."""
    wanted = [r for r in plan.regions if r.traffic.metric]
    if not wanted or db is None:
        return None
    from .store import Store

    with Store(db, must_exist=True) as store:
        return {r.name: store.demand_profile(*r.traffic.metric.split("/", 1), r.name, r.tz) for r in wanted}


def _save(result, out: Path | None, db: Path | None) -> None:
    if out:
        for path in result.to_parquet(out):
            click.echo(f"wrote {path}", err=True)
    if db:
        from .store import Store

        with Store(db) as store:
            run_id = store.write_simulation(result)
        click.echo(f"stored run {run_id} in {db}", err=True)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--strategies", help="Comma-separated strategy names (default: all).")
@_sim_options
@_user_errors
def compare(plan: Path, strategies: str | None, replications: int, seed: int, workers: int, scheduler: str | None,
            out: Path | None, as_json: bool, db: Path | None, overlays: tuple[Path, ...] = ()) -> None:
    """Compare strategies of PLAN on common random numbers and name the best fit to the risk tolerance."""
    from .plan import load_plan
    from .sim import compare as run
    from .sim.tolerance import recommend

    loaded = load_plan(plan, overlays)
    names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else None
    result = run(loaded, names, replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                 demand=_demand(loaded, db))
    _save(result, out, db)
    best, reason = recommend(result.summary, loaded.risk)
    _print_summary(result, as_json, {"recommendation": {"strategy": best, "reason": reason},
                                      "lines": [f"recommended: {best}: {reason}"]})


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
    from .errors import PlanError, Problem
    from .plan import load_plan
    from .sim import simulate as run
    from .sim.tolerance import check_tolerance

    loaded = load_plan(plan, overlays)
    name = strategy or loaded.chosen_strategy
    if not name:
        raise PlanError([Problem(str(plan), None, "chosen_strategy", None,
                                 "required by check (or pass --strategy)", has_value=False)])
    result = run(loaded, name, replications=replications, seed=seed, workers=workers, scheduler=scheduler,
                 demand=_demand(loaded, db))
    _save(result, out, db)
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


DB_OPTION = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("upgradesim.duckdb"),
                         show_default=True, help="The DuckDB store.")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--tz", help="IANA zone of timestamps written without one (they are refused otherwise).")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML mapping of a wide file: ts, service, labels, metrics.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def ingest(files: tuple[Path, ...], db: Path, tz: str | None, mapping: Path | None, as_json: bool) -> None:
    """Ingest telemetry FILES (CSV or Parquet) into the store, in one transaction.

    Long form has columns ts, service, metric, value and optional region, host, env, phase.
    Bad rows go to quarantine with the reason; a file already ingested is skipped.
    """
    from .errors import DataError
    from .plan.loader import safe_yaml
    from .readers import read_text
    from .store import Store

    wide = None
    if mapping:
        wide = safe_yaml(read_text(mapping, max_bytes=1_000_000, what="mapping"), str(mapping))
        if not isinstance(wide, dict):
            raise DataError(f"{mapping}: the mapping must be a YAML mapping (ts:, service:, metrics:)")
    with Store(db) as store:
        report = store.ingest(files, tz=tz, mapping=wide)
    _emit(as_json, {"rows": report.rows, "quarantined": report.quarantined,
                    "files": [{"path": f.path, "status": f.status, "rows": f.rows, "quarantined": f.quarantined,
                               "reasons": dict(f.reasons)} for f in report.files]}, report.lines())


@cli.command()
@DB_OPTION
@click.option("--window", help="START..END (ISO dates or times); the whole store by default.")
@click.option("--json", "as_json", is_flag=True, help="Print the baselines as JSON records.")
@_user_errors
def baseline(db: Path, window: str | None, as_json: bool) -> None:
    """Compute baselines per service, metric and hour of week (and daily peaks) and store them."""
    from .store import Store, parse_window

    with Store(db, must_exist=True) as store:
        frame = store.compute_baselines(parse_window(window))
        peaks = store.compute_daily_peaks(parse_window(window))
    if as_json:
        click.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        return
    click.echo(f"{len(frame)} baselines for {frame.service.nunique()} services and {frame.metric.nunique()} "
               f"metrics over {frame.window_start.iloc[0]} .. {frame.window_end.iloc[0]}; {len(peaks)} daily peaks")
    summary = frame.groupby(["service", "metric"]).agg(n=("n", "sum"), mean=("mean", "mean"), p95=("p95", "max"))
    click.echo(summary.round(3).to_string())


@cli.group(invoke_without_command=True)
@DB_OPTION
@click.option("--baseline", "baseline_window", help="START..END of the baseline (default: before the plan's cutover).")
@click.option("--candidate", "candidate_window", help="START..END of the candidate (default: after the cutover).")
@click.option("--plan", type=click.Path(dir_okay=False, path_type=Path), help="Take the cutover time from this plan.")
@click.option("--services", help="Comma-separated services (default: all).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Judge YAML (directions, thresholds).")
@click.option("--canary-hosts", help="Glob of canary hosts: judge them against control hosts in the candidate window.")
@click.option("--control-hosts", help="Glob of control hosts (default: every host that is not a canary).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes judging services in parallel (same verdict whatever the number).")
@click.option("--json", "as_json", is_flag=True, help="Print a stable JSON document.")
@click.pass_context
@_user_errors
def judge(ctx: click.Context, db: Path, baseline_window: str | None, candidate_window: str | None, plan: Path | None,
          services: str | None, config: Path | None, canary_hosts: str | None, control_hosts: str | None,
          workers: int, as_json: bool) -> None:
    """Judge post-upgrade (or canary) telemetry against the baseline.

    Exit 0 Pass; 2 Fail; 3 Marginal, Inconclusive or NoData; 1 Error (a metric could not be computed).
    """
    if ctx.invoked_subcommand is not None:
        return
    from .errors import DataError
    from .judge import judge as run
    from .judge import load_judge_config
    from .plan import load_plan
    from .store import Store, parse_window

    base_w = parse_window(baseline_window, "--baseline")
    cand_w = parse_window(candidate_window, "--candidate")
    if plan is not None and (base_w == (None, None) or cand_w == (None, None)):
        cut = load_plan(plan).cutover_at
        if cut is None:
            raise DataError(f"{plan}: cutover_at is not set; give --baseline and --candidate")
        base_w = base_w if base_w != (None, None) else (None, cut)
        cand_w = cand_w if cand_w != (None, None) else (cut, None)
    if not canary_hosts and (base_w == (None, None) or cand_w == (None, None)):
        raise DataError("give --baseline and --candidate windows, or --plan with a cutover_at, or --canary-hosts")
    cfg = load_judge_config(config) if config else None
    names = [x.strip() for x in services.split(",")] if services else None
    with Store(db, must_exist=True) as store:
        verdict = run(store, baseline=base_w, candidate=cand_w, services=names, config=cfg,
                      canary_hosts=canary_hosts, control_hosts=control_hosts, workers=workers)
    if as_json:
        click.echo(verdict.to_json())
    else:
        click.echo(f"verdict: {verdict.verdict} ({verdict.comparison})")
        for row in verdict.services.itertuples():
            click.echo(f"  {row.service}: {row.verdict}, {row.reason}")
        for row in verdict.metrics[verdict.metrics["class"] != "Pass"].itertuples():
            rate = f" [backtested false alarms {row.false_alarm_rate:.0%}]" if row.false_alarm_rate == row.false_alarm_rate else ""
            click.echo(f"    {row.service} {row.explanation}{rate}")
    if verdict.verdict == "Error":
        click.echo("error: " + "; ".join(verdict.metrics.loc[verdict.metrics["class"] == "Error", "explanation"]), err=True)
    sys.exit(verdict.exit_code)


@judge.command("backtest")
@DB_OPTION
@click.option("--window", help="START..END of quiet history to replay (default: before --plan's cutover, else all).")
@click.option("--plan", type=click.Path(dir_okay=False, path_type=Path), help="Replay only history before its cutover.")
@click.option("--baseline-days", type=click.FloatRange(1, 90), default=7, show_default=True)
@click.option("--candidate-hours", type=click.FloatRange(1, 24 * 14), default=24, show_default=True)
@click.option("--step-hours", type=click.FloatRange(1), default=None, help="Between replays (default: the candidate).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Judge YAML to replay.")
@click.option("--target", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True,
              help="False-alarm rate the overlay calibrates to.")
@click.option("--overlay", "overlay_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a judge-config overlay with thresholds calibrated to --target.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def judge_backtest(db: Path, window: str | None, plan: Path | None, baseline_days: float, candidate_hours: float,
                   step_hours: float | None, config: Path | None, target: float, overlay_out: Path | None,
                   as_json: bool) -> None:
    """Replay the judge over quiet history: how often it would have raised a (false) alarm.

    The result is stored; later verdicts show each metric's backtested rate. Exit 0, or 2 when the
    overall rate exceeds --target.
    """
    import yaml

    from .judge import load_judge_config
    from .judge.backtest import backtest
    from .plan import load_plan
    from .store import Store, parse_window

    win = parse_window(window, "--window")
    if plan is not None and win == (None, None):
        cut = load_plan(plan).cutover_at
        win = (None, cut) if cut is not None else win
    cfg = load_judge_config(config) if config else None
    with Store(db, must_exist=True) as store:
        result = backtest(store, window=win, baseline_days=baseline_days, candidate_hours=candidate_hours,
                          step_hours=step_hours, config=cfg)
        store.write_backtest(result)
    if overlay_out is not None:
        overlay_out.write_text("# judge overlay calibrated by `upgradesim judge backtest` to a false-alarm rate of "
                               f"{target:g}\n" + yaml.safe_dump(result.overlay(target), sort_keys=False))
    if as_json:
        click.echo(result.to_json())
    else:
        click.echo(f"{result.pairs} replays of a {candidate_hours:g}-hour candidate against {baseline_days:g} days: "
                   f"false-alarm rate {result.alarm_rate:.1%} over all metrics (target {target:.0%})")
        for row in result.metrics.itertuples():
            click.echo(f"  {row.service} {row.metric}: {row.alarms}/{row.pairs} = {row.false_alarm_rate:.0%}"
                       + (f" ({row.inconclusive} inconclusive)" if row.inconclusive else ""))
        if overlay_out is not None:
            click.echo(f"wrote {overlay_out}")
    sys.exit(2 if result.alarm_rate == result.alarm_rate and result.alarm_rate > target else 0)


@cli.command("logs-diff")
@click.argument("before", type=click.Path(path_type=Path))
@click.argument("after", type=click.Path(path_type=Path))
@click.option("--alpha", type=click.FloatRange(0, 0.5, min_open=True), default=0.01, show_default=True,
              help="Significance of a rate increase.")
@click.option("--min-ratio", type=click.FloatRange(1), default=2.0, show_default=True, help="Rate ratio that counts.")
@click.option("--header", help="Regex of a line's header (named groups ts, level, component); default: detected.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Judge YAML whose log_header is used.")
@click.option("--all", "show_all", is_flag=True, help="Also list stable, decreased and gone templates.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def logs_diff(before: Path, after: Path, alpha: float, min_ratio: float, header: str | None, config: Path | None,
              show_all: bool, as_json: bool) -> None:
    """Log templates new or significantly more frequent AFTER than BEFORE.

    Exit 0 none, 2 some, 3 inconclusive (an empty side), 1 an unreadable file or a bad --header.
    """
    import re

    from .errors import DataError
    from .judge import load_judge_config
    from .judge import logs_diff as run

    if header is None and config is not None:
        header = load_judge_config(config).log_header
    if header is not None:
        try:
            re.compile(header)
        except re.error as exc:
            raise DataError(f"--header: not a regular expression ({exc})") from None
    diff = run(before, after, alpha=alpha, min_ratio=min_ratio, header=header)
    if as_json:
        click.echo(diff.to_json())
    else:
        formats = ", ".join(sorted(set(diff.formats.values())))
        click.echo(f"{diff.lines_before} lines before, {diff.lines_after} after, {len(diff.patterns)} templates "
                   f"(headers: {formats})")
        if diff.inconclusive:
            click.echo(f"inconclusive: {diff.inconclusive}")
        shown = diff.patterns if show_all else diff.changed()
        for row in shown.itertuples():
            rate = f"{row.before_per_10k:.1f} -> {row.after_per_10k:.1f} per 10k lines"
            level = f" {row.level}" if row.level else ""
            click.echo(f"{row.status.upper():9s}{level} {row.before:>6} -> {row.after:<6} ({rate}) {row.template}")
            if row.status in ("new", "increased"):
                if row.first_seen:
                    click.echo(f"          first seen {row.first_seen}")
                for example in row.examples:
                    click.echo(f"          e.g. {example}")
    sys.exit(3 if diff.inconclusive else 2 if len(diff.changed()) else 0)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", default=None, help="Date the answer is for (YYYY-MM-DD); today by default.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store: measured peaks for capacity, and where the findings are kept.")
@click.option("--lifecycle", "lifecycle_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A newer support-lifecycle CSV in the bundled snapshot's shape.")
@click.option("--json", "as_json", is_flag=True, help="Print a stable JSON document.")
@_user_errors
def readiness(plan: Path, as_of: str | None, db: Path | None, lifecycle_file: Path | None, as_json: bool) -> None:
    """Assess PLAN's readiness: findings, component classes, go/no-go (exit 0 go, 2 no-go)."""
    from .plan import load_plan
    from .readiness import assess

    day = _as_of(as_of)
    loaded = load_plan(plan)
    if db:
        from .store import Store

        with Store(db) as store:
            result = assess(loaded, as_of=day, store=store, lifecycle=lifecycle_file)
            store.write_readiness(result)
    else:
        result = assess(loaded, as_of=day, lifecycle=lifecycle_file)
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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def report(name: str, plan: Path | None, db: Path | None, parameters: tuple[tuple[str, str], ...], out: Path,
           notebooks: Path | None, replications: int, seed: int, workers: int, as_json: bool) -> None:
    """Render report NAME (readiness, rollout_strategy, post_upgrade, cab_pack, or all) to HTML.

    Parameters merge in this order: the notebook's defaults, then --plan and --db, then -p KEY VALUE.
    `all` first produces what the store lacks (readiness, strategy comparison, verdict).
    """
    from .errors import ReportError
    from .report import render, render_all

    if name == "all":
        if plan is None or db is None:
            raise ReportError("report all needs --plan and --db")
        results = render_all(str(plan), str(db), out=out, replications=replications, seed=seed, workers=workers,
                             notebooks=notebooks, log=lambda m: click.echo(m, err=True))
    else:
        results = [render(name, plan=str(plan) if plan else None, db=str(db) if db else None,
                          parameters=dict(parameters), out=out, notebooks=notebooks)]
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


@cli.group()
def config() -> None:
    """Configuration snapshots, drift against an approved baseline, change-freeze violations."""


@config.command("snapshot")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--env", required=True, help="Environment the folder belongs to (prod, staging, ...).")
@click.option("--tag", required=True, help="Name of this state, e.g. pre-upgrade.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_snapshot(folder: Path, env: str, tag: str, db: Path, as_json: bool) -> None:
    """Read FOLDER's configuration files (YAML, JSON, INI, .properties, .env, TOML) into the store."""
    from .control import read_config_dir
    from .paths import safe_name
    from .store import Store

    safe_name(env, "--env")
    safe_name(tag, "--tag")
    entries, hashes = read_config_dir(folder, _key(db))
    with Store(db) as store:
        snapshot_id = store.write_snapshot(env, tag, str(folder), entries, hashes)
    secrets = sum(e.secret for e in entries)
    _emit(as_json, {"snapshot_id": snapshot_id, "env": env, "tag": tag, "files": len(hashes), "keys": len(entries),
                    "secrets": secrets},
          [f"snapshot {tag} of {env}: {len(hashes)} files, {len(entries)} keys ({secrets} secrets kept as "
           f"fingerprints only), id {snapshot_id}"])


@config.command("drift")
@click.option("--baseline", "baseline_tag", help="Tag of the approved baseline snapshot.")
@click.option("--baseline-env", help="Environment of the baseline (or, without --baseline, its newest snapshot).")
@click.option("--env", required=True, help="Environment compared (its newest snapshot).")
@click.option("--exceptions", type=click.Path(dir_okay=False, path_type=Path), help="Exception register (YAML).")
@click.option("--as-of", "as_of", help="Date exceptions are judged on (YYYY-MM-DD); today by default.")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def config_drift(baseline_tag: str | None, baseline_env: str | None, env: str, exceptions: Path | None,
                 as_of: str | None, db: Path, as_json: bool) -> None:
    """Differences between ENV and a baseline; exit 0 none unapproved, 2 unapproved drift, 1 error."""
    from .control import classify, diff_entries, load_exceptions
    from .store import Store

    register = load_exceptions(exceptions) if exceptions else None
    day = _as_of(as_of)
    with Store(db, must_exist=True) as store:
        base = store.find_snapshot(env=baseline_env, tag=baseline_tag)
        cur = store.find_snapshot(env=env)
        diff = classify(diff_entries(store.snapshot_entries(base.snapshot_id), store.snapshot_entries(cur.snapshot_id)),
                        env, register, day)
    unapproved = diff[diff.status != "approved"]
    if as_json:
        click.echo(json.dumps({"baseline": {"env": base.env, "tag": base.tag}, "current": {"env": cur.env, "tag": cur.tag},
                               "as_of": day.isoformat(), "counts": diff.status.value_counts().to_dict(),
                               "differences": diff.to_dict(orient="records")}, indent=2, default=str))
    else:
        click.echo(f"{cur.env}/{cur.tag} against {base.env}/{base.tag}: {len(diff)} differences, "
                   f"{len(unapproved)} not approved (as of {day})")
        for r in diff.itertuples():
            what = {"added": f"added = {r.current}", "removed": f"removed (was {r.baseline})",
                    "changed": f"{r.baseline} -> {r.current}"}[r.change]
            note = f" [{r.exception}; owner {r.owner}; expires {r.expires}]" if r.exception else ""
            click.echo(f"  {r.status.upper():10s} {r.file}:{r.key} {what}{note}")
    sys.exit(2 if len(unapproved) else 0)


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
    if as_json:
        click.echo(json.dumps({"env": env, "violations": _records(found)}, indent=2))
    else:
        click.echo(f"{len(found)} freeze violations in {env}")
        for r in found.itertuples():
            click.echo(f"  {r.freeze}: {r.file}:{r.key} {r.change} in snapshot {r.snapshot} ({r.status})")
    sys.exit(2 if len(found) else 0)


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
    if as_json:
        click.echo(json.dumps({"ok": result.ok, "message": result.message(), "records": result.checked,
                               "first_broken": result.first_broken, "head": result.head}, indent=2))
    else:
        click.echo(result.message())
    sys.exit(0 if result.ok else 2)


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
    if as_json:
        click.echo(json.dumps({"order": order, "startup_sequence": sequence, "problems": [str(p) for p in problems]},
                              indent=2))
        sys.exit(2 if problems else 0)
    click.echo("step order: " + (" -> ".join(order) if order else "(none: the steps form a cycle)"))
    if sequence is not None:
        click.echo("start-up sequence: " + " | ".join(", ".join(g) for g in sequence))
    for p in problems:
        click.echo(f"  PROBLEM {p}")
    sys.exit(2 if problems else 0)


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
    if as_json:
        click.echo(json.dumps({"violations": _records(found)}, indent=2))
    else:
        click.echo(f"{len(found)} segregation-of-duties violations")
        for r in found.itertuples():
            click.echo(f"  {r.change_id} ({r.source}): {r.message}")
    sys.exit(2 if len(found) else 0)


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
    if hist.empty:
        raise DataError(f"{db}: no upgrade history (add it with: upgradesim history FILE.csv)")
    periods, overall = kpis(hist, by=by)
    if as_json:
        click.echo(json.dumps({"periods": periods.to_dict(orient="records")} | overall, indent=2, default=str))
        return
    click.echo(periods.round(2).to_string(index=False))
    o, t = overall["overall"], overall["trend_mean_score"]
    click.echo(f"overall: {int(o['changes'])} changes, score {o['success_score']:.0f} (mean {o['mean_score']:.2f}), "
               f"rollback rate {o['rollback_rate']:.0%}, {int(o['incidents'])} incidents, "
               f"mean lead time {o['mean_lead_time_days']:.1f} days; trend of the mean score {t['per_period']:+.2f} "
               f"per {by} (p={t['p_value']:.2g})")


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
        click.echo(json.dumps({"tiers": _records(fits), "check": check, "overlay": str(out) if out else None},
                              indent=2, default=str))
        return
    for r in fits.itertuples():
        if r.usable:
            click.echo(f"{r.tier}: {r.attempts} attempts -> lognormal median {r.median_min:.1f}, p95 {r.p95_min:.1f} "
                       f"min (parameters uncertain, n={r.n_durations}); failure {r.failure_prob:.3f} "
                       f"[{r.failure_low:.3f}, {r.failure_high:.3f}] (Beta({r.failure_alpha:g}, {r.failure_beta:g}))")
        else:
            click.echo(f"{r.tier}: {r.attempts} attempts, too few; not calibrated")
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
    if as_json:
        click.echo(json.dumps({"folder": str(folder), "intact": not problems, "problems": problems}, indent=2))
        sys.exit(2 if problems else 0)
    click.echo(f"{folder}: " + ("intact" if not problems else f"{len(problems)} problems"))
    for p in problems:
        click.echo(f"  {p}")
    sys.exit(2 if problems else 0)


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


def main() -> None:
    cli(prog_name="upgradesim")
