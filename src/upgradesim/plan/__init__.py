"""The user's upgrade plan: schema, loading with precise errors, the maintenance-window calendar."""

from .calendar import WindowCalendar, region_calendar, to_datetime, to_minutes
from .loader import load_plan, parse_plan, plan_hash
from .model import Plan
from .summary import plan_schema, summarize_plan

__all__ = [
    "Plan",
    "load_plan",
    "parse_plan",
    "plan_hash",
    "plan_schema",
    "summarize_plan",
    "WindowCalendar",
    "region_calendar",
    "to_datetime",
    "to_minutes",
]
