"""Capacity, error and breach accounting of one replication: integrals of per-hour curves between
state changes, the SLA-breach alarm, node states. A mixin of :class:`~.model.Rollout`."""

from __future__ import annotations

import math

from .states import BAD, NEW, OUT

__all__ = ["Accounting", "Region"]


class Region:
    __slots__ = ("name", "total", "old", "new", "err", "down", "breach_min", "unserved", "errors", "down_min",
                 "migrated", "archive_done_at", "last_t", "curve", "is_down", "err_rate", "empty", "alarm", "safe",
                 "capacity")

    def __init__(self, name: str, totals: dict[str, int]):
        self.name = name
        self.total = dict(totals)
        self.old = dict(totals)  # in service on the old version (includes BAD)
        self.new = dict.fromkeys(totals, 0)  # in service on the new version
        self.err = dict.fromkeys(totals, 0.0)  # summed error share of in-service nodes
        self.down = 0  # > 0: the region is forced down (outage, offline migration, cutover)
        self.breach_min = 0.0
        self.unserved = 0.0
        self.errors = 0.0
        self.down_min = 0.0
        self.migrated = False
        self.archive_done_at = 0.0
        self.last_t = 0.0  # accounted up to here
        self.curve = None  # capacity curve of the current state; None after a change
        self.is_down = False
        self.err_rate = 0.0
        self.empty = 0  # tiers with no node in service
        self.alarm = 0  # version of the pending SLA-breach alarm (a newer state disarms the older)
        self.safe = False  # enough capacity for every hour: no breach, nothing unserved (no curve needed)
        self.capacity: tuple[int, float] | None = None  # (servers, other tiers' capacity), set by each refresh


LATE = 2  # SimPy priority after URGENT (0) and NORMAL (1): the last events of an instant


