"""Sample governance data: two environments' configuration, an exception register, the executed
log of a past upgrade, a short history of past upgrades, and a runbook."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from ..plan.model import Plan
from ..sim.distributions import sample

__all__ = ["write_governance", "PAST_CHANGE", "SAMPLE_SECRETS"]

PAST_CHANGE = "CHG-2026-0077"
SAMPLE_SECRETS = ("S3cr3t-db-Passw0rd!", "tok_live_9f8e7d6c5b4a", "amqp-pw-5521")  # must never reach the store

_PROD = {
    "app.yaml": "server:\n  port: 8443\n  threads: 200\n  tls_min: \"1.2\"\nfeatures:\n  new_checkout: false\n"
                "  discount_engine: v6\npayments:\n  api_token: {token}\n  timeout_ms: 3000\n",
    "server.properties": "db.url=jdbc:postgresql://orders-db:5432/orders\ndb.user=orders_app\ndb.password={dbpw}\n"
                         "pool.max=50\npool.min=10\n",
    "db.ini": "[postgresql]\nshared_buffers = 8GB\nmax_connections = 400\nwork_mem = 64MB\n\n[replication]\n"
              "synchronous_commit = on\n",
    ".env": "BROKER_URL=amqp://orders:{amqp}@order-broker:5672/\nLOG_LEVEL=info\nREGION=eu-west\n",
    "features.json": '{{"flags": {{"soap_bridge": true, "xml_export": true}}, "limits": {{"max_items": 500}}}}\n',
    "runtime.toml": "[jvm]\nheap_max = \"6g\"\ngc = \"G1\"\n\n[tomcat]\nmax_threads = 200\n",
}
_STAGING_CHANGES = {
    ("app.yaml", "  threads: 200"): "  threads: 400",
    ("app.yaml", "  new_checkout: false"): "  new_checkout: true",
    ("server.properties", "pool.max=50"): "pool.max=80",
    (".env", "LOG_LEVEL=info"): "LOG_LEVEL=debug",
    ("runtime.toml", 'heap_max = "6g"'): 'heap_max = "8g"',
    ("db.ini", "work_mem = 64MB"): "work_mem = 128MB",
}
_EXCEPTIONS = """\
# Approved, owned and expiring exceptions to the baseline (upgradesim config drift --exceptions).
exceptions:
  - key: "app.yaml:features.new_checkout"
    env: staging
    reason: new checkout is being tested in staging before the upgrade
    owner: pat.checkout
    approver: morgan.cab
    expires: 2027-06-30
  - key: ".env:LOG_LEVEL"
    env: staging
    reason: debug logging while the broker upgrade is rehearsed
    owner: dana.ops
    approver: morgan.cab
    expires: 2026-10-31
  - key: "app.yaml:server.threads"
    env: prod
    reason: thread pool raised by hand in the November peak; the chart catches up with the upgrade
    owner: dana.ops
    approver: morgan.cab
    expires: 2027-06-30
  - key: "server.properties:pool.*"
    env: staging
    reason: connection-pool sizing trial for the 7.0 release
    owner: lee.qa
    approver: morgan.cab
    expires: 2027-03-31
"""
_RUNBOOK = """\
# Runbook of the 7.0 upgrade: steps with dependencies, and patching-order rules.
change_id: CHG-2026-0077
steps:
  - {id: freeze-config, name: snapshot configuration}
  - {id: backup, name: back up the orders database, tier: db, depends_on: [freeze-config]}
  - {id: db, name: upgrade the database tier, tier: db, depends_on: [backup]}
  - {id: mw, name: upgrade the middleware tier, tier: middleware, depends_on: [db]}
  - {id: app, name: upgrade the application tier, tier: app, depends_on: [mw]}
  - {id: lb, name: upgrade the load balancers, tier: lb, depends_on: [app]}
  - {id: verify, name: post-upgrade verification, depends_on: [lb]}
rules:
  - {first: db, then: app}
  - {first: middleware, then: app}
