"""Readiness: version-aware dependency graph, compatibility rules, support lifecycles, capacity,
security, customizations and workflows, as findings with a go/no-go."""

from .assess import COMPONENT_COLUMNS, FINDING_COLUMNS, Readiness, assess
from .checks import dependency_graph, upgrade_order
from .lifecycle import Cycle, Lifecycle, bundled_lifecycle_path, load_lifecycle
from .versions import cycle_of, parse_version, satisfies

__all__ = ["assess", "Readiness", "FINDING_COLUMNS", "COMPONENT_COLUMNS", "dependency_graph", "upgrade_order",
           "Lifecycle", "Cycle", "load_lifecycle", "bundled_lifecycle_path", "parse_version", "satisfies", "cycle_of"]
