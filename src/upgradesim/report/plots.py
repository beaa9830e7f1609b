"""Figures for the reports: each function takes plain values (DataFrames, a plan) and returns a
matplotlib Figure with a title, axis labels with units, and a legend where there is more than one
series. Notebooks call these; they hold no plotting logic of their own."""

from __future__ import annotations

import datetime as dt

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

from ..plan.calendar import region_calendar, to_datetime
from ..plan.model import Plan

__all__ = ["findings_by_area", "dependency_graph", "lifecycle_timeline", "capacity_headroom", "strategy_intervals",
           "distributions", "probabilities", "rollout_timeline", "capacity_vs_demand", "metric_comparison",
           "verdict_scores"]

SEVERITY_COLOURS = {"blocker": "#c0392b", "warning": "#e69f00", "info": "#0072b2"}


def _figure(width=9.0, height=4.5):
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def findings_by_area(findings: pd.DataFrame):
    """Stacked bars: findings per area, by severity."""
    fig, ax = _figure()
    table = (findings.groupby(["area", "severity"]).size().unstack(fill_value=0)
             .reindex(columns=["blocker", "warning", "info"], fill_value=0))
    bottom = np.zeros(len(table))
    for severity in table.columns:
        ax.bar(table.index, table[severity], bottom=bottom, label=severity, color=SEVERITY_COLOURS[severity])
        bottom += table[severity].to_numpy()
    ax.set_title("Readiness findings by area and severity")
    ax.set_xlabel("area")
    ax.set_ylabel("findings (count)")
    ax.legend(title="severity")
    return fig


def dependency_graph(plan: Plan, components: pd.DataFrame):
    """The component dependency graph, coloured by readiness class (blockers in red)."""
    graph = plan.dependency_graph()
    classes = components.set_index("component")["readiness"].to_dict()
    colours = {"not ready": "#c0392b", "conditionally ready": "#e69f00", "ready": "#009e73", "unknown": "#999999"}
    fig, ax = _figure(11, 7)
    layers = {}
    for layer, names in enumerate(nx.topological_generations(graph.reverse()) if nx.is_directed_acyclic_graph(graph)
                                  else [list(graph)]):
        for name in names:
            layers[name] = layer
    nx.set_node_attributes(graph, layers, "layer")
    pos = nx.multipartite_layout(graph, subset_key="layer", align="horizontal")
    nx.draw_networkx_edges(graph, pos, ax=ax, alpha=0.35, arrowsize=8, node_size=600)
    for cls, colour in colours.items():
        nodes = [n for n in graph if classes.get(n, "unknown") == cls]
        nx.draw_networkx_nodes(graph, pos, nodelist=nodes, node_color=colour, node_size=600, ax=ax, label=cls)
    nx.draw_networkx_labels(graph, pos, font_size=7, ax=ax)
    ax.set_title("Dependency graph: dependencies below their dependents, coloured by readiness")
    ax.legend(title="readiness", loc="upper left", fontsize=8)
    ax.axis("off")
    return fig


def lifecycle_timeline(lifecycle: pd.DataFrame, as_of: dt.date, rollout: tuple[dt.date, dt.date]):
    """End of security support per component against today and the rollout window."""
    rows = lifecycle.dropna(subset=["eol"]).copy()
    rows["eol"] = pd.to_datetime(rows["eol"])
    rows = rows.sort_values("eol")
    fig, ax = _figure(10, max(3.0, 0.3 * len(rows) + 1.5))
    colours = np.where(rows["eol"] < pd.Timestamp(as_of), SEVERITY_COLOURS["blocker"],
                       np.where(rows["eol"] <= pd.Timestamp(rollout[1]), SEVERITY_COLOURS["warning"], "#009e73"))
    labels = [f"{c} ({p} {cy})" for c, p, cy in zip(rows["component"], rows["product"], rows["cycle"], strict=True)]
    ax.scatter(rows["eol"], labels, c=list(colours), zorder=3, label="end of security support")
    ax.axvline(pd.Timestamp(as_of), color="black", linestyle="--", label=f"as of {as_of}")
    ax.axvspan(pd.Timestamp(rollout[0]), pd.Timestamp(rollout[1]), color="#56b4e9", alpha=0.25, label="planned rollout")
    ax.set_title("Support lifecycle: end of security support per component")
    ax.set_xlabel("date")
    ax.set_ylabel("component (product cycle)")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def capacity_headroom(capacity: pd.DataFrame, threshold: float = 0.85):
    """Current and projected peak utilisation per tier and region."""
    fig, ax = _figure()
    labels = [f"{t}\n{r}" for t, r in zip(capacity["tier"], capacity["region"], strict=True)]
    x = np.arange(len(capacity))
    ax.bar(x - 0.2, 100 * capacity["utilisation"], width=0.4, label="peak today", color="#56b4e9")
    ax.bar(x + 0.2, 100 * capacity["projected"], width=0.4, label="projected with the target", color="#e69f00")
    ax.axhline(100 * threshold, color=SEVERITY_COLOURS["blocker"], linestyle="--", label=f"limit {threshold:.0%}")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_title("Capacity headroom per tier and region")
    ax.set_ylabel("peak utilisation (%)")
    ax.set_xlabel("tier and region")
    ax.legend()
    return fig


