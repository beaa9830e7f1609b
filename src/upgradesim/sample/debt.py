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


INCIDENTS = """\
id,opened,closed,priority,service,summary
INC-1001,2026-11-21T09:12:00Z,,P2,order-api,Checkout times out for 2% of carts since the weekend
INC-1002,2026-11-21T10:40:00Z,2026-11-21T14:05:00Z,3,orders-db,Replication lag alarm on the replica
INC-1003,2026-11-23T08:00:00Z,2026-11-23T09:30:00Z,low,email-relay,Bounce notifications delayed
INC-1004,2026-12-20T02:00:00Z,,P1,order-api,Pricing errors after the holiday price load
INC-1005,2026-11-22T11:00:00Z,2026-11-22T12:00:00Z,P4,legacy-billing,Old billing export failed
INC-1006,2026-11-21T05:30:00Z,,P3,erp-connector,ERP order export retries and times out
"""


def write_debt(folder: Path) -> list[Path]:
    out = folder / "debt"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "register.yaml"
    path.write_text(REGISTER)
    tickets = folder / "incidents.csv"
    tickets.write_text(INCIDENTS)
    return [path, tickets]
