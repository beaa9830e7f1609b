"""Calibration, exactly (issue 13): the parsed attempts, every field of a fit, the overlay's text
word for word, and leave-one-change-out coverage counted on a history small enough to check by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from upgradesim.control.calibrate import Z95, fit_tiers, loo_check, node_attempts, overlay_yaml
from upgradesim.errors import DataError


def _record(change, tier, outcome, duration=None, detect=None, raw=None, node=None, ts=None):
    details = {"tier": tier} if tier is not None else {}
    if duration is not None:
        details["duration_min"] = duration
    if detect is not None:
        details["detect_min"] = detect
    if node is not None:
        details["node"] = node
    row = {"change_id": change, "action": "node_upgrade", "outcome": outcome,
           "details": raw if raw is not None else json.dumps(details)}
    return row | ({"ts": ts} if ts else {})


def history() -> pd.DataFrame:
    rows = [_record("A" if i < 3 else "B", "app", "failed" if i == 1 else "OK", d, 3 if i % 2 else None)
            for i, d in enumerate([10, 20, 40, 20, 20, 20])]
    rows += [_record("B", "db", "success", 30.0) for _ in range(5)]
    rows += [_record("C", "web", "ok", 5), _record("C", "web", "rolled_back")]
    rows += [{"change_id": "C", "action": "deploy", "outcome": "weird", "details": "{}"},  # another action
             _record("C", "app", "ok", raw="not json"), _record("C", None, "ok", 12)]  # not attributable
    return pd.DataFrame(rows)


def test_attempts_are_parsed_field_by_field():
    frame = node_attempts(history())
    assert frame.attrs["skipped"] == 2
    assert list(frame.columns) == ["tier", "duration", "detect", "failed", "change_id"]
    assert list(frame.tier) == ["app"] * 6 + ["db"] * 5 + ["web"] * 2
    assert frame.duration.tolist()[:12] == [10, 20, 40, 20, 20, 20, 30, 30, 30, 30, 30, 5]
    assert math.isnan(frame.duration.iloc[12])  # a failed attempt without a duration still counts as an attempt
    assert frame.detect.fillna(-1).tolist()[:6] == [-1, 3, -1, 3, -1, 3]
    assert frame.failed.tolist() == [False, True] + [False] * 10 + [True]  # OK/success/ok vs failed/rolled_back
    assert frame.change_id.tolist() == ["A"] * 3 + ["B"] * 8 + ["C"] * 2
    dict_details = pd.DataFrame([{"change_id": "X", "action": "node_upgrade", "outcome": "done",
                                  "details": {"tier": "app", "duration_min": 7}}])
    assert node_attempts(dict_details).duration.tolist() == [7] and node_attempts(dict_details).attrs["skipped"] == 0


def test_no_node_records_is_an_error():
    with pytest.raises(DataError, match="no 'node_upgrade' records in the execution log"):
        node_attempts(pd.DataFrame([{"change_id": "C", "action": "deploy", "outcome": "ok", "details": "{}"}]))


def test_every_field_of_a_fit():
    fits = fit_tiers(history()).set_index("tier")
    app, db, web = fits.loc["app"], fits.loc["db"], fits.loc["web"]
    logs = np.log([10, 20, 40, 20, 20, 20])
    assert (app.attempts, app.changes, app.usable, app.n_durations, app.failures) == (6, 2, True, 6, 1)
    assert app.median_min == pytest.approx(20.0, rel=1e-12)
    assert app.p95_min == pytest.approx(math.exp(logs.mean() + Z95 * logs.std(ddof=1)), rel=1e-12)
    assert app.p95_min == pytest.approx(41.13301363842376, rel=1e-12)
    assert (app.failure_alpha, app.failure_beta, app.failure_prob) == (2.0, 6.0, 0.25)
    assert app.failure_low == pytest.approx(stats.beta.ppf(0.025, 2, 6)) and app.failure_low == pytest.approx(0.0366926, 1e-5)
    assert app.failure_high == pytest.approx(stats.beta.ppf(0.975, 2, 6)) and app.failure_high == pytest.approx(0.5787232, 1e-5)
    assert app.detect_mean_min == 3.0
    assert db.median_min == pytest.approx(30.0) and db.p95_min == pytest.approx(30.0)  # no spread
    assert (db.failures, db.failure_alpha, db.failure_beta, db.changes) == (0, 1.0, 6.0, 1)
    assert math.isnan(db.detect_mean_min)
    assert (web.attempts, web.changes, bool(web.usable)) == (2, 1, False) and math.isnan(web.median_min)
    assert fit_tiers(history()).attrs["skipped"] == 2
    assert list(fits.index) == ["app", "db", "web"]


def test_min_attempts_decides_what_is_usable():
    assert fit_tiers(history(), min_attempts=6).set_index("tier").usable.to_dict() == {
        "app": True, "db": False, "web": False}
    assert bool(fit_tiers(history(), min_attempts=1).set_index("tier").loc["web", "usable"])
    one = fit_tiers(pd.DataFrame([_record("C", "app", "ok", 9)]), min_attempts=1).iloc[0]
    assert one.median_min == pytest.approx(9) and one.p95_min == pytest.approx(9)  # one duration: no spread


def test_the_overlay_word_for_word():
    assert overlay_yaml(fit_tiers(history()), "audit.jsonl").splitlines() == [
        "# Calibrated from audit.jsonl: duration and failure parameters of past upgrades.",
        "# Apply with: upgradesim simulate PLAN --overlay THIS_FILE (values here replace the plan's).",
        "# 2 node_upgrade records left out: details without a tier",
        "tiers:",
        "  # app: 6 attempts over 2 changes, 1 failed; failure probability 0.2500, 95% interval [0.0367, 0.5787] "
        "(Beta posterior, drawn per replication)",
        "  app: {upgrade_min: {dist: lognormal, median: 20.0, p95: 41.133, n: 6}, failure_prob: {dist: beta, "
        "alpha: 2.0, beta: 6.0}, detect_min: 3.0}",
        "  # db: 5 attempts over 1 change, 0 failed; failure probability 0.1429, 95% interval [0.0042, 0.4593] "
        "(Beta posterior, drawn per replication)",
        "  db: {upgrade_min: 30.0, failure_prob: {dist: beta, alpha: 1.0, beta: 6.0}}",
        "  # web: only 2 attempts, too few to calibrate; the plan's values stay",
    ]


def test_a_spread_just_above_a_tenth_of_a_percent_is_a_distribution():
    def overlay(durations):
        return overlay_yaml(fit_tiers(pd.DataFrame([_record("C", "app", "ok", d) for d in durations])), "s")
    assert "upgrade_min: {dist: lognormal" in overlay([100, 100, 100, 100, 101])
    assert "upgrade_min: 100.0," in overlay([100, 100, 100, 100, 100.001])  # p95 within 0.1% of the median


def _loo_history() -> pd.DataFrame:
    data = {"A": ([10, 12, 14, 30, 11], [0, 0, 0, 1, 0]), "B": ([11, 13, 12, 12, 10], [0] * 5),
            "C": ([9, 15, 12, 13, 60], [1, 1, 0, 0, 0]), "D": ([12, 12], [0, 0]), "E": ([12] * 5, [1] * 5)}
    return pd.DataFrame([_record(c, "app", "failed" if f else "ok", d)
                         for c, (durations, failed) in data.items() for d, f in zip(durations, failed, strict=True)]
                        + [_record("D", "db", "ok", 5)])  # db: never enough in the other changes


def test_leave_one_change_out_counts():
    result = loo_check(_loo_history())
    assert (result["changes"], result["attempts"], result["change_tiers"]) == (5, 22, 5)
    assert result["coverage"] == {"duration 80%": 20 / 22, "duration 95%": 21 / 22,
                                  "failures 80%": 3 / 5, "failures 95%": 4 / 5}
    assert loo_check(_loo_history(), levels=(0.5,))["coverage"] == {"duration 50%": 17 / 22, "failures 50%": 3 / 5}


def test_one_fold_by_hand():
    """Leaving E out: 3 failures in 17 attempts give Beta(4, 15); E's 5 failures of 5 lie above the
    95% predictive interval [0, 3] and E's durations (12 min, the others' median) inside."""
    dist = stats.betabinom(5, 4, 15)
    assert (dist.ppf(0.025), dist.ppf(0.975)) == (0.0, 3.0)
    fit = fit_tiers(_loo_history()[lambda f: f.change_id != "E"]).set_index("tier").loc["app"]
    assert (fit.failure_alpha, fit.failure_beta, fit.n_durations) == (4.0, 15.0, 17)
    only_e_misses = loo_check(_loo_history()[lambda f: f.change_id.isin(["A", "B", "E"])])
    assert only_e_misses["coverage"]["failures 95%"] == 2 / 3


def test_loo_needs_three_changes_and_a_usable_fold():
    with pytest.raises(DataError, match=r"at least 3 changes \(found 2\)"):
        loo_check(_loo_history()[lambda f: f.change_id.isin(["A", "B"])])
    tiny = pd.DataFrame([_record(c, "app", "ok", 10) for c in "XYZ"])
    with pytest.raises(DataError, match="no tier had enough attempts in the other changes"):
        loo_check(tiny)


def _one_fold(failed_in_training: int, c_durations, c_failed):
    """A and B (six attempts, 10..15 min) predict C; C and either of A, B hold too few to predict
    from at min_attempts=6, so exactly one fold counts."""
    rows = [_record("A" if i < 3 else "B", "app", "failed" if i < failed_in_training else "ok", d)
            for i, d in enumerate([10, 11, 12, 13, 14, 15])]
    rows += [_record("C", "app", "failed" if i < c_failed else "ok", d) for i, d in enumerate(c_durations)]
    return loo_check(pd.DataFrame(rows), min_attempts=6)


def test_one_fold_duration_intervals_use_n_minus_one_degrees_of_freedom():
    """log durations 10..15: m = 2.5162, s = 0.15158, n = 6; the 95% half width is
    t(0.975, 5) * s * sqrt(1 + 1/6) = 0.4209 (0.3872 with 7 degrees of freedom, 0.4546 with 4).
    18.5 min lies 0.4016 from m (inside), 19.2 min 0.4387 (outside); at 80% (0.2375) both outside."""
    logs = np.log([10, 11, 12, 13, 14, 15])
    half = stats.t.ppf(0.975, 5) * logs.std(ddof=1) * math.sqrt(1 + 1 / 6)
    assert half == pytest.approx(0.42087, abs=1e-5)
    assert abs(math.log(18.5) - logs.mean()) < half < abs(math.log(19.2) - logs.mean())
    result = _one_fold(0, [18.5, 19.2], 0)
    assert (result["changes"], result["attempts"], result["change_tiers"]) == (3, 2, 1)
    assert result["coverage"] == {"duration 80%": 0.0, "duration 95%": 0.5, "failures 80%": 1.0, "failures 95%": 1.0}


def test_one_fold_failure_intervals_are_central_and_inclusive():
    """Failures of 2 trials against Beta(1 + f, 7 - f): with f = 0, Beta(1, 7) puts 2 failures at the
    95% interval's upper end (inside) and above the 80% one; with f = 5, Beta(6, 2) puts 0 failures
    below the 80% interval and at the 95% one's lower end."""
    low_risk = stats.betabinom(2, 1, 7)
    assert (low_risk.ppf(0.025), low_risk.ppf(0.975), low_risk.ppf(0.9)) == (0.0, 2.0, 1.0)
    assert _one_fold(0, [12, 12], 2)["coverage"]["failures 95%"] == 1.0
    assert _one_fold(0, [12, 12], 2)["coverage"]["failures 80%"] == 0.0
    high_risk = stats.betabinom(2, 6, 2)
    assert (high_risk.ppf(0.1), high_risk.ppf(0.025)) == (1.0, 0.0)
    assert _one_fold(5, [12, 12], 0)["coverage"] | {} == {"duration 80%": 1.0, "duration 95%": 1.0,
                                                          "failures 80%": 0.0, "failures 95%": 1.0}


