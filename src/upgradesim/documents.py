"""Values from pandas and NumPy made JSON-ready, for the stable ``--json`` documents."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["json_value", "json_records"]


def json_value(value, *, infinity: bool = True):
    """NaN -> None; +-inf -> "inf"/"-inf" (or None when ``infinity`` is False); NumPy scalars to
    Python; dates and times to ISO text."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value) or not infinity:
            return None
        return "inf" if value > 0 else "-inf"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def json_records(frame: pd.DataFrame, *, infinity: bool = True) -> list[dict]:
    return [{k: json_value(v, infinity=infinity) for k, v in r.items()} for r in frame.to_dict(orient="records")]
