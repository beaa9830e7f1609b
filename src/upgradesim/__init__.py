"""upgradesim: readiness, rollout simulation, telemetry judgement and governance for upgrades.

The public API is this module's ``__all__``; everything else is internal.
"""

from .errors import (
    DataError,
    PlanError,
    Problem,
    ReportError,
    SimulationError,
    StoreError,
    UpgradesimError,
)
from .version import __version__

# name -> (module, attribute): loaded on first use, so `upgradesim --help` does not import pandas,
# DuckDB or SciPy (PEP 562)
_LAZY = {
    "JudgeConfig": (".judge", "JudgeConfig"), "Verdict": (".judge", "Verdict"), "judge_frames": (".judge", "judge_frames"),
    "load_judge_config": (".judge", "load_judge_config"), "logs_diff": (".judge", "logs_diff"),
    "judge_telemetry": (".judge.verdict", "judge"),
    "Plan": (".plan", "Plan"), "load_plan": (".plan", "load_plan"), "parse_plan": (".plan", "parse_plan"),
    "plan_hash": (".plan", "plan_hash"), "plan_schema": (".plan", "plan_schema"),
    "summarize_plan": (".plan", "summarize_plan"),
    "Readiness": (".readiness", "Readiness"), "assess": (".readiness", "assess"),
    "sample_plan_path": (".sample", "sample_plan_path"), "write_sample": (".sample", "write_sample"),
    "EVENT_FIELDS": (".sim", "EVENT_FIELDS"), "REPLICATION_FIELDS": (".sim", "REPLICATION_FIELDS"),
    "SimulationResult": (".sim", "SimulationResult"), "check_tolerance": (".sim", "check_tolerance"),
    "compare": (".sim", "compare"), "recommend": (".sim", "recommend"), "simulate": (".sim", "simulate"),
    "Store": (".store", "Store"),
}
_SUBPACKAGES = {"api", "report", "control", "judge", "plan", "readiness", "sample", "sim", "store"}


def __getattr__(name: str):
    """Public names and subpackages load on first use (``upgradesim.report`` brings matplotlib)."""
    import importlib

    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module, __name__), attribute)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'upgradesim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBPACKAGES)


__all__ = [
    "__version__",
    # the documented Python API (notebooks and the CLI call it)
    "api",
    # errors
    "UpgradesimError",
    "Problem",
    "PlanError",
    "DataError",
    "StoreError",
    "SimulationError",
    "ReportError",
    # plan
    "Plan",
    "load_plan",
    "parse_plan",
    "plan_hash",
    "plan_schema",
    "summarize_plan",
    # simulation
    "simulate",
    "compare",
    "SimulationResult",
    "check_tolerance",
    "recommend",
    "REPLICATION_FIELDS",
    "EVENT_FIELDS",
    # store and judge
    "Store",
    "judge_telemetry",
    "judge_frames",
    "Verdict",
    "JudgeConfig",
    "load_judge_config",
    "logs_diff",
    # readiness
    "assess",
    "Readiness",
    # reports (figures, notebook data, papermill rendering) and governance
    "report",
    "control",
    # sample estate
    "sample_plan_path",
    "write_sample",
]
