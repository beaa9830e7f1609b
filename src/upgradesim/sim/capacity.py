"""Traffic-driven capacity: an M/M/c (Erlang C) model of the bottleneck tier.

A node that serves ``capacity_rps`` requests/s with a mean service time ``s`` behaves as
``floor(capacity_rps * s)`` parallel servers of rate ``1/s``. With ``c`` servers and arrival rate
``lam``, Erlang C gives the probability of waiting, the wait is exponential with rate
``c*mu - lam`` given a wait, and the response time is that wait plus an exponential service.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln, pdtr

__all__ = ["erlang_c", "response_tail", "response_quantile", "erlang_c_array", "response_tail_array"]


def erlang_c(c: int, offered: float) -> float:
    """P(wait > 0) in an M/M/c queue with ``offered = lam/mu`` Erlangs (1.0 when unstable)."""
    if c <= 0:
        return 1.0
    if offered <= 0:
        return 0.0
    if offered >= c:
        return 1.0
    # Erlang B by its stable recursion, then C from B
    b = 1.0
    for k in range(1, c + 1):
        b = offered * b / (k + offered * b)
    rho = offered / c
    return b / (1 - rho + rho * b)


def response_tail(t: float, c: int, lam: float, mu: float) -> float:
    """P(response time > t) for M/M/c (FCFS), all rates per the same time unit as ``t``."""
    if c <= 0 or lam >= c * mu:
        return 1.0
    pw = erlang_c(c, lam / mu)
    theta = c * mu - lam
    service = math.exp(-mu * t)
    if abs(theta - mu) < 1e-12 * mu:
        waited = (1 + mu * t) * math.exp(-mu * t)
    else:
        waited = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - pw) * service + pw * waited


def response_quantile(q: float, c: int, lam: float, mu: float) -> float:
    """The q-quantile of the response time (inf when the queue is unstable)."""
    if c <= 0 or lam >= c * mu:
        return math.inf
    hi = 1.0 / mu
    while response_tail(hi, c, lam, mu) > 1 - q:
        hi *= 2
    return brentq(lambda t: response_tail(t, c, lam, mu) - (1 - q), 0.0, hi, xtol=1e-12 * hi + 1e-15)


def erlang_c_array(c: int, offered: np.ndarray) -> np.ndarray:
    """Vectorised :func:`erlang_c` over offered loads for one ``c``.

    Erlang B is the Poisson pmf over its cdf at ``c`` (a closed form, O(1) per load and stable
    for thousands of servers); Erlang C follows from B.
    """
    offered = np.asarray(offered, dtype=float)
    if c <= 0:
        return np.ones_like(offered)
    a = np.maximum(offered, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_pmf = c * np.log(a) - a - gammaln(c + 1)
        b = np.exp(log_pmf) / pdtr(c, a)
        rho = offered / c
        out = b / (1 - rho + rho * b)
    out = np.where(offered >= c, 1.0, out)
    return np.where(offered <= 0, 0.0, out)


def response_tail_array(t: float, c: int, lam: np.ndarray, mu: float) -> np.ndarray:
    """Vectorised :func:`response_tail` over arrival rates for one ``c``."""
    lam = np.asarray(lam, dtype=float)
    if c <= 0:
        return np.ones_like(lam)
    pw = erlang_c_array(c, lam / mu)
    theta = c * mu - lam
    service = math.exp(-mu * t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        waited = (theta * service - mu * np.exp(-theta * t)) / (theta - mu)
        near = np.abs(theta - mu) < 1e-9 * mu
        waited = np.where(near, (1 + mu * t) * service, waited)
        out = (1 - pw) * service + pw * waited
    return np.where(lam >= c * mu, 1.0, out)
