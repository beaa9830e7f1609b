"""Health probes: every probe of the plan at once (HTTP(S) with ``httpx``, TCP with asyncio), each
with its timeout, retries, expected statuses, body pattern and latency budget. Credentials in a
URL are never printed or stored: the user-info part is replaced by ``***``."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit, urlunsplit

__all__ = ["ProbeResult", "run_probes", "redact"]


@dataclass
class ProbeResult:
    name: str
    component: str
    target: str  # redacted
    ok: bool
    attempts: int
    status: int | None = None
    latency_ms: float | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def redact(url: str) -> str:
    """``url`` without the password (and user) it may carry."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def _http(client, probe) -> ProbeResult:
    import httpx

    target = redact(probe.url)
    result = ProbeResult(probe.name, probe.component, target, False, 0)
    for attempt in range(1 + probe.retries):
        result.attempts = attempt + 1
        started = time.perf_counter()
        try:
            response = await client.get(probe.url, timeout=probe.timeout_s)
        except httpx.TimeoutException:
            result.reason, result.status, result.latency_ms = f"no answer within {probe.timeout_s:g} s", None, None
            continue
        except httpx.HTTPError as exc:
            result.reason, result.status, result.latency_ms = f"cannot connect ({type(exc).__name__})", None, None
            continue
        result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        result.status = response.status_code
        if response.status_code not in probe.expect_status:
            result.reason = f"status {response.status_code}, expected {', '.join(map(str, probe.expect_status))}"
        elif probe.body is not None and not re.search(probe.body, response.text):
            result.reason = f"the body does not match {probe.body!r}"
        elif result.latency_ms > probe.latency_ms:
            result.reason = f"{result.latency_ms:g} ms, over the {probe.latency_ms:g} ms budget"
        else:
            result.ok, result.reason = True, f"status {response.status_code} in {result.latency_ms:g} ms"
            return result
    return result


async def _tcp(probe) -> ProbeResult:
    host, _, port = probe.tcp.rpartition(":")
    result = ProbeResult(probe.name, probe.component, probe.tcp, False, 0)
    for attempt in range(1 + probe.retries):
        result.attempts = attempt + 1
        started = time.perf_counter()
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), probe.timeout_s)
        except TimeoutError:
            result.reason = f"no connection within {probe.timeout_s:g} s"
            continue
        except OSError as exc:
            result.reason = f"cannot connect ({exc.strerror or type(exc).__name__})"
            continue
        result.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        if result.latency_ms > probe.latency_ms:
            result.reason = f"connected in {result.latency_ms:g} ms, over the {probe.latency_ms:g} ms budget"
            continue
        result.ok, result.reason = True, f"connected in {result.latency_ms:g} ms"
        return result
    return result


async def _all(probes) -> list[ProbeResult]:
    import httpx

    async with httpx.AsyncClient(follow_redirects=False) as client:
        return list(await asyncio.gather(*[(_http(client, p) if p.url else _tcp(p)) for p in probes]))


def run_probes(probes) -> list[ProbeResult]:
    """Run ``probes`` concurrently; results in the plan's order."""
    if not probes:
        return []
    return asyncio.run(_all(probes))