def test_a_first_unusable_tier_does_not_hide_the_next():
    """Change D also upgrades an "a-cache" tier never seen elsewhere: it is passed over, app still counts."""
    history = pd.concat([_loo_history(), pd.DataFrame([_record("D", "a-cache", "ok", 3)])], ignore_index=True)
    result = loo_check(history)
    assert (result["attempts"], result["change_tiers"]) == (22, 5)


def test_parsing_refusals_and_leniencies_word_for_word():
    def attempts(*rows):
        return node_attempts(pd.DataFrame(list(rows)))

    with pytest.raises(DataError) as caught:
        attempts(_record("C", "app", "maybe", 5))
    assert str(caught.value) == ("node_upgrade outcome(='maybe') must be one of done, error, failed, ok, "
                                 "rolled_back, succeeded, success")
    with pytest.raises(DataError) as caught:
        attempts(_record("C", "app", "ok", 0))
    assert str(caught.value) == "node_upgrade of change C: duration_min(=0) must be a positive number of minutes"
    assert attempts(_record("C", "app", "ok", 0.5)).duration.tolist() == [0.5]  # under a minute is fine
    with pytest.raises(DataError) as caught:
        attempts(_record("C", "app", "ok", 5, node="n1", ts="t1"), _record("C", "app", "failed", 5, node="n1", ts="t1"))
    assert str(caught.value) == ("node_upgrade of node n1 in change C: the same attempt is recorded both as succeeded "
                                 "and as failed")
    lenient = attempts(_record("C", "app", "ok", 5, detect="n/a"), _record("C", "app", "ok", raw="[1, 2]"),
                       _record("C", "app", "ok", raw="7"))
    assert lenient.detect.isna().all() and len(lenient) == 1 and lenient.attrs["skipped"] == 2


