"""Seeded synthetic application logs before and after the cutover, with one new failure pattern."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

__all__ = ["write_logs", "NEW_PATTERN"]

NEW_PATTERN = "ERROR OrderEventPublisher: schema rejected event order.created: unknown field 'discount_v7'"

_TEMPLATES = [
    (0.40, "INFO  OrderController: order {id} placed by customer {cust} total={amount} EUR"),
    (0.25, "INFO  PaymentClient: payment {id} authorized in {ms} ms"),
    (0.15, "INFO  InventoryService: reserved {n} items for order {id}"),
    (0.08, "WARN  OrderRepository: slow query took {ms} ms on orders_by_customer"),
    (0.05, "INFO  HealthCheck: ok from {ip}"),
    (0.04, "WARN  RetryPolicy: attempt {n} of 3 for call to erp-connector"),
    (0.03, "ERROR HttpClient: connection reset by peer {ip} after {ms} ms"),
]


def _line(rng, template: str, ts: dt.datetime) -> str:
    body = template.format(id=f"ORD-{rng.integers(10**7, 10**8)}", cust=f"C{rng.integers(10**5, 10**6)}",
                           amount=f"{rng.uniform(5, 900):.2f}", ms=int(rng.lognormal(4, 0.6)), n=int(rng.integers(1, 9)),
                           ip=f"10.{rng.integers(0, 255)}.{rng.integers(0, 255)}.{rng.integers(1, 255)}")
    return f"{ts:%Y-%m-%dT%H:%M:%S}.{rng.integers(0, 1000):03d}Z {body}"


def write_logs(folder: Path, cutover: dt.datetime, *, seed: int, lines: int = 6000) -> tuple[Path, Path]:
    """Write ``logs/app-before.log`` (LF) and ``logs/app-after.log`` (CRLF, one Latin-1 byte).

    After the cutover the retry warning doubles and a schema error appears that never did before.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    weights = np.array([w for w, _ in _TEMPLATES])
    out = []
    for period in ("before", "after"):
        w = weights.copy()
        if period == "after":
            w[5] *= 2.2  # retries to the ERP rose
        w /= w.sum()
        start = cutover - dt.timedelta(days=7) if period == "before" else cutover
        rows = []
        for i in range(lines):
            ts = start + dt.timedelta(seconds=int(i * 7 * 86400 / lines))
            rows.append(_line(rng, _TEMPLATES[rng.choice(len(_TEMPLATES), p=w)][1], ts))
            if period == "after" and rng.random() < 0.01:
                rows.append(f"{ts:%Y-%m-%dT%H:%M:%S}.000Z {NEW_PATTERN} id=ORD-{rng.integers(10**7, 10**8)}")
        path = folder / f"app-{period}.log"
        if period == "after":
            data = "\r\n".join(rows).encode("utf-8") + b"\r\n"
            data = data.replace(b"customer C1", b"customer Z\xfcrich-C1", 1)  # a stray Latin-1 byte
        else:
            data = ("\n".join(rows) + "\n").encode("utf-8")
        path.write_bytes(data)
        out.append(path)
    return out[0], out[1]
