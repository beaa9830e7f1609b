"""Showing things in a notebook so that the HTML report is safe and self-contained: user text is
escaped, tables are escaped by pandas, figures are embedded as PNG and closed."""

from __future__ import annotations

import html
import io

import pandas as pd

__all__ = ["say", "heading", "table", "show"]


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def say(text: str, *, strong: bool = False) -> None:
    """A paragraph of plain text (names from the plan are escaped, never interpreted as HTML)."""
    from IPython.display import HTML

    body = html.escape(str(text))
    _display(HTML(f"<p><strong>{body}</strong></p>" if strong else f"<p>{body}</p>"))


def heading(text: str, level: int = 3) -> None:
    from IPython.display import HTML

    _display(HTML(f"<h{level}>{html.escape(str(text))}</h{level}>"))


def table(frame: pd.DataFrame, *, max_rows: int = 60, float_format: str = "{:.3g}") -> None:
    """A DataFrame as an escaped HTML table; column names read as words (``target_version`` ->
    ``target version``): stakeholder pages show no raw field names."""
    from IPython.display import HTML

    shown = frame.head(max_rows).rename(columns=lambda c: str(c).replace("_", " "))
    _display(HTML(shown.to_html(index=False, escape=True, na_rep="", float_format=float_format.format)))
    if len(frame) > max_rows:
        say(f"({len(frame) - max_rows} more rows not shown)")


def show(fig) -> None:
    """Embed a matplotlib figure as a PNG image and close it."""
    import matplotlib.pyplot as plt
    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    _display(Image(data=buffer.getvalue(), format="png"))
