"""optimize: the design space, the search against exhaustive answers, the plan's own strategy on
the front, overlays that validate and check, infeasible spaces, reproducibility and the CLI."""

from __future__ import annotations

import json

import pytest
import yaml

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import PlanError
from upgradesim.optimize import Infeasible, optimize
from upgradesim.optimize.designs import Design, plan_design, wave_plans
from upgradesim.optimize.front import OBJECTIVES, dominates, pareto, same
from upgradesim.optimize.search import NAME, _design_plan, evaluate
from upgradesim.plan.overlay import apply_overlay
from upgradesim.sim.feasibility import capacity_floor_pct

from .simplans import make_plan


def _tradeoff(edit_space=None, **risk):
    """8 app nodes serving 1,200 rps at 200 rps each: one node out keeps 1,400 rps (no breach),
    two or more out breach the SLA for the whole batch. Fixed 30-minute upgrades, no failures: the
    figures are exact, so screening and confirming agree and the front is known."""
    def edit(d):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        d["regions"][0]["nodes"] = {"app": 8}
        d["regions"][0]["traffic"] = {"hourly_rps": [1200] * 24}
        d["tiers"] = {"app": {"capacity_rps": 200, "upgrade_min": 30}}
        d["strategies"] = [{"name": "r", "kind": "rolling", "batch_pct": 25}]
        d["optimize"] = {"families": ["rolling"], "batch_pct": [10, 50], "sequencing": ["sequential"], "budget": 30,
                         "replications": {"screen": 5, "confirm": 20}}
        d["risk"] = risk
        if edit_space:
            edit_space(d)
    return make_plan(edit)


def _vector(point_objectives):
    return tuple(round(point_objectives[k][0], 9) for k in OBJECTIVES)


def test_the_search_recovers_the_front_found_by_exhaustive_search():
    plan = _tradeoff()
    everything = []
    for pct in range(10, 55, 5):
        design = Design("rolling", (("batch_pct", float(pct)), ("sequencing", "sequential")))
        out = evaluate(_design_plan(plan, design), NAME, 20, 0, None, None)
        everything.append({k: v[0] for k, v in out["objectives"].items()})
    truth = {tuple(round(everything[i][k], 9) for k in OBJECTIVES) for i in pareto(everything)}
    # by hand: one node at a time takes 8 x 30 min and never breaches; 40-50% (3-4 nodes) take 60
    # minutes, all of it in breach; nothing else is on the front
    assert truth == {(1.0, 240.0, 0.0, 0.0, 0.0), (1.0, 60.0, 60.0, 0.0, 0.0)}
    result = optimize(plan, seed=0, progress=False)
    assert {_vector(p.objectives) for p in result.points} == truth
    assert result.meta["designs_simulated"] == 9 and result.meta["trials"] == 30  # 9 distinct designs, once each
    # the plan's 25% (2 nodes: 4 batches of 30 min, all in breach) is dominated by the fast point
    fast = next(p.id for p in result.points if p.estimates["duration_min"] == 60.0)
    assert result.own.dominated_by == [fast] and result.own.equal_to == []
    assert result.own.estimates["duration_min"] == 120.0 and result.own.estimates["impact_min"] == 120.0


def test_same_seed_same_search_whatever_the_workers():
    plan = _tradeoff(lambda d: d["optimize"].update(budget=12))
    one = optimize(plan, seed=4, progress=False).to_dict()
    two = optimize(plan, seed=4, workers=2, progress=False).to_dict()
    for doc in (one, two):
        doc["meta"].pop("seconds")
    assert one == two
    other = optimize(plan, seed=5, progress=False)
    assert other.meta["seed"] == 5


def test_the_capacity_floor_prunes_before_simulating():
    plan = _tradeoff(min_capacity_pct=80)  # at most one node of 8 out: 87.5%; two out: 75%
    result = optimize(plan, seed=0, progress=False)
    assert [p.label for p in result.points] == ["rolling 10% sequential"]
    assert result.meta["designs_simulated"] == 1  # the others never ran
    pruned = result.trials[~result.trials["feasible"]]
    assert set(pruned["reason"]) >= {"min_capacity_pct 80: keeps 75% in service"}
    assert result.own.floor == 75.0 and not result.own.feasible


def test_an_empty_space_says_which_constraint_empties_it():
    with pytest.raises(Infeasible) as caught:
        optimize(_tradeoff(min_capacity_pct=95), seed=0, progress=False)
    line = caught.value.lines[0]
    assert "no design of the space meets the risk policy (9 designs tried)" in line
    assert "min_capacity_pct rules out every one" in line
    # no constraint alone empties it: little breach needs small batches, the deadline big ones
    with pytest.raises(Infeasible) as caught:
        optimize(_tradeoff(max_sla_breach_min=30, finish_by="2027-03-01T01:00:00Z", min_p_finish_by=0.9),
                 seed=0, progress=False)
    assert caught.value.lines == ["tiny-sim: no design of the space meets the risk policy (9 designs tried) "
                                  "(max_sla_breach_min rules out 8, min_p_finish_by rules out 6)"]


