"""check_tolerance and recommend on hand-built summaries whose answers are known, field by field."""

from __future__ import annotations

import math

import pandas as pd

from upgradesim.plan.model import RiskTolerance
from upgradesim.sim.runner import FIGURES
from upgradesim.sim.tolerance import FigureCheck, _excess, check_tolerance, recommend


def summary(strategies: dict[str, dict[str, tuple[float, float, float]]], n: int = 200) -> pd.DataFrame:
    """{strategy: {figure: (estimate, low, high)}}; unnamed figures are 0 [0, 0] (p_complete 1)."""
    rows = []
    for s, figures in strategies.items():
        for f in FIGURES:
            est, low, high = figures.get(f, (1.0, 1.0, 1.0) if f == "p_complete" else (0.0, 0.0, 0.0))
            rows.append({"strategy": s, "figure": f, "estimate": est, "low": low, "high": high, "n": n})
    return pd.DataFrame(rows)


def test_each_status_with_every_field():
    s = summary({"a": {"p_rollback": (0.2, 0.175, 0.225), "downtime_min": (40, 35, 45), "p_overrun": (0.3, 0.25, 0.35)}},
                n=400)
    risk = RiskTolerance(max_p_rollback=0.22, max_expected_downtime_min=50, max_p_overrun=0.25)
    assert check_tolerance(s, risk, "a") == [
        FigureCheck("a", "p_rollback", "max_p_rollback", 0.2, 0.175, 0.225, 0.22, "inconclusive", 626),  # 400 x (0.025 / 0.02)^2
        FigureCheck("a", "downtime_min", "max_expected_downtime_min", 40.0, 35.0, 45.0, 50.0, "within", None),
        FigureCheck("a", "p_overrun", "max_p_overrun", 0.3, 0.25, 0.35, 0.25, "breach", None),
    ]
    # the limit itself is within; an estimate on the limit with the interval above it is inconclusive
    edge = summary({"a": {"downtime_min": (50, 45, 50)}})
    assert check_tolerance(edge, RiskTolerance(max_expected_downtime_min=50), "a")[0].status == "within"


def test_p_complete_bounded_and_the_never_finishing_plan():
    never = summary({"a": {"p_complete": (0.0, 0.0, 0.018)}})
    (check,) = check_tolerance(never, RiskTolerance(), "a")
    assert check == FigureCheck("a", "p_complete", "horizon", 0.0, 0.0, 0.018, 0.0, "breach", None, lower_bound=True)
    assert check.message == ("a: no replication finished within the plan's horizon (p_complete = 0 [0, 0.018]): "
                             "BREACH")
    assert check_tolerance(summary({"a": {"p_complete": (0.01, 0.0, 0.03)}}), RiskTolerance(), "a") == []
    s = summary({"in": {"p_complete": (0.97, 0.95, 0.99)}, "close": {"p_complete": (0.92, 0.86, 0.98)},
                 "out": {"p_complete": (0.8, 0.74, 0.86)}})
    risk = RiskTolerance(min_p_complete=0.9)
    assert check_tolerance(s, risk, "in") == [
        FigureCheck("in", "p_complete", "min_p_complete", 0.97, 0.95, 0.99, 0.9, "within", None, lower_bound=True)]
    assert check_tolerance(s, risk, "close") == [
        FigureCheck("close", "p_complete", "min_p_complete", 0.92, 0.86, 0.98, 0.9, "inconclusive", 1800,
                    lower_bound=True)]
    (out,) = check_tolerance(s, risk, "out")
    assert out.status == "breach" and out.message.endswith("vs min_p_complete 0.9: BREACH by 0.1")


