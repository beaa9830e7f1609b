"""How hard the property-based tests search: a quarter of their examples in `make test` (fast
feedback), all of them under `make test-all` / `make test-slow` and in CI's second step
(UPGRADESIM_THOROUGH=1)."""

from __future__ import annotations

import os

THOROUGH = os.environ.get("UPGRADESIM_THOROUGH", "") not in ("", "0")


def examples(n: int) -> int:
    """``n`` examples when thorough, else a quarter of them (at least 5)."""
    return n if THOROUGH else max(5, n // 4)
