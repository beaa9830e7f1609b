"""A short human summary of a valid plan, and its JSON Schema for editors."""

from __future__ import annotations

from collections import Counter

from .calendar import region_calendar
from .model import Plan

__all__ = ["summarize_plan", "plan_schema"]


def plan_schema() -> dict:
    """JSON Schema of the plan file (for editor validation and autocompletion)."""
    schema = Plan.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "upgradesim plan"
    return schema


def summarize_plan(plan: Plan) -> list[str]:
    """Lines describing the estate, fleet, calendar and strategies of a valid plan."""
    tiers = Counter(c.tier for c in plan.components)
    lines = [
        f"plan: {plan.name}" + (f" ({plan.change_id})" if plan.change_id else ""),
        f"release: {plan.release.product} {plan.release.source_version} -> {plan.release.target_version}",
        f"components: {len(plan.components)} ({', '.join(f'{n} {t}' for t, n in tiers.most_common())}), "
        f"{sum(len(c.depends_on) for c in plan.components)} dependencies, {len(plan.workflows)} workflows",
    ]
    for region in plan.regions:
        cal = region_calendar(plan, region)
        nodes = ", ".join(f"{n} {t}" for t, n in region.nodes.items() if n)
        lines.append(
            f"region {region.name} ({region.tz}): {sum(region.nodes.values())} nodes ({nodes}); "
            f"{len(cal.intervals)} windows, {cal.open_minutes() / 60:.0f} h open in {plan.calendar.horizon_days:g} days"
        )
    lines.append(
        f"calendar: from {plan.calendar.start_utc:%Y-%m-%d %H:%M} UTC, {len(plan.calendar.blackouts)} blackout days, "
        f"{len(plan.calendar.freezes)} freezes, on window close: {plan.calendar.on_window_close}"
    )
    lines.append("strategies: " + ", ".join(f"{s.name} ({s.kind})" for s in plan.strategies))
    if plan.chosen_strategy:
        lines.append(f"chosen strategy: {plan.chosen_strategy}")
    return lines
