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
              help="A store whose telemetry gives regions' traffic.")
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
    _emit(as_json, json.loads(json.dumps(doc, default=str)), lines)
