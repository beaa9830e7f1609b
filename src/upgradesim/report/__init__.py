"""Stakeholder reports: figure functions, data for each notebook, papermill rendering with a manifest."""

from ..tables import front_table
from . import plots
from .context import ReportContext, fetch, missing_note, open_report, stale_note
from .data import (
    cab_data,
    first_windows,
    incidents_table,
    interval_table,
    post_upgrade_data,
    readiness_data,
    rollout_data,
    rollout_window,
    runbook_checklist,
)
from .decision import Decision, decide, plain_checks
from .display import heading, say, show, table
from .front import forecast_figure, forecast_table, front_figure, front_frame
from .render import REPORTS, RenderResult, notebooks_dir, render, render_all, report_parameters
from .words import count, label, minutes, odds

__all__ = ["plots", "readiness_data", "rollout_window", "rollout_data", "interval_table",
           "post_upgrade_data", "first_windows", "cab_data", "say", "heading", "table", "show", "REPORTS",
           "RenderResult", "render", "render_all", "notebooks_dir", "report_parameters", "ReportContext", "open_report",
           "fetch", "stale_note", "missing_note", "Decision", "decide", "plain_checks", "count", "label", "minutes", "odds",
           "front_figure", "front_frame", "forecast_figure", "forecast_table", "front_table",
           "incidents_table", "runbook_checklist"]
