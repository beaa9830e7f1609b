"""CLI verbs of telemetry: ingest, baseline, judge (and its backtest), logs-diff."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import DB_OPTION, _emit, _user_errors, cli


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
    from .readers import read_text
    from .store import Store
    from .yamlmodel import safe_yaml

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
    from . import api
    from .store import parse_window

    names = [x.strip() for x in services.split(",")] if services else None
    verdict = api.judge(db, plan=plan, baseline=parse_window(baseline_window, "--baseline"),
                        candidate=parse_window(candidate_window, "--candidate"), services=names, config=config,
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
    from . import api
    from .errors import DataError

    try:
        diff = api.logs_diff(before, after, alpha=alpha, min_ratio=min_ratio, header=header, config=config)
    except DataError as exc:
        if str(exc).startswith("header:"):
            raise DataError("--" + str(exc)) from None
        raise
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
