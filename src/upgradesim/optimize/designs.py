"""Rollout designs: one point of the plan's ``optimize:`` space, what an optuna trial suggests, and
the strategies (and window set) it stands for — as a plan overlay ``validate``/``check`` accept."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ..plan import Plan
from ..plan.search import STEPS, SearchSpace

__all__ = ["Design", "suggest", "plan_design", "wave_plans", "space_of", "MAX_WAVE_PLANS"]

MAX_WAVE_PLANS = 2000  # more ordered region partitions than this: keep the plan's region order


@dataclass(frozen=True)
class Design:
    """A strategy family with its settings (sorted ``(key, value)`` pairs) and a window set."""

    family: str
    params: tuple[tuple[str, object], ...] = ()
    windows: str = "plan"

    @property
    def settings(self) -> dict:
        return dict(self.params)

    def key(self) -> tuple:
        return (self.family, self.params, self.windows)

    @property
    def label(self) -> str:
        """A short description a planner reads: ``rolling 25% simultaneous``."""
        p = self.settings
        parts = [self.family.replace("_", "-")]
        sizes = ", ".join(f"{t} {n}" for t, n in sorted(p.get("batch_sizes", {}).items()))
        if self.family == "canary":
            parts.append(f"{p['fraction']:.0%} bake {p['bake_h']:g}h then")
        if "batch_pct" in p:
            parts.append(f"{p['batch_pct']:g}%" + (f" ({sizes})" if sizes else ""))
        if self.family == "phased":
            parts.append(" | ".join("+".join(w) for w in p["waves"]) + f" bake {p['wave_bake_h']:g}h")
        if self.family == "blue_green":
            parts.append(f"keep blue {p['keep_blue_h']:g}h")
        if self.family == "parallel_run":
            parts.append(f"{p['run_days']:g} days")
        parts.append(p.get("sequencing", "sequential"))
        if self.windows != "plan":
            parts.append(f"windows {self.windows}")
        return " ".join(parts)

    def strategies(self, name: str) -> list[dict]:
        """The plan strategies this design stands for (a canary brings its rolling ``then``)."""
        p = self.settings
        seq = p.get("sequencing", "sequential")

        def batched(kind, name, **extra):
            out = {"name": name, "kind": kind, "sequencing": seq, "batch_pct": p["batch_pct"], **extra}
            if p.get("batch_sizes"):
                out["batch_sizes"] = dict(p["batch_sizes"])
            return out

        if self.family == "big_bang":
            return [{"name": name, "kind": "big_bang", "sequencing": seq}]
        if self.family == "rolling":
            return [batched("rolling", name)]
        if self.family == "phased":
            return [batched("phased", name, waves=[list(w) for w in p["waves"]], bake_h=p["wave_bake_h"])]
        if self.family == "canary":
            then = f"{name}-then"
            return [{"name": name, "kind": "canary", "sequencing": seq, "fraction": p["fraction"],
                     "bake_h": p["bake_h"], "then": then}, batched("rolling", then)]
        if self.family == "blue_green":
            return [{"name": name, "kind": "blue_green", "sequencing": seq, "cutover_min": p["cutover_min"],
                     "keep_blue_h": p["keep_blue_h"]}]
        return [{"name": name, "kind": "parallel_run", "sequencing": seq, "cutover_min": p["cutover_min"],
                 "run_days": p["run_days"]}]

    def overlay(self, plan: Plan, name: str, *, keep: bool = False) -> dict:
        """A plan overlay that makes this design the chosen strategy ``name``; ``keep`` keeps the
        plan's own strategies beside it (what ``--emit-overlay`` writes)."""
        own = [s.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"kind": s.kind}
               for s in plan.strategies] if keep else []
        out: dict = {"strategies": own + self.strategies(name), "chosen_strategy": name}
        if self.windows != "plan":
            out["calendar"] = {"windows": list(plan.optimize.windows[self.windows])}
        return out


def _grid(lo: float, hi: float, step: float) -> tuple[float, float]:
    """The range on the search grid: ``hi`` lowered to the last step (optuna needs whole steps)."""
    return lo, lo + math.floor((hi - lo) / step + 1e-9) * step


def space_of(plan: Plan) -> SearchSpace:
    return plan.optimize or SearchSpace()


def families(plan: Plan) -> tuple[str, ...]:
    """The families searched: the space's, or the kinds the plan's strategies use."""
    space = space_of(plan)
    return space.families or tuple(dict.fromkeys(s.kind for s in plan.strategies))


