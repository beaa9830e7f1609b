"""The plan's building blocks: the frozen, strict base model and its value types."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Frozen(BaseModel):
    """Frozen, strict models: no unknown keys, no NaN or infinity, and validated again whenever
    derived (``model_copy(update=...)`` in a notebook or what-if, or an instance passed in)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, revalidate_instances="always")

    def model_copy(self, *, update: dict | None = None, deep: bool = False):
        copy = super().model_copy(update=update, deep=deep)
        return type(self).model_validate(copy) if update else copy


def _probability(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("must be a probability in [0, 1]")
    return value


Probability = Annotated[float, AfterValidator(_probability)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Percent = Annotated[float, Field(ge=0, le=100)]


def _tuple(value: object) -> object:
    """Accept one item where a list is expected (``days: sat``)."""
    return (value,) if isinstance(value, (str, dict)) else value
