"""SimPy model of a rollout and its Monte Carlo runner."""

from .capacity import erlang_c, response_quantile, response_tail
from .prepared import Prepared, prepare
from .records import EVENT_FIELDS, REPLICATION_FIELDS, SUMMARY_FIELDS
from .runner import SimulationResult, compare, run_replication, simulate, summarize
from .strategies import MODELS, build_strategy
from .tolerance import FigureCheck, check_tolerance, recommend

__all__ = [
    "Prepared",
    "prepare",
    "SimulationResult",
    "simulate",
    "compare",
    "run_replication",
    "summarize",
    "build_strategy",
    "MODELS",
    "erlang_c",
    "response_tail",
    "response_quantile",
    "REPLICATION_FIELDS",
    "EVENT_FIELDS",
    "SUMMARY_FIELDS",
    "FigureCheck",
    "check_tolerance",
    "recommend",
]
