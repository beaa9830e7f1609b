"""The SimPy model of one rollout: nodes, batches in maintenance windows, failures, detection,
rollback triggers, schema migration; random inputs (:mod:`.inputs`) and capacity accounting
(:mod:`.accounting`) are mixins of :class:`Rollout`.

Time is in minutes since ``calendar.start``. Capacity is accounted whenever it changes: between
changes every region's state is constant, so breach minutes and unserved requests are integrals
of per-hour curves (see :class:`~upgradesim.sim.prepared.Prepared`), not per-request events.
"""

from __future__ import annotations

import numpy as np
import simpy

from ..errors import SimulationError
from .accounting import Accounting, Region
from .inputs import Inputs
from .prepared import Prepared
from .states import BAD, NEW, OLD, OUT  # noqa: F401 - re-exported for the strategies

__all__ = ["Rollout", "FINAL_STATES", "streams"]

FINAL_STATES = ("upgraded", "failed", "rolled_back", "not_started")
# random inputs, one stream each (common random numbers: every stream is drawn in node order)
STREAMS = ("duration", "failure", "detect", "rollback", "revert", "migration", "release", "params")
# "params" (last, so the others are unchanged): per-replication draws of uncertain parameters


def streams(seed: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """One generator per random input, derived from the replication's SeedSequence."""
    return {
        name: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i)))
        for i, name in enumerate(STREAMS)
    }


