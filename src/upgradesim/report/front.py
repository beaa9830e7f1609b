"""The optimize front as a figure: P(on time) against mean duration, each point's 95% intervals,
customer impact as the marker size, P(rollback) as the colour, and the plan's own strategy as a star."""

from __future__ import annotations

from pathlib import Path

__all__ = ["front_figure", "plot_front", "front_frame", "forecast_figure", "forecast_table"]


def front_figure(frame):
    """``frame``: ``OptimizeResult.to_frame()`` (point 0 is the plan's strategy)."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    front = frame[frame["point"] > 0]
    own = frame[frame["point"] == 0]
    hours = front["duration_min"] / 60
    ax.errorbar(hours, front["p_on_time"],
                xerr=[hours - front["duration_min_low"] / 60, front["duration_min_high"] / 60 - hours],
                yerr=[front["p_on_time"] - front["p_on_time_low"], front["p_on_time_high"] - front["p_on_time"]],
                fmt="none", ecolor="#999999", elinewidth=0.8, zorder=1)
    size = 30 + 300 * front["impact_min"] / max(float(frame["impact_min"].max()), 1e-9)
    dots = ax.scatter(hours, front["p_on_time"], s=size, c=front["p_rollback"], cmap="viridis_r", zorder=2,
                      label="front (size: impact minutes)")
    for r in front.itertuples():
        ax.annotate(str(r.point), (r.duration_min / 60, r.p_on_time), textcoords="offset points", xytext=(6, 4))
    if len(own):
        ax.scatter(own["duration_min"] / 60, own["p_on_time"], marker="*", s=260, c="#c0392b", zorder=3,
                   label=f"the plan's strategy ({own['design'].iloc[0].removesuffix(' (the plan' + chr(39) + 's)')})")
    fig.colorbar(dots, ax=ax, label="P(rollback)")
    ax.set_xlabel("mean duration (h)")
    ax.set_ylabel("P(on time)")
    ax.set_title("Rollout designs on the Pareto front")
    ax.legend(loc="lower right")
    return fig


def plot_front(result, path: str | Path) -> Path:
    """Write the front of an ``OptimizeResult`` to ``path`` (PNG, SVG or PDF by its suffix)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = front_figure(result.to_frame())
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def front_frame(doc: dict):
    """A stored optimize document (``OptimizeResult.to_dict()``) as the frame ``to_frame()`` gives."""
    import pandas as pd

    own = {k: v for k, v in doc["plan_strategy"].items() if k != "checks"}
    own["design"] = f"{own.get('strategy', own['design'])} (the plan's)"
    rows = [own] + [{k: v for k, v in p.items() if k != "checks"} for p in doc["front"]]
    return pd.DataFrame(rows)


def forecast_figure(doc: dict):
    """The burn-down of a stored forecast: nodes left over the coming hours (median, 10-90% fan),
    with the open window's end, the point of no return and the deadline."""
    import datetime as dt

    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    now = dt.datetime.fromisoformat(doc["now"])
    burn = pd.DataFrame(doc.get("remaining") or [])
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    if len(burn):
        hours = burn["minute"] / 60
        ax.fill_between(hours, burn["p10"], burn["p90"], color="#0072b2", alpha=0.25, label="10-90% of replications")
        ax.plot(hours, burn["p50"], color="#0072b2", label="median")
    marks = (("window_end", "end of the open window", "#e69f00"), ("point_of_no_return", "point of no return", "#c0392b"),
             ("deadline", "deadline", "#555555"))
    span = float(burn["minute"].max() / 60) if len(burn) else 24.0
    for key, label, colour in marks:
        if doc.get(key):
            h = (dt.datetime.fromisoformat(doc[key]) - now).total_seconds() / 3600
            if -span <= h <= span * 1.05:
                ax.axvline(h, color=colour, linestyle="--", label=f"{label} ({doc[key][:16].replace('T', ' ')})")
    ax.set_xlabel(f"hours from now ({doc['now'][:16].replace('T', ' ')} UTC)")
    ax.set_ylabel("nodes left to upgrade")
    ax.set_title(f"Forecast: {doc['decision'].upper()} - nodes left, {doc['upgraded']} of {doc['nodes']} done")
    ax.legend(loc="upper right")
    return fig


def forecast_table(doc: dict):
    """The forecast's figures beside the plan's own (as planned), in words."""
    import pandas as pd

    def p(t):
        return "n/a" if not t else f"{t['estimate']:.2f} [{t['low']:.2f}, {t['high']:.2f}]"

    planned = doc.get("planned") or {}
    rows = [
        ("P(finished inside the open window)", p(doc.get("p_window")), p(planned.get("p_window"))),
        (f"P(finished by {str(doc.get('deadline'))[:10]})", p(doc.get("p_deadline")), p(planned.get("p_deadline"))),
        ("P(rollback) of the remaining work", p(doc.get("p_rollback")), p(planned.get("p_rollback"))),
        ("median finish", (doc.get("finish") or {}).get("p50", "n/a"), (planned.get("finish") or {}).get("p50", "n/a")),
        ("point of no return", doc.get("point_of_no_return") or "none", ""),
    ]
    return pd.DataFrame(rows, columns=["figure", "now (from the log)", "as planned"])
