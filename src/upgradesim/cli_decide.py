"""CLI verbs that decide: optimize (the best rollout designs) and forecast (go on, pause or roll back)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli import _emit, _user_errors, cli


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--budget", type=click.IntRange(1, 100_000), default=None,
              help="Designs to screen (default: optimize.budget in the plan, else 120).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Root seed: the whole search repeats.")
@click.option("--workers", "-w", type=click.IntRange(1), default=1, show_default=True,
              help="Local processes; results do not depend on it.")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786).")
@click.option("--screen", type=click.IntRange(5), default=None, help="Replications per screened design.")
@click.option("--confirm", type=click.IntRange(20), default=None, help="Replications per design of the front.")
@click.option("--overlay", "overlays", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="A plan overlay merged over PLAN; repeatable.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store the front here (for the rollout-strategy report); its telemetry gives regions' traffic.")
@click.option("--emit-overlay", "emit", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a plan overlay that makes a point of the front the chosen strategy.")
@click.option("--point", type=click.IntRange(1), default=None, help="The point --emit-overlay writes (default: recommended).")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help="Draw the front (PNG or SVG).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document.")
@_user_errors
def optimize(plan: Path, budget, seed, workers, scheduler, screen, confirm, overlays, db, emit, point, plot,
             as_json: bool) -> None:
    """Find the Pareto front of rollout designs in the plan's optimize: space.

    Objectives: P(on time) (completed, no window overrun, by risk.finish_by), mean duration,
    customer impact (downtime + SLA breach minutes), P(rollback) and cost; the risk policy prunes.
    Exit 0 with a front, 2 when no design meets the risk policy (the reason is printed).
    """
    from . import api
    from .optimize import Infeasible
    from .tables import front_table, text_table

    try:
        result = api.optimize(plan, budget=budget, seed=seed, workers=workers, scheduler=scheduler,
                              overlays=overlays, db=db, progress=None if not as_json else False,
                              screen=screen, confirm=confirm)
    except Infeasible as exc:
        _emit(as_json, {"feasible": False, "findings": exc.lines}, exc.lines)
        sys.exit(2)
    if point is not None:
        result.point(point)  # an unknown point is a usage mistake (KeyError -> one line below)
    written = []
    if emit is not None:
        import yaml

        chosen = point or result.recommended
        text = (f"# optimize point {chosen}: {result.point(chosen).label}\n"
                f"# upgradesim optimize {plan} --seed {seed} --budget {result.meta['budget']}\n"
                + yaml.safe_dump(result.overlay(chosen), sort_keys=False))
        emit.parent.mkdir(parents=True, exist_ok=True)
        emit.write_text(text)
        written.append(str(emit))
    if plot is not None:
        from .report.front import plot_front

        plot_front(result, plot)
        written.append(str(plot))
    doc = result.to_dict() | {"written": written}
    own = result.own
    verdict = (f"the plan's strategy {own.name} is dominated by point(s) {', '.join(map(str, own.dominated_by))}"
               if own.dominated_by else
               f"the plan's strategy {own.name} is on the front (point {own.equal_to[0]})" if own.equal_to else
               f"no point dominates the plan's strategy {own.name}")
    lines = [text_table(front_table(result.to_frame())), "",
             verdict, f"recommended: point {result.recommended} ({result.point(result.recommended).label}): "
             f"{result.reason()}",
             f"{result.meta['designs_tried']} designs tried ({result.meta['designs_simulated']} simulated, "
             f"{result.meta['replications_screen']} replications each), {len(result.points)} on the front confirmed "
             f"with {result.meta['replications_confirm']}, {result.meta['seconds']:g} s"]
    lines += [f"wrote {w}" for w in written]
    if result.meta.get("run_id"):
        lines.append(f"stored optimize run {result.meta['run_id']}")
    _emit(as_json, json.loads(json.dumps(doc, default=str)), lines)


def _forecast_lines(result) -> list[str]:
    d = result.to_dict()
    lines = [f"{d['decision'].upper()}  ({result.plan}, {result.strategy}, now {d['now']})"]
    lines += [f"  - {r}" for r in result.reasons]
    lines.append(f"nodes upgraded: {result.upgraded} of {result.nodes}"
                 + (f"; in progress: {len(result.in_progress)}" if result.in_progress else ""))
    if result.replications:
        def p(t):
            return f"{t[0]:.2f} [{t[1]:.2f}, {t[2]:.2f}]"
        planned = result.planned
        if result.p_window is not None:
            lines.append(f"P(finished inside the open window, until {d['window_end']}): {p(result.p_window)} "
                         f"(planned {planned['p_window'][0]:.2f})")
        lines.append(f"P(finished by {d['deadline']}): {p(result.p_deadline)} (planned {planned['p_deadline'][0]:.2f})")
        lines.append(f"P(rollback) of the remaining work: {p(result.p_rollback)} (planned {planned['p_rollback'][0]:.2f})")
        if result.finish:
            f = d["finish"]
            lines.append(f"expected finish: {f['p50']} (90% between {f['p05']} and {f['p95']})")
        if result.bake_left_min:
            lines.append(f"bake left first: {result.bake_left_min / 60:.1f} h")
        lines.append(f"point of no return: {d['point_of_no_return']}" if result.point_of_no_return else
                     "point of no return: none (no window open now, or nothing upgraded to roll back)")
        for post in d["posteriors"]:
            if post["observed"] or post["attempts"]:
                lines.append(f"  tier {post['tier']}: median {post['median_min']:.1f} min (planned "
                             f"{post['prior_median_min']:.1f}) from {post['observed']} upgrades; failure "
                             f"{post['failure']:.3f} (planned {post['prior_failure']:.3f}), {post['failures']} of "
                             f"{post['attempts']} attempts failed")
    return lines


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--log", "log", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The execution log (CSV or JSON Lines: ts, change_id, node, event[, detail]).")
@click.option("--now", "now", default=None, help="The time of the forecast (ISO 8601; default: the clock).")
@click.option("--strategy", "-s", default=None, help="The strategy under way (default: chosen_strategy).")
@click.option("--replications", "-n", type=click.IntRange(20), default=400, show_default=True,
              help="Replications of the remaining work (each, planned and updated).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Root seed.")
@click.option("--min-p-window", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Pause when the work planned to fit the open window now fits with a lower probability.")
@click.option("--overlay", "overlays", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="A plan overlay merged over PLAN; repeatable.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store each forecast (for the forecast report).")
@click.option("--watch", is_flag=True, help="Forecast again whenever the log grows (Ctrl-C stops).")
@click.option("--interval", type=click.FloatRange(0.05), default=30.0, show_default=True,
              help="With --watch: seconds between looks at the log.")
@click.option("--rounds", type=click.IntRange(1), default=None, help="With --watch: stop after this many forecasts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document (one per forecast with --watch).")
@_user_errors
def forecast(plan: Path, log: Path, now, strategy, replications, seed, min_p_window, overlays, db, watch, interval,
             rounds, as_json: bool) -> None:
    """Forecast a rollout under way: continue (exit 0), pause at the next batch boundary (2) or
    roll back now (3), with P(inside the open window), P(by the deadline), the finish time and the
    point of no return. The log shows completion: exit 0."""
    from . import api
    from .errors import DataError, UpgradesimError
    from .readers import parse_timestamp

    fixed = None
    if now is not None:
        try:
            fixed = parse_timestamp(now)
        except ValueError:
            raise DataError(f"--now(={now}): must be an ISO 8601 date-time (2027-03-06T03:40:00Z)") from None
    loaded = api.load(plan, overlays)

    def once():
        result = api.forecast(loaded, log, now=fixed, strategy=strategy, replications=replications, seed=seed,
                              min_p_window=min_p_window, db=db)
        lines = _forecast_lines(result) + ([f"stored forecast {result.stored_as}"] if result.stored_as else [])
        _emit(as_json, result.to_dict() | ({"forecast_id": result.stored_as} if result.stored_as else {}), lines)
        return result

    if not watch:
        sys.exit(once().exit_code)
    import time

    seen, done, code = None, 0, 0
    try:
        while rounds is None or done < rounds:
            stat = log.stat() if log.exists() else None
            key = (stat.st_size, stat.st_mtime_ns) if stat else None
            if key is not None and key != seen:
                seen = key
                try:
                    result = once()
                    code = result.exit_code
                except UpgradesimError as exc:  # a line half written: say so, look again later
                    code, result = 1, None
                    _emit(as_json, {"error": {"type": type(exc).__name__, "messages": exc.lines}}, exc.lines)
                done += 1
                if result is not None and result.decision == "complete":
                    break  # nothing left to watch
            if rounds is not None and done >= rounds:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    sys.exit(code)