def test_deadline_and_lower_bounds_are_constraints_too():
    # finish by 2 hours after the start with certainty: only designs of at most 60 minutes qualify
    plan = _tradeoff(finish_by="2027-03-01T01:00:00Z", min_p_finish_by=0.9)
    result = optimize(plan, seed=0, progress=False)
    assert {p.estimates["duration_min"] for p in result.points} == {60.0}
    assert all(p.estimates["p_on_time"] == 1.0 for p in result.points)
    late = plan.model_copy(update={"risk": plan.risk.model_copy(update={"finish_by": "2027-03-01T00:30:00Z"})})
    with pytest.raises(Infeasible, match="min_p_finish_by rules out every one"):
        optimize(late, seed=0, progress=False)


@pytest.mark.parametrize("kind,extra,floor", [
    ("big_bang", {}, 0.0),
    ("rolling", {"batch_size": 1}, 87.5),
    ("rolling", {"batch_pct": 30}, 62.5),  # ceil(2.4) = 3 of 8
    ("rolling", {"batch_pct": 30, "batch_sizes": {"app": 2}}, 75.0),
    ("phased", {"batch_pct": 100, "wave_pct": [25, 75]}, 25.0),  # the second wave is 6 of 8
    ("blue_green", {"cutover_min": 5}, 0.0),
    ("blue_green", {"cutover_min": 0}, 100.0),
    ("parallel_run", {"cutover_min": 0}, 100.0),
])
def test_capacity_floor_by_kind(kind, extra, floor):
    def edit(d):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        d["regions"][0]["nodes"] = {"app": 8}
        d["tiers"] = {"app": {"capacity_rps": 200, "upgrade_min": 30}}
        d["strategies"] = [{"name": "s", "kind": kind, **extra}]
    assert capacity_floor_pct(make_plan(edit), "s") == floor


def test_capacity_floor_of_a_canary_is_the_lower_of_canary_and_rollout():
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 10, "db": 2}
        d["strategies"] = [{"name": "roll", "kind": "rolling", "batch_size": 1},
                           {"name": "can", "kind": "canary", "fraction": 0.3, "then": "roll"}]
    plan = make_plan(edit)
    assert capacity_floor_pct(plan, "roll") == 50.0  # one of 2 db nodes
    assert capacity_floor_pct(plan, "can") == 50.0
    assert capacity_floor_pct(plan.model_copy(update={"regions": [plan.regions[0].model_copy(
        update={"nodes": {"app": 10, "db": 4}})]}), "can") == 70.0  # 3 of 10 app canaries


def test_per_tier_batch_sizes_drive_the_simulation():
    from upgradesim.sim import prepare, run_replication

    def edit(d):
        d["regions"][0]["nodes"] = {"app": 4, "db": 1}
        d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1, "batch_sizes": {"app": 2}}]
    _, events = run_replication(prepare(make_plan(edit)), "s", 0, 0, keep_events=True)
    starts = [(at, detail) for node, e, at, _, detail in events if e == "batch_start"]
    assert starts == [(0.0, "1"), (20.0, "2"), (30.0, "2")]  # db alone, then app two at a time


def test_wave_plans_enumerate_ordered_partitions():
    regions = ("a", "b", "c")
    assert len(wave_plans(regions, 1)) == 1
    assert len(wave_plans(regions, 2)) == 6 and (("a", "c"), ("b",)) in wave_plans(regions, 2)
    assert len(wave_plans(regions, 3)) == 6
    many = tuple(f"r{i}" for i in range(9))  # 9 regions in 4 waves: too many orders, cut points only
    cuts = wave_plans(many, 4)
    assert len(cuts) == 56 and cuts[0] == (("r0",), ("r1",), ("r2",), ("r3", "r4", "r5", "r6", "r7", "r8"))


def test_dominance_and_pareto_on_estimates():
    a = {"p_on_time": 0.9, "duration_min": 10, "impact_min": 1, "p_rollback": 0.1, "cost": 5}
    b = dict(a, cost=6)
    assert dominates(a, b) and not dominates(b, a) and not dominates(a, a)
    assert same(a, dict(a)) and not same(a, b)
    c = dict(a, p_on_time=0.95, cost=7)
    assert pareto([b, a, c, dict(a)]) == [1, 2]


def test_a_design_written_back_as_strategies_is_the_plan_strategy():
    from upgradesim.sample.estate import sample_plan_path

    plan = api.load(sample_plan_path())
    own = plan_design(plan, "canary-then-rolling")
    assert own == Design("canary", (("bake_h", 24.0), ("batch_pct", 25.0), ("fraction", 0.1),
                                    ("sequencing", "simultaneous")))
    assert own.label == "canary 10% bake 24h then 25% simultaneous"
    again = apply_overlay(plan, own.overlay(plan, "x"))
    assert again.strategy("x").fraction == 0.1 and again.strategy("x-then").batch_pct == 25.0
    assert again.chosen_strategy == "x"
    assert plan_design(plan, "rolling-4") is None  # a batch size, not a percentage: outside the space
    assert plan_design(plan, "big-bang") is None  # big_bang is not in the sample's families


