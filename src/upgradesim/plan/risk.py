"""What the change advisory board accepts: the limits `check`, `recommend` and `optimize` apply."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from .base import NonNegative, Percent, Probability, _Frozen

__all__ = ["RiskTolerance"]


class RiskTolerance(_Frozen):
    """What the change advisory board accepts. Omit a key to leave that figure unbounded."""

    max_p_rollback: Probability | None = None
    # the probability of finishing within the horizon; unset, a plan that never finishes still fails check
    min_p_complete: Probability | None = None
    max_expected_downtime_min: NonNegative | None = None
    max_p_overrun: Probability | None = None
    max_sla_breach_min: NonNegative | None = None
    max_cost: NonNegative | None = None  # expected cost: at the plan's prices, or node-hours without them
    # finish by a date: P(every node upgraded, no rollback, finished by finish_by) >= min_p_finish_by
    finish_by: dt.datetime | None = None  # naive means UTC
    min_p_finish_by: Annotated[Probability | None, Field()] = None
    # never below this share of any tier's nodes in service in a region, as the strategy schedules
    # it (failures aside): 75 forbids taking more than a quarter of a tier out at once
    min_capacity_pct: Percent | None = None

    @model_validator(mode="after")
    def _deadline(self) -> RiskTolerance:
        if (self.finish_by is None) != (self.min_p_finish_by is None):
            raise ValueError("give finish_by and min_p_finish_by together")
        return self

    @property
    def finish_by_utc(self) -> dt.datetime | None:
        if self.finish_by is None:
            return None
        return self.finish_by.replace(tzinfo=dt.UTC) if self.finish_by.tzinfo is None else self.finish_by.astimezone(dt.UTC)
