"""Forecast a rollout under way from its execution log: continue, pause or roll back (``upgradesim forecast``)."""

from .forecast import forecast
from .log import ExecutionLog, read_log
from .result import Forecast

__all__ = ["forecast", "Forecast", "ExecutionLog", "read_log"]
