"""What a strategy costs: prices per node-hour per tier, for the node-hours of a second stack
(blue-green, parallel run) and of rollback work."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Name, NonNegative, _Frozen

__all__ = ["Cost"]


class Cost(_Frozen):
    """Prices per node-hour by tier. Without prices, cost figures are in node-hours."""

    currency: Annotated[str, Field(min_length=1, max_length=12)] = "EUR"
    price_per_node_hour: dict[Name, NonNegative] = {}

    @property
    def priced(self) -> bool:
        return bool(self.price_per_node_hour)

    def unit(self) -> str:
        return self.currency if self.priced else "node-hours"
