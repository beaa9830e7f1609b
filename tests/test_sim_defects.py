"""The five defects that made rollback risk wrong, each pinned by a test that failed before the fix
(every record re-derived from its own trace: ``test_sim_trace_figures``)."""

from __future__ import annotations

from upgradesim.plan.calendar import region_calendar
from upgradesim.sim import prepare, run_replication

from .simplans import make_plan


def trace(plan, strategy, seed=0):
    record, events = run_replication(prepare(plan), strategy, seed, 0, keep_events=True)
    return record, events


def busy_canary(**rollback):
    """Four app nodes at 250 rps; the new version needs three times the CPU, so two canaries and two
    old nodes cannot keep p95 under target: the SLA is breached from the canary's first minute."""
    def edit(data):
        data["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        data["regions"][0]["nodes"] = {"app": 4}
        data["regions"][0]["traffic"] = {"hourly_rps": [250] * 24}
        data["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10, "rollback_min": 7}}
        data["release"]["overheads"] = {"cpu_pct": 200}
        data["strategies"] = [{"name": "canary", "kind": "canary", "fraction": 0.5, "bake_h": 24, "then": "roll"},
                              {"name": "roll", "kind": "rolling", "batch_size": 1}]
        data["rollback"] = rollback
    return make_plan(edit)


def test_1_sla_breach_during_a_bake_triggers_when_the_limit_is_reached():
    record, events = trace(busy_canary(sla_breach_min=30), "canary")
    log = [(node, event, at) for node, event, at, _, _ in events]
    # the two canaries breach for 10 minutes while upgrading, then 20 more into the bake: 30
    assert ("rollout", "rollback_triggered", 30.0) in log
    assert [e for e in log if e[1] == "canary_passed"] == []  # before: no trigger until the bake ended
    assert record["rolled_back"] and record["rollback_reason"] == "sla_breach"
    nodes = [e for e in log if e[0].count("/") == 2]
    assert nodes[-1] == ("eu/app/002", "reverted", 44.0)  # the rollback itself is simulated
    assert log[-1] == ("rollout", "rollout_end", 44.0)


def test_2_nothing_triggers_after_the_rollout_ends():
    # the finished fleet breaches; with the limit never reached while the strategy runs, the record
    # must not report a rollback that the trace does not show
    record, events = trace(busy_canary(sla_breach_min=100_000), "canary")
    assert not any(event == "rollback_triggered" for _, event, *_ in events)
    assert not record["rolled_back"] and record["rollback_reason"] == "" and record["sla_breach_min"] > 0


def test_3_omitting_a_trigger_disables_it():
    plan = busy_canary()  # rollback: {} - every trigger omitted
    assert plan.rollback.model_dump() == {"failed_nodes_per_batch": None, "error_rate_pct": None,
                                          "sla_breach_min": None, "window_overrun_min": None}
    record, _ = trace(plan, "canary")
    assert not record["rolled_back"] and record["sla_breach_min"] > 1000


def test_4_an_exact_fit_batch_starts_when_no_long_transactions_are_declared():
    def edit(data, per_hour):
        data["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T00:30:00"}]
        data["calendar"]["on_window_close"] = "halt"
        data["tiers"]["db"]["upgrade_min"] = 20
        data["migration"] = {"tier": "db", "rows": 600_000, "rows_per_s": 1000, "online": True,
                             "long_transactions": {"per_hour": per_hour, "hold_min": 5}}
        data["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1, "tiers": ["db"]}]
    record, events = trace(make_plan(lambda d: edit(d, 0.0)), "s")  # 20 min upgrade + 10 min migration = 30
    assert ("eu/db/001", "upgrade_start", 0.0) in [(n, e, a) for n, e, a, _, _ in events]
    assert record["nodes_upgraded"] == 1
    record, events = trace(make_plan(lambda d: edit(d, 6.0)), "s")  # a lock wait is planned: it no longer fits
    assert record["nodes_upgraded"] == 0 and record["horizon_exceeded"]


def test_5_open_hours_are_counted_within_the_horizon_only():
    def edit(data):
        data["calendar"]["horizon_days"] = 2
        data["calendar"]["one_off_windows"] = [{"start": "2027-03-02T12:00:00", "end": "2027-03-05T00:00:00"}]
    plan = make_plan(edit)
    cal = region_calendar(plan, plan.regions[0])
    assert cal.open_minutes() == 12 * 60  # noon of day 2 to the horizon at the end of day 2; not 60 hours


def test_a_cutover_overrun_triggers_the_rollback_like_a_batch_overrun():
    def edit(data):
        data["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T01:00:00"}]
        data["calendar"]["on_window_close"] = "finish"
        data["strategies"] = [{"name": "bg", "kind": "blue_green", "cutover_min": 200, "keep_blue_h": 1}]
        data["rollback"] = {"window_overrun_min": 30}
    record, events = trace(make_plan(edit), "bg")
    log = [(node, event) for node, event, *_ in events]
    assert ("eu", "window_overrun") in log and record["rollback_reason"] == "window_overrun"
    assert record["rolled_back"] and ("eu", "switch_back") in log


def test_a_rollback_that_cannot_fit_in_any_window_is_a_finding(tmp_path):
    from click.testing import CliRunner

    from upgradesim.cli import cli
    from upgradesim.sim.feasibility import rollback_fit, rollback_minutes

    def edit(data, app_rollback):
        data["calendar"]["one_off_windows"] = [{"start": "2027-03-01T01:00:00", "end": "2027-03-01T01:30:00"}]
        data["tiers"]["app"]["rollback_min"] = app_rollback
        data["strategies"].append({"name": "bg", "kind": "blue_green", "cutover_min": 10})
    fits = make_plan(lambda d: edit(d, 20))
    # one batch of the slowest tier (db, 9 min) fits in 30 minutes; big bang reverts app then db: 29
    assert rollback_minutes(fits, "one-by-one", "eu") == 20.0
    assert rollback_minutes(fits, "bang", "eu") == 29.0
    assert rollback_minutes(fits, "bg", "eu") == 10.0
    assert rollback_fit(fits) == []
    slow = make_plan(lambda d: edit(d, 25))
    assert rollback_fit(slow) == [
        "strategy bang: the smallest rollback in region eu takes about 34 min (95th percentiles), longer than any "
        "window there (at most 30 min): it cannot fit in a window"]
    path = tmp_path / "plan.yaml"
    import copy

    import yaml

    from .simplans import BASE
    data = copy.deepcopy(BASE)
    edit(data, 40)
    path.write_text(yaml.safe_dump(data))
    out = CliRunner().invoke(cli, ["validate", str(path)])
    assert out.exit_code == 0
    assert [line.split(":")[1].strip() for line in out.output.splitlines() if "warning" in line] == [
        "strategy one-by-one", "strategy bang"]