def test_fit_and_overlay_details():
    def fit(durations, min_attempts=5, detect=None):
        return fit_tiers(pd.DataFrame([_record("C", "app", "ok", d, detect) for d in durations]),
                         min_attempts=min_attempts)
    two = fit([10, 20], min_attempts=2).iloc[0]
    sigma = np.log([10, 20]).std(ddof=1)
    assert two.p95_min == pytest.approx(math.sqrt(200) * math.exp(Z95 * sigma))  # two durations have a spread
    assert fit([0.5, 0.5, 0.5, 0.5, 0.5]).iloc[0].median_min == pytest.approx(0.5)  # sub-minute durations count
    assert math.isnan(fit([5] * 5).iloc[0].detect_mean_min)
    with pytest.raises(DataError) as caught:
        fit_tiers(pd.DataFrame([_record("C", "app", "ok", 5), _record("C", "db", "ok", 5), _record("C", "db", "ok", 6)]))
    assert str(caught.value) == ("no tier has at least min_attempts(=5) attempts with a duration to calibrate from "
                                 "(found app 1, db 2)")
    text = overlay_yaml(fit([12.345678, 12.345678, 12.345678, 13.0, 14.0], detect=3.14159), "s")
    line = [x for x in text.splitlines() if x.startswith("  app:")][0]
    assert line.startswith("  app: {upgrade_min: {dist: lognormal, median: 12.792, p95: 14.007, n: 5}")
    assert line.endswith("detect_min: 3.14}")


