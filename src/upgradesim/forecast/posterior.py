"""Bayesian updates of a tier's upgrade duration and failure probability from what the night showed.

Duration: the plan's distribution is read as a lognormal prior — its own parameters for a
lognormal, the median and 95th percentile matched otherwise (a fixed value gets sigma
:data:`FIXED_SIGMA`) — worth :data:`PRIOR_N` observations, or the ``n`` it was fitted from. The
observed successful attempts update it with the conjugate normal-inverse-chi-square rule on log
minutes; the result is a lognormal whose ``n`` makes each replication draw its parameters from the
posterior (see :func:`upgradesim.sim.distributions.posterior_draw`).

Failure probability: a Beta prior — the plan's own Beta, or the plan's probability worth
:data:`PRIOR_ATTEMPTS` attempts — plus the failures and successes seen: Beta(a + f, b + s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..plan.model import Beta, Empirical, Fixed, LogNormal, Triangular
from ..sim.distributions import Z95, planning_min

__all__ = ["PRIOR_N", "PRIOR_ATTEMPTS", "FIXED_SIGMA", "duration_posterior", "failure_posterior", "Posterior"]

PRIOR_N = 5  # the plan's duration is worth 5 observed attempts (unless its lognormal says n)
PRIOR_ATTEMPTS = 20  # the plan's failure probability is worth 20 attempts (unless it is a Beta)
FIXED_SIGMA = 0.1  # a fixed duration read as a lognormal with this spread


@dataclass(frozen=True)
class Posterior:
    """A tier's duration and failure probability before and after the evidence."""

    tier: str
    prior_median_min: float
    median_min: float
    p95_min: float
    observed: int
    prior_failure: float
    failure: float
    failures: int
    attempts: int
    duration: LogNormal
    failure_prob: Beta


def _median(dist) -> float:
    if isinstance(dist, Fixed):
        return float(dist.value)
    if isinstance(dist, LogNormal):
        return float(dist.median)
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        if (c - a) / (b - a) >= 0.5:
            return a + math.sqrt(0.5 * (b - a) * (c - a))
        return b - math.sqrt(0.5 * (b - a) * (b - c))
    if isinstance(dist, Empirical):
        return float(np.median(np.asarray(dist.samples, dtype=float)))
    raise TypeError(f"unknown distribution {dist!r}")


def prior_lognormal(dist) -> tuple[float, float, int]:
    """(mu, sigma, n) of the lognormal prior read from a plan distribution."""
    if isinstance(dist, LogNormal):
        return dist.mu, dist.sigma, dist.n or PRIOR_N
    median = max(_median(dist), 1e-6)
    p95 = planning_min(dist)
    sigma = (math.log(p95) - math.log(median)) / Z95 if p95 > median else FIXED_SIGMA
    return math.log(median), max(sigma, FIXED_SIGMA if isinstance(dist, Fixed) else 1e-3), PRIOR_N


def duration_posterior(dist, minutes: list[float]) -> LogNormal:
    """The lognormal after observing ``minutes`` (successful attempts) under the prior of ``dist``."""
    mu0, sigma0, k0 = prior_lognormal(dist)
    y = np.log(np.maximum(np.asarray(minutes, dtype=float), 1e-3))
    n = len(y)
    if n == 0:
        mu, sigma, kn = mu0, sigma0, k0
    else:
        ybar = float(y.mean())
        kn = k0 + n
        mu = (k0 * mu0 + n * ybar) / kn
        nu0, nun = k0, k0 + n
        ss = nu0 * sigma0**2 + float(((y - ybar) ** 2).sum()) + k0 * n / kn * (ybar - mu0) ** 2
        sigma = math.sqrt(ss / nun)
    sigma = max(sigma, 1e-3)
    return LogNormal(median=math.exp(mu), p95=math.exp(mu + Z95 * sigma), n=max(2, int(kn)))


def failure_posterior(p, failed: list[bool]) -> Beta:
    """Beta posterior of a failure probability after attempts (True = failed)."""
    if isinstance(p, Beta):
        a, b = p.alpha, p.beta
    else:
        p = min(max(float(p), 1e-4), 1 - 1e-4)  # a plan's 0 is still learnable from failures
        a, b = p * PRIOR_ATTEMPTS, (1 - p) * PRIOR_ATTEMPTS
    f = sum(1 for x in failed if x)
    return Beta(alpha=a + f, beta=b + len(failed) - f)


def tier_posterior(tier: str, behaviour, minutes: list[float], failed: list[bool]) -> Posterior:
    duration = duration_posterior(behaviour.upgrade_min, minutes)
    beta = failure_posterior(behaviour.failure_prob, failed)
    prior = behaviour.failure_prob.mean if isinstance(behaviour.failure_prob, Beta) else float(behaviour.failure_prob)
    return Posterior(tier, _median(behaviour.upgrade_min), duration.median, duration.p95, len(minutes), prior,
                     beta.mean, sum(failed), len(failed), duration, beta)
