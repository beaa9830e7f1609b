"""The capacity model and the samplers against theory, each with a confidence interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from scipy import stats

from upgradesim.plan.model import Empirical, Fixed, LogNormal, Triangular
from upgradesim.sim import erlang_c, response_quantile, response_tail
from upgradesim.sim.capacity import erlang_c_array, response_tail_array
from upgradesim.sim.distributions import planning_min, sample
from upgradesim.sim.stats import mean_ci, quantile_ci, wilson


def erlang_c_by_sums(c: int, a: float) -> float:
    """Textbook Erlang C from its defining sums, an independent implementation."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(("c", "a", "known"), [
    (1, 0.5, 0.5),            # M/M/1: P(wait) = rho
    (2, 1.0, 1 / 3),          # M/M/2 at rho = 0.5
    (10, 8.0, None), (50, 45.0, None), (120, 54.0, None),
])
def test_erlang_c_known_values(c, a, known):
    expected = known if known is not None else erlang_c_by_sums(c, a)
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-10)
    assert erlang_c_array(c, np.array([a]))[0] == pytest.approx(expected, rel=1e-10)


def test_erlang_c_limits():
    assert erlang_c(4, 0.0) == 0.0
    assert erlang_c(4, 4.0) == 1.0 and erlang_c(4, 9.0) == 1.0
    assert erlang_c(0, 1.0) == 1.0


def test_mm1_response_is_exponential():
    lam, mu = 0.7, 1.0
    for t in (0.1, 1.0, 5.0):
        assert response_tail(t, 1, lam, mu) == pytest.approx(math.exp(-(mu - lam) * t), rel=1e-12)
    assert response_quantile(0.95, 1, lam, mu) == pytest.approx(-math.log(0.05) / (mu - lam), rel=1e-9)


def test_tail_array_matches_scalar():
    lam = np.array([0.5, 2.0, 2.9, 3.0, 4.0])
    got = response_tail_array(1.3, 3, lam, 1.0)
    want = [response_tail(1.3, 3, x, 1.0) for x in lam]
    assert got == pytest.approx(want, rel=1e-12)


def simulate_mmc(c: int, lam: float, mu: float, customers: int, seed: int):
    """Per-request SimPy M/M/c: waits, responses, and time-average number in system."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits, responses = [], []
    area = {"n": 0, "last": 0.0, "integral": 0.0}

    def change(delta):
        area["integral"] += area["n"] * (env.now - area["last"])
        area["last"], area["n"] = env.now, area["n"] + delta

    def customer():
        arrived = env.now
        change(+1)
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(1 / mu))
        responses.append(env.now - arrived)
        change(-1)

    def source():
        for _ in range(customers):
            yield env.timeout(rng.exponential(1 / lam))
            env.process(customer())

    env.process(source())
    env.run()
    return np.array(waits), np.array(responses), area["integral"] / env.now, customers / env.now


def test_erlang_c_against_per_request_simulation():
    c, lam, mu = 3, 2.4, 1.0
    waits, responses, in_system, throughput = simulate_mmc(c, lam, mu, 60_000, seed=11)
    warm = 5_000
    waits, responses = waits[warm:], responses[warm:]
    # batch means: 20 batches give nearly independent estimates, hence a t interval
    pw_batches = [np.mean(b > 0) for b in np.array_split(waits, 20)]
    p95_batches = [np.quantile(b, 0.95) for b in np.array_split(responses, 20)]
    _, lo, hi = mean_ci(pw_batches, level=0.99)
    assert lo <= erlang_c(c, lam / mu) <= hi
    _, lo, hi = mean_ci(p95_batches, level=0.99)
    assert lo <= response_quantile(0.95, c, lam, mu) <= hi
    # Little's law on the simulated records: L = lambda * W
    w_mean, w_lo, w_hi = mean_ci([np.mean(b) for b in np.array_split(responses, 20)], level=0.99)
    assert in_system == pytest.approx(throughput * w_mean, rel=0.03)
    assert w_lo <= 1 / mu + erlang_c(c, lam / mu) / (c * mu - lam) <= w_hi


@pytest.mark.parametrize("dist", [
    Fixed(value=7.0),
    Triangular(low=2, mode=5, high=15),
    LogNormal(median=18, p95=40),
    Empirical(samples=(3.0, 4.0, 9.0, 12.0)),
])
def test_sample_mean_matches_analytic_mean(dist):
    x = sample(dist, np.random.default_rng(3), 20_000)
    mean, lo, hi = mean_ci(x, level=0.99)
    assert lo - 1e-9 <= dist.mean <= hi + 1e-9
    assert planning_min(dist) >= np.quantile(x, 0.5)


def test_lognormal_parameters_reproduce_median_and_p95():
    dist = LogNormal(median=18, p95=40)
    x = sample(dist, np.random.default_rng(5), 50_000)
    for q, want in ((0.5, 18.0), (0.95, 40.0)):
        _, lo, hi = quantile_ci(x, q, level=0.99)
        assert lo <= want <= hi


def test_wilson_interval_known_value():
    # 8 of 10 at 95%: Wilson (0.4902, 0.9433)
    p, lo, hi = wilson(8, 10)
    assert (p, round(lo, 4), round(hi, 4)) == (0.8, 0.4902, 0.9433)
    assert wilson(0, 50)[1] == 0.0 and wilson(50, 50)[2] == 1.0


def test_mean_ci_against_scipy():
    x = np.random.default_rng(1).normal(10, 2, 30)
    mean, lo, hi = mean_ci(x)
    want = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (lo, hi) == pytest.approx(want)
