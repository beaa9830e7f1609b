"""The strategy table, once: each summary figure as ``estimate [low, high]`` in readable units
(the CLI prints it as text, reports render the same frame)."""

from __future__ import annotations

__all__ = ["FIGURE_LABELS", "FRONT_LABELS", "interval_table", "text_table", "front_table"]

# (summary figure, label, scale)
FIGURE_LABELS = (
    ("duration_p50_min", "duration p50 (h)", 1 / 60),
    ("duration_p95_min", "duration p95 (h)", 1 / 60),
    ("downtime_min", "downtime (min)", 1),
    ("sla_breach_min", "SLA breach (region-min)", 1),
    ("p_rollback", "P(rollback)", 1),
    ("p_overrun", "P(overrun)", 1),
    ("p_complete", "P(complete)", 1),
    ("extra_node_hours", "extra node-hours", 1),
    ("cost", "cost", 1),
)


def interval_table(summary):
    """One row per strategy (in the summary's order), one column per figure of FIGURE_LABELS."""
    import pandas as pd

    rows = []
    for strategy in dict.fromkeys(summary["strategy"]):
        part = summary[summary["strategy"] == strategy].set_index("figure")
        row = {"strategy": strategy}
        for figure, label, scale in FIGURE_LABELS:
            r = part.loc[figure]
            row[label] = f"{r.estimate * scale:.3g} [{r.low * scale:.3g}, {r.high * scale:.3g}]"
        rows.append(row)
    return pd.DataFrame(rows, columns=["strategy", *(label for _, label, _ in FIGURE_LABELS)])


def text_table(frame) -> str:
    """A frame as left-aligned text columns, two spaces apart, without trailing blanks."""
    header = [str(c) for c in frame.columns]
    rows = [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows])


# (optimize objective, label, scale, format)
FRONT_LABELS = (
    ("p_on_time", "P(on time)", 1, ".2f"),
    ("duration_min", "mean duration (h)", 1 / 60, ".3g"),
    ("impact_min", "impact (min)", 1, ".3g"),
    ("p_rollback", "P(rollback)", 1, ".2f"),
    ("cost", "cost", 1, ".3g"),
)


def front_table(frame):
    """The optimize front (``OptimizeResult.to_frame()``): one row per point, ``estimate [low, high]``."""
    import pandas as pd

    rows = []
    for r in frame.to_dict("records"):
        row = {"point": r["point"] if r["point"] else "plan", "design": r["design"]}
        for key, label, scale, fmt in FRONT_LABELS:
            row[label] = (f"{r[key] * scale:{fmt}} [{r[key + '_low'] * scale:{fmt}}, "
                          f"{r[key + '_high'] * scale:{fmt}}]")
        row["capacity floor %"] = f"{r['capacity_floor_pct']:.0f}"
        row["risk policy"] = f"inconclusive: {r['inconclusive']}" if r["inconclusive"] else "within"
        rows.append(row)
    return pd.DataFrame(rows, columns=["point", "design", *(lab for _, lab, _, _ in FRONT_LABELS), "capacity floor %",
                                       "risk policy"])
