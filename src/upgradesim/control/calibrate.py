"""Calibration: the simulation's duration and failure parameters fitted from executed logs of
past upgrades, written as a plan overlay that records the evidence behind each figure."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..errors import DataError
from ..sim.stats import wilson

__all__ = ["fit_tiers", "overlay_yaml", "NODE_ACTION"]

NODE_ACTION = "node_upgrade"  # audit records of one node's upgrade attempt: details {tier, duration_min[, detect_min]}
Z95 = 1.6448536269514722


def fit_tiers(audit: pd.DataFrame, *, min_attempts: int = 5) -> pd.DataFrame:
    """Per tier: a lognormal (median, p95) fitted by maximum likelihood to the attempt durations,
    the failure probability with its Wilson interval, and the amount of evidence."""
    rows = []
    nodes = audit[audit["action"] == NODE_ACTION]
    if nodes.empty:
        raise DataError(f"no '{NODE_ACTION}' records in the execution log to calibrate from")
    details = nodes["details"].map(lambda d: json.loads(d) if isinstance(d, str) else (d or {}))
    frame = pd.DataFrame({"tier": details.map(lambda d: d.get("tier")),
                          "duration": details.map(lambda d: d.get("duration_min")),
                          "detect": details.map(lambda d: d.get("detect_min")),
                          "failed": nodes["outcome"].isin(["failed", "rolled_back"]).to_numpy(),
                          "change_id": nodes["change_id"].to_numpy()})
    for tier, g in frame.dropna(subset=["tier"]).groupby("tier"):
        durations = pd.to_numeric(g["duration"], errors="coerce").dropna()
        durations = durations[durations > 0].to_numpy()
        n = len(g)
        if len(durations) < min_attempts:
            rows.append({"tier": tier, "attempts": n, "changes": g["change_id"].nunique(), "usable": False})
            continue
        sigma, _, scale = stats.lognorm.fit(durations, floc=0)
        failed = int(g["failed"].sum())
        p, lo, hi = wilson(failed, n)
        detect = pd.to_numeric(g["detect"], errors="coerce").dropna()
        rows.append({"tier": tier, "attempts": n, "changes": g["change_id"].nunique(), "usable": True,
                     "median_min": float(scale), "p95_min": float(scale * math.exp(Z95 * sigma)),
                     "failure_prob": p, "failure_low": lo, "failure_high": hi,
                     "detect_mean_min": float(detect.mean()) if len(detect) else np.nan})
    return pd.DataFrame(rows)


def overlay_yaml(fits: pd.DataFrame, source: str) -> str:
    """A plan overlay (``tiers:`` only) with the evidence as comments; merge it with --overlay."""
    usable = fits[fits["usable"]]
    lines = [f"# Calibrated from {source}: duration and failure parameters of past upgrades.",
             "# Apply with: upgradesim simulate PLAN --overlay THIS_FILE (values here replace the plan's).",
             "tiers:"]
    for r in usable.itertuples():
        lines.append(f"  # {r.tier}: {r.attempts} attempts over {r.changes} changes; failure 95% interval "
                     f"[{r.failure_low:.3f}, {r.failure_high:.3f}]")
        if r.p95_min > r.median_min * 1.001:
            duration = {"dist": "lognormal", "median": round(r.median_min, 2), "p95": round(r.p95_min, 2)}
        else:  # no spread to speak of: a fixed duration
            duration = round(r.median_min, 2)
        body = {"upgrade_min": duration, "failure_prob": round(r.failure_prob, 4)}
        if not math.isnan(r.detect_mean_min):
            body["detect_min"] = round(r.detect_mean_min, 2)
        lines.append(f"  {r.tier}: " + yaml.safe_dump(body, default_flow_style=True, sort_keys=False).strip())
    skipped = fits[~fits["usable"]]
    for r in skipped.itertuples():
        lines.append(f"  # {r.tier}: only {r.attempts} attempts, too few to calibrate; the plan's values stay")
    return "\n".join(lines) + "\n"
