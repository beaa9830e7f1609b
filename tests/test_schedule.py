"""The patch schedule: cadences, urgency, freezes and blackouts avoided, the ICS parsed back."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError
from upgradesim.sustain import build_schedule

from .simplans import make_plan

START = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)  # a Monday


def _plan(**calendar):
    def edit(d):
        d["components"] = [
            {"name": "db", "tier": "db", "product": "postgresql", "version": "16.2", "patch_cadence": "monthly"},
            {"name": "app", "tier": "app", "product": "shop", "version": "1", "depends_on": ["db"]},  # quarterly
            {"name": "os", "tier": "db", "product": "ubuntu", "version": "20.04", "patch_cadence": "vendor"},
            {"name": "lib", "tier": "app", "product": "openssl", "version": "1.1.1w", "patch_cadence": "none"},
        ]
        d["calendar"] = {"start": "2027-01-04T00:00:00Z", "horizon_days": 10, "windows": ["mon-sun 22:00-23:00"],
                         **calendar}
    return make_plan(edit)


def test_cadences_urgency_and_the_ics_round_trip(tmp_path):
    plan = _plan(freezes=[{"name": "year-end", "start": "2027-01-04", "end": "2027-01-10"}],
                 blackouts=["2027-02-01"])
    result = build_schedule(plan, months=3, start=START)
    by = {}
    for e in result.events:
        by.setdefault(e.component, []).append(e)
    # the freeze takes the first week: the first window is Monday 11 January, 22:00 UTC
    assert [e.start for e in by["db"]] == [dt.datetime(2027, 1, 11, 22, tzinfo=dt.UTC),
                                           dt.datetime(2027, 2, 2, 22, tzinfo=dt.UTC),  # 1 Feb is a blackout
                                           dt.datetime(2027, 3, 1, 22, tzinfo=dt.UTC)]
    assert [e.start.date() for e in by["app"]] == [dt.date(2027, 1, 11)]  # one quarter in January-March
    # ubuntu 20.04 left standard support in 2025: urgent, and already past it
    assert by["os"][0].urgent and by["os"][0].reason.startswith("urgent: end of support 2025-")
    assert "lib" in by  # openssl 1.1.1 is past its end of support: urgent even without a cadence
    assert {f["component"] for f in result.findings} == {"os", "lib"}
    assert all("already past its end of support" in f["finding"] for f in result.findings)
    cal = Calendar.from_ical(result.to_ics())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(result.events)
    freeze = (dt.datetime(2027, 1, 4, tzinfo=dt.UTC), dt.datetime(2027, 1, 11, tzinfo=dt.UTC))
    for ev in events:
        s, e = ev.decoded("dtstart"), ev.decoded("dtend")
        assert not (s < freeze[1] and e > freeze[0])  # no event inside the freeze
        assert s.date() != dt.date(2027, 2, 1)  # nor on the blackout
    assert len({str(ev["uid"]) for ev in events}) == len(events)


def test_a_cadence_with_no_window_is_a_finding():
    plan = _plan(freezes=[{"name": "long", "start": "2027-01-01", "end": "2027-12-31"}])
    result = build_schedule(plan, months=2, start=START)
    assert result.events == []
    assert {"component": "db", "finding": "no monthly patch window within 2 months in eu (freezes and blackouts "
            "included)"} in result.findings


def test_bad_arguments():
    with pytest.raises(DataError, match="--months"):
        build_schedule(_plan(), months=0, start=START)
    with pytest.raises(DataError, match="--region\\(=mars\\)"):
        build_schedule(_plan(), months=1, start=START, region="mars")


def test_cli_writes_an_ics_that_parses(tmp_path):
    from upgradesim.sample.estate import sample_plan_path

    out = tmp_path / "patches.ics"
    res = CliRunner().invoke(cli, ["schedule", str(sample_plan_path()), "--months", "4", "--from", "2027-03-01",
                                   "--ics", str(out), "--json"])
    assert res.exit_code == 2  # components of the sample are past their end of support
    cal = Calendar.from_ical(out.read_bytes())
    sample = api.load(sample_plan_path())
    for ev in cal.walk("VEVENT"):
        s = ev.decoded("dtstart")
        for freeze in sample.calendar.freezes:
            assert not (freeze.start <= s.date() <= freeze.end)
