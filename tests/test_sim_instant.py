"""Changes at the same instant: the error-rate trigger judges the state after all of them, so the
order SimPy happens to process them in cannot decide a rollback."""

from __future__ import annotations

import numpy as np
import pytest

from upgradesim.sim import prepare
from upgradesim.sim.model import BAD, NEW, OUT, Rollout

from .simplans import make_plan


def _plan(limit):
    def edit(d):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        d["regions"][0]["nodes"] = {"app": 2}
        d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10}}
        d["rollback"] = {"error_rate_pct": limit}
    return make_plan(edit)


class Scripted:
    """A strategy that makes given state changes at minute 10, in the given order, then asks for a
    window as the next batch would."""

    def __init__(self, changes):
        self.changes = changes
        self.window = "not asked"

    def run(self, ro):
        ro.set_states([0, 1], OUT)
        yield ro.env.timeout(10)
        for k, state in self.changes:
            ro.set_states([k], state)
        self.window = yield from ro.wait_window("eu", 1.0)
        yield ro.env.timeout(5)


def _run(changes, limit):
    strategy = Scripted(changes)
    ro = Rollout(prepare(_plan(limit)), strategy, np.random.SeedSequence(0), keep_events=True)
    record = ro.run()
    return record, strategy, ro.events


@pytest.mark.parametrize("changes", [[(0, BAD), (1, NEW)], [(1, NEW), (0, BAD)]])
def test_error_rate_is_judged_after_every_change_of_the_instant(changes):
    # after both changes one of two serving nodes fails all its requests: 50 %. Judged after the
    # BAD change alone (one node serving, and it fails) the rate would be 100 %.
    record, strategy, _ = _run(changes, limit=60)
    assert record["max_error_rate_pct"] == 50.0
    assert not record["rolled_back"] and record["rollback_reason"] == ""
    assert strategy.window is not None and strategy.window[0] == 10  # the next step may start now


@pytest.mark.parametrize("changes", [[(0, BAD), (1, NEW)], [(1, NEW), (0, BAD)]])
def test_a_trigger_of_the_instant_stops_the_next_step_from_starting(changes):
    record, strategy, events = _run(changes, limit=40)
    assert record["rolled_back"] and record["rollback_reason"] == "error_rate"
    assert record["max_error_rate_pct"] == 50.0
    assert strategy.window is None  # wait_window waited for the check, then saw the stop
    fired = [at for _, e, at, _, _ in events if e == "rollback_triggered"]
    assert fired == [10.0]


def test_a_check_pending_when_the_strategy_ends_counts_the_peak_but_cannot_trigger():
    class EndsNow(Scripted):
        def run(self, ro):
            ro.set_states([0, 1], OUT)
            yield ro.env.timeout(10)
            ro.set_states([0], BAD)
            ro.set_states([1], NEW)
    strategy = EndsNow([])
    ro = Rollout(prepare(_plan(40)), strategy, np.random.SeedSequence(0))
    record = ro.run()
    assert record["max_error_rate_pct"] == 50.0
    assert not record["rolled_back"]
