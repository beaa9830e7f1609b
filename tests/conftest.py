"""Shared fixtures: a tiny plan whose line numbers the tests can rely on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

TINY_PLAN = textwrap.dedent("""\
    name: tiny
    release:
      product: shop
      source_version: "1.0"
      target_version: "2.0"
    components:
      - {name: db, tier: db, product: postgresql, version: "12.4"}
      - {name: app, tier: app, product: shop, version: "1.0", depends_on: [db >=12]}
    regions:
      - name: eu
        tz: Europe/Dublin
        nodes: {app: 3, db: 1}
        traffic: {hourly_rps: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]}
    calendar:
      start: 2027-03-06T00:00:00Z
      horizon_days: 14
      windows: ["sat 01:00-05:00"]
    tiers:
      app: {capacity_rps: 100, upgrade_min: 10, failure_prob: 0.0}
      db: {capacity_rps: 1000, upgrade_min: 20, failure_prob: 0.0}
    strategies:
      - {name: all-at-once, kind: big_bang}
      - {name: one-by-one, kind: rolling, batch_size: 1}
    """)


@pytest.fixture
def tiny_plan_text() -> str:
    return TINY_PLAN


@pytest.fixture
def write_plan(tmp_path: Path):
    """Write plan text to a file and return its path."""

    def write(text: str, name: str = "plan.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def line_of(text: str, needle: str) -> int:
    """1-based line number of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")
