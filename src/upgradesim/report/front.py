"""The optimize front as a figure: P(on time) against mean duration, each point's 95% intervals,
customer impact as the marker size, P(rollback) as the colour, and the plan's own strategy as a star."""

from __future__ import annotations

from pathlib import Path

__all__ = ["front_figure", "plot_front"]


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
