"""Rollout strategies: one class each behind one small interface.

A strategy model has ``execute(rollout, scope)`` (a SimPy process body that upgrades the nodes in
``scope``, or all when None) and ``rollback(rollout)`` (what a triggered rollback does). ``run``
ties them together. Adding a strategy is one class plus one entry in ``MODELS``.
"""

from __future__ import annotations

import math

import simpy

from ..plan import model as pm
from .model import NEW, OLD, Rollout

__all__ = ["StrategyModel", "build_strategy", "MODELS"]


class StrategyModel:
    """Base: run = execute over the whole fleet, then roll back if a trigger fired."""

    def __init__(self, spec, plan: pm.Plan):
        self.spec = spec
        self.plan = plan

    @property
    def name(self) -> str:
        return self.spec.name

    def run(self, ro: Rollout):
        yield from self.execute(ro, None)
        yield from self.finish(ro)

    def execute(self, ro: Rollout, scope: frozenset[int] | None):  # pragma: no cover - interface
        raise NotImplementedError
        yield

    def finish(self, ro: Rollout):
        if ro.stopped:
            yield from self.rollback(ro)
        elif ro.completed_at is None:
            ro.completed_at = ro.env.now

    def rollback(self, ro: Rollout):
        yield from ro.revert(self.batch_for)

    def batch_for(self, nodes: int, tier: str | None = None) -> int:
        return nodes

    def _tiers(self, ro: Rollout) -> tuple[tuple[str, ...], ...]:
        groups = ro.prep.sequence[self.spec.sequencing]
        if self.spec.tiers:
            groups = tuple(g for g in (tuple(t for t in grp if t in self.spec.tiers) for grp in groups) if g)
        return groups


class RollingModel(StrategyModel):
    """Batches per tier and region; regions in parallel, tiers in dependency order."""

    def batch_for(self, nodes: int, tier: str | None = None) -> int:
        return self.spec.batch_for(nodes, tier)

    def execute(self, ro: Rollout, scope, regions=None):
        env = ro.env
        procs = [env.process(self._region(ro, r, scope)) for r in (regions or ro.prep.regions)]
        yield simpy.AllOf(env, procs)

    def _region(self, ro: Rollout, region: str, scope):
        env = ro.env
        for group in self._tiers(ro):
            yield simpy.AllOf(env, [env.process(self._tier(ro, region, t, scope)) for t in group])
            if ro.stopped:
                return

    def _tier(self, ro: Rollout, region: str, tier: str, scope):
        everyone = ro.prep.by_region_tier.get((region, tier), ())
        ks = [k for k in everyone if (scope is None or k in scope) and not ro.upgraded[k]]
        if not ks:
            return
        size = self.batch_for(len(everyone), tier)
        base = self.plan.tiers[tier].planning_steps_min
        mig = self.plan.migration
        for i in range(0, len(ks), size):
            chunk = ks[i:i + size]
            last = i + size >= len(ks)
            estimate = base + (ro.prep.migration_estimate_min() if mig and mig.tier == tier and last else 0.0)
            failed = yield from ro.batch(region, chunk, estimate)
            if failed is None or ro.stopped:
                return


class BigBangModel(StrategyModel):
    """Each region is taken down in its window and upgraded all at once."""

    def execute(self, ro: Rollout, scope):
        env = ro.env
        groups = self._tiers(ro)
        estimate = ro.prep.estimate_min(groups, with_migration=True)
        procs = []
        for region in ro.prep.regions:
            ks = [s.k for s in ro.prep.nodes if s.region == region and (scope is None or s.k in scope)]
            procs.append(env.process(ro.batch(region, ks, estimate, outage=True, groups=groups)))
        yield simpy.AllOf(env, procs)


