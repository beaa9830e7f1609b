"""New error patterns: log templates mined with drain3 over a before and an after period.

Files are streamed line by line as bytes (any size), CRLF or LF, and decoded as UTF-8 with
undecodable bytes replaced, so a stray Latin-1 byte never stops the run.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..documents import json_records
from ..errors import DataError
from .statistics import rate_test

__all__ = ["LogsDiff", "logs_diff", "PATTERN_COLUMNS"]

PATTERN_COLUMNS = ["status", "template", "before", "after", "before_per_10k", "after_per_10k", "ratio", "p_value",
                   "examples"]
_STATUS_ORDER = {"new": 0, "increased": 1, "decreased": 2, "gone": 3, "stable": 4}
_MASKS = [
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "TIME"),
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "UUID"),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b", "IP"),
    (r"\b0x[0-9a-fA-F]+\b", "HEX"),
    (r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])", "NUM"),
]


@dataclass(frozen=True)
class LogsDiff:
    """Templates with their counts before and after, and what changed."""

    patterns: pd.DataFrame
    lines_before: int
    lines_after: int

    def changed(self) -> pd.DataFrame:
        return self.patterns[self.patterns["status"].isin(["new", "increased"])]

    def to_dict(self) -> dict:
        return {"lines_before": self.lines_before, "lines_after": self.lines_after,
                "patterns": json_records(self.patterns)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _lines(paths):
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            for line in fh:
                text = line.rstrip(b"\r\n").decode("utf-8", errors="replace").strip()
                if text:
                    yield text


def logs_diff(before, after, *, alpha: float = 0.01, min_ratio: float = 2.0, examples: int = 3,
              similarity: float = 0.4) -> LogsDiff:
    """Compare log templates of ``before`` and ``after`` files (paths, or lists of paths).

    A template is ``new`` when it never occurs before; ``increased`` when its rate per line rose
    at least ``min_ratio`` times and an exact rate test says so at ``alpha``; ``gone`` and
    ``decreased`` are the mirror images.
    """
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    before = [before] if isinstance(before, (str, Path)) else list(before)
    after = [after] if isinstance(after, (str, Path)) else list(after)
    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(p, m) for p, m in _MASKS]
    config.drain_sim_th = similarity
    config.profiling_enabled = False
    miner = TemplateMiner(config=config)
    counts: dict[int, list[int]] = {}
    samples: dict[int, list[str]] = {}
    totals = [0, 0]
    for period, paths in enumerate((before, after)):
        for line in _lines(paths):
            totals[period] += 1
            result = miner.add_log_message(line)
            cid = result["cluster_id"]
            counts.setdefault(cid, [0, 0])[period] += 1
            shown = samples.setdefault(cid, [])
            if period == 1 and len(shown) < examples:
                shown.append(line[:500])
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    rows = []
    n_b, n_a = max(totals[0], 1), max(totals[1], 1)
    for cid, (b, a) in counts.items():
        if a and not b:
            status, p, ratio = "new", math.nan, math.inf
        elif b and not a:
            status, p, ratio = "gone", math.nan, 0.0
        else:
            up = rate_test(b, n_b, a, n_a, alternative="greater")
            down = rate_test(b, n_b, a, n_a, alternative="less")
            ratio = up.ratio
            if up.p_value < alpha and ratio >= min_ratio:
                status, p = "increased", up.p_value
            elif down.p_value < alpha and ratio <= 1 / min_ratio:
                status, p = "decreased", down.p_value
            else:
                status, p = "stable", min(up.p_value, down.p_value)
        rows.append({"status": status, "template": templates.get(cid, "?"), "before": b, "after": a,
                     "before_per_10k": 1e4 * b / n_b, "after_per_10k": 1e4 * a / n_a, "ratio": ratio, "p_value": p,
                     "examples": " | ".join(samples.get(cid, []))})
    frame = pd.DataFrame(rows, columns=PATTERN_COLUMNS)
    if len(frame):
        frame = frame.sort_values(["status", "after", "template"], key=lambda s: s.map(_STATUS_ORDER)
                                  if s.name == "status" else (-s if s.name == "after" else s)).reset_index(drop=True)
    return LogsDiff(frame, totals[0], totals[1])
