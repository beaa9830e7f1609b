"""The sample estate's technical-debt register (``debt/register.yaml``): a workaround overdue, a
deferred upgrade with its interest."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_debt"]

REGISTER = """\
# Technical-debt register of the order platform (upgradesim debt --add debt/register.yaml)
- component: erp-connector
  kind: workaround
  title: SOAP bridge keeps the ERP connector on TLS 1.1 until the ERP vendor upgrades
  owner: integration-team
  created: 2026-06-01
  due: 2026-12-31
  effort_days: 15
  interest_per_month: 1200
  interest_note: extended-support fee and a TLS exception renewed every quarter
  links: [SEC-001]
- component: reporting-db
  kind: deferred_upgrade
  title: MySQL 8.0 to 8.4 moved to its own change (CHG-2027-0150)
  owner: data-team
  created: 2026-11-15
  due: 2027-04-30
  effort_days: 8
  interest_per_month: 400
  links: [CHG-2027-0150]
"""


def write_debt(folder: Path) -> list[Path]:
    out = folder / "debt"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "register.yaml"
    path.write_text(REGISTER)
    return [path]