def wave_plans(regions: tuple[str, ...], k: int) -> list[tuple[tuple[str, ...], ...]]:
    """Every ordered split of ``regions`` into ``k`` non-empty waves (regions keep the plan's order
    inside a wave); when there are more than :data:`MAX_WAVE_PLANS`, only the cut points of the
    plan's region order."""
    n = len(regions)
    count = math.factorial(k) * _stirling2(n, k)
    if count > MAX_WAVE_PLANS:
        out = []
        for cuts in itertools.combinations(range(1, n), k - 1):
            bounds = (0, *cuts, n)
            out.append(tuple(tuple(regions[a:b]) for a, b in itertools.pairwise(bounds)))
        return out
    out = []
    for labels in itertools.product(range(k), repeat=n):
        if len(set(labels)) != k:
            continue
        out.append(tuple(tuple(r for r, lab in zip(regions, labels, strict=True) if lab == w) for w in range(k)))
    return sorted(out)


def _stirling2(n: int, k: int) -> int:
    return sum((-1) ** i * math.comb(k, i) * (k - i) ** n for i in range(k + 1)) // math.factorial(k)


def _cutover(plan: Plan, kind: str) -> float:
    """The cut-over minutes of the plan's own strategy of that kind (the model default otherwise)."""
    for s in plan.strategies:
        if s.kind == kind:
            return float(s.cutover_min)
    return 5.0


def suggest(trial, plan: Plan) -> Design:
    """The design an optuna trial suggests (define-by-run: only the family's own settings)."""
    space = space_of(plan)
    fams = families(plan)
    family = trial.suggest_categorical("family", fams)
    p: dict = {"sequencing": trial.suggest_categorical("sequencing", space.sequencing)}
    windows = trial.suggest_categorical("windows", ("plan", *space.windows)) if space.windows else "plan"

    def fl(name, rng, key=None):
        lo, hi = _grid(*rng, STEPS[key or name])
        return float(trial.suggest_float(name, lo, hi, step=STEPS[key or name])) if hi > lo else float(lo)

    if family in ("rolling", "phased", "canary"):
        p["batch_pct"] = fl("batch_pct", space.batch_pct)
        sizes = {t: int(trial.suggest_int(f"batch_size.{t}", lo, hi)) for t, (lo, hi) in sorted(space.batch_size.items())}
        if sizes:
            p["batch_sizes"] = tuple(sorted(sizes.items()))
    if family == "phased":
        regions = tuple(r.name for r in plan.regions)
        lo, hi = space.waves or (min(2, len(regions)), len(regions))
        k = int(trial.suggest_int("waves", lo, hi)) if hi > lo else int(lo)
        options = wave_plans(regions, k)
        i = int(trial.suggest_int(f"wave_plan.{k}", 0, len(options) - 1)) if len(options) > 1 else 0
        p["waves"] = options[i]
        p["wave_bake_h"] = fl("bake_h", space.bake_h)
    if family == "canary":
        p["fraction"] = round(fl("canary_fraction", space.canary_fraction), 6)
        p["bake_h"] = fl("canary_bake_h", space.canary_bake_h)
    if family == "blue_green":
        p["keep_blue_h"] = fl("keep_blue_h", space.keep_blue_h)
        p["cutover_min"] = _cutover(plan, family)
    if family == "parallel_run":
        p["run_days"] = fl("run_days", space.run_days)
        p["cutover_min"] = _cutover(plan, family)
    return _design(family, p, windows)


def _design(family: str, p: dict, windows: str = "plan") -> Design:
    if "batch_sizes" in p:
        p["batch_sizes"] = dict(p["batch_sizes"])
    frozen = tuple(sorted((k, _freeze(v)) for k, v in p.items()))
    return Design(family, frozen, windows)


def _freeze(v):
    if isinstance(v, dict):
        return tuple(sorted(v.items()))
    return v


def plan_design(plan: Plan, name: str) -> Design | None:
    """The plan's own strategy as a design of the space (to seed the search with it), or None when
    it lies outside the space (another family, a batch size instead of a percentage)."""
    spec = plan.strategy(name)
    if spec.kind not in families(plan):
        return None
    p: dict = {"sequencing": spec.sequencing}
    if spec.tiers:
        return None
    if spec.kind == "canary":  # the canary touches one tier: the rolling after it sets the sequencing
        then = plan.strategy(spec.then)
        if then.kind != "rolling" or then.batch_pct is None or then.batch_sizes or then.tiers:
            return None
        p.update(sequencing=then.sequencing, batch_pct=float(then.batch_pct), fraction=float(spec.fraction), bake_h=float(spec.bake_h))
    elif spec.kind in ("rolling", "phased"):
        if spec.batch_pct is None or spec.batch_sizes:
            return None
        p["batch_pct"] = float(spec.batch_pct)
        if spec.kind == "phased":
            if not spec.waves:
                return None
            p.update(waves=tuple(tuple(w) for w in spec.waves), wave_bake_h=float(spec.bake_h))
    elif spec.kind == "blue_green":
        p.update(keep_blue_h=float(spec.keep_blue_h), cutover_min=float(spec.cutover_min))
    elif spec.kind == "parallel_run":
        p.update(run_days=float(spec.run_days), cutover_min=float(spec.cutover_min))
    return _design(spec.kind, p)
