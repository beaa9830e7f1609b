"""The runner's execution paths, exactly (issue 13): in this process, a local process pool and a Dask
cluster give the same frames, cut into the tasks they promise (seen through the progress lines);
telemetry demand reaches every task; the prepared-plan cache; the progress modes; the result's
metadata, order and files; the documented defaults."""

from __future__ import annotations

import datetime as dt
import inspect
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from upgradesim.errors import SimulationError
from upgradesim.sim import runner
from upgradesim.sim.feasibility import capacity_floor_pct
from upgradesim.sim.prepared import prepare
from upgradesim.sim.runner import compare, run_replication, simulate

from .simplans import make_plan

TELEMETRY = {"metric": "app/requests"}


def metered():
    """The tiny plan with the region's traffic from a telemetry metric (demand must be passed)."""
    return make_plan(lambda d: d["regions"][0].update(traffic=dict(TELEMETRY)))


def progress_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("upgradesim: simulated")]


@pytest.fixture
def loud(monkeypatch):
    """Progress lines from the first task on, whatever the clock says, in the CI mode."""
    monkeypatch.setattr(runner._Lines, "QUIET_S", 0.0)
    monkeypatch.setenv("CI", "true")


@pytest.fixture
def pools(monkeypatch):
    """The real process pool, with the worker counts it was opened with recorded."""
    opened: list[int | None] = []

    class Recorded(ProcessPoolExecutor):
        def __init__(self, max_workers=None, **kwargs):
            opened.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(runner, "ProcessPoolExecutor", Recorded)
    return opened


def test_one_worker_runs_one_task_here_and_two_workers_a_pool_of_two(loud, pools, capsys):
    here = compare(make_plan(), ["one-by-one", "bang"], replications=10, seed=3, keep_events=2)
    assert progress_lines(capsys) == ["upgradesim: simulated 1/1 replication batches (100%)"] and pools == []
    pooled = compare(make_plan(), ["one-by-one", "bang"], replications=10, seed=3, keep_events=2, workers=2)
    assert progress_lines(capsys) == ["upgradesim: simulated 1/2 replication batches (50%)",
                                      "upgradesim: simulated 2/2 replication batches (100%)"]
    assert pools == [2]
    for a, b in ((here.replications, pooled.replications), (here.events, pooled.events), (here.summary, pooled.summary)):
        pd.testing.assert_frame_equal(a, b)
    assert sorted(set(here.events.replication)) == [0, 1] and set(here.events.strategy) == {"one-by-one", "bang"}
    # the strategies in the order asked for, not alphabetical; replications in order within each
    assert here.replications.strategy.tolist() == ["one-by-one"] * 10 + ["bang"] * 10
    assert here.replications.replication.tolist() == list(range(10)) * 2
    assert list(here.table().index) == ["one-by-one", "bang"]
    three = simulate(make_plan(), "bang", replications=60, seed=3, workers=3)
    assert pools == [2, 3] and progress_lines(capsys)[-1] == "upgradesim: simulated 3/3 replication batches (100%)"
    one = simulate(make_plan(), "bang", replications=60, seed=3)  # one task in this process, however many
    assert progress_lines(capsys) == ["upgradesim: simulated 1/1 replication batches (100%)"] and pools == [2, 3]
    pd.testing.assert_frame_equal(three.replications, one.replications)


def _on_a_dask_cluster(workers: int, threads: int, asked_workers: int):
    """compare() on an in-process Dask cluster, run in a fresh (spawned) process: a cluster's event
    loop does not survive a fork, and a mutation tester forks after the tests ran once. Returns the
    frames, the progress lines and whether the user's default client stayed the default."""
    import contextlib
    import io
    import os

    import distributed

    os.environ["CI"] = "true"
    runner._Lines.QUIET_S = 0.0
    err = io.StringIO()
    with contextlib.redirect_stderr(err), distributed.LocalCluster(
            n_workers=workers, threads_per_worker=threads, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster.scheduler_address) as mine:  # the user's own default client (a notebook's)
        result = compare(metered(), ["one-by-one", "bang"], replications=30, seed=5, keep_events=2,
                         workers=asked_workers, scheduler=cluster.scheduler_address, demand={"eu": [40.0] * 168})
        kept = distributed.default_client() is mine  # ours neither replaced it nor, closing, removed it
    lines = [line for line in err.getvalue().splitlines() if line.startswith("upgradesim: simulated")]
    return result.replications, result.events, result.summary, lines, kept


def test_a_dask_cluster_cuts_tasks_by_its_threads_and_gives_the_same_frames():
    import multiprocessing

    pytest.importorskip("distributed")
    local = compare(metered(), ["one-by-one", "bang"], replications=30, seed=5, keep_events=2,
                    demand={"eu": [40.0] * 168}, progress=False)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        # workers=2 would make two tasks here; the cluster's one thread makes max(1, min(8, 30 // 25)) = 1
        one = fresh.submit(_on_a_dask_cluster, 1, 1, 2).result(timeout=120)
        four = fresh.submit(_on_a_dask_cluster, 2, 2, 1).result(timeout=120)
    assert one[3] == ["upgradesim: simulated 1/1 replication batches (100%)"] and one[4] and four[4]
    assert four[3][-1] == "upgradesim: simulated 4/4 replication batches (100%)"
    for frames in (one, four):
        pd.testing.assert_frame_equal(frames[0], local.replications)
        pd.testing.assert_frame_equal(frames[1], local.events)
        pd.testing.assert_frame_equal(frames[2], local.summary)
    assert (local.replications.query("strategy == 'bang'").unserved_requests == 40.0 * 60 * 30).all()


