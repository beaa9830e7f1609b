"""The rollout strategies a plan may declare, one model each."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from .base import Name, NonNegative, Positive, _Frozen

# --------------------------------------------------------------------------- strategies


class _StrategyBase(_Frozen):
    name: Name
    description: str = ""
    sequencing: Literal["sequential", "simultaneous"] = "sequential"
    tiers: tuple[Name, ...] = ()  # restrict to these tiers; all when empty


class _Batched(_StrategyBase):
    batch_size: Annotated[int, Field(gt=0)] | None = None
    batch_pct: Annotated[float, Field(gt=0, le=100)] | None = None
    # per tier, overriding batch_size/batch_pct for the tiers named
    batch_sizes: dict[Name, Annotated[int, Field(gt=0)]] = {}

    @model_validator(mode="after")
    def _batch(self):
        if self.batch_size is not None and self.batch_pct is not None:
            raise ValueError("give batch_size or batch_pct, not both")
        return self

    def batch_for(self, nodes: int, tier: str | None = None) -> int:
        """Nodes per batch for a group of ``nodes`` nodes of ``tier`` (at least 1)."""
        if tier in self.batch_sizes:
            return max(1, min(self.batch_sizes[tier], nodes))
        if self.batch_size is not None:
            return max(1, min(self.batch_size, nodes))
        if self.batch_pct is not None:
            return max(1, min(nodes, int(nodes * self.batch_pct / 100 + 0.999999)))
        return max(1, nodes)


class BigBang(_StrategyBase):
    """Everything at once in each region's window; the region is down for the duration."""

    kind: Literal["big_bang"]


class Rolling(_Batched):
    """Batches of n nodes (or p%) per tier and region, keeping the rest in service."""

    kind: Literal["rolling"]

    @model_validator(mode="after")
    def _need_batch(self) -> Rolling:
        if self.batch_size is None and self.batch_pct is None:
            raise ValueError("rolling needs batch_size or batch_pct")
        return self


class Phased(_Batched):
    """Waves by region (``waves``) or by percentage of nodes (``wave_pct``), with bake time."""

    kind: Literal["phased"]
    waves: tuple[tuple[Name, ...], ...] = ()  # region groups, in order
    wave_pct: tuple[Annotated[float, Field(gt=0, le=100)], ...] = ()  # e.g. [10, 30, 60]
    bake_h: NonNegative = 24

    @model_validator(mode="after")
    def _waves(self) -> Phased:
        if bool(self.waves) == bool(self.wave_pct):
            raise ValueError("give exactly one of waves (region groups) or wave_pct")
        if any(len(wave) == 0 for wave in self.waves):
            raise ValueError("every wave must name at least one region")
        if self.wave_pct and abs(sum(self.wave_pct) - 100) > 1e-6:
            raise ValueError(f"wave_pct must add up to 100 (it adds up to {sum(self.wave_pct):g})")
        return self


class Canary(_StrategyBase):
    """A fraction of each region's nodes first, a bake time with a health gate, then ``then``."""

    kind: Literal["canary"]
    fraction: Annotated[float, Field(gt=0, lt=1)]
    bake_h: NonNegative = 4
    then: Name


class BlueGreen(_StrategyBase):
    """A parallel green stack is upgraded off-line, then traffic switches over."""

    kind: Literal["blue_green"]
    cutover_min: NonNegative = 5
    keep_blue_h: NonNegative = 24  # blue stays up for instant switch-back


class ParallelRun(_StrategyBase):
    """Old and new side by side for ``run_days``; then the old is decommissioned."""

    kind: Literal["parallel_run"]
    run_days: Positive = 7
    cutover_min: NonNegative = 5


Strategy = Annotated[
    Annotated[BigBang, Tag("big_bang")] | Annotated[Rolling, Tag("rolling")] | Annotated[Phased, Tag("phased")] | Annotated[Canary, Tag("canary")] | Annotated[BlueGreen, Tag("blue_green")] | Annotated[ParallelRun, Tag("parallel_run")],
    Discriminator("kind"),
]
