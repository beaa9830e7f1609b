"""The strategy table, once: each summary figure as ``estimate [low, high]`` in readable units
(the CLI prints it as text, reports render the same frame)."""

from __future__ import annotations

__all__ = ["FIGURE_LABELS", "interval_table", "text_table"]

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