class Accounting:
    """Bookkeeping methods; the state they read lives on the Rollout."""

    # ------------------------------------------------------------------ bookkeeping

    def log(self, node: str, event: str, **extra) -> None:
        if self.events is not None:
            self.events.append((node, event, float(self.env.now), extra.get("region", ""), extra.get("detail", "")))

    def account(self) -> None:
        """Integrate every region's capacity state up to now (at the end, and before global changes)."""
        for reg in self.regions.values():
            self._account(reg)

    def _account(self, reg: Region) -> None:
        """Integrate one region from its last change until now: its state was constant meanwhile."""
        now = self.env.now
        t0 = reg.last_t
        if now <= t0:
            return
        prep = self.prep
        reg.last_t = now
        if reg.is_down:
            reg.down_min += now - t0
            reg.unserved += prep.integrate(prep.cum_demand[reg.name], prep.demand_per_min[reg.name], t0, now)
            return
        if reg.err_rate > 0:
            reg.errors += reg.err_rate * prep.integrate(prep.cum_demand[reg.name], prep.demand_per_min[reg.name], t0, now)
        if reg.safe:
            return
        curve = self._curve(reg)
        if curve.any_breach:
            reg.breach_min += prep.integrate(curve.breach_min, curve.breach_rate, t0, now)
        if curve.any_unserved:
            reg.unserved += prep.integrate(curve.unserved, curve.unserved_rate, t0, now)
        # the SLA-breach trigger is the alarm's alone (_arm_sla): it fires at the crossing itself

    def _curve(self, reg: Region):
        if reg.curve is None:
            reg.curve = self.prep.curve(reg.name, *(reg.capacity or self._capacity(reg)))
        return reg.curve

    def _arm_sla(self, reg: Region) -> None:
        """After a change of ``reg`` (accounted up to now): schedule the moment its breach minutes
        would pass the trigger's limit if nothing else changes — during a bake, a keep-blue period,
        a parallel run or a wait for a window as much as during a batch. Called only with a limit set.
        The early return only saves work: an alarm re-checks the breach (and trigger() does nothing
        once stopped or finished), and a region that is down or safe accrues no breach."""
        limit = self.policy.sla_breach_min
        reg.alarm += 1
        if self.stopped or self.finished or reg.is_down or reg.safe:
            return
        curve = self._curve(reg)
        if not curve.any_breach:
            return
        at = self.prep.crossing(curve.breach_min, curve.breach_rate, self.env.now, limit - reg.breach_min)
        if at is not None:
            self.env.process(self._sla_alarm(reg, reg.alarm, at))

    def _sla_alarm(self, reg: Region, version: int, at: float):
        yield self.env.timeout(max(at - self.env.now, 0.0))
        if reg.alarm == version and not self.stopped and not self.finished:
            self._account(reg)
            if reg.breach_min >= self.policy.sla_breach_min - 1e-9:  # reaches the limit now (to rounding)
                self.trigger("sla_breach")

    def _refresh(self, reg: Region, errors_changed: bool = True) -> None:
        """After a change of ``reg``: new capacity curve on demand, down flag, error rate, union downtime."""
        reg.curve = None
        reg.capacity = servers, other = self._capacity(reg)  # counts change only before a refresh
        need, peak = self.prep.safe_servers(reg.name)
        reg.safe = servers >= need and other > peak
        if errors_changed:
            reg.err_rate = self._error_rate(reg)
        down = reg.down > 0 or reg.empty > 0
        if down != reg.is_down:
            now = self.env.now
            if self.down_regions > 0:
                self.downtime_min += now - self.down_since
            self.down_since = now
            self.down_regions += 1 if down else -1
            reg.is_down = down
        if self.policy.sla_breach_min is not None:
            self._arm_sla(reg)
        if self.events is not None:
            self._log_capacity(reg)

    def _log_capacity(self, reg: Region) -> None:
        """Trace a region's capacity state: what the breach, unserved and error integrals use."""
        servers, other = reg.capacity or self._capacity(reg)
        self.log(reg.name, "capacity", region=reg.name,
                 detail=f"servers={servers} other={float(other)!r} down={int(reg.is_down)} err={float(reg.err_rate)!r}")

    def _capacity(self, reg: Region) -> tuple[int, float]:
        prep = self.prep
        f = prep.capacity_new_factor
        b = prep.bottleneck
        servers = int(math.floor((reg.old.get(b, 0) + reg.new.get(b, 0) * f) * prep.servers_per_node + 1e-9))
        other = math.inf
        for t in reg.total:
            if t != b:
                cap = self.plan.tiers[t].capacity_rps
                other = min(other, (reg.old[t] + reg.new[t] * f) * cap)
        return servers, other

    def _error_rate(self, reg: Region) -> float:
        worst = 0.0
        for t in reg.total:
            serving = reg.old[t] + reg.new[t]
            if serving and reg.err[t]:
                worst = max(worst, reg.err[t] / serving)
        return worst

    def fleet_error_rate(self) -> float:
        prep = self.prep
        h = min(prep.hour_index(self.env.now), prep.hours - 1)
        num = den = 0.0
        for reg in self.regions.values():
            if reg.is_down:
                continue
            lam = prep.demand[reg.name][h]
            num += lam * reg.err_rate
            den += lam
        return num / den if den else 0.0

    def _share(self, k: int, state: int) -> float:
        if state == BAD:
            return 1.0
        if state == NEW and self.defect and self.manifested and self.prep.nodes[k].tier in self.prep.defect_tiers:
            return self.defect_share
        return 0.0

    def _move(self, reg: Region, k: int, state: int) -> tuple[bool, bool]:
        """Move node k of ``reg`` to ``state`` in the counters; returns (error share changed, gained)."""
        tier = self.prep.nodes[k].tier
        before = self.where[k]
        lost = gained = 0.0
        if before == BAD or state == BAD or self.manifested:  # otherwise no error share moves
            lost = self._share(k, before) if before in (BAD, NEW) else 0.0
            gained = self._share(k, state) if state in (BAD, NEW) else 0.0
            if lost or gained:
                reg.err[tier] += gained - lost
        serving = reg.old[tier] + reg.new[tier]
        if before == NEW:
            reg.new[tier] -= 1
        elif before != OUT:
            reg.old[tier] -= 1
        self.where[k] = state
        if state == NEW:
            reg.new[tier] += 1
        elif state != OUT:
            reg.old[tier] += 1
        now_serving = reg.old[tier] + reg.new[tier]
        if (serving == 0) != (now_serving == 0):
            reg.empty += 1 if now_serving == 0 else -1
        return bool(lost or gained), gained > 0

    def set_state(self, k: int, state: int) -> None:
        """Move node k to a service state, accounting first and checking the error-rate trigger."""
        self.set_states((k,), state)

    def set_states(self, ks, state: int) -> None:
        """Move nodes to one state at the same instant, with one accounting and one refresh per
        region (a batch starting, a cut-over, a revert chunk); then the error-rate trigger."""
        nodes = self.prep.nodes
        if len(ks) == 1:  # the hot path (a node finishing alone): no grouping
            by_region = {nodes[ks[0]].region: ks}
        else:
            by_region = {}
            for k in ks:
                by_region.setdefault(nodes[k].region, []).append(k)
        gained_any = exposed = False
        for name, group in by_region.items():
            reg = self.regions[name]
            self._account(reg)
            errors_changed = False
            for k in group:
                changed, gained = self._move(reg, k, state)
                errors_changed = errors_changed or changed
                gained_any = gained_any or gained
                exposed = exposed or (state == NEW and nodes[k].tier in self.prep.defect_tiers)
            self._refresh(reg, errors_changed=errors_changed or bool(reg.err_rate))
        if exposed and self.exposed_at is None:
            self.expose()
        if gained_any:
            self.check_error_rate()

    def check_error_rate(self) -> None:
        """Judge the error-rate trigger once every change of this instant is made: the order in
        which nodes ending at the same minute are processed must not decide a rollback. The check
        is an event of the lowest priority at the current time (SimPy runs it after every urgent
        and normal event of the instant); :meth:`settle` lets a process that starts new work wait
        for it. It is scheduled when a node gains an error share: a change of the fleet's weights
        alone (another region going down, the hour's demand) is judged at the next such instant."""
        if self.pending_check is not None:
            return
        ev = self.pending_check = self.env.event()
        ev._ok = True
        ev._value = None
        ev.callbacks.append(self._check_error_rate)
        self.env.schedule(ev, priority=LATE)

    def settle(self):
        """Wait (no time passes) until this instant's error-rate check has run; a generator for
        ``yield from`` before a step starts new work, so that no batch starts at the instant a
        trigger fires."""
        if self.pending_check is not None:
            yield self.pending_check

    def flush_check(self) -> None:
        """At the end of the run: a check still pending updates the peak error rate only (the
        strategy has ended; nothing can trigger)."""
        if self.pending_check is not None:
            self._check_error_rate(self.pending_check)

    def _check_error_rate(self, event) -> None:
        if self.pending_check is not event:
            return
        self.pending_check = None
        rate = self.fleet_error_rate()
        self.max_error_rate = max(self.max_error_rate, rate)
        limit = self.policy.error_rate_pct
        if limit is not None and rate * 100 > limit and not self.stopped:
            self.trigger("error_rate")

    def force_down(self, region: str, delta: int) -> None:
        reg = self.regions[region]
        self._account(reg)
        reg.down += delta
        self._refresh(reg)