def test_excess_ratios():
    def c(est, limit, lower=False):
        return FigureCheck("a", "f", "k", est, est, est, limit, "within", lower_bound=lower)
    assert _excess(c(0.3, 0.2)) == 0.3 / 0.2
    assert _excess(c(0.45, 0.9, lower=True)) == 0.9 / 0.45
    assert _excess(c(0.0, 0.9, lower=True)) == math.inf
    assert _excess(c(0.5, 0.9, lower=True)) == 1.8  # an estimate below 1 still divides
    assert _excess(c(5.0, 0.0)) == math.inf and _excess(c(0.0, 0.0)) == 0.0 and _excess(c(0.5, 0.0)) == math.inf


def test_recommend_prefers_completion_to_three_decimals_then_the_shorter_mean():
    s = summary({
        "zeta-first-listed": {"p_complete": (0.5, 0.4, 0.6), "duration_min": (10, 9, 11)},
        "a-slow": {"p_complete": (0.9004, 0.88, 0.92), "duration_min": (200, 190, 210)},
        "b-fast": {"p_complete": (0.9001, 0.88, 0.92), "duration_min": (100, 95, 105),
                   "p_rollback": (0.2, 0.15, 0.25)},
    })
    name, reason = recommend(s, RiskTolerance(max_p_rollback=0.22))
    assert name == "b-fast"
    assert reason == ("b-fast keeps every bounded figure within tolerance, completes in 90% of replications with a "
                      "mean duration of 1.7 h; p_rollback still straddle their limits (3 of 3 strategies fit)")


def test_recommend_when_nothing_fits_names_the_least_miss():
    s = summary({
        "far": {"p_rollback": (0.5, 0.45, 0.55)},
        "near": {"p_rollback": (0.3, 0.25, 0.35), "downtime_min": (70, 60, 80)},
    })
    name, reason = recommend(s, RiskTolerance(max_p_rollback=0.25, max_expected_downtime_min=60))
    assert (name, reason) == ("near", "no strategy fits the tolerance; near misses it by the least "
                                      "(p_rollback 0.3 > 0.25, downtime_min 70 > 60)")


def test_boundaries_ties_and_several_straddling_figures():
    # an estimate exactly on a lower bound is not a breach
    on = summary({"a": {"p_complete": (0.9, 0.9, 0.95)}})
    assert check_tolerance(on, RiskTolerance(min_p_complete=0.9), "a")[0].status == "within"
    # two figures straddling their limits are both named
    s = summary({"a": {"p_rollback": (0.2, 0.15, 0.25), "p_overrun": (0.1, 0.05, 0.15), "duration_min": (60, 50, 70)}})
    _, reason = recommend(s, RiskTolerance(max_p_rollback=0.22, max_p_overrun=0.12))
    assert "; p_rollback, p_overrun still straddle their limits" in reason
    # equal misses: the strategy listed first is named
    tie = summary({"zulu": {"p_rollback": (0.5, 0.45, 0.55)}, "alpha": {"p_rollback": (0.5, 0.45, 0.55)}})
    assert recommend(tie, RiskTolerance(max_p_rollback=0.25))[0] == "zulu"


def test_deadline_and_capacity_floor_are_lower_bounds():
    s = summary({"a": {"p_rollback": (0.0, 0.0, 0.0)}})
    extra = pd.DataFrame([
        {"strategy": "a", "figure": "p_finish_by", "estimate": 0.9, "low": 0.85, "high": 0.94, "n": 200},
        {"strategy": "a", "figure": "min_capacity_pct", "estimate": 75.0, "low": 75.0, "high": 75.0, "n": 200},
    ])
    s = pd.concat([s, extra], ignore_index=True)
    risk = RiskTolerance(finish_by="2027-04-01T00:00:00", min_p_finish_by=0.8, min_capacity_pct=75)
    checks = {c.figure: c for c in check_tolerance(s, risk, "a")}
    assert checks["p_finish_by"] == FigureCheck("a", "p_finish_by", "min_p_finish_by", 0.9, 0.85, 0.94, 0.8,
                                                "within", None, lower_bound=True)
    assert checks["min_capacity_pct"].status == "within" and checks["min_capacity_pct"].lower_bound
    risk = RiskTolerance(finish_by="2027-04-01T00:00:00", min_p_finish_by=0.88, min_capacity_pct=80)
    checks = {c.figure: c for c in check_tolerance(s, risk, "a")}
    assert checks["p_finish_by"].status == "inconclusive" and checks["p_finish_by"].replications_needed == 1013  # 200 x (0.045 / 0.02)^2
    assert checks["min_capacity_pct"].status == "breach"
    assert checks["min_capacity_pct"].message == ("a: min_capacity_pct = 75 [75, 75] vs min_capacity_pct 80: "
                                                  "BREACH by 5")
    risk = RiskTolerance(finish_by="2027-04-01T00:00:00", min_p_finish_by=0.95)
    assert [c.status for c in check_tolerance(s, risk, "a") if c.figure == "p_finish_by"] == ["breach"]


