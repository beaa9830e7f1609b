"""Tiny deterministic plans for simulation tests."""

from __future__ import annotations

import copy

import yaml

from upgradesim import parse_plan

BASE = {
    "name": "tiny-sim",
    "release": {"product": "shop", "source_version": "1", "target_version": "2"},
    "components": [
        {"name": "db", "tier": "db", "product": "postgresql", "version": "12"},
        {"name": "app", "tier": "app", "product": "shop", "version": "1", "depends_on": ["db"]},
    ],
    "regions": [{"name": "eu", "tz": "UTC", "nodes": {"app": 3, "db": 1}, "traffic": {"hourly_rps": [10] * 24}}],
    "calendar": {
        "start": "2027-03-01T00:00:00Z",  # a Monday
        "horizon_days": 30,
        "one_off_windows": [{"start": "2027-03-01T00:00:00", "end": "2027-04-15T00:00:00"}],  # always open
    },
    "tiers": {
        "app": {"capacity_rps": 100, "upgrade_min": 10, "detect_min": 5, "rollback_min": 7},
        "db": {"capacity_rps": 1000, "upgrade_min": 20, "detect_min": 5, "rollback_min": 9},
    },
    "strategies": [
        {"name": "one-by-one", "kind": "rolling", "batch_size": 1},
        {"name": "bang", "kind": "big_bang"},
    ],
    "rollback": {"failed_nodes_per_batch": 1, "error_rate_pct": None, "sla_breach_min": None, "window_overrun_min": None},
    "service": {"p95_latency_ms": 250, "service_time_ms": 50},
}


def make_plan(edit=None):
    """The base plan, after ``edit(data)`` changed it in place; validated like a file."""
    data = copy.deepcopy(BASE)
    if edit:
        edit(data)
    return parse_plan(yaml.safe_dump(data, sort_keys=False), source="sim.yaml")


def single_tier(n: int, d: float, **strategy):
    """An app-only fleet of n nodes with fixed duration d and one strategy."""
    def edit(data):
        data["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        data["regions"][0]["nodes"] = {"app": n}
        data["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": d}}
        data["strategies"] = [{"name": "s", **strategy}]
    return make_plan(edit)
