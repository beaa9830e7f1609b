"""Durations and uncertain probabilities of a plan: fixed, triangular, lognormal, empirical, Beta."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from .base import _Frozen

MAX_DURATION = 525_600  # a year in minutes: a duration beyond it is a typo, not a plan
Span = Annotated[float, Field(gt=0, le=MAX_DURATION)]
SpanOrZero = Annotated[float, Field(ge=0, le=MAX_DURATION)]


class Fixed(_Frozen):
    dist: Literal["fixed"] = "fixed"
    value: Span

    @property
    def mean(self) -> float:
        return self.value


class Triangular(_Frozen):
    dist: Literal["triangular"] = "triangular"
    low: SpanOrZero
    mode: SpanOrZero
    high: Span

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("needs low <= mode <= high")
        if self.low == self.high:
            raise ValueError("needs low < high (use a fixed value otherwise)")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class LogNormal(_Frozen):
    """Lognormal given by its median and 95th percentile, as staging measurements report."""

    dist: Literal["lognormal"] = "lognormal"
    median: Span
    p95: Span
    # fitted from n observations: each replication draws (mu, sigma) from their posterior
    # (normal-inverse-chi-square, flat prior) instead of trusting the point estimate
    n: Annotated[int, Field(ge=2)] | None = None

    @model_validator(mode="after")
    def _order(self) -> LogNormal:
        if self.p95 <= self.median:
            raise ValueError("needs p95 > median")
        return self

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return (math.log(self.p95) - math.log(self.median)) / 1.6448536269514722

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)


class Empirical(_Frozen):
    """Resampled measurements."""

    dist: Literal["empirical"] = "empirical"
    samples: Annotated[tuple[SpanOrZero, ...], Field(min_length=1)]

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples)


def _duration(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Duration = Annotated[
    Annotated[Fixed, Tag("fixed")] | Annotated[Triangular, Tag("triangular")] | Annotated[LogNormal, Tag("lognormal")] | Annotated[Empirical, Tag("empirical")],
    Discriminator("dist"),
    BeforeValidator(_duration),
]



class Beta(_Frozen):
    """An uncertain probability: Beta(alpha, beta), e.g. the posterior of failures in attempts
    (0 failures in 18 attempts with a uniform prior is Beta(1, 19), mean 0.05, not 0)."""

    dist: Literal["beta"] = "beta"
    alpha: Annotated[float, Field(gt=0)]
    beta: Annotated[float, Field(gt=0)]

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)