def test_finish_by_needs_its_probability():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="give finish_by and min_p_finish_by together"):
        RiskTolerance(finish_by="2027-04-01T00:00:00")
    assert RiskTolerance(finish_by="2027-04-01T00:00:00+02:00", min_p_finish_by=0.5).finish_by_utc.hour == 22


def test_summary_adds_p_finish_by_and_the_floor():
    from upgradesim.sim.runner import summarize

    reps = pd.DataFrame({
        "strategy": ["a"] * 4, "duration_min": [10.0, 20, 30, 40], "downtime_min": 0.0, "sla_breach_min": 0.0,
        "unserved_requests": 0.0, "extra_node_hours": 0.0, "cost_node_hours": 0.0, "cost": 0.0,
        "rolled_back": [False, False, False, True], "window_overruns": 0, "completed": [True, True, True, False],
        "defect_shipped": False, "finished_at_min": [100.0, 200, 300, 50],
    })
    s = summarize(reps, deadline=200.0, floors={"a": 62.5}).set_index("figure")
    assert s.loc["p_finish_by", "estimate"] == 0.5  # 100 and 200 by the deadline; the rolled-back one never
    assert tuple(s.loc["min_capacity_pct", ["estimate", "low", "high"]]) == (62.5, 62.5, 62.5)
    assert "p_finish_by" not in summarize(reps).figure.values


def test_a_lower_bound_after_an_unbounded_one_is_still_checked():
    """min_p_complete unset (and the plan finishes), min_p_finish_by unset, min_capacity_pct set: checked."""
    s = summary({"a": {"p_complete": (0.9, 0.85, 0.95)}})
    s = pd.concat([s, pd.DataFrame([{"strategy": "a", "figure": "min_capacity_pct", "estimate": 70.0, "low": 70.0,
                                     "high": 70.0, "n": 200}])], ignore_index=True)
    (check,) = check_tolerance(s, RiskTolerance(min_capacity_pct=75), "a")
    assert (check.figure, check.status, check.lower_bound, check.limit) == ("min_capacity_pct", "breach", True, 75.0)
    no_figure = s[s.figure != "min_capacity_pct"]
    assert check_tolerance(no_figure, RiskTolerance(min_capacity_pct=75), "a") == []


def test_a_strategy_without_bounded_figures_fits():
    s = summary({"a": {"duration_min": (100, 90, 110)}, "b": {"duration_min": (50, 45, 55)}})
    name, reason = recommend(s, RiskTolerance())
    assert name == "b" and reason.endswith("(2 of 2 strategies fit)")


def test_a_check_as_a_dict_holds_every_field_and_its_message():
    check = FigureCheck("s", "p_rollback", "max_p_rollback", 0.2, 0.1, 0.3, 0.05, "breach")
    assert check.as_dict() == {"strategy": "s", "figure": "p_rollback", "limit_key": "max_p_rollback",
                               "estimate": 0.2, "low": 0.1, "high": 0.3, "limit": 0.05, "status": "breach",
                               "replications_needed": None, "lower_bound": False,
                               "message": "s: p_rollback = 0.2 [0.1, 0.3] vs max_p_rollback 0.05: BREACH by 0.15"}
