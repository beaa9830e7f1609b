"""Other changes sharing the sample's nights, for ``upgradesim conflicts``: a reporting-database
upgrade planned for the same weekends (it needs PostgreSQL 16, which the main change installs, and
takes out the same database tier in eu-west), and a change calendar with a load-balancer change."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_changes"]

REPORTING = """\
# A second change on the same estate and the same weekends: upgradesim conflicts finds the overlap.
name: Reporting database upgrade
change_id: CHG-2027-0150
release:
  product: mysql
  source_version: 8.0.36
  target_version: 8.4.2
  requires: [postgresql >=16]     # reads orders through the new replication slot API
components:
  - {name: orders-db, tier: db, product: postgresql, version: "12.17"}
  - {name: reporting-db, tier: db, product: mysql, version: 8.0.36, target_version: 8.4.2, depends_on: [orders-db]}
regions:
  - name: eu-west
    tz: Europe/Dublin
    nodes: {db: 2}
    traffic: {hourly_rps: [40, 30, 20, 20, 20, 30, 60, 90, 120, 140, 150, 150, 150, 150, 140, 140, 130, 120, 110, 100, 90, 80, 60, 50]}
calendar:
  start: 2027-03-06T00:00:00Z
  horizon_days: 28
  windows: ["sat 01:00-05:00", "sun 02:00-06:00"]   # Dublin's clocks jump 01:00 -> 02:00 on 28 March
tiers:
  db: {capacity_rps: 600, upgrade_min: {dist: lognormal, median: 40, p95: 80}, failure_prob: 0.02}
strategies:
  - {name: one-by-one, kind: rolling, batch_size: 1}
chosen_strategy: one-by-one
"""

CALENDAR = """\
change_id,start,end,components,summary
CHG-2027-0160,2027-03-07T01:30:00Z,2027-03-07T03:00:00Z,edge-lb;internal-lb,load-balancer certificate rotation
CHG-2027-0170,2027-05-10T22:00:00Z,2027-05-10T23:00:00Z,email-relay,SMTP relay patch
"""


def write_changes(folder: Path) -> list[Path]:
    out = folder / "changes"
    out.mkdir(parents=True, exist_ok=True)
    plan, cal = out / "reporting-upgrade.yaml", out / "calendar.csv"
    plan.write_text(REPORTING)
    cal.write_text(CALENDAR)
    return [plan, cal]
