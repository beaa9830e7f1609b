"""Sustainment after the change: the patch schedule (and, later, conflicts and technical debt)."""

from .conflicts import Change, Conflict, change_of_plan, find_conflicts, read_calendar
from .schedule import PatchEvent, Schedule, build_schedule

__all__ = ["build_schedule", "Schedule", "PatchEvent", "find_conflicts", "Conflict", "Change", "change_of_plan",
           "read_calendar"]