def test_a_spread_of_exactly_a_tenth_of_a_percent_is_fixed():
    row = fit_tiers(pd.DataFrame([_record("C", "app", "ok", d) for d in [100, 100, 100, 100, 101]]))
    row.loc[0, "median_min"] = 1000.0
    row.loc[0, "p95_min"] = 1000.0 * 1.001
    assert "upgrade_min: 1000.0," in overlay_yaml(row, "s")


def test_loo_defaults_and_messages():
    import inspect

    params = inspect.signature(loo_check).parameters
    assert (params["min_attempts"].default, params["levels"].default) == (5, (0.8, 0.95))
    tiny = pd.DataFrame([_record(c, "app", "ok", 10) for c in "XYZ"])
    with pytest.raises(DataError) as caught:
        loo_check(tiny)
    assert str(caught.value) == ("calibrate --check: no tier had enough attempts in the other changes to predict "
                                 "from")


def test_five_attempts_in_the_other_changes_are_enough_by_default():
    """X (2) and Y (3) together hold five attempts: by default enough to predict Z's one attempt;
    leaving X or Y out leaves four or three, too few."""
    history = pd.DataFrame([_record(c, "app", "ok", d) for c, d in
                            [("X", 10), ("X", 11), ("Y", 12), ("Y", 13), ("Y", 14), ("Z", 12)]])
    assert loo_check(history)["attempts"] == 1 and loo_check(history)["change_tiers"] == 1
    with pytest.raises(DataError, match="no tier had enough attempts"):
        loo_check(history, min_attempts=6)
