"""An overlay applied to a plan already loaded (a notebook's what-if), validated like a file."""

from __future__ import annotations

import yaml

from .loader import parse_plan
from .model import Plan

__all__ = ["apply_overlay", "strategy_overlay"]


def apply_overlay(plan: Plan, overlay: dict, source: str = "<overlay>") -> Plan:
    """``plan`` with ``overlay`` merged over it (mappings merge, lists and kinds replace), validated
    again: a change a widget makes is refused with the same one-line problems as a file's."""
    if not overlay:
        return plan
    data = plan.model_dump(mode="json", exclude_none=True)
    return parse_plan(yaml.safe_dump(data, sort_keys=False), source=source, overlays=[overlay])


def strategy_overlay(plan: Plan, strategy: str, **changes) -> dict:
    """An overlay that changes fields of one strategy (the list of strategies is replaced whole)."""
    strategies = [s.model_dump(mode="json", exclude_none=True) for s in plan.strategies]
    for s in strategies:
        if s["name"] == strategy:
            s.update(changes)
            break
    else:
        raise KeyError(f"no strategy {strategy!r}")
    return {"strategies": strategies}