"""


def write_governance(folder: Path, plan: Plan, *, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    written = []
    for env in ("prod", "staging"):
        root = folder / "config" / env
        root.mkdir(parents=True, exist_ok=True)
        for name, template in _PROD.items():
            text = template.format(token=SAMPLE_SECRETS[1], dbpw=SAMPLE_SECRETS[0], amqp=SAMPLE_SECRETS[2])
            if env == "staging":
                for (file, old), new in _STAGING_CHANGES.items():
                    if file == name:
                        text = text.replace(old, new)
            (root / name).write_text(text)
            written.append(root / name)
    (folder / "config" / "exceptions.yaml").write_text(_EXCEPTIONS)
    (folder / "runbook.yaml").write_text(_RUNBOOK)
    written += [folder / "config" / "exceptions.yaml", folder / "runbook.yaml"]

    # the executed log of a past upgrade: node attempts drawn from the plan's own distributions
    start = dt.datetime(2026, 9, 12, 1, 0, tzinfo=dt.UTC)
    records, t = [], start
    people = {"executor": "dana.ops", "validator": "lee.qa", "approver": "morgan.cab"}
    records.append({"ts": (t - dt.timedelta(days=3)).isoformat(), "change_id": PAST_CHANGE, "step": "approve",
                    "actor": people["approver"], "role": "approver", "action": "approve_change", "outcome": "ok",
                    "details": {}})
    for tier in ("db", "middleware", "app", "lb"):
        behaviour = plan.tiers[tier]
        nodes = sum(r.nodes.get(tier, 0) for r in plan.regions)
        for i in range(nodes * 3):  # three rehearsals' worth of attempts (the last is the change itself)
            rehearsal = i // max(nodes, 1)
            change = PAST_CHANGE if rehearsal == 2 else f"{PAST_CHANGE}-R{rehearsal + 1}"
            duration = float(sample(behaviour.upgrade_min, rng, 1)[0])
            failed = bool(rng.random() < getattr(behaviour.failure_prob, 'mean', behaviour.failure_prob))
            detect = float(sample(behaviour.detect_min, rng, 1)[0])
            t += dt.timedelta(minutes=duration / 4)
            records.append({"ts": t.isoformat(), "change_id": change, "step": tier, "actor": people["executor"],
                            "role": "executor", "action": "node_upgrade", "outcome": "failed" if failed else "ok",
                            "details": {"tier": tier, "node": f"{tier}-{i:03d}", "duration_min": round(duration, 2),
                                        "detect_min": round(detect, 2) if failed else None}})
    # the approver also ran the final check: a segregation-of-duties finding to show
    records.append({"ts": (t + dt.timedelta(minutes=20)).isoformat(), "change_id": PAST_CHANGE, "step": "verify",
                    "actor": people["approver"], "role": "validator", "action": "post_check", "outcome": "ok",
                    "details": {}})
    log = folder / "logs" / f"executed-{PAST_CHANGE}.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    written.append(log)

    rows = ["change_id,requested_at,started_at,finished_at,downtime_min,outcome,rolled_back,incidents_p1,"
            "incidents_p2,incidents_p3"]
    outcomes = ["successful", "successful", "successful_with_issues", "successful", "unsuccessful", "successful",
                "successful", "successful_with_issues", "successful", "successful"]
    for i, outcome in enumerate(outcomes):
        begin = dt.datetime(2024, 10, 5, 1, tzinfo=dt.UTC) + dt.timedelta(days=63 * i)
        p1 = 1 if outcome == "unsuccessful" else 0
        p2 = 1 if outcome == "successful_with_issues" else 0
        rows.append(f"CHG-H{i + 1:03d},{(begin - dt.timedelta(days=int(rng.integers(10, 40)))).isoformat()},"
                    f"{begin.isoformat()},{(begin + dt.timedelta(hours=int(rng.integers(3, 30)))).isoformat()},"
                    f"{int(rng.integers(0, 90))},{outcome},{str(outcome == 'unsuccessful').lower()},{p1},{p2},"
                    f"{int(rng.integers(0, 3))}")
    history = folder / "history.csv"
    history.write_text("\n".join(rows) + "\n")
    written.append(history)
    return written