class PhasedModel(RollingModel):
    """Waves of regions, or of percentages of every tier, with a bake time between waves."""

    def execute(self, ro: Rollout, scope):
        waves = self._waves(ro, scope)
        if ro.done:  # a forecast: waves already upgraded are over (their bake is the caller's)
            waves = [w for w in waves if not self._upgraded(ro, *w)]
        for i, (regions, wave_scope) in enumerate(waves):
            ro.log("rollout", "wave_start", detail=str(i + 1))
            yield from RollingModel.execute(self, ro, wave_scope, regions=regions)
            if ro.stopped:
                return
            if i < len(waves) - 1:
                yield from ro.bake(self.spec.bake_h)
                if ro.stopped:
                    return

    @staticmethod
    def _upgraded(ro: Rollout, regions, wave_scope) -> bool:
        ks = [s.k for s in ro.prep.nodes if (regions is None or s.region in regions)
              and (wave_scope is None or s.k in wave_scope)]
        return bool(ks) and all(ro.upgraded[k] for k in ks)

    def _waves(self, ro: Rollout, scope):
        if self.spec.waves:
            return [(tuple(w), scope) for w in self.spec.waves]
        waves, done = [], 0.0
        for pct in self.spec.wave_pct:
            lo, done = done, done + pct
            members = set()
            for ks in ro.prep.by_region_tier.values():
                n = len(ks)
                first, last = math.ceil(lo / 100 * n - 1e-9), math.ceil(done / 100 * n - 1e-9)
                members.update(k for k in ks[first:last] if scope is None or k in scope)
            waves.append((None, frozenset(members)))
        return waves


class CanaryModel(StrategyModel):
    """A fraction of the bottleneck tier first, a bake with a health gate, then another strategy."""

    def __init__(self, spec, plan, then: StrategyModel):
        super().__init__(spec, plan)
        self.then = then

    def batch_for(self, nodes: int, tier: str | None = None) -> int:
        return self.then.batch_for(nodes, tier)

    def execute(self, ro: Rollout, scope):
        env = ro.env
        tier = ro.prep.bottleneck
        canary: list[int] = []
        procs = []
        estimate = self.plan.tiers[tier].planning_steps_min
        for region in ro.prep.regions:
            ks = [k for k in ro.prep.by_region_tier.get((region, tier), ()) if scope is None or k in scope]
            chosen = ks[: max(1, math.ceil(self.spec.fraction * len(ks) - 1e-9))] if ks else []
            canary.extend(chosen)
            todo = [k for k in chosen if not ro.upgraded[k]]  # all of them, unless forecasting
            if todo:
                procs.append(env.process(ro.batch(region, todo, estimate)))
        ro.log("rollout", "canary_start", detail=str(len(canary)))
        yield simpy.AllOf(env, procs)
        if ro.stopped:
            return
        yield from ro.bake(self.spec.bake_h)
        if not ro.stopped and ro.defect and ro.manifested:
            ro.trigger("canary_gate")
        if ro.stopped:
            return
        ro.log("rollout", "canary_passed")
        rest = frozenset(s.k for s in ro.prep.nodes if s.k not in set(canary) and (scope is None or s.k in scope))
        yield from self.then.execute(ro, rest)

    def rollback(self, ro: Rollout):
        yield from self.then.rollback(ro)


