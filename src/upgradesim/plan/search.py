"""The rollout design space ``upgradesim optimize`` searches, declared in the plan's ``optimize:``.

Ranges are ``[low, high]`` (inclusive, searched on the step given in :data:`STEPS`); choices are
lists. A key left out keeps the default range; a family left out of ``families`` is not searched.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import Name, _Frozen

__all__ = ["SearchSpace", "Replications", "FAMILIES", "STEPS"]

FAMILIES = ("big_bang", "rolling", "phased", "canary", "blue_green", "parallel_run")
# the grid each range is searched on
STEPS = {"batch_pct": 5.0, "bake_h": 4.0, "canary_fraction": 0.05, "canary_bake_h": 4.0, "keep_blue_h": 4.0,
         "run_days": 1.0}


def _range(value, lo=None, hi=None):
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ValueError("must be a range [low, high]")
    a, b = value
    if a > b:
        raise ValueError(f"the range [{a:g}, {b:g}] is empty: low is above high")
    if lo is not None and a < lo or hi is not None and b > hi:
        raise ValueError(f"the range [{a:g}, {b:g}] must lie within [{lo:g}, {hi:g}]")
    return (a, b)


class Replications(_Frozen):
    """Few replications to screen a design, many to confirm the designs of the front."""

    screen: Annotated[int, Field(ge=5, le=10_000)] = 40
    confirm: Annotated[int, Field(ge=20, le=100_000)] = 400

    @model_validator(mode="after")
    def _order(self) -> Replications:
        if self.confirm < self.screen:
            raise ValueError(f"confirm ({self.confirm}) must be at least screen ({self.screen})")
        return self


class SearchSpace(_Frozen):
    """What ``optimize`` may vary. Every design it tries is a strategy (and window set) this plan
    could have declared by hand; ``--emit-overlay`` writes one back."""

    families: tuple[Literal[FAMILIES], ...] = ()  # default: the kinds the plan's strategies use
    batch_pct: tuple[float, float] = (5.0, 50.0)  # rolling, phased and the rolling after a canary
    batch_size: dict[Name, tuple[int, int]] = {}  # per tier: a batch size range instead of batch_pct
    sequencing: tuple[Literal["sequential", "simultaneous"], ...] = ("sequential", "simultaneous")
    waves: tuple[int, int] | None = None  # phased by region: how many waves (default 2..regions)
    bake_h: tuple[float, float] = (0.0, 72.0)  # between phased waves
    canary_fraction: tuple[float, float] = (0.05, 0.25)
    canary_bake_h: tuple[float, float] = (4.0, 48.0)
    keep_blue_h: tuple[float, float] = (12.0, 48.0)
    run_days: tuple[float, float] = (3.0, 14.0)
    # candidate weekly window sets by name ("sat 01:00-05:00"); the plan's own windows are "plan"
    windows: dict[Name, tuple[str, ...]] = {}
    budget: Annotated[int, Field(ge=1, le=100_000)] = 120  # designs screened
    replications: Replications = Replications()

    @field_validator("batch_pct")
    @classmethod
    def _pct(cls, v):
        return _range(v, 1, 100)

    @field_validator("bake_h", "canary_bake_h", "keep_blue_h")
    @classmethod
    def _hours(cls, v):
        return _range(v, 0, 24 * 60)

    @field_validator("run_days")
    @classmethod
    def _days(cls, v):
        return _range(v, 1, 365)

    @field_validator("canary_fraction")
    @classmethod
    def _fraction(cls, v):
        v = _range(v, 0.01, 0.99)
        return v

    @field_validator("waves")
    @classmethod
    def _waves(cls, v):
        return None if v is None else _range(v, 1, 1000)

    @field_validator("batch_size")
    @classmethod
    def _sizes(cls, v):
        return {tier: _range(r, 1, 1_000_000) for tier, r in v.items()}

    @field_validator("windows")
    @classmethod
    def _windows(cls, v):
        for name, sets in v.items():
            if not sets:
                raise ValueError(f"window set {name!r} is empty")
        if "plan" in v:
            raise ValueError("'plan' names the plan's own windows; give the candidate another name")
        return v
