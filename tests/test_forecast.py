"""forecast: the execution log and its bad inputs, the Bayesian updates, the point of no return by
hand, the decision on clean and troubled nights, canary and wave bakes, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from upgradesim.cli import cli
from upgradesim.errors import DataError, PlanError
from upgradesim.forecast import forecast, read_log
from upgradesim.forecast.forecast import rollback_minutes_now
from upgradesim.forecast.posterior import (
    PRIOR_ATTEMPTS,
    PRIOR_N,
    duration_posterior,
    failure_posterior,
)
from upgradesim.plan.model import Beta, Fixed, LogNormal
from upgradesim.sim import prepare
from upgradesim.sim.model import NEW, Rollout
from upgradesim.sim.strategies import build_strategy

from .simplans import make_plan

T0 = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
CHG = "CHG-1"


def _plan(edit=None):
    def base(d):
        d["change_id"] = CHG
        d["regions"][0]["nodes"] = {"app": 10, "db": 1}
        d["tiers"]["app"].update(upgrade_min={"dist": "lognormal", "median": 10, "p95": 15}, failure_prob=0.05)
        d["strategies"] = [{"name": "roll", "kind": "rolling", "batch_size": 2}]
        d["chosen_strategy"] = "roll"
        d["rollback"] = {"failed_nodes_per_batch": 2}
        d["risk"] = {"max_p_rollback": 0.5, "finish_by": "2027-03-01T02:15:00Z", "min_p_finish_by": 0.5}
        if edit:
            edit(d)
    return make_plan(base)


def _write(tmp_path, rows, name="log.csv"):
    path = tmp_path / name
    lines = ["ts,change_id,node,event,detail"]
    for minute, node, event, *detail in rows:
        ts = (T0 + dt.timedelta(minutes=minute)).isoformat()
        lines.append(f"{ts},{CHG},{node},{event},{detail[0] if detail else ''}")
    path.write_text("\n".join(lines) + "\n")
    return path


# the night so far: the db node (20 min), then two batches of two app nodes
CLEAN = [(0, "eu/db/001", "upgrade_start"), (20, "eu/db/001", "upgrade_done"),
         (20, "eu/app/001", "upgrade_start"), (20, "eu/app/002", "upgrade_start"),
         (30, "eu/app/001", "upgrade_done"), (31, "eu/app/002", "upgrade_done"),
         (31, "eu/app/003", "upgrade_start"), (31, "eu/app/004", "upgrade_start"),
         (40, "eu/app/003", "upgrade_done"), (42, "eu/app/004", "upgrade_done")]
# the same start, but app upgrades take three times as long and two of four fail
TROUBLED = [(0, "eu/db/001", "upgrade_start"), (20, "eu/db/001", "upgrade_done"),
            (20, "eu/app/001", "upgrade_start"), (20, "eu/app/002", "upgrade_start"),
            (50, "eu/app/001", "upgrade_done"), (50, "eu/app/002", "upgrade_failed"),
            (55, "eu/app/002", "node_rolled_back"),
            (55, "eu/app/003", "upgrade_start"), (55, "eu/app/004", "upgrade_start"),
            (86, "eu/app/003", "upgrade_done"), (88, "eu/app/004", "upgrade_failed")]


def test_clean_night_continues_and_a_troubled_one_does_not(tmp_path):
    plan = _plan()
    clean = forecast(plan, _write(tmp_path, CLEAN, "clean.csv"), now=T0 + dt.timedelta(minutes=42),
                     replications=200)
    bad = forecast(plan, _write(tmp_path, TROUBLED, "bad.csv"), now=T0 + dt.timedelta(minutes=90),
                   replications=200)
    assert clean.decision == "continue" and clean.exit_code == 0
    assert bad.decision in ("pause", "rollback") and bad.exit_code in (2, 3)
    assert clean.upgraded == 5 and bad.upgraded == 3 and bad.in_progress == []
    # the probabilities move the right way
    assert bad.p_deadline[0] < clean.p_deadline[0]
    assert bad.p_rollback[0] > clean.p_rollback[0]
    app = {p.tier: p for p in bad.posteriors}["app"]
    assert (app.failures, app.attempts, app.observed) == (2, 4, 2)
    assert app.failure == pytest.approx((0.05 * PRIOR_ATTEMPTS + 2) / (PRIOR_ATTEMPTS + 4))
    assert app.median_min == pytest.approx(np.exp((PRIOR_N * np.log(10) + np.log(30) + np.log(31)) / (PRIOR_N + 2)))
    assert any("2 of 4 attempts failed" in r for r in bad.reasons)


def test_without_evidence_the_forecast_is_the_plan(tmp_path):
    log = _write(tmp_path, [(0, "eu/db/001", "upgrade_start")])
    result = forecast(_plan(), log, now=T0 + dt.timedelta(minutes=5), replications=100)
    assert result.p_deadline == result.planned["p_deadline"] and result.p_rollback == result.planned["p_rollback"]
    assert result.in_progress == ["eu/db/001"] and result.upgraded == 0


def test_point_of_no_return_by_hand(tmp_path):
    # fixed rollbacks: app 7 min, db 9 min; chunks of the rolling batch (2); the window closes at 04:00
    def edit(d):
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T04:00:00"}]
    plan = _plan(edit)
    rows = CLEAN + [(42, "eu/app/005", "upgrade_start"), (50, "eu/app/005", "upgrade_done")]
    result = forecast(plan, _write(tmp_path, rows), now=T0 + dt.timedelta(minutes=60), replications=50)
    # revert app 001-005 in chunks of 2: 3 chunks x 7 min, then db: 9 min -> 30 min
    prep = prepare(plan)
    done = frozenset(s.k for s in prep.nodes if s.id in {"eu/db/001", *(f"eu/app/00{i}" for i in range(1, 6))})
    assert rollback_minutes_now(plan, prep, build_strategy(plan, "roll"), done, "eu") == 30.0
    assert result.point_of_no_return == T0 + dt.timedelta(hours=4) - dt.timedelta(minutes=30)
    assert result.point_by_region == {"eu": result.point_of_no_return}
    assert result.window_end == T0 + dt.timedelta(hours=4)


def test_past_the_point_of_no_return_a_likely_rollback_pauses(tmp_path):
    # reverting app/001 and app/003 (one chunk of 2, 60 min) and the db (9 min) takes 69 min; the
    # window closes at 02:30, so the point of no return was 01:21
    def edit(d):
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T02:30:00"}]
        d["tiers"]["app"]["rollback_min"] = 60
        d["rollback"] = {"failed_nodes_per_batch": 1}
        d["risk"] = {"max_p_rollback": 0.01}
    result = forecast(_plan(edit), _write(tmp_path, TROUBLED), now=T0 + dt.timedelta(minutes=90), replications=50)
    assert result.point_of_no_return == T0 + dt.timedelta(minutes=81)
    assert result.decision == "pause"
    assert "but a rollback no longer ends inside the window (point of no return was 2027-03-01T01:21:00+00:00)" \
        in result.reasons[0]
    early = forecast(_plan(lambda d: d.update(risk={"max_p_rollback": 0.01})), _write(tmp_path, TROUBLED),
                     now=T0 + dt.timedelta(minutes=90), replications=50)
    assert early.decision == "rollback" and early.exit_code == 3


def test_a_fired_trigger_and_a_finished_rollout(tmp_path):
    fired = CLEAN + [(43, "rollout", "rollback_triggered", "error_rate")]
    result = forecast(_plan(), _write(tmp_path, fired), now=T0 + dt.timedelta(minutes=44))
    assert result.decision == "rollback" and result.exit_code == 3
    assert result.reasons == ["a rollback trigger fired at 2027-03-01T00:43:00+00:00 (log line 12: error_rate): "
                              "finish rolling back"]
    rows = [(0, "eu/db/001", "upgrade_start"), (20, "eu/db/001", "upgrade_done")]
    for i in range(1, 11):
        rows += [(20 + i, f"eu/app/{i:03d}", "upgrade_start"), (21 + i, f"eu/app/{i:03d}", "upgrade_done")]
    result = forecast(_plan(), _write(tmp_path, rows), now=T0 + dt.timedelta(hours=1))
    assert result.decision == "complete" and result.exit_code == 0
    assert result.finished_at == T0 + dt.timedelta(minutes=31)


@pytest.mark.parametrize("rows,message", [
    ([(0, "eu/db/001", "upgrade_start")], None),
    ([(0, "eu/db/00", "upgrade_start")], "log.csv:2: node(=eu/db/00): not a node of the plan (did you mean 'eu/db/001'?)"),
    ([(5, "eu/db/001", "upgrade_start"), (1, "eu/app/001", "upgrade_start")],
     "log.csv:3: ts(=2027-03-01T00:01:00+00:00): out of order, earlier than line 2"),
    ([(0, "eu/db/001", "upgrade_start"), (500, "eu/db/001", "upgrade_done")],
     "log.csv:3: ts(=2027-03-01T08:20:00+00:00): in the future (now is 2027-03-01T01:00:00+00:00)"),
    ([(0, "eu/db/001", "upgrade_done")], "log.csv:2: upgrade_done of eu/db/001: no upgrade_start before it"),
    ([(0, "eu/db/001", "upgrade_start"), (1, "eu/db/001", "upgrade_start")],
     "log.csv:3: upgrade_start of eu/db/001: its previous attempt has not ended"),
    ([(0, "eu/db/001", "upgrade_start"), (1, "eu/db/001", "upgrade_done"), (2, "eu/db/001", "upgrade_start")],
     "log.csv:4: upgrade_start of eu/db/001: the node was upgraded already"),
    ([(0, "eu/db/001", "node_rolled_back")], "log.csv:2: node_rolled_back of eu/db/001: the node had neither failed"),
    ([(0, "eu/db/001", "upgraded")], "log.csv:2: event(=upgraded): unknown; use one of upgrade_start"),
    ([], "log.csv: no events: the rollout has not started"),
])
def test_log_problems_name_the_line(tmp_path, rows, message):
    nodes = {s.id: s.tier for s in prepare(_plan()).nodes}
    path = _write(tmp_path, rows)
    if message is None:
        assert len(read_log(path, nodes=nodes, change_id=CHG, now=T0 + dt.timedelta(hours=1)).events) == 1
        return
    with pytest.raises(DataError) as caught:
        read_log(path, nodes=nodes, change_id=CHG, now=T0 + dt.timedelta(hours=1))
    assert str(caught.value).startswith(str(path))
    assert message.split("log.csv", 1)[1] in str(caught.value)


def test_another_change_bad_fields_and_json_lines(tmp_path):
    nodes = {s.id: s.tier for s in prepare(_plan()).nodes}
    now = T0 + dt.timedelta(hours=1)
    path = tmp_path / "other.csv"
    path.write_text("ts,change_id,node,event\n2027-03-01T00:00:00Z,CHG-2,eu/db/001,upgrade_start\n")
    with pytest.raises(DataError, match=r"other.csv:2: change_id\(=CHG-2\): this log is of another change "
                                        r"\(the plan's is CHG-1\)"):
        read_log(path, nodes=nodes, change_id=CHG, now=now)
    path.write_text("ts,change_id,node,event,who\n2027-03-01T00:00:00Z,CHG-1,eu/db/001,upgrade_start,x\n")
    with pytest.raises(DataError, match="other.csv:2: unknown field who"):
        read_log(path, nodes=nodes, change_id=CHG, now=now)
    path.write_text("ts,change_id,node,event\nyesterday,CHG-1,eu/db/001,upgrade_start\n")
    with pytest.raises(DataError, match=r"other.csv:2: ts\(=yesterday\): must be an ISO 8601"):
        read_log(path, nodes=nodes, change_id=CHG, now=now)
    path.write_text("ts,change_id,node,event\n2027-03-01T00:00:00Z,CHG-1,eu/db/001\n")
    with pytest.raises(DataError, match="other.csv:2: 3 cells, the header has 4"):
        read_log(path, nodes=nodes, change_id=CHG, now=now)
    lines = tmp_path / "log.jsonl"
    lines.write_text(json.dumps({"ts": "2027-03-01T00:00:00", "change_id": CHG, "node": "eu/db/001",
                                 "event": "upgrade_start"}) + "\n\n"
                     + json.dumps({"ts": "2027-03-01T00:20:00Z", "change_id": CHG, "node": "eu/db/001",
                                   "event": "upgrade_done"}) + "\n")
    log = read_log(lines, nodes=nodes, change_id=CHG, now=now)
    assert log.done == {"eu/db/001": T0 + dt.timedelta(minutes=20)} and log.durations == {"db": [20.0]}
    lines.write_text('{"ts": "2027-03-01T00:00:00Z", "change_id": \n')
    with pytest.raises(DataError, match="log.jsonl:1: not JSON"):
        read_log(lines, nodes=nodes, change_id=CHG, now=now)


def test_duration_posterior_is_the_conjugate_update():
    prior = LogNormal(median=10, p95=20)
    same = duration_posterior(prior, [])
    assert same.median == pytest.approx(10) and same.p95 == pytest.approx(20) and same.n == PRIOR_N
    post = duration_posterior(prior, [30.0] * 5)  # five observations, as many as the prior is worth
    mu = (np.log(10) + np.log(30)) / 2
    sigma0 = prior.sigma
    ss = PRIOR_N * sigma0**2 + 0 + PRIOR_N * 5 / 10 * (np.log(30) - np.log(10)) ** 2
    assert post.median == pytest.approx(np.exp(mu))
    assert post.sigma == pytest.approx(np.sqrt(ss / 10))
    assert post.n == 10
    fixed = duration_posterior(Fixed(value=10), [10.0, 10.0])
    assert fixed.median == pytest.approx(10.0) and fixed.n == PRIOR_N + 2


def test_failure_posterior_counts_failures_and_successes():
    assert failure_posterior(0.05, [True, False, False]) == Beta(alpha=0.05 * PRIOR_ATTEMPTS + 1,
                                                                 beta=0.95 * PRIOR_ATTEMPTS + 2)
    assert failure_posterior(Beta(alpha=2, beta=38), [True]) == Beta(alpha=3, beta=38)
    assert failure_posterior(0.0, [True]).mean > 0  # a plan's 0 can still learn


def test_rollout_starts_from_the_nodes_done():
    plan = _plan()
    prep = prepare(plan)
    done = frozenset(range(prep.n - 1))  # every app node (ids sort app before db); the db is left
    ro = Rollout(prep, build_strategy(plan, "roll"), np.random.SeedSequence(0), done=done)
    assert ro.where[0] == NEW and ro.regions["eu"].new == {"app": 10, "db": 0}
    assert ro.regions["eu"].old == {"app": 0, "db": 1}
    record = ro.run()
    assert record["nodes_upgraded"] == prep.n and record["completed"]


def test_a_canary_in_its_bake_waits_what_is_left(tmp_path):
    def edit(d):
        d["strategies"] = [{"name": "roll", "kind": "rolling", "batch_size": 2},
                           {"name": "can", "kind": "canary", "fraction": 0.2, "bake_h": 2, "then": "roll"}]
        d["chosen_strategy"] = "can"
    rows = [(0, "eu/app/001", "upgrade_start"), (0, "eu/app/002", "upgrade_start"),
            (10, "eu/app/001", "upgrade_done"), (12, "eu/app/002", "upgrade_done")]
    result = forecast(_plan(edit), _write(tmp_path, rows), now=T0 + dt.timedelta(minutes=42), replications=30)
    assert result.bake_left_min == 120 - 30  # 2 h from the last canary (minute 12) to now (42)
    passed = rows + [(40, "rollout", "canary_passed")]
    result = forecast(_plan(edit), _write(tmp_path, passed), now=T0 + dt.timedelta(minutes=42), replications=30)
    assert result.bake_left_min == 0.0


def test_unsupported_strategy_is_one_line(tmp_path):
    plan = _plan(lambda d: d.update(strategies=[{"name": "bg", "kind": "blue_green"}], chosen_strategy="bg"))
    with pytest.raises(PlanError, match="forecast follows node-by-node rollouts"):
        forecast(plan, _write(tmp_path, CLEAN), now=T0 + dt.timedelta(hours=1))
    with pytest.raises(DataError, match="is before the plan's calendar.start"):
        forecast(_plan(), _write(tmp_path, CLEAN), now=T0 - dt.timedelta(hours=1))


def _plan_file(tmp_path, plan):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(json.loads(plan.model_dump_json(exclude_none=True)), sort_keys=False))
    return path


def test_cli_exit_codes_json_and_watch(tmp_path):
    plan = _plan_file(tmp_path, _plan())
    runner = CliRunner()
    log = _write(tmp_path, CLEAN)
    res = runner.invoke(cli, ["forecast", str(plan), "--log", str(log), "--now", "2027-03-01T00:42:00Z", "-n", "50"])
    assert res.exit_code == 0 and res.output.startswith("CONTINUE")
    bad = _write(tmp_path, TROUBLED, "bad.csv")
    res = runner.invoke(cli, ["forecast", str(plan), "--log", str(bad), "--now", "2027-03-01T01:30:00Z", "-n", "50",
                              "--json"])
    doc = json.loads(res.output)
    assert res.exit_code == doc["exit_code"] in (2, 3) and doc["decision"] in ("pause", "rollback")
    app = next(p for p in doc["posteriors"] if p["tier"] == "app")
    assert app["failures"] == 2 and doc["planned"]["p_rollback"]["estimate"] <= doc["p_rollback"]["estimate"]
    res = runner.invoke(cli, ["forecast", str(plan), "--log", str(log), "--now", "soon", "--json"])
    assert res.exit_code == 1 and json.loads(res.output)["error"]["messages"] == [
        "--now(=soon): must be an ISO 8601 date-time (2027-03-06T03:40:00Z)"]

    grow = _write(tmp_path, CLEAN[:4], "grow.csv")

    def append():
        time.sleep(0.6)
        with grow.open("a") as fh:
            fh.write(f"{(T0 + dt.timedelta(minutes=30)).isoformat()},{CHG},eu/app/001,upgrade_done,\n")
    thread = threading.Thread(target=append)
    thread.start()
    res = runner.invoke(cli, ["forecast", str(plan), "--log", str(grow), "--now", "2027-03-01T00:42:00Z", "-n", "20",
                              "--watch", "--interval", "0.1", "--rounds", "2", "--json"])
    thread.join()
    docs = [json.loads(part) for part in res.output.replace("}\n{", "}\x00{").split("\x00")]
    assert [d["upgraded"] for d in docs] == [1, 2]


def test_waves_already_upgraded_are_over_and_their_bake_is_waited(tmp_path):
    def edit(d):
        d["regions"] = [dict(d["regions"][0], name="eu", nodes={"app": 2}),
                        dict(d["regions"][0], name="us", nodes={"app": 2})]
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10}}
        d["strategies"] = [{"name": "w", "kind": "phased", "waves": [["eu"], ["us"]], "batch_size": 2, "bake_h": 3}]
        d["chosen_strategy"] = "w"
        d["risk"] = {}
    rows = [(0, "eu/app/001", "upgrade_start"), (0, "eu/app/002", "upgrade_start"),
            (10, "eu/app/001", "upgrade_done"), (10, "eu/app/002", "upgrade_done")]
    result = forecast(_plan(edit), _write(tmp_path, rows), now=T0 + dt.timedelta(minutes=70), replications=20)
    assert result.bake_left_min == 180 - 60
    # the second wave starts when the bake is over (minute 190) and takes about 10 minutes (the
    # fixed 10 minutes became a lognormal of median 10 after two observations of 10)
    assert abs(result.finish["p50"] - (T0 + dt.timedelta(minutes=200))) < dt.timedelta(minutes=2)
    assert result.finish["p05"] > T0 + dt.timedelta(minutes=195)
    assert result.decision == "continue"


@pytest.mark.slow  # forecasts two sample nights
def test_the_sample_nights_clean_continues_troubled_stops(tmp_path):
    from upgradesim import api
    from upgradesim.sample.estate import sample_plan_path
    from upgradesim.sample.executions import NOW, write_executions

    plan = api.load(sample_plan_path())
    clean_log, troubled_log = write_executions(tmp_path, plan)
    now = dt.datetime.fromisoformat(NOW)
    clean = forecast(plan, clean_log, now=now, replications=200)
    troubled = forecast(plan, troubled_log, now=now, replications=200)
    assert clean.decision == "continue"
    assert troubled.decision in ("pause", "rollback")
    assert troubled.p_deadline[2] < clean.p_deadline[1]  # the intervals do not even overlap
    assert troubled.p_rollback[1] > clean.p_rollback[2]
    assert clean.upgraded == 34 and troubled.upgraded == 24