def test_the_defaults_at_work(pools):
    """1000 replications, seed 0, in this process, the first three replications' events."""
    for result in (simulate(make_plan(), "bang", progress=False), compare(make_plan(), ["bang"], progress=False)):
        assert len(result.replications) == 1000 and result.meta["seed"] == 0 and result.meta["replications"] == 1000
        assert sorted(set(result.events.replication)) == [0, 1, 2]
    assert pools == []


@pytest.mark.parametrize("workers", [1, 2])
def test_telemetry_demand_reaches_every_task(workers):
    """Unserved requests of a big bang: the region's whole demand while the app tier is down (30 min)."""
    for rps in (10.0, 20.0):
        result = compare(metered(), ["bang"], replications=4, seed=1, workers=workers, demand={"eu": [rps] * 168},
                         progress=False)
        assert result.replications.unserved_requests.tolist() == [rps * 60 * 30] * 4
        assert result.replications.downtime_min.tolist() == [30.0] * 4
    with pytest.raises(SimulationError, match=r"regions\[eu\]\.traffic\.metric\(=app/requests\): demand comes from"):
        compare(metered(), ["bang"], replications=2, progress=False)


def test_the_prepared_plan_cache(monkeypatch):
    monkeypatch.setattr(runner, "_PREPARED", {})
    plan = metered()
    low, high = {"eu": [10.0] * 168}, {"eu": [20.0] * 168}
    first = runner._prepared(plan, low)
    assert runner._prepared(plan, low) is first and runner._prepared(plan, dict(low)) is first  # by value
    other = runner._prepared(plan, high)
    assert other is not first and other.demand["eu"][0] == 20.0 and first.demand["eu"][0] == 10.0
    assert other.plan is plan and len(runner._PREPARED) == 2
    for rps in range(3, 10):  # nine entries: still kept
        runner._prepared(plan, {"eu": [float(rps)] * 168})
    assert len(runner._PREPARED) == 9 and runner._prepared(plan, low) is first
    runner._prepared(plan, {"eu": [99.0] * 168})  # a tenth: the cache starts over
    assert len(runner._PREPARED) == 1 and runner._prepared(plan, low) is not first


def test_one_replication_keeps_events_only_when_asked():
    prep = prepare(make_plan())
    record, events = run_replication(prep, "bang", 7, 2)
    assert events == [] and (record["strategy"], record["replication"], record["seed"]) == ("bang", 2, 7)
    assert list(record)[:3] == ["strategy", "replication", "seed"]
    _, kept = run_replication(prep, "bang", 7, 2, keep_events=True)
    assert kept[0] == ("eu", "capacity", 0.0, "eu", "servers=15 other=1000.0 down=0 err=0.0")


