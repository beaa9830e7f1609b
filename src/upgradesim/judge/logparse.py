"""Log lines taken apart before they are clustered: header (time, level, process, component) off,
variable tokens masked, so the template miner sees only the message's shape.

A file's header format is detected from its first lines (the format that parses most of them);
each line then uses it, with a generic fallback that strips leading time, date, number, level and
bracketed tokens. A user's regex (``log_header`` in the judge config) takes precedence; its named
groups ``ts``, ``level`` and ``component`` become the line's attributes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["Parsed", "HeaderParser", "mask", "FORMATS"]

_LEVEL = (r"(?P<level>TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|FATAL|CRIT(?:ICAL)?|SEVERE|ALERT|EMERG|"
          r"Info|Warning|Error|Debug|Notice|Critical|info|warn|warning|error|debug|notice|crit|alert|emerg|"
          r"[VDIWEF])")
_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"

# name -> regex matched at the start of a line; the message is what follows the match
FORMATS: dict[str, re.Pattern] = {name: re.compile(rx) for name, rx in {
    "syslog-5424": r"<\d{1,3}>\d (?P<ts>\S+) \S+ (?P<component>\S+) \S+ \S+ (?:-|\[.*?\]) ",
    "syslog": r"(?:<\d{1,3}>)?(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?) (?:\d{4} )?\S+ "
              r"(?P<component>[^\s:\[]+)(?:\[\d+\])?: ",
    "nginx-error": r"(?P<ts>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[" + _LEVEL + r"\] \d+#\d+: (?:\*\d+ )?",
    "apache-error": r"\[(?P<ts>[^\]]+)\] \[(?:(?P<component>\w+):)?" + _LEVEL + r"\] (?:\[pid \d+(?::tid \d+)?\] )?"
                    r"(?:\[client [^\]]+\] )?",
    "access": r"(?P<client>\S+) \S+ \S+ \[(?P<ts>[^\]]+)\] (?=\")",
    "zookeeper": r"(?P<ts>" + _ISO + r") - " + _LEVEL + r"\s+\[(?P<component>.*?)\] - ",
    "iso-level": r"(?P<ts>" + _ISO + r")[,]?\s+(?:\d+\s+)?(?:\[(?P<thread>[^\]]*)\]\s+)?" + _LEVEL
                 + r"\s+(?:\d+\s+)?(?:\[(?P<thread2>[^\]]*)\]\s+)?(?:(?P<component>[\w$.\-/]+(?:\[[^\]]*\])?)\s*(?::|-)\s+)?",
    "android": r"(?P<ts>\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+)\s+\d+\s+\d+ " + _LEVEL + r" (?P<component>[^:]+?)\s*: ",
    "short-date-level": r"(?P<ts>\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}|\d{6} \d{6})\s+(?:\d+\s+){0,2}"
                        + _LEVEL + r"\s+(?:\[(?P<thread>[^\]]*)\]\s+)?(?P<component>[\w$.\-]+):\s+",
    "bracketed": r"\[(?P<ts>[^\]]{6,40})\]\s*(?:\[?" + _LEVEL + r"\]?\s+)?(?:\[(?P<component>[^\]]+)\]\s*)?[:\-]?\s*",
    "pipe": r"(?P<ts>\d{8}-\d{1,2}:\d{1,2}:\d{1,2}:\d+)\|(?P<component>[^|]+)\|\d+\|",
    "iso": r"(?P<ts>" + _ISO + r")\s+",
}.items()}

_GENERIC_TOKEN = re.compile(
    r"(?:\d{4}[-/.]\d{2}[-/.]\d{2}(?:[-T ]\d{2}[.:]\d{2}[.:]\d{2}(?:[.,:]\d+)?)?|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)|\d+|" + _LEVEL + r":?|\[[^\]]*\]|-|\S+\[\d+\]:)\s+")

_KV = re.compile(r'(\w[\w.\-]*)=("(?:[^"\\]|\\.)*"|\S+)')
_ACCESS_REQ = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+)[^"]*" (?P<status>\d{3})')

_MASKS = [
    (re.compile(r"\b(?:blk|job|task|attempt|container|application|appattempt)_[\w\-]+", re.I), "<ID>"),
    (re.compile(r"\b[a-z][a-z0-9+.\-]*://\S+", re.I), "<URL>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<UUID>"),
    (re.compile(r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b"), "<EMAIL>"),
    (re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"), "<IP>"),
    (re.compile(r"(?<![\w:])(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}(?![\w:])", re.I), "<IP>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<HEX>"),
    (re.compile(r"(?<![\w/])(?:/[\w.\-@%+~]+){2,}/?"), "<PATH>"),
    (re.compile(r"\b[A-Za-z]:\\[^\s\"']+"), "<PATH>"),
    (re.compile(r"\"[^\"]{0,200}\"|'[^']{0,200}'"), "<STR>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|m|min|mins|h|hrs?|d|days?)\b"), "<DUR>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<HEX>"),
    (re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?![\w])"), "<NUM>"),
]
_LEVELS = {"V": "TRACE", "D": "DEBUG", "I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL", "WARNING": "WARN",
           "ERR": "ERROR", "CRIT": "FATAL", "CRITICAL": "FATAL", "SEVERE": "ERROR", "EMERG": "FATAL", "ALERT": "FATAL"}


@dataclass(frozen=True)
class Parsed:
    message: str  # the message with the header removed (not yet masked)
    level: str  # normalised: TRACE, DEBUG, INFO, NOTICE, WARN, ERROR, FATAL, or "" when unknown
    component: str
    ts: str  # the header's time as written, "" when none


def _level(text: str | None) -> str:
    if not text:
        return ""
    up = text.upper()
    return _LEVELS.get(up, up if up in ("TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL") else "")


def mask(message: str) -> str:
    """Variable tokens replaced by placeholders (URL, UUID, IP, HEX, PATH, STR, DUR, NUM, ID)."""
    for pattern, token in _MASKS:
        message = pattern.sub(token, message)
    return message


def _json_line(line: str) -> Parsed | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    message = next((doc[k] for k in ("message", "msg", "log", "event", "text") if isinstance(doc.get(k), str)), None)
    if message is None:
        return None
    level = next((str(doc[k]) for k in ("level", "severity", "lvl", "levelname") if k in doc), "")
    comp = next((str(doc[k]) for k in ("logger", "component", "name", "logger_name", "module") if k in doc), "")
    ts = next((str(doc[k]) for k in ("ts", "time", "timestamp", "@timestamp", "asctime") if k in doc), "")
    return Parsed(message, _level(level), comp, ts)


def _kv_line(line: str) -> Parsed | None:
    pairs = dict(_KV.findall(line))
    message = pairs.get("msg") or pairs.get("message")
    if message is None or len(pairs) < 2:
        return None
    message = message.strip('"')
    return Parsed(message, _level(pairs.get("level") or pairs.get("lvl")), pairs.get("logger", pairs.get("component", "")),
                  pairs.get("ts", pairs.get("time", "")).strip('"'))


def _from_match(name: str, match: re.Match, line: str) -> Parsed:
    groups = match.groupdict()
    rest = line[match.end():]
    if name == "access":
        req = _ACCESS_REQ.match(rest)
        status = req.group("status") if req else ""
        message = f"{req.group('method')} {req.group('path')} {status}" if req else rest
        level = "ERROR" if status.startswith("5") else "WARN" if status.startswith("4") else "INFO"
        return Parsed(message, level, "access", groups.get("ts") or "")
    return Parsed(rest, _level(groups.get("level")), (groups.get("component") or "").strip(), groups.get("ts") or "")


class HeaderParser:
    """Detects a file's header format from sample lines, then parses each line."""

    def __init__(self, sample: list[str], custom: str | None = None):
        self.custom = re.compile(custom) if custom else None
        self.format = "custom" if custom else self._detect(sample)

    @staticmethod
    def _detect(sample: list[str]) -> str:
        if not sample:
            return "none"
        scores = {"json": sum(_json_line(s) is not None for s in sample if s.startswith("{")),
                  "key=value": sum(_kv_line(s) is not None for s in sample)}
        for name, pattern in FORMATS.items():
            scores[name] = sum(bool(pattern.match(s)) for s in sample)
        best = max(scores, key=lambda k: (scores[k], -list(scores).index(k)))
        return best if scores[best] >= max(1, len(sample) // 2) else "generic"

    def parse(self, line: str) -> Parsed:
        if self.custom is not None:
            match = self.custom.match(line)
            if match:
                return _from_match("custom", match, line)
        elif self.format == "json":
            parsed = _json_line(line)
            if parsed:
                return parsed
        elif self.format == "key=value":
            parsed = _kv_line(line)
            if parsed:
                return parsed
        elif self.format in FORMATS:
            match = FORMATS[self.format].match(line)
            if match:
                return _from_match(self.format, match, line)
        return self._generic(line)

    @staticmethod
    def _generic(line: str) -> Parsed:
        """Strip up to eight leading header-like tokens (times, dates, numbers, levels, [..], name[pid]:)."""
        pos, level = 0, ""
        for _ in range(8):
            match = _GENERIC_TOKEN.match(line, pos)
            if not match:
                break
            level = level or _level(match.groupdict().get("level"))
            pos = match.end()
        return Parsed(line[pos:] if pos < len(line) else line, level, "", "")
