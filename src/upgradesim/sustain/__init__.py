"""Sustainment after the change: the patch schedule (and, later, conflicts and technical debt)."""

from .schedule import PatchEvent, Schedule, build_schedule

__all__ = ["build_schedule", "Schedule", "PatchEvent"]
