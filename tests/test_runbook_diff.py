"""runbook-diff: the steps, start-up orders and configuration keys a change made stale."""

from __future__ import annotations

import json

from click.testing import CliRunner

from upgradesim.cli import cli
from upgradesim.control.runbook import load_runbook
from upgradesim.control.runbook_diff import stale_items
from upgradesim.plan import load_plan
from upgradesim.sample.estate import sample_plan_path

RUNBOOK = """\
change_id: CHG-1
steps:
  - {id: api, name: start order-api, tier: app}
  - {id: db, name: start orders-db 12.17 after restore, tier: db, depends_on: [api]}
  - {id: soap, name: check soap-order-api answers, depends_on: [db]}
  - {id: old, name: restart legacy-billing-service, depends_on: [soap]}
  - {id: ok, name: check tomcat 10.1.28 answers, depends_on: [old]}
"""


def test_stale_steps_orders_and_features(tmp_path):
    path = tmp_path / "rb.yaml"
    path.write_text(RUNBOOK)
    items = [(i.area, i.subject, i.what) for i in stale_items(load_runbook(path), load_plan(sample_plan_path()))]
    assert items == [
        ("step", "db", "names postgresql 12.17, which the change replaces with 16.4"),
        ("step", "soap", "names soap-order-api, which 7.0.0 removes"),
        ("step", "old", "names legacy-billing-service, which the plan no longer has"),
        ("start-up order", "api", "starts order-api before orders-db, which it depends on (step db)"),
    ]
    good = tmp_path / "good.yaml"
    good.write_text("steps:\n  - {id: db, name: start orders-db}\n  - {id: api, name: start order-api, "
                    "depends_on: [db]}\n")
    assert stale_items(load_runbook(good), load_plan(sample_plan_path())) == []


def test_configuration_keys_between_snapshots_and_the_cli(tmp_path):
    from upgradesim import api

    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    (before / "app.yaml").write_text("server: {threads: 8, legacy_mode: true}\n")
    (after / "app.yaml").write_text("server: {threads: 8, pool: 4}\n")
    db = tmp_path / "s.duckdb"
    api.snapshot(before, env="prod", tag="pre", db=db)
    api.snapshot(after, env="prod", tag="post", db=db)
    path = tmp_path / "rb.yaml"
    path.write_text("steps:\n  - {id: db, name: start orders-db}\n")
    res = CliRunner().invoke(cli, ["runbook-diff", str(path), "--plan", str(sample_plan_path()), "--db", str(db),
                                   "--before", "pre", "--after", "post", "--json"])
    assert res.exit_code == 2
    assert [(i["subject"], i["what"]) for i in json.loads(res.output)["stale"]] == [
        ("app.yaml:server.legacy_mode", "removed by the change"), ("app.yaml:server.pool", "a new key")]
    res = CliRunner().invoke(cli, ["runbook-diff", str(path), "--plan", str(sample_plan_path())])
    assert res.exit_code == 0 and "nothing stale" in res.output
