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

__all__ = ["fit_tiers", "overlay_yaml", "NODE_ACTION", "node_attempts", "loo_check"]

NODE_ACTION = "node_upgrade"  # audit records of one node's upgrade attempt: details {tier, duration_min[, detect_min]}
Z95 = 1.6448536269514722
OUTCOMES_OK = frozenset({"ok", "success", "succeeded", "done"})
OUTCOMES_FAILED = frozenset({"failed", "rolled_back", "error"})


def node_attempts(audit: pd.DataFrame) -> pd.DataFrame:
    """One row per node upgrade attempt of the execution log: tier, duration, detect, failed, change."""
    nodes = audit[audit["action"] == NODE_ACTION]
    if nodes.empty:
        raise DataError(f"no '{NODE_ACTION}' records in the execution log to calibrate from")

    def parse(d):
        if isinstance(d, str):
            try:
                d = json.loads(d)
            except ValueError:
                return {}
        return d if isinstance(d, dict) else {}

    details = nodes["details"].map(parse)
    outcome = nodes["outcome"].astype(str).str.lower()
    unknown = sorted(set(outcome) - OUTCOMES_OK - OUTCOMES_FAILED)
    if unknown:
        raise DataError(f"{NODE_ACTION} outcome(={unknown[0]!r}) must be one of "
                        f"{', '.join(sorted(OUTCOMES_OK | OUTCOMES_FAILED))}")
    frame = pd.DataFrame({"tier": details.map(lambda d: d.get("tier")).to_numpy(),
                          "node": details.map(lambda d: d.get("node")).to_numpy(),
                          "duration": pd.to_numeric(details.map(lambda d: d.get("duration_min")),
                                                    errors="coerce").to_numpy(),
                          "detect": pd.to_numeric(details.map(lambda d: d.get("detect_min")), errors="coerce").to_numpy(),
                          "failed": outcome.isin(OUTCOMES_FAILED).to_numpy(),
                          "change_id": nodes["change_id"].to_numpy(),
                          "ts": nodes["ts"].astype(str).to_numpy() if "ts" in nodes else range(len(nodes))})
    given = details.map(lambda d: d.get("duration_min") is not None).to_numpy()
    bad = frame[given & ~(frame["duration"] > 0)]
    if not bad.empty:
        r = details.iloc[bad.index[0]]
        raise DataError(f"{NODE_ACTION} of change {bad['change_id'].iloc[0]}: duration_min(={r.get('duration_min')!r}) "
                        "must be a positive number of minutes")
    # the same attempt recorded twice with opposite outcomes cannot both be true
    keyed = frame.dropna(subset=["node"]).copy()
    if not keyed.empty:
        clash = keyed.groupby(["change_id", "node", "ts"])["failed"].nunique()  # none of the three is missing
        clash = clash[clash > 1]
        if not clash.empty:
            change, node = clash.index[0][:2]
            raise DataError(f"{NODE_ACTION} of node {node} in change {change}: the same attempt is recorded both "
                            "as succeeded and as failed")
    # a record whose details are not a JSON object or name no tier cannot be attributed: it is left
    # out and counted (an append-only log cannot be corrected, so it must not block calibration)
    kept = frame.drop(columns=["node", "ts"]).dropna(subset=["tier"]).reset_index(drop=True)
    kept.attrs["skipped"] = len(frame) - len(kept)
    return kept


def fit_tiers(audit: pd.DataFrame, *, min_attempts: int = 5) -> pd.DataFrame:
    """Per tier: a lognormal (median, p95) fitted by maximum likelihood to the attempt durations,
    with the number of observations so that the simulation draws its parameters from their
    posterior; the failure probability as a Beta posterior (uniform prior: 0 failures in 18 is
    Beta(1, 19), mean 0.05, never 0) with its 95% interval; and the amount of evidence."""
    attempts = node_attempts(audit)
    fits = _fit(attempts, min_attempts)
    fits.attrs["skipped"] = attempts.attrs["skipped"]
    if not fits["usable"].any():
        found = ", ".join(f"{r.tier} {r.attempts}" for r in fits.itertuples())
        raise DataError(f"no tier has at least min_attempts(={min_attempts}) attempts with a duration to calibrate "
                        f"from (found {found})")
    return fits


def _fit(frame: pd.DataFrame, min_attempts: int) -> pd.DataFrame:
    """:func:`fit_tiers` on node attempts already parsed (:func:`node_attempts`)."""
    rows = []
    for tier, g in frame.groupby("tier"):
        durations = g["duration"].dropna().to_numpy()  # each positive (node_attempts refuses others)
        n = len(g)
        if len(durations) < min_attempts:
            rows.append({"tier": tier, "attempts": n, "changes": g["change_id"].nunique(), "usable": False})
            continue
        logs = np.log(durations)
        mu, sigma = float(logs.mean()), float(logs.std(ddof=1)) if len(logs) > 1 else 0.0
        failed = int(g["failed"].sum())
        a, b = 1.0 + failed, 1.0 + n - failed  # uniform prior
        detect = g["detect"].dropna()
        rows.append({"tier": tier, "attempts": n, "changes": g["change_id"].nunique(), "usable": True,
                     "median_min": float(math.exp(mu)), "p95_min": float(math.exp(mu + Z95 * sigma)),
                     "n_durations": len(durations), "failures": failed,
                     "failure_prob": a / (a + b), "failure_alpha": a, "failure_beta": b,
                     "failure_low": float(stats.beta.ppf(0.025, a, b)),
                     "failure_high": float(stats.beta.ppf(0.975, a, b)),
                     "detect_mean_min": float(detect.mean())})  # NaN when no attempt gave one
    return pd.DataFrame(rows)


