"""Data checks around a migration: compare two datasets, scan one for unmasked personal data."""

from .compare import DataComparison, TableDiff, compare_datasets
from .pii import PiiFinding, scan_pii

__all__ = ["compare_datasets", "DataComparison", "TableDiff", "scan_pii", "PiiFinding"]
