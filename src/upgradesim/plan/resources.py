"""Memory and storage of a tier's nodes: what each has and uses today (readiness checks the new
release's needs against them, during the rollout too)."""

from __future__ import annotations

from pydantic import model_validator

from .base import NonNegative, Positive, _Frozen

__all__ = ["NodeResources"]


class NodeResources(_Frozen):
    """Per node: memory and disk it has, and its peak use today (telemetry's
    ``memory_used_mb``/``disk_used_gb`` per host replace the use when the store has them)."""

    memory_mb: Positive | None = None
    memory_used_mb: NonNegative = 0.0
    storage_gb: Positive | None = None
    storage_used_gb: NonNegative = 0.0

    @model_validator(mode="after")
    def _fits(self) -> NodeResources:
        if self.memory_mb is not None and self.memory_used_mb > self.memory_mb:
            raise ValueError(f"memory_used_mb ({self.memory_used_mb:g}) is more than memory_mb ({self.memory_mb:g})")
        if self.storage_gb is not None and self.storage_used_gb > self.storage_gb:
            raise ValueError(f"storage_used_gb ({self.storage_used_gb:g}) is more than storage_gb ({self.storage_gb:g})")
        return self
