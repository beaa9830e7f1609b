"""Conflicts between changes: the sample's planted overlap, and each kind on hand-built changes."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError
from upgradesim.sustain import Change, find_conflicts, read_calendar

T = dt.datetime(2027, 3, 6, tzinfo=dt.UTC)


def _ch(cid, start_h, end_h, comps, **kw):
    return Change(cid, cid, T + dt.timedelta(hours=start_h), T + dt.timedelta(hours=end_h), set(comps), **kw)


def test_the_sample_changes_conflict_as_planted(tmp_path):
    from upgradesim.sample.changes import write_changes
    from upgradesim.sample.estate import sample_plan_path

    plan_b, calendar = write_changes(tmp_path)
    found = api.conflicts([sample_plan_path(), plan_b], calendar=calendar)
    kinds = sorted((c.kind, c.changes) for c in found)
    assert kinds == [("capacity", ("CHG-2027-0142", "CHG-2027-0150")),
                     ("ordering", ("CHG-2027-0142", "CHG-2027-0150")),
                     ("overlap", ("CHG-2027-0142", "CHG-2027-0150")),
                     ("overlap", ("CHG-2027-0142", "CHG-2027-0160"))]
    lb = next(c for c in found if c.changes[1] == "CHG-2027-0160")
    assert lb.detail == "both upgrade edge-lb, working at the same time from 2027-03-07 02:00"
    res = CliRunner().invoke(cli, ["conflicts", str(sample_plan_path()), str(plan_b), "--json"])
    assert res.exit_code == 2


def test_each_kind_on_hand_built_changes():
    a = _ch("A", 0, 10, {"db"}, near={"app"}, freezes=[("quarter-end", T + dt.timedelta(days=3), T + dt.timedelta(days=4))],
            installs={"postgresql": "16.4"})
    b = _ch("B", 5, 6, {"app"})  # works on what A's db serves, at the same time
    c = _ch("C", 24 * 3 + 1, 24 * 3 + 2, {"mail"})  # inside A's freeze
    d = _ch("D", 12, 13, {"db"})  # within the judge window after A's end, on A's component
    e = _ch("E", 8, 9, {"report"}, needs=[("postgresql", ">=16")])  # needs A's target before A ends
    f = _ch("F", 100, 101, {"other"})
    found = {(x.kind, x.changes) for x in find_conflicts([a, b, c, d, e, f], judge_days=1)}
    assert found == {("overlap", ("A", "B")), ("freeze", ("A", "C")), ("judge window", ("A", "D")),
                     ("ordering", ("A", "E"))}
    assert find_conflicts([a, f]) == []


def test_capacity_needs_the_same_region_and_tier():
    w = [(T, T + dt.timedelta(hours=4), "eu")]
    a = _ch("A", 0, 4, {"x"}, windows=w, out_share={("eu", "db"): 0.3}, min_capacity=60)
    b = _ch("B", 0, 4, {"y"}, windows=w, out_share={("eu", "db"): 0.2})
    (c,) = find_conflicts([a, b])
    assert c.kind == "capacity" and c.detail == ("db in eu: 50% of the nodes out at once from 2027-03-06 00:00 "
                                                  "(at most 40% may be)")
    other = _ch("B", 0, 4, {"y"}, windows=[(T, T + dt.timedelta(hours=4), "us")], out_share={("us", "db"): 0.9})
    assert find_conflicts([a, other]) == []


def test_bad_inputs(tmp_path):
    with pytest.raises(DataError, match="change id A is also A's"):
        find_conflicts([_ch("A", 0, 1, {"x"}), _ch("A", 2, 3, {"y"})])
    cal = tmp_path / "c.csv"
    cal.write_text("change_id,start,end\nX,2027-01-01,2027-01-02\n")
    with pytest.raises(DataError, match="c.csv:1: missing column components"):
        read_calendar(cal)
    cal.write_text("change_id,start,end,components\nX,2027-01-02,2027-01-01,a\n")
    with pytest.raises(DataError, match="c.csv:2: end\\(2027-01-01\\) must be after start"):
        read_calendar(cal)
    cal.write_text("change_id,start,end,components\nX,2027-01-01,2027-01-02,a;b\n")
    assert read_calendar(cal)[0].components == {"a", "b"}
    with pytest.raises(DataError, match="give at least two changes"):
        api.conflicts([], calendar=cal)
