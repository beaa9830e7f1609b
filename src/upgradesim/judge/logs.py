"""New and more frequent log templates: each line's header taken off and its variable tokens masked
(:mod:`.logparse`), then templates mined with drain3 over a before and an after period.

A template is **new** when no before-line joined it at drain3's similarity threshold; it is
reported with its count, most common level and component, first-seen time and up to three full
example lines, ERROR and FATAL first. A template seen before is **increased** when its rate per
line rose by at least ``min_ratio`` and an exact rate test says so at ``alpha`` — a count test,
never a ratio of two small numbers. Files are streamed (plain or gzip, detected by magic bytes),
CRLF or LF, decoded as UTF-8 with undecodable bytes replaced; a binary file is an error.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..documents import json_records
from ..errors import DataError
from .logparse import HeaderParser, mask
from .statistics import rate_test

__all__ = ["LogsDiff", "logs_diff", "PATTERN_COLUMNS"]

PATTERN_COLUMNS = ["status", "level", "component", "template", "before", "after", "before_per_10k", "after_per_10k",
                   "ratio", "p_value", "first_seen", "examples"]
_STATUS_ORDER = {"new": 0, "increased": 1, "decreased": 2, "gone": 3, "stable": 4}
_LEVEL_ORDER = {"FATAL": 0, "ERROR": 1, "WARN": 2, "NOTICE": 3, "INFO": 4, "DEBUG": 5, "TRACE": 6, "": 7}
_SAMPLE = 200  # lines read to detect a file's header format
_MAX_LINE = 64 * 1024


@dataclass(frozen=True)
class LogsDiff:
    """Templates with their counts before and after, and what changed."""

    patterns: pd.DataFrame
    lines_before: int
    lines_after: int
    formats: dict  # file -> detected header format

    @property
    def inconclusive(self) -> str:
        """Why nothing can be said (an empty side), or ""."""
        if self.lines_before == 0:
            return "the before logs hold no lines, so no template can be called new"
        if self.lines_after == 0:
            return "the after logs hold no lines"
        return ""

    def changed(self) -> pd.DataFrame:
        return self.patterns[self.patterns["status"].isin(["new", "increased"])]

    def to_dict(self) -> dict:
        return {"lines_before": self.lines_before, "lines_after": self.lines_after, "formats": self.formats,
                "inconclusive": self.inconclusive or None, "patterns": json_records(self.patterns)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _open(path: Path):
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(8192)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from None
        opener = gzip.open
    elif path.suffix == ".gz":
        raise DataError(f"{path}: named .gz but not gzip (no gzip magic bytes); rename it or give the plain file")
    else:
        opener = open
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise DataError(f"{path}: looks binary (NUL bytes in the first 8 KiB), not a text log")
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    return opener, encoding


def _lines(path: Path):
    opener, encoding = _open(path)
    try:
        if encoding == "utf-16":
            with opener(path, "rt", encoding="utf-16", errors="replace") as fh:
                for line in fh:
                    text = line.rstrip("\r\n").strip()
                    if text:
                        yield text[:_MAX_LINE]
            return
        with opener(path, "rb") as fh:
            for raw in fh:
                text = raw[:_MAX_LINE].rstrip(b"\r\n").decode("utf-8", errors="replace").strip()
                if text:
                    yield text
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read to the end ({exc})") from None


def _matches(new: list[str], old: list[str], similarity: float) -> bool:
    if len(new) != len(old):
        return False
    def variable(token):
        return token == "<*>" or (token.startswith("<") and token.endswith(">"))

    pairs = [(a, b) for a, b in zip(new, old, strict=True) if not (variable(a) and variable(b))]
    if not pairs:
        return True
    return sum(a == b for a, b in pairs) / len(pairs) >= similarity


def _fold_lookalikes(counts: dict, templates: dict, similarity: float) -> None:
    """An after-only cluster that a before template matches at the similarity threshold is not new:
    drain3's prefix tree files a message under its first tokens, so a changed first word (a
    replaced byte, a new id shape) can open a second cluster for the same template."""
    before = [(cid, templates.get(cid, "").split()) for cid, (b, _) in counts.items() if b]
    for cid, (b, a) in list(counts.items()):
        if b or not a:
            continue
        tokens = templates.get(cid, "").split()
        match = next((old for old, words in before if _matches(tokens, words, similarity)), None)
        if match is not None:
            counts[match][1] += a
            del counts[cid]


def logs_diff(before, after, *, alpha: float = 0.01, min_ratio: float = 2.0, examples: int = 3,
              similarity: float = 0.5, header: str | None = None) -> LogsDiff:
    """Compare log templates of ``before`` and ``after`` files (paths, or lists of paths).

    ``header`` is a regex matched at each line's start and removed (named groups ``ts``, ``level``,
    ``component``); without it the format is detected per file.
    """
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    before = [before] if isinstance(before, (str, Path)) else list(before)
    after = [after] if isinstance(after, (str, Path)) else list(after)
    config = TemplateMinerConfig()
    config.masking_instructions = []  # masked before mining, with the header already off
    config.drain_sim_th = similarity
    config.drain_depth = 4
    config.profiling_enabled = False
    config.parametrize_numeric_tokens = True
    miner = TemplateMiner(config=config)
    counts: dict[int, list[int]] = {}
    shown: dict[int, list[str]] = {}
    first: dict[int, str] = {}
    levels: dict[int, Counter] = {}
    comps: dict[int, Counter] = {}
    totals = [0, 0]
    formats = {}
    for period, paths in enumerate((before, after)):
        for raw in paths:
            path = Path(raw)
            stream = _lines(path)  # one pass: the first lines detect the header format, then all are read
            head = list(itertools.islice(stream, _SAMPLE))
            parser = HeaderParser(head, header)
            formats[str(path)] = parser.format
            for line in itertools.chain(head, stream):
                parsed = parser.parse(line)
                text = mask(parsed.message).strip() or "<EMPTY>"
                totals[period] += 1
                cid = miner.add_log_message(text)["cluster_id"]
                counts.setdefault(cid, [0, 0])[period] += 1
                levels.setdefault(cid, Counter())[parsed.level] += 1
                comps.setdefault(cid, Counter())[parsed.component] += 1
                if period == 1:
                    first.setdefault(cid, parsed.ts)
                    if len(shown.setdefault(cid, [])) < examples:
                        shown[cid].append(line[:1000])
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    _fold_lookalikes(counts, templates, similarity)
    rows = []
    n_b, n_a = max(totals[0], 1), max(totals[1], 1)
    for cid, (b, a) in counts.items():
        if a and not b:
            status, p, ratio = ("new" if totals[0] else "stable"), math.nan, math.inf
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
        rows.append({"status": status, "level": levels[cid].most_common(1)[0][0],
                     "component": comps[cid].most_common(1)[0][0], "template": templates.get(cid, "?"),
                     "before": b, "after": a, "before_per_10k": 1e4 * b / n_b, "after_per_10k": 1e4 * a / n_a,
                     "ratio": ratio, "p_value": p, "first_seen": first.get(cid, ""), "examples": shown.get(cid, [])})
    frame = pd.DataFrame(rows, columns=PATTERN_COLUMNS)
    if len(frame):
        frame = frame.assign(_s=frame["status"].map(_STATUS_ORDER), _l=frame["level"].map(_LEVEL_ORDER).fillna(7))
        frame = frame.sort_values(["_s", "_l", "after", "template"], ascending=[True, True, False, True])
        frame = frame.drop(columns=["_s", "_l"]).reset_index(drop=True)
    return LogsDiff(frame, totals[0], totals[1], formats)
