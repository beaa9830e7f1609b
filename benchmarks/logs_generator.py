"""Labelled logs for the logs-diff benchmark: several header formats, templated messages with
variable fields, and templates that truly appear only after the cut (known answers).

Every template has a distinctive constant word (``kw<N>``) so a reported template can be matched
to the truth by its text.
"""

from __future__ import annotations

import datetime as dt
import json
import random

__all__ = ["FORMATS", "TEMPLATES", "write_pair"]

_WORDS = ["session", "cache", "replica", "queue", "worker", "socket", "lease", "token", "shard", "index"]
TEMPLATES = [
    ("INFO", "kw{n} request {id} served in {ms}ms for user {user}"),
    ("INFO", "kw{n} connected to {ip}:{port} after {n2} retries"),
    ("DEBUG", "kw{n} cache hit ratio {f} for region {word}"),
    ("WARN", "kw{n} slow query took {ms} ms on table {word}"),
    ("INFO", "kw{n} opened file {path} size {n2} bytes"),
    ("ERROR", "kw{n} failed to reach {url} status {code}"),
    ("INFO", "kw{n} job {uuid} finished with state {word}"),
    ("INFO", "kw{n} heartbeat from node-{n2} at epoch {n3}"),
    ("WARN", "kw{n} retrying transaction {hex} attempt {n2} of 5"),
    ("INFO", "kw{n} user {user} logged in from {ip}"),
    ("ERROR", "kw{n} exception in thread worker-{n2}: timeout after {ms}ms"),
    ("INFO", "kw{n} scheduled {n2} tasks on pool {word} with priority {n3}"),
    ("ERROR", "kw{n} disk quota exceeded on volume {path}"),
    ("FATAL", "kw{n} out of memory: killed process {n2}"),
    ("INFO", "kw{n} checkpoint written"),
    ("WARN", "kw{n} certificate for {word}.example.com expires in {n2} days"),
    ("INFO", "kw{n} rebalanced {n2} partitions across {n3} brokers"),
    ("ERROR", "kw{n} deadlock detected while updating orders row {id}"),
    ("INFO", "kw{n} config reloaded from {path} by {user}"),
    ("WARN", "kw{n} unknown field {word} in payload ignored"),
    ("INFO", "kw{n} leader elected"),
    ("WARN", "kw{n} connection reset"),
    ("INFO", "kw{n} cache flushed"),
    ("ERROR", "kw{n} lease lost"),
    ("INFO", "kw{n} shutdown requested"),
    ("WARN", "kw{n} backlog growing"),
]


def _fields(rng: random.Random) -> dict:
    return {"id": rng.randint(1, 10**7), "ms": rng.randint(1, 5000), "user": f"u{rng.randint(1, 9999)}",
            "ip": ".".join(str(rng.randint(1, 254)) for _ in range(4)), "port": rng.randint(1024, 65535),
            "n2": rng.randint(0, 500), "n3": rng.randint(10**6, 10**9), "f": f"{rng.random():.3f}",
            "word": rng.choice(_WORDS), "path": f"/var/data/{rng.choice(_WORDS)}/{rng.randint(1, 999)}.dat",
            "url": f"https://api.example.com/v1/{rng.choice(_WORDS)}?id={rng.randint(1, 999)}",
            "code": rng.choice([500, 502, 503, 504]), "uuid": "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}".format(*tuple(
                rng.getrandbits(b) for b in (32, 16, 16, 16, 48))), "hex": f"0x{rng.getrandbits(32):08x}"}


def _header(fmt: str, ts: dt.datetime, level: str, comp: str, pid: int, message: str) -> str:
    if fmt == "syslog":
        return f"{ts:%b} {ts.day:2d} {ts:%H:%M:%S} host-{pid % 7} {comp}[{pid}]: {message}"
    if fmt == "log4j":
        return f"{ts:%Y-%m-%d %H:%M:%S},{ts.microsecond // 1000:03d} {level:5s} [thread-{pid % 13}] org.acme.{comp}: {message}"
    if fmt == "iso-t":
        return f"{ts.isoformat(timespec='milliseconds')}Z [{level}] [{comp}] {message}"
    if fmt == "bracketed":
        return f"[{ts:%d/%b/%Y:%H:%M:%S} +0000] {level} {comp} - {message}"
    if fmt == "json":
        return json.dumps({"ts": ts.isoformat(), "level": level.lower(), "logger": comp, "msg": message, "pid": pid})
    if fmt == "keyvalue":
        return f'ts={ts.isoformat()} level={level.lower()} component={comp} pid={pid} msg="{message}"'
    if fmt == "spark":
        return f"{ts:%y/%m/%d %H:%M:%S} {level} {comp}: {message}"
    raise ValueError(fmt)


FORMATS = ["syslog", "log4j", "iso-t", "bracketed", "json", "keyvalue", "spark"]


_VOCAB = ["payment", "refused", "gateway", "shipment", "rejected", "ledger", "mismatch", "carrier", "invoice",
          "throttled", "upstream", "quarantined", "snapshot", "expired", "tenant", "orphaned", "migration", "stalled"]


def _sibling(rng: random.Random, text: str, n: int) -> str:
    """A new message shaped like an old one: same placeholders, most constant words different."""
    words = text.split(" ")
    out = [f"kw{n}"]
    for word in words[1:]:
        out.append(word if "{" in word or rng.random() < 0.25 else rng.choice(_VOCAB))
    return " ".join(out)


def write_pair(folder, fmt: str, seed: int, lines: int = 4000, new: int = 4, old: int = 10) -> tuple[set, set]:
    """Write before.log and after.log; returns (templates truly new after the cut, templates in both).

    Half the new templates are unlike any old one; the other half are siblings of an old one (the
    same placeholders, most words different). Short messages (two or three words) share most of
    their tokens with the header: the case where raw-line clustering merges unrelated messages."""
    rng = random.Random(seed)
    templates = [(lvl, text.replace("{n}", str(n)), n) for n, (lvl, text) in enumerate(TEMPLATES)]
    rng.shuffle(templates)
    common, fresh = templates[:old], templates[old:old + new - new // 2]
    for k in range(new // 2):
        level, text, _ = common[k]
        n = len(TEMPLATES) + k
        fresh.append((level, _sibling(rng, text.replace(text.split(" ")[0], "kw", 1), n), n))
    t0 = dt.datetime(2026, 11, 2, 8, 0, 0)
    for name, pool in (("before.log", common), ("after.log", common + fresh)):
        weights = [rng.uniform(0.2, 3.0) for _ in pool]
        with open(f"{folder}/{name}", "w", encoding="utf-8") as fh:
            for i in range(lines):
                level, text, n = rng.choices(pool, weights)[0]
                ts = t0 + dt.timedelta(seconds=i * 0.7 + rng.random())
                comp = ["api", "db.pool", "scheduler", "auth"][n % 4]  # each message has its logger
                fh.write(_header(fmt, ts, level, comp, rng.randint(100, 40000), text.format(**_fields(rng))) + "\n")
    return {f"kw{n}" for _, _, n in fresh}, {f"kw{n}" for _, _, n in common}
