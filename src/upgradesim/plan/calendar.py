"""Maintenance windows as open intervals on the simulation clock.

The clock is minutes since ``calendar.start`` (UTC). Weekly windows are in each region's local
time, so their UTC positions move with daylight-saving changes, which differ between the
hemispheres. Blackout dates and change freezes (local dates) are cut out of the windows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass

from .model import Plan, Region

__all__ = ["WindowCalendar", "region_calendar", "to_minutes", "to_datetime"]


def to_minutes(plan: Plan, when: dt.datetime) -> float:
    """Simulation minutes of an aware (or naive = UTC) datetime."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (when - plan.calendar.start_utc).total_seconds() / 60.0


def to_datetime(plan: Plan, minutes: float) -> dt.datetime:
    """UTC datetime of a simulation instant."""
    return plan.calendar.start_utc + dt.timedelta(minutes=float(minutes))


@dataclass(frozen=True)
class WindowCalendar:
    """Sorted, disjoint open intervals ``[start, end)`` in simulation minutes for one region."""

    region: str
    intervals: tuple[tuple[float, float], ...]
    horizon_min: float

    def next_open(self, t: float) -> tuple[float, float] | None:
        """The window open at ``t`` (clipped to start at ``t``) or the next one; None past the horizon."""
        starts = [s for s, _ in self.intervals]
        i = bisect.bisect_right(starts, t) - 1
        if i >= 0 and self.intervals[i][1] > t:
            start, end = t, self.intervals[i][1]
        elif i + 1 < len(self.intervals):
            start, end = self.intervals[i + 1]
        else:
            return None
        if start >= self.horizon_min:
            return None
        return start, end

    def is_open(self, t: float) -> bool:
        window = self.next_open(t)
        return window is not None and window[0] == t

    def open_minutes(self) -> float:
        """Open minutes within the horizon (a window that starts inside it counts only up to its end)."""
        return sum(max(min(e, self.horizon_min) - s, 0.0) for s, e in self.intervals)


def region_calendar(plan: Plan, region: Region) -> WindowCalendar:
    """The open intervals of ``region`` over the plan's horizon."""
    cal = plan.calendar
    zone = region.zone
    start_utc = cal.start_utc
    horizon_min = cal.horizon_days * 1440.0
    first_local = start_utc.astimezone(zone).date() - dt.timedelta(days=1)
    days = int(cal.horizon_days) + 3

    def minutes(local: dt.datetime) -> float:
        return (local.replace(tzinfo=zone).astimezone(dt.UTC) - start_utc).total_seconds() / 60.0

    opened: list[tuple[float, float]] = []
    for offset in range(days):
        day = first_local + dt.timedelta(days=offset)
        for window in plan.windows_of(region):
            if day.weekday() not in window.days:
                continue
            begin = dt.datetime.combine(day, window.start)
            finish = dt.datetime.combine(day, window.end)
            if finish <= begin:
                finish += dt.timedelta(days=1)
            opened.append((minutes(begin), minutes(finish)))
    for one_off in cal.one_off_windows:
        if one_off.regions and region.name not in one_off.regions:
            continue
        s, e = one_off.start, one_off.end
        s_min = minutes(s.replace(tzinfo=None)) if s.tzinfo is None else to_minutes(plan, s)
        e_min = minutes(e.replace(tzinfo=None)) if e.tzinfo is None else to_minutes(plan, e)
        opened.append((s_min, e_min))

    closed: list[tuple[float, float]] = []
    for day in cal.blackouts:
        closed.append(_local_days(minutes, day, day))
    for freeze in cal.freezes:
        if not freeze.regions or region.name in freeze.regions:
            closed.append(_local_days(minutes, freeze.start, freeze.end))

    intervals = _subtract(_merge(opened), _merge(closed))
    intervals = [(max(s, 0.0), e) for s, e in intervals if e > 0.0 and s < horizon_min]
    return WindowCalendar(region.name, tuple(intervals), horizon_min)


def _local_days(minutes, first: dt.date, last: dt.date) -> tuple[float, float]:
    begin = dt.datetime.combine(first, dt.time(0, 0))
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0))
    return minutes(begin), minutes(end)


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _subtract(opened: list[tuple[float, float]], closed: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in opened:
        pieces = [(s, e)]
        for cs, ce in closed:
            next_pieces = []
            for ps, pe in pieces:
                if ce <= ps or cs >= pe:
                    next_pieces.append((ps, pe))
                    continue
                if cs > ps:
                    next_pieces.append((ps, cs))
                if ce < pe:
                    next_pieces.append((ce, pe))
            pieces = next_pieces
        out.extend(pieces)
    return out


def _local_start_problem(zone, when: dt.datetime) -> str:
    """'' if ``when`` (naive local) is a single real instant in ``zone``; else gap or overlap."""
    first, second = when.replace(tzinfo=zone, fold=0), when.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
        return "overlap" if back == when else "gap"
    return ""


def dst_window_problems(plan) -> list[str]:
    """Windows (weekly, within the horizon, and one-off) whose local start falls in a DST gap or overlap."""
    problems = []
    start = plan.calendar.start_utc
    days = int(math.ceil(plan.calendar.horizon_days)) + 1
    for region in plan.regions:
        zone = region.zone
        first_day = start.astimezone(zone).date()
        for window in plan.windows_of(region):
            for offset in range(days):
                day = first_day + dt.timedelta(days=offset)
                if day.weekday() not in window.days:
                    continue
                kind = _local_start_problem(zone, dt.datetime.combine(day, window.start))
                if kind:
                    what = "does not exist (DST gap)" if kind == "gap" else "happens twice (DST overlap)"
                    problems.append(f"region {region.name}: the window starting {window.start:%H:%M} on {day} "
                                    f"{what} in {region.tz}; move it out of the clock change")
                    break
        for window in plan.calendar.one_off_windows:
            if window.regions and region.name not in window.regions:
                continue
            for edge in (window.start, window.end):
                naive = edge.replace(tzinfo=None) if edge.tzinfo is None else None
                kind = _local_start_problem(zone, naive) if naive is not None else ""
                if kind:
                    what = "does not exist (DST gap)" if kind == "gap" else "happens twice (DST overlap)"
                    problems.append(f"region {region.name}: the one-off window time {naive:%Y-%m-%d %H:%M} {what} "
                                    f"in {region.tz}")
    return problems