def overlay_yaml(fits: pd.DataFrame, source: str) -> str:
    """A plan overlay (``tiers:`` only) with the evidence as comments; merge it with --overlay."""
    usable = fits[fits["usable"]]
    lines = [f"# Calibrated from {source}: duration and failure parameters of past upgrades.",
             "# Apply with: upgradesim simulate PLAN --overlay THIS_FILE (values here replace the plan's).",
             "tiers:"]
    if fits.attrs.get("skipped"):
        lines.insert(2, f"# {fits.attrs['skipped']} {NODE_ACTION} records left out: details without a tier")
    for r in usable.itertuples():
        lines.append(f"  # {r.tier}: {r.attempts} attempts over {_changes(r.changes)}, {int(r.failures)} failed; failure "
                     f"probability {r.failure_prob:.4f}, 95% interval [{r.failure_low:.4f}, {r.failure_high:.4f}] "
                     "(Beta posterior, drawn per replication)")
        if r.p95_min > r.median_min * 1.001:
            duration = {"dist": "lognormal", "median": round(r.median_min, 3), "p95": round(r.p95_min, 3),
                        "n": int(r.n_durations)}
        else:  # no spread to speak of: a fixed duration
            duration = round(r.median_min, 3)
        body = {"upgrade_min": duration,
                "failure_prob": {"dist": "beta", "alpha": float(r.failure_alpha), "beta": float(r.failure_beta)}}
        if not math.isnan(r.detect_mean_min):
            body["detect_min"] = round(r.detect_mean_min, 2)
        lines.append(f"  {r.tier}: " + yaml.safe_dump(body, default_flow_style=True, sort_keys=False, width=10_000).strip())
    skipped = fits[~fits["usable"]]
    for r in skipped.itertuples():
        lines.append(f"  # {r.tier}: only {r.attempts} attempts, too few to calibrate; the plan's values stay")
    return "\n".join(lines) + "\n"


def _changes(n: int) -> str:
    return f"{n} change" + ("" if n == 1 else "s")


def loo_check(audit: pd.DataFrame, *, min_attempts: int = 5, levels=(0.8, 0.95)) -> dict:
    """Leave-one-change-out: fit each tier from the other changes, then ask whether the left-out
    change's attempt durations and failure counts fall inside the predictive intervals.

    Durations: the posterior predictive of a lognormal with unknown parameters (log duration ~
    m + s * sqrt(1 + 1/n) * t(n-1)). Failures: the Beta-binomial predictive of the change's failure
    count. Returns coverage per level (the nominal level is the target) and the counts behind it.
    """
    frame = node_attempts(audit)
    changes = sorted(frame["change_id"].dropna().unique())
    if len(changes) < 3:
        raise DataError(f"calibrate --check needs the node records of at least 3 changes (found {len(changes)})")
    inside = {("duration", q): 0 for q in levels} | {("failures", q): 0 for q in levels}
    totals = {"duration": 0, "failures": 0}
    for change in changes:
        train, test = frame[frame["change_id"] != change], frame[frame["change_id"] == change]
        fits = _fit(train, min_attempts).set_index("tier")
        for tier, g in test.groupby("tier"):
            if tier not in fits.index or not fits.loc[tier, "usable"]:
                continue
            f = fits.loc[tier]
            # the fit's own log-scale mean and spread (median = e^m, p95 = e^(m + Z95 s))
            n = int(f["n_durations"])
            m, s = math.log(f["median_min"]), math.log(f["p95_min"] / f["median_min"]) / Z95
            observed = np.log(g["duration"].dropna().to_numpy())
            for q in levels:
                half = stats.t.ppf(0.5 + q / 2, n - 1) * s * math.sqrt(1 + 1 / n)
                inside[("duration", q)] += int(np.sum(np.abs(observed - m) <= half))
            totals["duration"] += len(observed)
            k, trials = int(g["failed"].sum()), len(g)
            dist = stats.betabinom(trials, f["failure_alpha"], f["failure_beta"])
            for q in levels:
                lo, hi = dist.ppf((1 - q) / 2), dist.ppf(0.5 + q / 2)
                inside[("failures", q)] += int(lo <= k <= hi)
            totals["failures"] += 1
    if not totals["duration"]:
        raise DataError("calibrate --check: no tier had enough attempts in the other changes to predict from")
    return {"changes": len(changes), "attempts": totals["duration"], "change_tiers": totals["failures"],
            "coverage": {f"{what} {round(q * 100)}%": inside[(what, q)] / max(totals[what], 1)
                         for what in ("duration", "failures") for q in levels}}