def test_progress_modes(monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.delenv("CI", raising=False)
    assert runner.progress_mode(True) == "bar" and runner.progress_mode(False) == "off"
    monkeypatch.setattr(runner.sys, "stderr", Terminal())
    assert runner.progress_mode(None) == "bar"
    monkeypatch.setenv("CI", "true")
    assert runner.progress_mode(None) == "lines" and runner.progress_mode(True) == "bar"
    monkeypatch.delenv("CI")
    monkeypatch.setattr(runner.sys, "stderr", object.__new__(type("Pipe", (), {"isatty": lambda self: False})))
    assert runner.progress_mode(None) == "lines" and runner.progress_mode(False) == "off"


def test_progress_objects():
    lines = runner._progress(7, "lines")
    assert (lines.total, lines.unit) == (7, "replication batches")
    assert runner._Lines(3).unit == "replication batches" and runner._Lines(0).total == 1
    assert runner._progress(5, "lines", "designs").unit == "designs"
    bar = runner._progress(4, "bar")
    assert (bar.total, bar.desc, bar.leave, bar.disable) == (4, "replication batches", False, False)
    bar.close()
    off = runner._progress(4, "off")
    assert off.disable and off.total == 4
    off.close()


def test_progress_lines_at_each_tenth(monkeypatch, capsys):
    monkeypatch.setattr(time, "monotonic", lambda: 100.0)  # no time passes: the quiet start is exactly 0 s
    monkeypatch.setattr(runner._Lines, "QUIET_S", 0.0)
    lines = runner._Lines(20, "tasks")
    for _ in range(20):
        lines.update()
    said = capsys.readouterr().err.splitlines()
    assert said == [f"upgradesim: simulated {2 * k}/20 tasks ({10 * k}%)" for k in range(1, 11)]
    one = runner._Lines(10, "tasks")
    one.update()
    assert capsys.readouterr().err == "upgradesim: simulated 1/10 tasks (10%)\n"
    single = runner._Lines(1, "tasks")
    single.update()
    assert capsys.readouterr().err == "upgradesim: simulated 1/1 tasks (100%)\n"
    monkeypatch.setattr(runner._Lines, "QUIET_S", 2.0)
    quiet = runner._Lines(1, "tasks")
    quiet.update()
    assert capsys.readouterr().err == ""


def test_no_progress_when_off(loud, capsys):
    compare(make_plan(), ["bang"], replications=3, progress=False)
    assert capsys.readouterr().err == ""


def test_the_result_metadata_and_figures():
    late = make_plan(lambda d: d.setdefault("risk", {}).update(finish_by="2027-03-01T00:40:00Z", min_p_finish_by=0.5))
    before = dt.datetime.now(dt.UTC)
    result = compare(late, ["bang", "one-by-one"], replications=3, seed=0, progress=False)
    created = dt.datetime.fromisoformat(result.meta["created_at"])
    assert created.tzinfo is not None and before <= created <= dt.datetime.now(dt.UTC)
    assert result.meta["plan"] == "tiny-sim" and result.meta["seed"] == 0
    table = result.table()
    # a big bang of 30 minutes finishes by 00:40; one by one (50 minutes) does not
    assert table.loc["bang", "p_finish_by"] == 1.0 and table.loc["one-by-one", "p_finish_by"] == 0.0
    floors = result.summary.query("figure == 'min_capacity_pct'")
    assert floors.strategy.tolist() == ["bang", "one-by-one"]
    assert floors.estimate.tolist() == [capacity_floor_pct(late, "bang"), capacity_floor_pct(late, "one-by-one")]


def test_unknown_strategy_message_without_quotes():
    with pytest.raises(SimulationError) as caught:
        compare(make_plan(), ["nope"], replications=1)
    assert str(caught.value) == "no strategy 'nope'; the plan has one-by-one, bang"


def test_seeds_zero_and_generators():
    assert runner._root_entropy(0) == 0 and runner._root_entropy(np.int64(5)) == 5
    assert runner._root_entropy(np.random.default_rng(2)) == int(np.random.default_rng(2).integers(0, 2**63))
    assert runner._root_entropy(np.random.default_rng(2)) == 2412946043537042528
    with pytest.raises(SimulationError, match=r"seed\(=-1\)"):
        runner._root_entropy(-1)


def test_task_cutting_edges():
    assert runner._parts(130, 2) == 5 and isinstance(runner._parts(130, 2), int)
    assert runner._split(0, 3) == []
    assert all(isinstance(r.start, int) for r in runner._split(7, 2))


def test_documented_defaults():
    """The defaults the docstrings and the README state."""
    params = inspect.signature(compare).parameters
    assert {k: params[k].default for k in ("replications", "seed", "workers", "scheduler", "keep_events", "demand",
                                           "progress")} == {"replications": 1000, "seed": 0, "workers": 1,
                                                            "scheduler": None, "keep_events": 3, "demand": None,
                                                            "progress": None}
    params = inspect.signature(simulate).parameters
    assert (params["replications"].default, params["seed"].default, params["workers"].default) == (1000, 0, 1)
    assert inspect.signature(run_replication).parameters["keep_events"].default is False
    kept = compare(make_plan(), ["bang"], replications=5, seed=1, progress=False)
    assert sorted(set(kept.events.replication)) == [0, 1, 2]
    assert (runner.CHUNKS_PER_WORKER, runner.MIN_CHUNK, runner._Lines.QUIET_S) == (8, 25, 2.0)


def test_files_land_in_new_folders_without_an_index(tmp_path):
    result = compare(make_plan(), ["bang"], replications=2, seed=1, progress=False)
    paths = result.to_parquet(tmp_path / "a" / "b" / "run.parquet")
    assert all(p.exists() for p in paths)
    for path, frame in zip(paths, (result.replications, result.events, result.summary), strict=True):
        assert pq.read_schema(path).pandas_metadata["index_columns"] == []
        pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
        assert pd.read_parquet(path).attrs == {k: str(v) for k, v in result.meta.items()}


def test_a_strategy_name_may_end_in_any_letter():
    plan = make_plan(lambda d: d["strategies"].append({"name": "bang-X", "kind": "big_bang"}))
    with pytest.raises(SimulationError) as caught:
        compare(plan, ["nope"], replications=1)
    assert str(caught.value) == "no strategy 'nope'; the plan has one-by-one, bang, bang-X"


def test_an_empty_summary_keeps_its_columns():
    empty = pd.DataFrame(columns=["strategy"])
    assert list(runner.summarize(empty).columns) == ["strategy", "figure", "estimate", "low", "high", "n"]
    assert runner._split(10, 3) == [range(0, 3), range(3, 6), range(6, 10)]


def test_the_summary_keeps_the_strategies_in_the_order_run():
    reps = compare(make_plan(), ["one-by-one", "bang"], replications=2, seed=1, progress=False).replications
    assert list(runner.summarize(reps).strategy.unique()) == ["one-by-one", "bang"]