class Rollout(Inputs, Accounting):
    """One replication of one strategy on one prepared plan."""

    def __init__(self, prep: Prepared, strategy, seed: np.random.SeedSequence, *, keep_events: bool = False,
                 done: frozenset[int] = frozenset()):
        self.prep = prep
        self.plan = prep.plan
        self.strategy = strategy
        self.env = simpy.Environment()
        self.events: list[tuple] | None = [] if keep_events else None
        self.policy = self.plan.rollback
        self._draw(streams(seed))
        n = prep.n
        self.where = [OLD] * n
        self.upgraded = [False] * n
        self.touched = [False] * n  # a new stack's node was built (blue-green, parallel run): see their rollback
        self.failed_final = [False] * n
        self.reverted = [False] * n
        self.regions = {
            r.name: Region(r.name, {t: c for t, c in r.nodes.items() if c > 0 and t in prep.tiers})
            for r in self.plan.regions
        }
        self.stop_event = self.env.event()
        self.stopped = False
        self.finished = False  # the strategy has ended: nothing can trigger a rollback any more
        self.reason = ""
        self.down_regions = 0
        self.down_since = 0.0
        self.started_at: float | None = None
        self.completed_at: float | None = None
        self.nodes_failed = 0  # failed attempts
        self.window_overruns = 0
        self.overrun_min = 0.0
        self.downtime_min = 0.0
        self.extra_node_min = 0.0
        self.extra_min_by_tier: dict[str, float] = {}  # second-stack node-minutes by tier
        self.rollback_min_by_tier: dict[str, float] = {}  # node-minutes of reverting, by tier
        self.migration_min = 0.0
        self.horizon_hit = False
        self.exposed_at: float | None = None
        self.manifested = False
        self.max_error_rate = 0.0
        self.pending_check = None  # this instant's error-rate check, once scheduled
        self.done = done  # nodes upgraded before the run starts (a forecast of a rollout under way)
        for k in sorted(done):
            spec = prep.nodes[k]
            reg = self.regions[spec.region]
            self.where[k] = NEW
            self.upgraded[k] = True
            reg.old[spec.tier] -= 1
            reg.new[spec.tier] += 1
        mig = self.plan.migration
        if done and mig is not None:  # a region whose migration tier is all upgraded has migrated
            for reg in self.regions.values():
                if mig.tier in reg.total and reg.new[mig.tier] == reg.total[mig.tier]:
                    reg.migrated = True

    def expose(self) -> None:
        """The release meets production traffic: the defect clock starts."""
        if self.exposed_at is not None:
            return
        self.exposed_at = self.env.now
        if self.defect:
            self.env.process(self._manifest())

    def _manifest(self):
        yield self.env.timeout(self.manifest_after)
        self.account()
        self.manifested = True
        self.log("release", "defect_manifest")
        for reg in self.regions.values():
            for t in reg.total:
                reg.err[t] = 0.0
        for k, state in enumerate(self.where):
            spec = self.prep.nodes[k]
            self.regions[spec.region].err[spec.tier] += self._share(k, state)
        for reg in self.regions.values():
            self._refresh(reg)
        self.check_error_rate()

    def trigger(self, reason: str) -> None:
        """Stop the rollout: a rollback trigger fired (the first reason is kept). Once the strategy
        has ended nothing fires: the record must match the trace."""
        if self.stopped or self.finished:
            return
        self.stopped = True
        self.reason = reason
        self.log("rollout", "rollback_triggered", detail=reason)
        self.stop_event.succeed()

    def hold_stack(self, ks: list[int], since: float) -> None:
        """A second stack of the nodes ``ks`` was held from ``since`` until now (blue-green, parallel
        run): node-minutes by tier, for the cost."""
        minutes = self.env.now - since
        by_tier: dict[str, int] = {}
        for k in ks:
            tier = self.prep.nodes[k].tier
            by_tier[tier] = by_tier.get(tier, 0) + 1
        for tier, count in by_tier.items():
            self.extra_min_by_tier[tier] = self.extra_min_by_tier.get(tier, 0.0) + count * minutes
        self.extra_node_min += len(ks) * minutes
        tiers = " ".join(f"{t}={c}" for t, c in sorted(by_tier.items()))
        self.log("rollout", "second_stack", detail=f"nodes={len(ks)} since={float(since)!r} {tiers}".rstrip())

    def mark_start(self) -> None:
        if self.started_at is None:
            self.started_at = self.env.now

    # ------------------------------------------------------------------ building blocks

    def wait_window(self, region: str, estimate_min: float):
        """Wait until work may start in ``region``; returns the window (start, end) or None."""
        yield from self.settle()
        cal = self.prep.calendars[region]
        halt = self.plan.calendar.on_window_close == "halt"
        while not self.stopped:
            window = cal.next_open(self.env.now)
            if window is None:
                if not self.horizon_hit:
                    self.log(region, "horizon_reached", region=region)
                self.horizon_hit = True
                return None
            start, end = window
            if halt and start + estimate_min > end:
                if self.env.now < end:
                    yield self.env.timeout(end - self.env.now) | self.stop_event
                else:  # pragma: no cover - next_open never returns a closed window
                    raise SimulationError(f"window calendar of {region} returned a closed window at {end}")
                continue
            if start > self.env.now:
                # a trigger elsewhere ends the wait: nothing starts after a rollback was called
                yield self.env.timeout(start - self.env.now) | self.stop_event
                continue
            return (start, end)
        return None

    def close_window(self, region: str, end: float) -> None:
        """Account a step that ran past its window's ``end`` (batch or cutover alike) and fire the
        overrun trigger when it ran over by more than the limit."""
        if self.env.now <= end + 1e-9:
            return
        self.window_overruns += 1
        over = self.env.now - end
        self.overrun_min += over
        self.log(region, "window_overrun", region=region, detail=repr(float(over)))
        limit = self.policy.window_overrun_min
        if limit is not None and over > limit:
            self.trigger("window_overrun")

    def upgrade_nodes(self, ks: list[int]):
        """Upgrade nodes in place side by side; returns how many failed for good.

        They start together (one state change); the nodes whose first attempt succeeds finish in
        one process, in order of their durations; each node whose first attempt fails runs its own
        attempts (failure, detection, rollback, retry) in :meth:`node_upgrade`."""
        env = self.env
        self.mark_start()
        self.set_states(ks, OUT)
        if self.events is not None:
            for k in ks:
                self.log(self.prep.nodes[k].id, "upgrade_start", region=self.prep.nodes[k].region, detail="1")
        fail = self.fail
        ok = [k for k in ks if not fail[k, 0]]
        procs = [env.process(self._finish(ok, self.first_min, self._upgraded))]  # none may be ok: it ends at once
        procs += [env.process(self.node_upgrade(k)) for k in ks if fail[k, 0]]
        results = yield simpy.AllOf(env, procs)
        return sum(1 for v in results.values() if v is False)

    def _finish(self, ks: list[int], minutes: list[float], done):
        """Wait for each of ``ks`` to end ``minutes[k]`` after now, in order; ``done(group)`` for
        the nodes ending at the same instant."""
        env = self.env
        t0 = env.now
        order = sorted(ks, key=minutes.__getitem__)
        i = 0
        while i < len(order):
            at = t0 + minutes[order[i]]
            j = i + 1
            while j < len(order) and t0 + minutes[order[j]] == at:
                j += 1
            if at > env.now:
                yield env.timeout(at - env.now)
            done(order[i:j])
            i = j

    def _upgraded(self, ks: list[int]) -> None:
        for k in ks:
            self.upgraded[k] = True
        self.set_states(ks, NEW)
        if self.events is not None:
            for k in ks:
                self.log(self.prep.nodes[k].id, "upgrade_done", region=self.prep.nodes[k].region)

    def node_upgrade(self, k: int):
        """The attempts of one node whose first attempt (begun by :meth:`upgrade_nodes`) fails:
        failure, detection, rollback, and each retry."""
        spec = self.prep.nodes[k]
        env = self.env
        for a in range(self.max_attempts[spec.tier]):
            if a:  # a retry starts here; the first attempt began with the batch
                self.set_state(k, OUT)
                self.log(spec.id, "upgrade_start", region=spec.region, detail=str(a + 1))
            yield env.timeout(self.dur[k, a])
            if not self.fail[k, a]:
                self.upgraded[k] = True
                self.set_state(k, NEW)
                self.log(spec.id, "upgrade_done", region=spec.region)
                return True
            self.nodes_failed += 1
            self.set_state(k, BAD)
            self.log(spec.id, "upgrade_failed", region=spec.region)
            yield env.timeout(self.detect[k, a])
            self.set_state(k, OUT)
            self.log(spec.id, "failure_detected", region=spec.region)
            yield env.timeout(self.rollback[k, a])
            self.set_state(k, OLD)
            self.log(spec.id, "node_rolled_back", region=spec.region)
            if self.stopped:
                break
        self.failed_final[k] = True
        return False

    def batch(self, region: str, ks: list[int], estimate_min: float, *, outage: bool = False,
              groups: tuple[tuple[str, ...], ...] | None = None):
        """One batch in one region's window. Returns the number of nodes that failed, or None."""
        window = yield from self.wait_window(region, estimate_min)
        if window is None:
            return None
        _, end = window
        self.log(region, "batch_start", region=region, detail=str(len(ks)))
        if outage:
            self.mark_start()
            self.force_down(region, +1)
        failed = 0
        mig_tier = self.plan.migration.tier if self.plan.migration else None
        spec = self.prep.nodes
        for group in groups or ((None,),):
            members = [k for k in ks if group == (None,) or spec[k].tier in group]
            if not members:
                continue
            failed += yield from self.upgrade_nodes(members)
            if (mig_tier is not None and not self.regions[region].migrated and self._tier_done(region, mig_tier)
                    and any(spec[k].tier == mig_tier for k in members)):
                yield from self.migrate(region)
            if self.stopped:
                break
        if outage:
            self.force_down(region, -1)
        self.close_window(region, end)
        limit = self.policy.failed_nodes_per_batch
        if limit is not None and failed >= limit:
            self.trigger("failed_nodes")
        return failed

    def _tier_done(self, region: str, tier: str) -> bool:
        ks = self.prep.by_region_tier.get((region, tier))  # None: no node of the tier in the region
        return bool(ks) and all(self.upgraded[k] for k in ks)

    def start_archives(self) -> None:
        """Archive-first data migrations run online from the start, one per region."""
        m = self.plan.migration
        if m is None or m.data.mode != "archive_first":
            return
        hours = m.data.volume_gb * m.data.archive_fraction / m.data.archive_gb_per_h
        for reg in self.regions.values():
            reg.archive_done_at = self.env.now + hours * 60.0

    def migrate(self, region: str, *, offline_ok: bool = False):
        """The schema migration of one region; a failure stops the rollout (a trigger, no return value)."""
        m = self.plan.migration
        reg = self.regions[region]
        env = self.env
        if env.now < reg.archive_done_at:
            yield env.timeout(reg.archive_done_at - env.now)
        wait, fails, where = self.mig[region]
        phases = self.prep.migration_phases(wait, offline_ok)
        duration = sum(minutes for minutes, _ in phases)
        down = any(blocking for _, blocking in phases)
        started = env.now
        self.log(region, "migration_start", region=region, detail=f"lock_wait={wait:.1f}")
        if fails:
            yield from self._phases(region, phases, duration * where)
            self.log(region, "migration_failed", region=region)
            if down:
                self.force_down(region, +1)
            # transactional: the database undoes the work; otherwise restore from backup
            yield env.timeout(duration * where if m.transactional else m.restore_min)
            if down:
                self.force_down(region, -1)
            self.migration_min += env.now - started
            self.trigger("migration_failed")
            return
        yield from self._phases(region, phases, duration)
        self.migration_min += env.now - started
        reg.migrated = True
        self.log(region, "migration_done", region=region)

    def _phases(self, region: str, phases: list[tuple[float, bool]], until: float):
        """Run the migration's phases for ``until`` minutes; the region is down in blocking ones."""
        done = 0.0
        for minutes, blocking in phases:
            if minutes <= 0:
                continue
            run = min(minutes, until - done)
            if run <= 0:  # the failure point is reached
                return
            if blocking:
                self.force_down(region, +1)
            yield self.env.timeout(run)
            if blocking:
                self.force_down(region, -1)
            done += run

    def revert(self, batch_for):
        """Roll back every upgraded node, region by region in parallel, newest tiers first.

        ``batch_for(n, tier)`` gives how many of a tier's ``n`` nodes revert at once (the strategy's batch).
        """
        env = self.env
        procs = [env.process(self._revert_region(r, batch_for)) for r in self.prep.regions]
        yield simpy.AllOf(env, procs)

    def _revert_region(self, region: str, batch_for):
        env = self.env
        reg = self.regions[region]
        m = self.plan.migration
        order = [t for group in reversed(self.prep.sequence["sequential"]) for t in group]
        for tier in order:
            ks = [k for k in self.prep.by_region_tier.get((region, tier), ()) if self.upgraded[k]]
            if m is not None and tier == m.tier and reg.migrated:
                # the schema goes back first: restore (the region is down meanwhile)
                self.force_down(region, +1)
                self.log(region, "schema_restore", region=region)
                yield env.timeout(m.restore_min)
                self.force_down(region, -1)
                reg.migrated = False
            if not ks:  # nothing of this tier to revert here (or none of it in this region)
                continue
            size = max(1, batch_for(len(self.prep.by_region_tier[(region, tier)]), tier))
            for i in range(0, len(ks), size):
                chunk = ks[i:i + size]
                self.set_states(chunk, OUT)
                for k in chunk:
                    self.log(self.prep.nodes[k].id, "revert_start", region=region)
                self.rollback_min_by_tier[tier] = self.rollback_min_by_tier.get(tier, 0.0) + sum(
                    self.revert_list[k] for k in chunk)
                yield from self._finish(chunk, self.revert_list, self._reverted)

    def _reverted(self, ks: list[int]) -> None:
        for k in ks:
            self.upgraded[k] = False
            self.reverted[k] = True
        self.set_states(ks, OLD)
        if self.events is not None:
            for k in ks:
                self.log(self.prep.nodes[k].id, "reverted", region=self.prep.nodes[k].region)

    def bake(self, hours: float):
        """Wait ``hours`` with the health gate armed: returns early when a trigger fires."""
        if hours <= 0 or self.stopped:
            return
        self.log("rollout", "bake_start", detail=f"{hours:g}h")
        yield self.env.timeout(hours * 60.0) | self.stop_event

    # ------------------------------------------------------------------ the run

    def run(self) -> dict:
        """Run to the end; returns the replication record (see ``records.REPLICATION_FIELDS``)."""
        self.start_archives()
        if any(self.prep.nodes[k].tier in self.prep.defect_tiers for k in self.done):
            self.expose()  # the release already meets production traffic
        if self.events is not None:  # the initial state, so that the trace alone gives every figure
            if self.defect:
                self.log("release", "defect_present")
            for reg in self.regions.values():
                self._log_capacity(reg)
        main = self.env.process(self.strategy.run(self))
        self.env.run(until=main)
        self.finished = True
        self.flush_check()
        self.account()
        end = self.env.now
        if self.completed_at is not None and not self.stopped:
            self.log("rollout", "rollout_complete", detail=repr(float(self.completed_at)))
        self.log("rollout", "rollout_end")
        if self.down_regions > 0:
            self.downtime_min += end - self.down_since
        return self._record(end)

    def _record(self, end: float) -> dict:
        final = []
        for k in range(self.prep.n):
            if self.reverted[k] and not self.upgraded[k]:
                final.append("rolled_back")
            elif self.upgraded[k]:
                final.append("upgraded")
            elif self.failed_final[k]:
                final.append("failed")
            else:
                final.append("not_started")
        counts = {s: final.count(s) for s in FINAL_STATES}
        started = self.started_at if self.started_at is not None else end
        finished = self.completed_at if (self.completed_at is not None and not self.stopped) else end
        return {
            "started_at_min": float(started),
            "finished_at_min": float(finished),
            "duration_min": float(max(finished - started, 0.0)),
            "downtime_min": float(self.downtime_min),
            "region_downtime_min": float(sum(r.down_min for r in self.regions.values())),
            "sla_breach_min": float(sum(r.breach_min for r in self.regions.values())),
            "unserved_requests": float(sum(r.unserved for r in self.regions.values())),
            "error_requests": float(sum(r.errors for r in self.regions.values())),
            "max_error_rate_pct": float(self.max_error_rate * 100),
            "nodes_failed": int(self.nodes_failed),
            "rolled_back": bool(self.stopped),
            "rollback_reason": self.reason,
            "window_overruns": int(self.window_overruns),
            "overrun_min": float(self.overrun_min),
            "migration_min": float(self.migration_min),
            "extra_node_hours": float(self.extra_node_min / 60.0),
            "defect": self.defect,
            "defect_shipped": bool(self.defect and not self.stopped and counts["upgraded"] > 0),
            "horizon_exceeded": bool(self.horizon_hit),
            "completed": bool(counts["upgraded"] == self.prep.n and not self.stopped),
            "completed_fraction": counts["upgraded"] / self.prep.n,
            "nodes_upgraded": counts["upgraded"],
            "nodes_final_failed": counts["failed"],
            "nodes_rolled_back": counts["rolled_back"],
            "nodes_not_started": counts["not_started"],
            **self._cost(),
        }

    def _cost(self) -> dict:
        """Node-hours of the second stack and of reverting, and their cost at the plan's prices
        (tiers without a price cost nothing; without any prices the cost is in node-hours)."""
        rollback_h = sum(self.rollback_min_by_tier.values()) / 60.0
        total_h = self.extra_node_min / 60.0 + rollback_h
        prices = self.plan.cost.price_per_node_hour
        if not prices:
            return {"rollback_node_hours": float(rollback_h), "cost_node_hours": float(total_h), "cost": float(total_h)}
        money = sum(prices.get(t, 0.0) * m for t, m in self.extra_min_by_tier.items()) + sum(
            prices.get(t, 0.0) * m for t, m in self.rollback_min_by_tier.items())
        return {"rollback_node_hours": float(rollback_h), "cost_node_hours": float(total_h), "cost": float(money / 60.0)}
