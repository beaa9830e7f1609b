"""Sampling the plan's duration distributions, vectorised over nodes and attempts."""

from __future__ import annotations

import math

import numpy as np

from ..plan.model import Beta, Empirical, Fixed, LogNormal, Triangular

__all__ = ["sample", "planning_min", "mean_of", "posterior_draw", "probability_draw"]

Z95 = 1.6448536269514722


def sample(dist, rng: np.random.Generator, size) -> np.ndarray:
    """Draws of ``dist`` in minutes, shaped ``size``."""
    if isinstance(dist, Fixed):
        return np.full(size, float(dist.value))
    if isinstance(dist, Triangular):
        return rng.triangular(dist.low, dist.mode, dist.high, size)
    if isinstance(dist, (LogNormal, _Drawn)):
        return rng.lognormal(dist.mu, dist.sigma, size)
    if isinstance(dist, Empirical):
        return rng.choice(np.asarray(dist.samples, dtype=float), size=size, replace=True)
    raise TypeError(f"unknown distribution {dist!r}")


def mean_of(dist) -> float:
    """Analytic mean in minutes."""
    return float(dist.mean)


def planning_min(dist) -> float:
    """The 95th percentile: what a planner budgets for one step when deciding whether it fits."""
    if isinstance(dist, Fixed):
        return float(dist.value)
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        q = 0.95
        cut = (c - a) / (b - a)
        if q <= cut:
            return a + math.sqrt(q * (b - a) * (c - a))
        return b - math.sqrt((1 - q) * (b - a) * (b - c))
    if isinstance(dist, LogNormal):
        return float(dist.p95)
    if isinstance(dist, Empirical):
        return float(np.quantile(np.asarray(dist.samples, dtype=float), 0.95))
    raise TypeError(f"unknown distribution {dist!r}")


class _Drawn:
    """A lognormal with parameters drawn for one replication (mu, sigma given directly)."""

    __slots__ = ("mu", "sigma")

    def __init__(self, mu: float, sigma: float):
        self.mu, self.sigma = mu, sigma


def posterior_draw(dist, rng: np.random.Generator):
    """``dist`` itself, or for a lognormal fitted from ``n`` observations, one draw of its
    parameters from their posterior: sigma^2 ~ (n-1) s^2 / chi2(n-1), mu ~ N(m, sigma^2 / n)."""
    if isinstance(dist, LogNormal) and dist.n is not None:
        n = dist.n
        sigma2 = (n - 1) * dist.sigma ** 2 / rng.chisquare(n - 1)
        mu = rng.normal(dist.mu, math.sqrt(sigma2 / n))
        return _Drawn(mu, math.sqrt(sigma2))
    return dist


def probability_draw(p, rng: np.random.Generator) -> float:
    """A probability, or one draw of a Beta-distributed one."""
    if isinstance(p, Beta):
        return float(rng.beta(p.alpha, p.beta))
    return float(p)
