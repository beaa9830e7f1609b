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
from .plan import Plan, load_plan, parse_plan, plan_hash, plan_schema, summarize_plan
from .sample import sample_plan_path, write_sample

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
    # sample estate
    "sample_plan_path",
    "write_sample",
]
