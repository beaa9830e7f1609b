"""upgradesim: readiness, rollout simulation, telemetry judgement and governance for upgrades.

The public API is this module's ``__all__``; everything else is internal.
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from .errors import (
    DataError,
    PlanError,
    Problem,
    ReportError,
    SimulationError,
    StoreError,
    UpgradesimError,
)
from .judge import JudgeConfig, Verdict, judge_frames, load_judge_config, logs_diff
from .judge import judge as judge_telemetry  # ``upgradesim.judge`` stays the subpackage
from .plan import Plan, load_plan, parse_plan, plan_hash, plan_schema, summarize_plan
from .readiness import Readiness, assess
from .sample import sample_plan_path, write_sample
from .sim import (
    EVENT_FIELDS,
    REPLICATION_FIELDS,
    SimulationResult,
    check_tolerance,
    compare,
    recommend,
    simulate,
)
from .store import Store


def __getattr__(name: str):
    """``upgradesim.report`` and ``upgradesim.control`` load on first use (report brings matplotlib)."""
    if name in ("report", "control"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'upgradesim' has no attribute {name!r}")


try:
    __version__ = _version("upgradesim")
except _PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "__version__",
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
