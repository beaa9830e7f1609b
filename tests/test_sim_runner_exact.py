"""The Monte Carlo runner, exactly (issue 13): task splitting, the progress lines, every figure of
the summary on a hand-built set of replications, the deadline boundary, the result's table and
files, and the argument checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from upgradesim.errors import SimulationError
from upgradesim.sim import runner
from upgradesim.sim.records import REPLICATION_FIELDS
from upgradesim.sim.runner import SimulationResult, compare, deadline_min, summarize

from .simplans import make_plan


def test_tasks_are_cut_evenly_and_never_empty():
    assert runner._parts(1000, 2) == 16 and runner._parts(100, 2) == 4 and runner._parts(10, 4) == 4
    assert runner._parts(10_000, 1) == 8
    assert runner._split(10, 3) == [range(0, 3), range(3, 6), range(6, 10)]
    assert runner._split(3, 8) == [range(0, 1), range(1, 2), range(2, 3)]
    assert runner._split(5, 0) == [range(0, 5)]
    assert runner._split(100, 4) == [range(0, 25), range(25, 50), range(50, 75), range(75, 100)]


def test_progress_lines_every_tenth_after_a_quiet_start(monkeypatch, capsys):
    lines = runner._Lines(20, "batches")
    lines.update(5)  # within the quiet start: silent
    monkeypatch.setattr(runner._Lines, "QUIET_S", 0.0)
    lines.update(1)  # 6 of 20: the 30% line
    lines.update(1)  # 7 of 20: still 30%
    lines.update(13)
    lines.close()
    assert capsys.readouterr().err.splitlines() == ["upgradesim: simulated 6/20 batches (30%)",
                                                    "upgradesim: simulated 20/20 batches (100%)"]
    lines.reset(4)
    assert (lines.total, lines.done, lines.said) == (4, 0, 0)
    assert isinstance(runner._progress(3, "lines"), runner._Lines)
    assert runner._progress(3, "off").disable and not runner._progress(3, "bar").disable


def reps() -> pd.DataFrame:
    rows = []
    for i, (duration, downtime, rolled, over, done, shipped, finished) in enumerate([
            (10.0, 0.0, False, 0, True, False, 100.0), (20.0, 5.0, True, 1, False, False, 200.0),
            (30.0, 0.0, False, 2, True, True, 300.0), (40.0, 10.0, False, 0, True, False, 301.0)]):
        rows.append({"strategy": "a", "replication": i, "duration_min": duration, "downtime_min": downtime,
                     "sla_breach_min": 2.0 * i, "unserved_requests": 100.0 * i, "extra_node_hours": 1.0,
                     "cost_node_hours": 3.0 + i, "cost": 10.0 * i, "rolled_back": rolled, "window_overruns": over,
                     "completed": done, "defect_shipped": shipped, "finished_at_min": finished})
    rows.append({**rows[0], "strategy": "b", "replication": 0})
    return pd.DataFrame(rows)


def test_every_figure_of_the_summary():
    table = summarize(reps(), deadline=300.0, floors={"a": 75.0})
    a = table[table.strategy == "a"].set_index("figure")
    t = stats.t.ppf(0.975, 3)
    assert a.loc["duration_min", ["estimate", "low", "high", "n"]].tolist() == pytest.approx(
        [25.0, 25 - t * np.std([10, 20, 30, 40], ddof=1) / 2, 25 + t * np.std([10, 20, 30, 40], ddof=1) / 2, 4])
    assert a.loc["duration_p50_min", "estimate"] == 25.0 and a.loc["duration_p95_min", "estimate"] == pytest.approx(38.5)
    assert (a.loc["duration_p95_min", "low"], a.loc["duration_p95_min", "high"]) == (30.0, 40.0)
    assert a.loc["downtime_min", "estimate"] == 3.75 and a.loc["sla_breach_min", "estimate"] == 3.0
    assert a.loc["unserved_requests", "estimate"] == 150.0 and a.loc["extra_node_hours", "estimate"] == 1.0
    assert (a.loc["extra_node_hours", "low"], a.loc["extra_node_hours", "high"]) == (1.0, 1.0)  # constant
    assert a.loc["cost_node_hours", "estimate"] == 4.5 and a.loc["cost", "estimate"] == 15.0
    assert a.loc["p_rollback", "estimate"] == 0.25 and a.loc["p_overrun", "estimate"] == 0.5
    assert a.loc["p_complete", "estimate"] == 0.75 and a.loc["p_defect_shipped", "estimate"] == 0.25
    low, high = stats.binomtest(1, 4).proportion_ci(method="wilson")
    assert (a.loc["p_rollback", "low"], a.loc["p_rollback", "high"]) == pytest.approx((low, high))
    # completed, not past the deadline (300 is on time, 301 is late; 200 never completed)
    assert a.loc["p_finish_by", "estimate"] == 0.5
    assert a.loc["min_capacity_pct", ["estimate", "low", "high"]].tolist() == [75.0, 75.0, 75.0]
    b = table[table.strategy == "b"].set_index("figure")
    assert "min_capacity_pct" not in b.index and b.loc["duration_min", "n"] == 1
    assert (b.loc["duration_min", "low"], b.loc["duration_min", "high"]) == (-math.inf, math.inf)
    assert list(table.columns) == ["strategy", "figure", "estimate", "low", "high", "n"]
    assert list(table.strategy.unique()) == ["a", "b"]
    assert "p_finish_by" not in summarize(reps()).figure.tolist()
    assert "min_capacity_pct" not in summarize(reps()).figure.tolist()


def test_the_deadline_in_minutes_from_the_start():
    assert deadline_min(make_plan()) is None
    late = make_plan(lambda d: d.setdefault("risk", {}).update(finish_by="2027-03-02T06:30:00Z", min_p_finish_by=0.9))
    assert deadline_min(late) == 30 * 60 + 30


def test_the_result_table_and_files(tmp_path):
    result = compare(make_plan(), ["bang", "one-by-one"], replications=3, seed=4, keep_events=1, progress=False)
    table = result.table()
    assert list(table.index) == ["bang", "one-by-one"]  # the order asked for, not alphabetical
    assert table.loc["bang", "duration_min"] == 30.0 and table.loc["one-by-one", "duration_min"] == 50.0
    assert list(result.replications.columns) == list(REPLICATION_FIELDS)
    assert result.replications.strategy.tolist() == ["bang"] * 3 + ["one-by-one"] * 3
    assert set(result.events.replication) == {0}  # events of the first replication only
    assert result.meta["seed"] == 4 and result.meta["replications"] == 3
    assert result.meta["strategies"] == "bang,one-by-one" and len(result.meta["plan_hash"]) == 64
    paths = result.to_parquet(tmp_path / "out" / "run.parquet")
    assert [p.name for p in paths] == ["run.parquet", "run.events.parquet", "run.summary.parquet"]
    back = pd.read_parquet(paths[0])
    assert len(back) == 6 and back.attrs["seed"] == "4"
    assert isinstance(result, SimulationResult)


@pytest.mark.parametrize("kwargs, message", [
    ({"strategies": ["nope"]}, "nope"), ({"replications": 0}, r"replications\(=0\) must be >= 1"),
    ({"workers": 0}, r"workers\(=0\) must be >= 1"), ({"seed": -1}, r"seed\(=-1\) must be a non-negative int"),
    ({"seed": True}, r"seed\(=True\)"), ({"seed": 1.5}, r"seed\(=1.5\)")])
def test_bad_arguments(kwargs, message):
    with pytest.raises(SimulationError, match=message):
        compare(make_plan(), **{"replications": 2, **kwargs})


def test_a_generator_seed_draws_the_root():
    first = compare(make_plan(), ["bang"], replications=2, seed=np.random.default_rng(9), progress=False)
    again = compare(make_plan(), ["bang"], replications=2, seed=np.random.default_rng(9), progress=False)
    assert first.meta["seed"] == again.meta["seed"] == int(np.random.default_rng(9).integers(0, 2**63))
