"""The execution log of a rollout under way: what happened to which node, and when.

CSV with a header, or JSON Lines, with the fields ``ts`` (ISO 8601; naive means UTC),
``change_id``, ``node`` (a node id of the plan, ``region/tier/NNN``; ``rollout`` for rollout-wide
events) and ``event``, and optionally ``detail``. Events:

- ``upgrade_start``, ``upgrade_done``, ``upgrade_failed``, ``node_rolled_back`` (a failed node
  back on the old version): one node's attempts;
- ``rollback_triggered`` (the rollout is being rolled back; ``detail`` says why),
  ``canary_passed`` (the canary's gate passed): the rollout's;
- ``batch_start``, ``wave_start``, ``note``: kept for the record, not used by the forecast.

Every problem is refused with its line: another change's id, an unknown node, an event out of
order or after ``now``, a node finishing an attempt it never started.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..readers import parse_timestamp, read_text

__all__ = ["LogEvent", "ExecutionLog", "read_log", "NODE_EVENTS", "ROLLOUT_EVENTS"]

NODE_EVENTS = ("upgrade_start", "upgrade_done", "upgrade_failed", "node_rolled_back")
ROLLOUT_EVENTS = ("rollback_triggered", "canary_passed", "batch_start", "wave_start", "note")
FIELDS = ("ts", "change_id", "node", "event", "detail")
MAX_SHOWN = 10


@dataclass(frozen=True)
class LogEvent:
    line: int
    ts: dt.datetime
    node: str
    event: str
    detail: str = ""


@dataclass
class ExecutionLog:
    """A validated log: the state of every node at the end, durations and outcomes of attempts."""

    path: str
    events: list[LogEvent]
    done: dict[str, dt.datetime] = field(default_factory=dict)  # node -> when it finished upgrading
    running: dict[str, dt.datetime] = field(default_factory=dict)  # node -> start of its open attempt
    durations: dict[str, list[float]] = field(default_factory=dict)  # tier -> minutes of successful attempts
    attempts: dict[str, list[bool]] = field(default_factory=dict)  # tier -> failed? per finished attempt
    rollback: LogEvent | None = None
    canary_passed: dt.datetime | None = None

    @property
    def started(self) -> dt.datetime | None:
        return self.events[0].ts if self.events else None


def _rows(path: Path, text: str) -> list[tuple[int, dict]]:
    """(line, fields as text) of a JSON Lines or CSV log."""
    from ..readers import csv_records, json_lines

    if text.lstrip().startswith("{"):
        return [(n, {k: "" if v is None else str(v) for k, v in obj.items()}) for n, obj in json_lines(path, text)]
    return csv_records(path, text)[1]


def read_log(path: str | Path, *, nodes: dict[str, str], change_id: str, now: dt.datetime) -> ExecutionLog:
    """Read and validate an execution log against the plan's nodes (id -> tier) and change id."""
    path = Path(path)
    rows = _rows(path, read_text(path, what="execution log"))
    problems: list[str] = []
    events: list[LogEvent] = []
    for number, row in rows:
        unknown = sorted(set(row) - set(FIELDS))
        missing = [f for f in FIELDS[:4] if not row.get(f, "").strip()]
        if unknown:
            problems.append(f"{path}:{number}: unknown field {', '.join(unknown)} (known: {', '.join(FIELDS)})")
        if missing:
            problems.append(f"{path}:{number}: {', '.join(missing)}: required, empty")
        if unknown or missing:
            continue
        try:
            ts = parse_timestamp(row["ts"])
        except ValueError:
            problems.append(f"{path}:{number}: ts(={row['ts'][:40]}): must be an ISO 8601 date-time (2027-03-06T01:00:00Z)")
            continue
        event, node = row["event"], row["node"]
        if change_id and row["change_id"] != change_id:
            problems.append(f"{path}:{number}: change_id(={row['change_id'][:40]}): this log is of another change "
                            f"(the plan's is {change_id})")
        elif event not in NODE_EVENTS + ROLLOUT_EVENTS:
            problems.append(f"{path}:{number}: event(={event[:40]}): unknown; use one of "
                            f"{', '.join(NODE_EVENTS + ROLLOUT_EVENTS)}")
        elif event in NODE_EVENTS and node not in nodes:
            close = difflib.get_close_matches(node, list(nodes), n=1)
            problems.append(f"{path}:{number}: node(={node[:40]}): not a node of the plan"
                            + (f" (did you mean {close[0]!r}?)" if close else ""))
        elif events and ts < events[-1].ts:
            problems.append(f"{path}:{number}: ts(={row['ts']}): out of order, earlier than line {events[-1].line} "
                            f"({events[-1].ts.isoformat()})")
        elif ts > now:
            problems.append(f"{path}:{number}: ts(={row['ts']}): in the future (now is {now.isoformat()})")
        else:
            events.append(LogEvent(number, ts, node, event, row.get("detail", "")))
        if len(problems) >= MAX_SHOWN:
            break
    if not problems and not events:
        problems.append(f"{path}: no events: the rollout has not started (nothing to forecast)")
    if problems:
        raise DataError("\n".join(problems[:MAX_SHOWN]))
    return _replay(path, events, nodes)


def _replay(path: Path, events: list[LogEvent], nodes: dict[str, str]) -> ExecutionLog:
    """Follow each node through its attempts; refuse impossible sequences."""
    log = ExecutionLog(str(path), events)
    failed: dict[str, dt.datetime] = {}
    for e in events:
        if e.event == "rollback_triggered" and log.rollback is None:
            log.rollback = e
        elif e.event == "canary_passed":
            log.canary_passed = e.ts
        if e.event not in NODE_EVENTS:
            continue
        tier = nodes[e.node]
        where = f"{path}:{e.line}: {e.event} of {e.node}"
        if e.event == "upgrade_start":
            if e.node in log.done:
                raise DataError(f"{where}: the node was upgraded already (at {log.done[e.node].isoformat()})")
            if e.node in log.running or e.node in failed:
                raise DataError(f"{where}: its previous attempt has not ended")
            log.running[e.node] = e.ts
        elif e.event in ("upgrade_done", "upgrade_failed"):
            began = log.running.pop(e.node, None)
            if began is None:
                raise DataError(f"{where}: no upgrade_start before it")
            log.attempts.setdefault(tier, []).append(e.event == "upgrade_failed")
            if e.event == "upgrade_done":
                log.done[e.node] = e.ts
                log.durations.setdefault(tier, []).append((e.ts - began).total_seconds() / 60.0)
            else:
                failed[e.node] = e.ts
        elif e.event == "node_rolled_back":
            if e.node not in failed and e.node not in log.done:
                raise DataError(f"{where}: the node had neither failed nor been upgraded")
            failed.pop(e.node, None)
            log.done.pop(e.node, None)
    return log