def strategy_intervals(summary: pd.DataFrame, figure: str, label: str, scale: float = 1.0):
    """One figure's estimate and 95% interval per strategy."""
    rows = summary[summary["figure"] == figure]
    fig, ax = _figure(8, 0.5 * len(rows) + 1.5)
    y = np.arange(len(rows))
    est = rows["estimate"].to_numpy() * scale
    err = np.vstack([est - rows["low"].to_numpy() * scale, rows["high"].to_numpy() * scale - est])
    ax.errorbar(est, y, xerr=np.clip(err, 0, None), fmt="o", capsize=4, label="estimate with 95% interval")
    ax.set_yticks(y, rows["strategy"])
    ax.set_title(f"{label} by strategy")
    ax.set_xlabel(label)
    ax.set_ylabel("strategy")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def distributions(replications: pd.DataFrame, column: str, label: str, scale: float = 1.0):
    """Distribution of one replication figure per strategy (box plots over replications)."""
    strategies = list(dict.fromkeys(replications["strategy"]))
    data = [replications.loc[replications["strategy"] == s, column].to_numpy() * scale for s in strategies]
    fig, ax = _figure(9, 0.5 * len(strategies) + 1.8)
    ax.boxplot(data, orientation="horizontal", tick_labels=strategies, showfliers=True)
    means = [d.mean() if len(d) else np.nan for d in data]
    ax.scatter(means, np.arange(1, len(strategies) + 1), marker="D", color="#c0392b", zorder=3, label="mean")
    ax.set_title(f"Distribution of {label} over replications")
    ax.set_xlabel(label)
    ax.set_ylabel("strategy")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def probabilities(summary: pd.DataFrame, limits: dict[str, float] | None = None):
    """P(rollback) and P(overrun) with Wilson intervals, against the board's limits."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * summary["strategy"].nunique() + 2), layout="constrained",
                             sharey=True)
    for ax, figure, title in zip(axes, ("p_rollback", "p_overrun"), ("P(rollback)", "P(window overrun)"), strict=True):
        rows = summary[summary["figure"] == figure]
        y = np.arange(len(rows))
        est = rows["estimate"].to_numpy()
        err = np.vstack([est - rows["low"].to_numpy(), rows["high"].to_numpy() - est])
        ax.errorbar(est, y, xerr=np.clip(err, 0, None), fmt="o", capsize=4, label="estimate, 95% Wilson interval")
        limit = (limits or {}).get(figure)
        if limit is not None:
            ax.axvline(limit, color=SEVERITY_COLOURS["blocker"], linestyle="--", label=f"tolerance {limit:g}")
        ax.set_yticks(y, rows["strategy"])
        ax.set_title(title)
        ax.set_xlabel("probability")
        ax.legend(fontsize=8, loc="lower right")
    axes[0].set_ylabel("strategy")
    fig.suptitle("Probabilities per strategy")
    return fig


def _out_intervals(events: pd.DataFrame) -> list[tuple[str, str, float, float, str]]:
    """(node, region, start, end, kind) of every period a node spent out of rotation."""
    pairs = {"upgrade_start": ("upgrade_done", "upgrade_failed"), "failure_detected": ("node_rolled_back",),
             "revert_start": ("reverted",)}
    out = []
    for node, group in events.groupby("node", sort=False):
        if "/" not in str(node):
            continue
        open_: dict[str, float] = {}
        for row in group.itertuples():
            if row.event in pairs:
                open_[row.event] = row.at_min
            for start, ends in pairs.items():
                if row.event in ends and start in open_:
                    kind = "upgrade" if start == "upgrade_start" else "rollback"
                    out.append((node, row.region, open_.pop(start), row.at_min, kind))
    return out


def rollout_timeline(plan: Plan, events: pd.DataFrame, title: str = "Rollout timeline"):
    """One replication drawn over each region's maintenance windows (local windows, UTC axis)."""
    regions = [r.name for r in plan.regions]
    fig, ax = _figure(12, 1.1 * len(regions) + 2)
    start = plan.calendar.start_utc
    times = events["at_min"] if len(events) else pd.Series([0.0])
    t0, t1 = float(times.min()), float(times.max())
    pad = max((t1 - t0) * 0.05, 60.0)
    for i, region in enumerate(regions):
        cal = region_calendar(plan, plan.region(region))
        spans = [(to_datetime(plan, s), to_datetime(plan, e) - to_datetime(plan, s)) for s, e in cal.intervals
                 if e >= t0 - pad and s <= t1 + pad]
        ax.broken_barh([(mdates.date2num(s), d.total_seconds() / 86400) for s, d in spans], (i - 0.4, 0.8),
                       facecolors="#56b4e9", alpha=0.3, label="maintenance window" if i == 0 else None)
    colours = {"upgrade": "#009e73", "rollback": "#c0392b"}
    seen = set()
    for _node, region, s, e, kind in _out_intervals(events):
        i = regions.index(region) if region in regions else None
        if i is None:
            continue
        ax.broken_barh([(mdates.date2num(start + dt.timedelta(minutes=s)), (e - s) / 1440)], (i - 0.3, 0.6),
                       facecolors=colours[kind], alpha=0.5, label=None if kind in seen else f"node {kind}")
        seen.add(kind)
    for row in events[events["event"].isin(["migration_start", "cutover_start", "rollback_triggered"])].itertuples():
        i = regions.index(row.region) if row.region in regions else len(regions) - 0.5
        marker = {"migration_start": "s", "cutover_start": "^", "rollback_triggered": "X"}[row.event]
        ax.plot(mdates.date2num(start + dt.timedelta(minutes=row.at_min)), i, marker, color="black",
                label=None if row.event in seen else row.event.replace("_", " "))
        seen.add(row.event)
    ax.set_yticks(range(len(regions)), regions)
    ax.set_xlim(mdates.date2num(start + dt.timedelta(minutes=t0 - pad)), mdates.date2num(start + dt.timedelta(minutes=t1 + pad)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M"))
    ax.set_title(title)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("region")
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    return fig


def capacity_vs_demand(plan: Plan, events: pd.DataFrame, tier: str | None = None):
    """Serving capacity of the bottleneck tier against demand, per region, during one replication."""
    tier = tier or plan.service.bottleneck_tier or "app"
    regions = [r for r in plan.regions if r.nodes.get(tier)]
    fig, axes = plt.subplots(len(regions), 1, figsize=(11, 2.4 * len(regions) + 0.8), layout="constrained", sharex=True,
                             squeeze=False)
    start = plan.calendar.start_utc
    t0 = float(events["at_min"].min()) if len(events) else 0.0
    t1 = float(events["at_min"].max()) if len(events) else 60.0
    grid = np.arange(t0 - 60, t1 + 120, 10.0)
    outs = _out_intervals(events)
    per_node = plan.tiers[tier].capacity_rps
    for ax, region in zip(axes[:, 0], regions, strict=True):
        out = np.zeros_like(grid)
        for node, reg, s, e, _ in outs:
            if reg == region.name and f"/{tier}/" in node:
                out += (grid >= s) & (grid < e)
        capacity = (region.nodes[tier] - out) * per_node
        when = [start + dt.timedelta(minutes=float(m)) for m in grid]
        demand = [region.traffic.rps_at(w.astimezone(region.zone).weekday(), w.astimezone(region.zone).hour)
                  if region.traffic.hourly_rps is not None else np.nan for w in when]
        ax.plot(when, capacity, drawstyle="steps-post", label="serving capacity", color="#009e73")
        ax.plot(when, demand, label="demand", color="#c0392b")
        ax.set_ylabel("requests/s")
        ax.set_title(f"{region.name}: {tier} capacity against demand")
        ax.legend(fontsize=8, loc="upper right")
    axes[-1, 0].set_xlabel("time (UTC)")
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M"))
    fig.suptitle("Capacity against demand during the rollout")
    return fig


def metric_comparison(base: pd.DataFrame, cand: pd.DataFrame, service: str, metric: str):
    """Baseline and candidate distributions of one metric of one service."""
    b = base[(base["service"] == service) & (base["metric"] == metric)]["value"].dropna()
    c = cand[(cand["service"] == service) & (cand["metric"] == metric)]["value"].dropna()
    fig, ax = _figure(8, 3.5)
    ax.set_title(f"{service}: {metric}, baseline against candidate")
    ax.set_xlabel(metric)
    ax.set_ylabel("density")
    if not len(b) and not len(c):
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
        ax.plot([], [], label="no data")
        ax.legend()
        return fig
    bins = np.histogram_bin_edges(np.concatenate([b.to_numpy(), c.to_numpy()]), 40)
    ax.hist(b, bins=bins, alpha=0.55, density=True, label=f"baseline (n={len(b)})", color="#56b4e9")
    ax.hist(c, bins=bins, alpha=0.55, density=True, label=f"candidate (n={len(c)})", color="#e69f00")
    ax.set_title(f"{service}: {metric}, baseline against candidate")
    ax.set_xlabel(metric)
    ax.set_ylabel("density")
    ax.legend()
    return fig


def verdict_scores(services: pd.DataFrame, pass_score: float = 75, marginal_score: float = 50):
    """Score per service with the Pass and Marginal thresholds."""
    fig, ax = _figure(8, 0.45 * len(services) + 1.6)
    colours = services["verdict"].map({"Pass": "#009e73", "Marginal": "#e69f00", "Fail": "#c0392b"}).fillna("#999999")
    ax.barh(services["service"], services["score"].fillna(0), color=list(colours), label="score")
    ax.axvline(pass_score, color="#009e73", linestyle="--", label=f"pass {pass_score:g}")
    ax.axvline(marginal_score, color="#e69f00", linestyle="--", label=f"marginal {marginal_score:g}")
    ax.set_xlim(0, 100)
    ax.set_title("Post-upgrade score per service")
    ax.set_xlabel("score (0-100)")
    ax.set_ylabel("service")
    ax.legend(fontsize=8, loc="lower right")
    return fig