class _NewStackModel(StrategyModel):
    """Shared by blue-green and parallel run: build a new stack off-line, later cut over."""

    def _build(self, ro: Rollout, region: str, scope):
        """Upgrade the region's copy on the new stack; failed nodes are rebuilt per the retries."""
        env = ro.env
        ks = [s.k for s in ro.prep.nodes if s.region == region and (scope is None or s.k in scope)]
        ro.mark_start()
        results = yield simpy.AllOf(env, [env.process(self._build_node(ro, k)) for k in ks])
        if not all(results.values()):
            ro.trigger("new_stack_failed")
            return ks
        if self.plan.migration is not None and any(ro.prep.nodes[k].tier == self.plan.migration.tier for k in ks):
            yield from ro.migrate(region, offline_ok=True)
        return ks

    def _build_node(self, ro: Rollout, k: int):
        spec = ro.prep.nodes[k]
        ro.touched[k] = True
        for a in range(ro.max_attempts[spec.tier]):
            ro.log(spec.id, "build_start", region=spec.region, detail=str(a + 1))
            yield ro.env.timeout(ro.dur[k, a])
            if not ro.fail[k, a]:
                ro.log(spec.id, "build_done", region=spec.region)
                return True
            ro.nodes_failed += 1
            ro.log(spec.id, "build_failed", region=spec.region)
            yield ro.env.timeout(ro.detect[k, a] + ro.rollback[k, a])
        ro.failed_final[k] = True
        return False

    def _cutover(self, ro: Rollout, region: str, ks: list[int]):
        window = yield from ro.wait_window(region, self.spec.cutover_min)
        if window is None or ro.stopped:
            return False
        ro.force_down(region, +1)
        ro.log(region, "cutover_start", region=region)
        yield ro.env.timeout(self.spec.cutover_min)
        for k in ks:
            ro.upgraded[k] = True
            ro.set_state(k, NEW)
        ro.force_down(region, -1)
        ro.log(region, "cutover_done", region=region)
        ro.close_window(region, window[1])  # a cutover overrun counts, and triggers, like a batch's
        return True

    def _switch_back(self, ro: Rollout, region: str):
        ks = [s.k for s in ro.prep.nodes if s.region == region and ro.upgraded[s.k]]
        if not ks:  # the region never cut over: its traffic is still on the old stack
            return
        ro.force_down(region, +1)
        ro.log(region, "switch_back", region=region)
        yield ro.env.timeout(self.spec.cutover_min)
        for k in ks:
            ro.upgraded[k] = False
            ro.reverted[k] = True
            ro.set_state(k, OLD)
        ro.force_down(region, -1)

    def rollback(self, ro: Rollout):
        env = ro.env
        yield simpy.AllOf(env, [env.process(self._switch_back(ro, r)) for r in ro.prep.regions])
        for s in ro.prep.nodes:  # a built but never used new stack is discarded
            if ro.touched[s.k] and not ro.failed_final[s.k] and not ro.upgraded[s.k]:
                ro.reverted[s.k] = True


class BlueGreenModel(_NewStackModel):
    """Green is built and migrated off-line, traffic switches in a window, blue stays for switch-back."""

    def execute(self, ro: Rollout, scope):
        env = ro.env
        built_at = env.now
        cut: dict[str, list[int]] = {}

        def region(r):
            ks = yield from self._build(ro, r, scope)
            if ro.stopped or not ks:
                return
            if (yield from self._cutover(ro, r, ks)):
                cut[r] = ks

        yield simpy.AllOf(env, [env.process(region(r)) for r in ro.prep.regions])
        stack = [k for ks in cut.values() for k in ks] or _scope(ro, scope)
        ro.hold_stack(stack, built_at)
        if ro.stopped or any(not ro.upgraded[k] for k in _scope(ro, scope)):
            return
        ro.completed_at = env.now
        kept = env.now
        yield from ro.bake(self.spec.keep_blue_h)  # blue stays up: a trigger now switches back at once
        ro.hold_stack(stack, kept)


class ParallelRunModel(_NewStackModel):
    """Old and new run side by side on mirrored traffic for run_days, then the old is retired."""

    def execute(self, ro: Rollout, scope):
        env = ro.env
        began = env.now
        stacks: dict[str, list[int]] = {}

        def build(r):
            stacks[r] = yield from self._build(ro, r, scope)

        yield simpy.AllOf(env, [env.process(build(r)) for r in ro.prep.regions])
        if not ro.stopped:
            ro.expose()  # mirrored production traffic reaches the new stack
            ro.log("rollout", "parallel_run_start")
            yield from ro.bake(self.spec.run_days * 24)
            if not ro.stopped and ro.defect and ro.manifested:
                ro.trigger("parallel_run_mismatch")
        if not ro.stopped:
            yield simpy.AllOf(env, [env.process(self._cutover(ro, r, ks)) for r, ks in stacks.items() if ks])
        ro.hold_stack(_scope(ro, scope), began)


def _scope(ro: Rollout, scope) -> list[int]:
    return [s.k for s in ro.prep.nodes if scope is None or s.k in scope]


def _scope_size(ro: Rollout, scope) -> int:
    return ro.prep.n if scope is None else len(scope)


MODELS = {
    "big_bang": BigBangModel,
    "rolling": RollingModel,
    "phased": PhasedModel,
    "blue_green": BlueGreenModel,
    "parallel_run": ParallelRunModel,
}


def build_strategy(plan: pm.Plan, name: str) -> StrategyModel:
    """The model of the plan's strategy called ``name``."""
    spec = plan.strategy(name)
    if spec.kind == "canary":
        return CanaryModel(spec, plan, build_strategy(plan, spec.then))
    return MODELS[spec.kind](spec, plan)
