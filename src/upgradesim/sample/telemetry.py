"""Seeded synthetic telemetry with daily and weekly seasonality and one regressing service."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..plan.model import Plan

__all__ = ["synthetic_telemetry", "SERVICES", "REGRESSING_SERVICE"]

# service -> (share of a region's requests, base p95 latency ms)
SERVICES = {
    "order-api": (0.35, 120.0),
    "catalog-service": (0.30, 60.0),
    "pricing-service": (0.15, 45.0),
    "customer-portal": (0.12, 180.0),
    "fulfilment-service": (0.05, 90.0),
    "order-worker": (0.03, 150.0),
}
REGRESSING_SERVICE = "order-api"
HOSTS_PER_SERVICE = 2
BASE_ERROR_RATE = 0.002


def synthetic_telemetry(
    plan: Plan,
    *,
    start: dt.datetime,
    end: dt.datetime,
    cutover: dt.datetime,
    step_min: int = 15,
    seed: int = 0,
) -> pd.DataFrame:
    """Long-form metrics (ts, service, metric, value, region, host) for the plan's regions.

    Metrics per host: ``requests`` and ``errors`` (counts per step), ``latency_p95_ms`` and
    ``cpu_pct`` (8% idle plus 95% of the region's demand over its app-tier capacity). Demand follows each region's hourly profile in local time (weekends scaled),
    with noise; after ``cutover`` the regressing service's latency rises by 40% and its error
    rate fourfold.
    """
    rng = np.random.default_rng(seed)
    ts = pd.date_range(start, end, freq=f"{step_min}min", inclusive="left", tz="UTC")
    after = np.asarray(ts >= pd.Timestamp(cutover))
    frames = []
    for region in plan.regions:
        if region.traffic.hourly_rps is None:
            continue
        local = ts.tz_convert(region.tz)
        hour = np.asarray(local.hour)
        minute = np.asarray(local.minute)
        weekday = np.asarray(local.day_of_week)
        profile = np.asarray(region.traffic.hourly_rps, dtype=float)
        # interpolate within the hour so the curve is smooth
        rps = profile[hour] + (profile[(hour + 1) % 24] - profile[hour]) * minute / 60.0
        rps = rps * np.where(weekday >= 5, region.traffic.weekend_factor, 1.0)
        drift = 1.0 + 0.02 * (np.arange(len(ts)) / max(len(ts), 1))
        for service, (share, base_latency) in SERVICES.items():
            for h in range(HOSTS_PER_SERVICE):
                host = f"{service}-{region.name}-{h + 1:02d}"
                lam = rps * share * drift / HOSTS_PER_SERVICE * step_min * 60
                requests = rng.poisson(np.maximum(lam * rng.lognormal(0, 0.05, len(ts)), 0))
                util = np.clip(rps / profile.max(), 0, 1.2)  # latency grows with the load's daily shape
                app_capacity = region.nodes.get("app", 0) * plan.tiers["app"].capacity_rps if "app" in plan.tiers else 0
                load = rps / app_capacity if app_capacity else util  # CPU follows demand over capacity
                regress = after & (service == REGRESSING_SERVICE)
                p_err = np.where(regress, BASE_ERROR_RATE * 4, BASE_ERROR_RATE)
                errors = rng.binomial(requests, p_err)
                latency = base_latency * (1 + 0.35 * util) * rng.lognormal(0, 0.08, len(ts))
                latency = np.where(regress, latency * 1.4, latency)
                cpu = np.clip(8 + 95 * load + rng.normal(0, 2, len(ts)), 0, 100)
                for metric, values in (
                    ("requests", requests.astype(float)),
                    ("errors", errors.astype(float)),
                    ("latency_p95_ms", np.round(latency, 2)),
                    ("cpu_pct", np.round(cpu, 2)),
                ):
                    frames.append(pd.DataFrame({
                        "ts": ts, "service": service, "metric": metric, "value": values,
                        "region": region.name, "host": host,
                    }))
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["ts", "service", "region", "host", "metric"], kind="stable").reset_index(drop=True)
