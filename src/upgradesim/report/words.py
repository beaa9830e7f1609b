"""Numbers for people: thousands separators, "1 in 25", hours and minutes; plain labels instead of
field names. Stakeholder pages use these and never scientific notation or test statistics."""

from __future__ import annotations

import math

__all__ = ["count", "odds", "minutes", "percent", "LABELS", "label"]

LABELS = {
    "duration_min": "mean duration", "duration_p50_min": "typical duration (median)",
    "duration_p95_min": "duration in a bad case (95th percentile)", "downtime_min": "expected downtime",
    "sla_breach_min": "expected minutes over the latency target", "unserved_requests": "requests not served",
    "extra_node_hours": "extra node-hours (second stack)", "cost_node_hours": "node-hours of extra capacity and rollback",
    "cost": "expected cost", "p_rollback": "chance of a rollback",
    "p_overrun": "chance of running past a window", "p_complete": "chance of finishing in the horizon",
    "p_defect_shipped": "chance a defect reaches production unnoticed",
}


def label(figure: str) -> str:
    """The plain-words name of a summary figure."""
    return LABELS.get(figure, figure.replace("_", " "))


def count(x: float) -> str:
    """4560.2 -> '4,560'; small values keep one decimal."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}".rstrip("0").rstrip(".") or "0"


def odds(p: float) -> str:
    """A probability in words: 0.04 -> '1 in 25', 0.22 -> '1 in 4.5', 0 -> 'almost never', 0.97 -> '97 in 100'."""
    if p is None or math.isnan(p):
        return "n/a"
    if p <= 0.0005:
        return "almost never"
    if p >= 0.9995:
        return "almost always"
    if p <= 0.5:
        n = 1 / p
        return f"1 in {n:.1f}".replace(".0", "") if n < 10 else f"1 in {round(n):,}"
    return f"{round(p * 100)} in 100"


def minutes(m: float) -> str:
    """Minutes in words: 45 -> '45 min', 200 -> '3 h 20 min', 3000 -> '2 days 2 h'."""
    if m is None or math.isnan(m):
        return "n/a"
    m = max(float(m), 0.0)
    if m < 60:
        return f"{m:.0f} min"
    if m < 48 * 60:
        h, rest = divmod(round(m), 60)
        return f"{h} h" + (f" {rest} min" if rest else "")
    d, rest = divmod(round(m / 60), 24)
    return f"{d} days" + (f" {rest} h" if rest else "")


def percent(p: float) -> str:
    return "n/a" if p is None or math.isnan(p) else f"{p * 100:.0f}%"
