"""Maintenance windows in local time across DST changes in both hemispheres."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from upgradesim import parse_plan
from upgradesim.plan import region_calendar, to_datetime

from .conftest import TINY_PLAN


def plan_with(tz: str, windows: str, start: str = "2027-03-01T00:00:00Z", days: int = 42, extra: str = ""):
    text = (TINY_PLAN.replace("tz: Europe/Dublin", f"tz: {tz}")
            .replace('windows: ["sat 01:00-05:00"]', f"windows: {windows}")
            .replace("start: 2027-03-06T00:00:00Z", f"start: {start}")
            .replace("horizon_days: 14", f"horizon_days: {days}{extra}"))
    return parse_plan(text)


def local_windows(plan):
    zone = ZoneInfo(plan.regions[0].tz)
    cal = region_calendar(plan, plan.regions[0])
    return [(to_datetime(plan, s).astimezone(zone), to_datetime(plan, e).astimezone(zone)) for s, e in cal.intervals]


def test_northern_spring_forward_shortens_the_window():
    # New York springs forward at 02:00 on Sunday 2027-03-14: a 01:00-05:00 window lasts 3 hours
    plan = plan_with("America/New_York", '["sun 01:00-05:00"]')
    lengths = {s.date(): (e.astimezone(dt.UTC) - s.astimezone(dt.UTC)).total_seconds() / 3600 for s, e in local_windows(plan)}
    assert lengths[dt.date(2027, 3, 14)] == 3.0
    assert lengths[dt.date(2027, 3, 7)] == 4.0 and lengths[dt.date(2027, 3, 21)] == 4.0
    for start, end in local_windows(plan):
        assert (start.hour, start.minute, end.hour, end.minute) == (1, 0, 5, 0)


def test_southern_autumn_fallback_lengthens_the_window():
    # Sydney falls back at 03:00 on Sunday 2027-04-04: a 00:00-04:00 window lasts 5 hours
    plan = plan_with("Australia/Sydney", '["sun 00:00-04:00"]')
    lengths = {s.date(): (e.astimezone(dt.UTC) - s.astimezone(dt.UTC)).total_seconds() / 3600 for s, e in local_windows(plan)}
    assert lengths[dt.date(2027, 4, 4)] == 5.0
    assert lengths[dt.date(2027, 3, 28)] == 4.0 and lengths[dt.date(2027, 4, 11)] == 4.0
    for start, _ in local_windows(plan):
        assert (start.hour, start.minute) == (0, 0)


def test_windows_keep_local_time_while_utc_moves():
    # the same local window sits an hour earlier in UTC after Dublin's DST starts (2027-03-28)
    plan = plan_with("Europe/Dublin", '["sat 01:00-05:00"]')
    cal = region_calendar(plan, plan.regions[0])
    utc_hours = [to_datetime(plan, s).hour for s, _ in cal.intervals]
    assert utc_hours == [1, 1, 1, 1, 0, 0]


def test_windows_crossing_midnight_blackouts_and_freezes():
    extra = ("\n  blackouts: [2027-03-13]\n  freezes:\n    - {name: q-end, start: 2027-03-26, end: 2027-03-28}")
    plan = plan_with("Europe/Dublin", '["fri 22:00-02:00"]', extra=extra)
    windows = local_windows(plan)
    starts = [s.date() for s, _ in windows]
    # Friday 2027-03-12 22:00 runs to midnight only: Saturday 13th is a blackout
    twelfth = [(s, e) for s, e in windows if s.date() == dt.date(2027, 3, 12)][0]
    assert twelfth[1].time() == dt.time(0, 0)
    assert dt.date(2027, 3, 26) not in starts  # frozen
    assert dt.date(2027, 3, 19) in starts and dt.date(2027, 4, 2) in starts
    for s, e in windows:
        assert (e - s) <= dt.timedelta(hours=4)


def test_next_open_and_horizon():
    plan = plan_with("UTC", '["mon-fri 09:00-10:00"]', start="2027-03-01T09:30:00Z", days=3)
    cal = region_calendar(plan, plan.regions[0])
    assert cal.next_open(0.0) == (0.0, 30.0)           # inside the first window: clipped to now
    assert cal.next_open(30.0) == (1410.0, 1470.0)     # next morning 09:00
    assert cal.next_open(3 * 1440.0) is None            # past the horizon
