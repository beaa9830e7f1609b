"""Evidence before and after the change: typed records in the store and the plan's gates."""

from .gates import GateResult, StageReport, check_stage
from .records import KINDS, parse_evidence
from .service import evidence_add, evidence_check, evidence_list, evidence_show

__all__ = ["KINDS", "parse_evidence", "GateResult", "StageReport", "check_stage", "evidence_add", "evidence_check",
           "evidence_list", "evidence_show"]