@pytest.mark.parametrize("space,message", [
    ({"batch_size": {"ap": [1, 2]}}, "optimize.batch_size.ap(=ap): unknown tier (did you mean 'app'?)"),
    ({"waves": [1, 5]}, "optimize.waves(=[1, 5]): at most 3 waves: the plan has 3 regions"),
    ({"bake_h": [5, 1]}, "optimize.bake_h(=[5, 1]): the range [5, 1] is empty: low is above high"),
    ({"windows": {"n": ["xyz 01:00"]}}, "optimize.windows.n[0](=xyz 01:00): must look like"),
    ({"windows": {"plan": ["sat 01:00-02:00"]}}, "'plan' names the plan's own windows"),
    ({"replications": {"screen": 50, "confirm": 20}}, "confirm (20) must be at least screen (50)"),
    ({"families": ["rollin"]}, "optimize.families[0]"),
])
def test_a_space_that_contradicts_the_plan_is_refused_with_its_line(space, message):
    from upgradesim.sample.estate import sample_plan_path

    data = yaml.safe_load(sample_plan_path().read_text())
    data["optimize"] = space
    from upgradesim.plan.loader import parse_plan

    with pytest.raises(PlanError) as caught:
        parse_plan(yaml.safe_dump(data, sort_keys=False), source="p.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("p.yaml:")


def test_phased_with_one_region_is_one_wave():
    plan = _tradeoff(lambda d: d["optimize"].update(families=["phased"], budget=6))
    result = optimize(plan, seed=0, progress=False)
    assert all(p.design.settings["waves"] == (("eu",),) for p in result.points)


@pytest.mark.slow  # a full search on the sample estate
def test_sample_front_holds_the_chosen_strategy_and_its_overlay_checks(tmp_path):
    plan_path, _ = api.sample_workspace(tmp_path / "ws", replications=20)
    result = api.optimize(plan_path, budget=24, seed=0, workers=2, screen=20, confirm=200, progress=False)
    own = result.own
    assert own.name == "canary-then-rolling"
    assert own.dominated_by or own.equal_to  # a point dominates or equals it
    for p in result.points:
        assert all(c["status"] != "breach" for c in p.checks)
        for k in OBJECTIVES:
            est, low, high = p.objectives[k]
            assert low <= est <= high
    overlay = tmp_path / "over.yaml"
    overlay.write_text(yaml.safe_dump(result.overlay(result.recommended)))
    checked = api.check(plan_path, overlays=[overlay], replications=1000, seed=1, workers=2, progress=False)
    assert checked.strategy.startswith("optimized")
    assert checked.status != "breach"


def test_cli_front_json_overlay_plot_and_exit_codes(tmp_path):
    from click.testing import CliRunner

    plan = tmp_path / "plan.yaml"
    data = yaml.safe_load(_tradeoff().model_dump_json())
    plan.write_text(yaml.safe_dump(data, sort_keys=False))
    runner = CliRunner()
    res = runner.invoke(cli, ["optimize", str(plan), "--json", "--emit-overlay", str(tmp_path / "o.yaml"),
                              "--plot", str(tmp_path / "front.png")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert [p["point"] for p in doc["front"]] == [1, 2]
    fast = next(p["point"] for p in doc["front"] if p["duration_min"] == 60.0)
    assert doc["plan_strategy"]["dominated"] is True and doc["plan_strategy"]["dominated_by"] == [fast]
    assert doc["as_good_as_plan"] == [fast]  # 10% takes twice as long as the plan
    assert doc["recommended"] == fast
    assert (tmp_path / "front.png").stat().st_size > 1000
    overlay = yaml.safe_load((tmp_path / "o.yaml").read_text())
    assert overlay["chosen_strategy"] == "optimized"
    assert overlay["strategies"][-1] == {"name": "optimized", "kind": "rolling", "sequencing": "sequential",
                                         "batch_pct": 40.0}
    res = runner.invoke(cli, ["validate", str(plan), "--overlay", str(tmp_path / "o.yaml")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["check", str(plan), "--overlay", str(tmp_path / "o.yaml"), "-n", "20"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["optimize", str(plan), "--point", "7", "--json"])
    assert res.exit_code == 1 and "no point 7 on the front (points 1-2)" in res.output
    data["risk"] = {"min_capacity_pct": 99}
    plan.write_text(yaml.safe_dump(data, sort_keys=False))
    res = runner.invoke(cli, ["optimize", str(plan), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.output)["feasible"] is False
    res = runner.invoke(cli, ["optimize", str(plan)])
    assert res.exit_code == 2 and "min_capacity_pct rules out every one" in res.output


def test_a_dask_cluster_gives_the_same_front():
    distributed = pytest.importorskip("distributed")
    plan = _tradeoff(lambda d: d["optimize"].update(budget=10))
    local = optimize(plan, seed=3, progress=False).to_dict()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = optimize(plan, seed=3, scheduler=cluster.scheduler_address, progress=False).to_dict()
    for doc in (local, remote):
        doc["meta"].pop("seconds")
    assert remote == local
