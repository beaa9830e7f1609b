"""Labelled telemetry for the judge benchmark: realistic series with known answers.

Every case is a baseline and a candidate of one metric with a label: ``quiet`` (no change: any
alarm is a false alarm) or ``regression`` (a change of practical size in the bad direction: a
miss is a miss). Series have daily and weekly cycles, AR(1) noise, day-to-day level wander,
heavy-tailed noise, missing points; regressions are level shifts, tail-only changes, brief
spikes and error-rate increases; baselines run from 1 day to 3 weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Case", "CLASSES", "make_case", "cases"]

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # a Monday


@dataclass(frozen=True)
class Case:
    name: str  # scenario class
    label: str  # quiet or regression
    base: pd.DataFrame
    cand: pd.DataFrame
    metric: str


def _ar1(rng, n, phi, sigma):
    e = rng.normal(0, sigma * np.sqrt(1 - phi ** 2), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sigma)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


def _series(rng, days, step_min, *, daily=0.5, weekly=0.3, phi=0.8, noise=0.08, wander=0.04, heavy=False,
            level=100.0, start=T0):
    n = int(days * 24 * 60 // step_min)
    ts = pd.date_range(start, periods=n, freq=f"{step_min}min")
    hour = ts.hour.to_numpy() + ts.minute.to_numpy() / 60
    weekend = ts.dayofweek.to_numpy() >= 5
    cycle = 1 + daily * np.sin((hour - 8) / 24 * 2 * np.pi)
    cycle = cycle * np.where(weekend, 1 - weekly, 1.0)
    day = ((ts - ts[0]).days).to_numpy()
    day_level = 1 + rng.normal(0, wander, day.max() + 1)[day]
    noise_v = np.exp(_ar1(rng, n, phi, noise))
    if heavy:
        spikes = rng.random(n) < 0.003
        noise_v = noise_v * np.where(spikes, rng.pareto(2.5, n) + 1.5, 1.0)
    return ts, level * cycle * day_level * noise_v


def _frame(ts, values, metric):
    return pd.DataFrame({"ts": ts, "service": "svc", "metric": metric, "value": values})


def _split(rng, base_days, cand_days, step_min, metric="latency_ms", missing=0.0, **kw):
    ts, v = _series(rng, base_days + cand_days, step_min, **kw)
    cut = int(base_days * 24 * 60 // step_min)
    frame = _frame(ts, v, metric)
    if missing:
        frame = frame[rng.random(len(frame)) >= missing]
        cut_ts = ts[cut]
        return frame[frame.ts < cut_ts].copy(), frame[frame.ts >= cut_ts].copy()
    return frame.iloc[:cut].copy(), frame.iloc[cut:].copy()


def _counts(rng, base_days, cand_days, step_min, rate, factor=1.0, burst=True):
    n = int((base_days + cand_days) * 24 * 60 // step_min)
    ts = pd.date_range(T0, periods=n, freq=f"{step_min}min")
    hour = ts.hour.to_numpy()
    requests = rng.poisson(200 * (1 + 0.6 * np.sin((hour - 8) / 24 * 2 * np.pi)))
    cut = int(base_days * 24 * 60 // step_min)
    p = np.full(n, rate)
    if burst:  # errors come in bursts: a gamma-distributed rate per hour
        hours = np.arange(n) * step_min // 60
        p = p * rng.gamma(2.0, 0.5, hours.max() + 1)[hours]
    p[cut:] *= factor
    errors = rng.binomial(requests, np.clip(p, 0, 1))
    frame = pd.concat([_frame(ts, requests.astype(float), "requests"), _frame(ts, errors.astype(float), "errors")])
    cut_ts = ts[cut]
    return frame[frame.ts < cut_ts].copy(), frame[frame.ts >= cut_ts].copy()


def make_case(name: str, seed: int) -> Case:
    """One case of scenario class ``name``."""
    rng = np.random.default_rng(seed)
    step = int(rng.choice([1, 5])) if name not in ("quiet-sparse-errors", "error-rate-x3") else 5
    base_days = int(rng.choice([7, 14, 21]))
    label = "regression"
    metric = "latency_ms"
    if name == "quiet-seasonal":
        label = "quiet"
        b, c = _split(rng, base_days, 1, step)
    elif name == "quiet-short-baseline":
        label = "quiet"
        b, c = _split(rng, int(rng.integers(1, 4)), 1, step, daily=float(rng.choice([0.0, 0.5])))
    elif name == "quiet-heavy-tailed":
        label = "quiet"
        b, c = _split(rng, base_days, 1, step, heavy=True, phi=0.9)
    elif name == "quiet-level-wander":
        label = "quiet"
        b, c = _split(rng, base_days, 1, step, wander=0.08)
    elif name == "quiet-missing-points":
        label = "quiet"
        b, c = _split(rng, base_days, 1, step, missing=0.2)
    elif name == "quiet-sparse-errors":
        label = "quiet"
        b, c = _counts(rng, base_days, 1, step, rate=0.002)
        metric = "errors"
    elif name == "level-shift":
        b, c = _split(rng, base_days, 1, step)
        c["value"] *= float(rng.uniform(1.3, 1.6))
    elif name == "level-shift-short-baseline":
        b, c = _split(rng, int(rng.integers(2, 4)), 1, step)
        c["value"] *= float(rng.uniform(1.4, 1.8))
    elif name == "tail-only":
        b, c = _split(rng, base_days, 1, step)
        slow = rng.random(len(c)) < 0.10  # one request path in ten now much slower
        c.loc[slow, "value"] *= float(rng.uniform(2.5, 4.0))
    elif name == "brief-spike":
        b, c = _split(rng, base_days, 1, step)
        length = max(2, int(rng.integers(10, 30) // step))
        at = int(rng.integers(0, len(c) - length))
        c.iloc[at:at + length, c.columns.get_loc("value")] *= float(rng.uniform(4, 8))
    elif name == "error-rate-x3":
        b, c = _counts(rng, base_days, 1, step, rate=0.002, factor=3.0)
        metric = "errors"
    else:
        raise ValueError(name)
    return Case(name, label, b, c, metric)


CLASSES = ["quiet-seasonal", "quiet-short-baseline", "quiet-heavy-tailed", "quiet-level-wander",
           "quiet-missing-points", "quiet-sparse-errors", "level-shift", "level-shift-short-baseline",
           "tail-only", "brief-spike", "error-rate-x3"]


def cases(per_class: int = 40, seed: int = 0):
    """``per_class`` cases of every class, seeded."""
    for k, name in enumerate(CLASSES):
        for i in range(per_class):
            yield make_case(name, seed * 1_000_003 + k * 10_007 + i)
