"""Incidents: reading exports, linking to components, likely cause, routing, the report table."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError, PlanError
from upgradesim.sustain.incidents import read_incidents


@pytest.fixture()
def sample(tmp_path):
    from upgradesim.sample.debt import write_debt
    from upgradesim.sample.estate import sample_plan_path

    _, tickets = write_debt(tmp_path)
    return sample_plan_path(), tickets


def test_triage_of_the_sample_export(sample, tmp_path):
    plan, tickets = sample
    db = tmp_path / "s.duckdb"
    found, summary = api.incidents(plan, tickets, db=db)
    by = {i.id: i for i in found}
    assert by["INC-1001"].likely_caused and by["INC-1001"].team == "orders-team"
    assert by["INC-1001"].reasons == ["opened 6.2 h after the cutover, on order-api, upgraded by the change"]
    assert by["INC-1002"].likely_caused and by["INC-1002"].on_call == "dba-on-call"
    assert not by["INC-1003"].likely_caused and by["INC-1003"].reasons == []  # email-relay: not touched
    assert not by["INC-1004"].likely_caused and by["INC-1004"].reasons == ["outside the change's judge window"]
    assert by["INC-1005"].component is None
    assert by["INC-1002"].hours_to_resolve == pytest.approx(3 + 25 / 60)
    rows = summary.set_index("component")
    assert rows.loc["order-api", "open"] == 2 and rows.loc["orders-db", "likely_caused"] == 1
    from upgradesim.report.data import incidents_table

    table = incidents_table(api.load(plan), str(db)).set_index("component")
    assert table.loc["orders-db", "mean hours to resolve"] == 3.4 and table.loc["order-api", "open"] == 2
    res = CliRunner().invoke(cli, ["incidents", str(plan), "--add", str(tickets), "--json"])
    assert res.exit_code == 2 and len(json.loads(res.output)["incidents"]) == 6


@pytest.mark.parametrize("text,message", [
    ("id,opened,priority,service\nX,2026-11-21T00:00:00Z,P1,a\n", "missing columns closed, summary"),
    ("id,opened,closed,priority,service,summary\nX,2026-11-21T00:00:00Z,,P9,a,s\n", "priority(=P9)"),
    ("id,opened,closed,priority,service,summary\nX,2026-11-21T02:00:00Z,2026-11-21T01:00:00Z,P1,a,s\n",
     "closed(2026-11-21T01:00:00Z) is before opened"),
    ("id,opened,closed,priority,service,summary\nX,2026-11-21,,P1,a,s\nX,2026-11-21,,P1,a,s\n", "id X appears twice"),
    ('[{"id": "X", "opened": "2026-11-21", "priority": "1", "summary": "s"}]', "service: required"),
])
def test_bad_exports(tmp_path, text, message):
    path = tmp_path / ("t.json" if text.startswith("[") else "t.csv")
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        read_incidents(path)
    assert message in str(caught.value)


def test_team_components_must_exist():
    from .simplans import make_plan

    with pytest.raises(PlanError, match=r"teams\[0\].components\[0\]\(=nope\): unknown component"):
        make_plan(lambda d: d.update(teams=[{"name": "t", "components": ["nope"], "on_call": "x"}]))


def test_kpi_shows_triaged_incidents(sample, tmp_path):
    from upgradesim.sample.governance import write_governance  # noqa: F401 - the sample's history file

    plan, tickets = sample
    db = tmp_path / "s.duckdb"
    api.incidents(plan, tickets, db=db)
    history = tmp_path / "h.csv"
    history.write_text("change_id,requested_at,started_at,finished_at,downtime_min,outcome,rolled_back,incidents_p1,"
                       "incidents_p2,incidents_p3\nC1,2026-10-01,2026-10-05,2026-10-05,10,successful,false,0,0,0\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["history", str(history), "--db", str(db)]).exit_code == 0
    res = runner.invoke(cli, ["kpi", "--db", str(db), "--json"])
    assert json.loads(res.output)["triaged"] == {"incidents": 6, "likely_caused": 3, "open": 3,
                                                  "mean_hours_to_resolve": pytest.approx((3 + 25 / 60 + 1.5 + 1) / 3)}


def test_new_log_patterns_link_to_incidents(sample, tmp_path):
    from upgradesim.sample.logs import write_logs

    plan, tickets = sample
    before, after = write_logs(tmp_path / "logs", api.load(plan).cutover_at, seed=20261121)[:2]
    found, _ = api.incidents(plan, tickets, logs_before=before, logs_after=after)
    erp = next(i for i in found if i.id == "INC-1006")
    assert erp.likely_caused and erp.team == "integration-team"
    assert any(r.startswith("a log pattern new or more frequent after the change names it") and "erp-connector" in r
               for r in erp.reasons)
