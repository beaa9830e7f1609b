"""KPIs over the history of upgrades, with ServiceNow's change-success score."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError

__all__ = ["kpis", "change_success_score", "OUTCOME_POINTS", "INCIDENT_POINTS"]

OUTCOME_POINTS = {"successful": 3, "successful_with_issues": -2, "unsuccessful": -5}
INCIDENT_POINTS = {"incidents_p1": -10, "incidents_p2": -5, "incidents_p3": -2}


def change_success_score(history: pd.DataFrame) -> pd.Series:
    """Per change: +3 successful, -2 successful with issues, -5 unsuccessful; -10/-5/-2 per P1/P2/P3."""
    unknown = set(history["outcome"]) - set(OUTCOME_POINTS)
    if unknown:
        raise DataError(f"history: outcome(={sorted(unknown)[0]}): must be one of {', '.join(OUTCOME_POINTS)}")
    score = history["outcome"].map(OUTCOME_POINTS).astype(float)
    for column, points in INCIDENT_POINTS.items():
        score += points * history[column].fillna(0)
    return score


def kpis(history: pd.DataFrame, by: str = "quarter") -> tuple[pd.DataFrame, dict]:
    """Per period (month or quarter) and overall: changes, outcomes, rollback rate, incidents,
    downtime, lead time and the change-success score; and the score's trend per period."""
    h = history.copy()
    h["score"] = change_success_score(h)
    h["incidents"] = h[list(INCIDENT_POINTS)].fillna(0).sum(axis=1)
    h["lead_time_days"] = (pd.to_datetime(h["finished_at"], utc=True) - pd.to_datetime(h["requested_at"], utc=True)
                           ).dt.total_seconds() / 86400
    started = pd.to_datetime(h["started_at"], utc=True).dt.tz_localize(None)
    h["period"] = started.dt.to_period("M" if by == "month" else "Q").astype(str)

    def summary(g: pd.DataFrame) -> pd.Series:
        return pd.Series({
            "changes": len(g), "successful": int((g["outcome"] == "successful").sum()),
            "with_issues": int((g["outcome"] == "successful_with_issues").sum()),
            "unsuccessful": int((g["outcome"] == "unsuccessful").sum()),
            "rollback_rate": float(g["rolled_back"].fillna(False).astype(bool).mean()),
            "incidents": int(g["incidents"].sum()), "downtime_min": float(g["downtime_min"].fillna(0).sum()),
            "mean_downtime_min": float(g["downtime_min"].fillna(0).mean()),
            "mean_lead_time_days": float(g["lead_time_days"].mean()), "success_score": float(g["score"].sum()),
            "mean_score": float(g["score"].mean())})

    periods = pd.DataFrame([summary(g).rename(p) for p, g in h.groupby("period", sort=True)])
    periods.index.name = "period"
    total = summary(h)
    trend = {"per_period": np.nan, "p_value": np.nan}
    if len(periods) >= 3:
        fit = stats.linregress(np.arange(len(periods)), periods["mean_score"].to_numpy())
        trend = {"per_period": float(fit.slope), "p_value": float(fit.pvalue)}
    return periods.reset_index(), {"overall": total.to_dict(), "trend_mean_score": trend}


HISTORY_SCHEMA = {"change_id": "text", "requested_at": "timestamp", "started_at": "timestamp",
                  "finished_at": "timestamp", "downtime_min": "number", "outcome": "text", "rolled_back": "bool",
                  "incidents_p1": "count", "incidents_p2": "count", "incidents_p3": "count"}


def read_history(path) -> pd.DataFrame:
    """Past upgrades from a CSV (columns of ``HISTORY_SCHEMA``; change_id, started_at, finished_at and
    outcome required), every bad cell named with its row; finished before started is an error."""
    from ..errors import DataError
    from ..readers import read_csv

    frame = read_csv(path, HISTORY_SCHEMA, required=("change_id", "started_at", "finished_at", "outcome"),
                     choices={"outcome": tuple(OUTCOME_POINTS)})
    if not len(frame):
        raise DataError(f"{path}: a header and no rows: nothing to add")
    problems = []
    for i, row in enumerate(frame.itertuples(), start=2):
        if row.finished_at < row.started_at:
            problems.append(f"{path}:{i}: finished_at(={row.finished_at:%Y-%m-%dT%H:%M}Z): before started_at")
        if row.downtime_min is not None and row.downtime_min == row.downtime_min and row.downtime_min < 0:
            problems.append(f"{path}:{i}: downtime_min(={row.downtime_min:g}): must be >= 0")
    duplicated = frame["change_id"][frame["change_id"].duplicated()]
    if len(duplicated):
        problems.append(f"{path}: change_id {', '.join(map(str, duplicated.unique()[:5]))} given more than once")
    if problems:
        raise DataError("\n".join(problems))
    return frame
