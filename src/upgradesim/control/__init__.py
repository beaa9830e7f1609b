"""Configuration control and governance: snapshots and drift, exceptions, change freezes, the
tamper-evident execution log, segregation of duties, runbook order, KPIs, calibration, archives."""

from .archive import Archive, archive_change, retention_check, verify_archive
from .audit import Verification, append, read_jsonl, verify
from .calibrate import fit_tiers, overlay_yaml
from .drift import (
           DRIFT_COLUMNS,
           Drift,
           DriftException,
           ExceptionRegister,
           classify,
           diff_entries,
           load_exceptions,
)
from .duties import sod_violations
from .freeze import freeze_violations
from .keys import fingerprint, store_key
from .kpi import change_success_score, kpis
from .runbook import Runbook, check_runbook, load_runbook, startup_sequence
from .snapshot import Entry, is_secret_key, read_config_dir

__all__ = ["Archive", "archive_change", "retention_check", "verify_archive", "Verification", "append", "read_jsonl",
           "verify", "fit_tiers", "overlay_yaml", "DRIFT_COLUMNS", "Drift", "DriftException", "ExceptionRegister",
           "classify", "diff_entries", "load_exceptions", "sod_violations", "freeze_violations", "fingerprint",
           "store_key", "change_success_score", "kpis", "Runbook", "check_runbook", "load_runbook",
           "startup_sequence", "Entry", "is_secret_key", "read_config_dir"]
