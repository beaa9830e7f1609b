"""Exact promises of the judge's checks (issue 13): every field of each check's outcome on fixed,
seeded series — a level shift each way, tails, a spike and a dip, constants, counts with and
without over-dispersion, every inconclusive path — and the helpers by hand-computed values.

The outcome values were recorded from the code and then read: the statuses, effects and texts
are what the module text promises (a 30% level shift is ``high`` with effect ~1.3; the spike is
found by an 8-point window; an over-dispersed baseline absorbs a doubled rate). A change to any
figure or word fails here and must be justified.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from upgradesim.judge import checks as C
from upgradesim.judge.config import MetricRule

NAN = math.nan


def ar1(n, seed, phi=0.5, sd=5.0, level=100.0):
    rng = np.random.default_rng(seed)
    e = rng.normal(0, sd, n)
    x = np.empty(n)
    x[0] = e[0]
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return level + x


def rule(direction="either", **kw):
    return MetricRule(match="m", direction=direction, **kw)


B = ar1(960, 1)
SAME = ar1(96, 2)
UP = ar1(96, 3, level=130.0)
DOWN = ar1(96, 4, level=70.0)
SHORT_B = ar1(200, 5)
SPIKE = SAME.copy()
SPIKE[40:48] += 60.0
DIP = SAME.copy()
DIP[10:14] -= 70.0
RNG = np.random.default_rng(9)
XB = np.full(960, 1000.0)
EB = RNG.poisson(5, 960).astype(float)
XC = np.full(96, 1000.0)
EC_UP = RNG.poisson(12, 96).astype(float)
EC_SAME = RNG.poisson(5, 96).astype(float)
EC_DOWN = RNG.poisson(1, 96).astype(float)
BURSTY = np.where(np.arange(960) % 96 < 8, RNG.poisson(40, 960), RNG.poisson(2, 960)).astype(float)
EC_BURST = RNG.poisson(8, 96).astype(float)
SMALL_B = ar1(960, 6, sd=0.1)
SMALL_UP = ar1(96, 7, sd=0.1, level=100.5)
SMALL_PEAK = ar1(96, 7, sd=0.1, level=100.0)
SMALL_PEAK[40] = 140.0
ZERO_B = np.tile([-1.0, 1.0], 200)
FLAT_B = np.full(400, 5.0)
EQUAL_B = 5 + np.tile([-1.0, 1.0], 200)
FIRST_B = B.copy()
FIRST_B[0] += 40.0
TWO = SAME.copy()
TWO[50:52] += 60.0
EC_EDGE = np.random.default_rng(20).poisson(5.9, 96).astype(float)
SMALL_SPIKE = SMALL_B[:96].copy()
SMALL_SPIKE[40:48] += 5.0


def scale(v):
    return C.robust_scale(v)


GOLDEN = {
    'level_up_increase': (lambda: C.level_check(B, UP, rule('increase'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'high', 'text': 'median 30% above before (129.2 vs 99.58; p=1.2e-09); comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.2975746284350642, 'baseline': 99.57788899467883, 'candidate': 129.20974231261846, 'p_value': 1.1740762331222984e-09, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_same_either': (lambda: C.level_check(B, SAME, rule(), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 1% above before (100.2 vs 99.58; p=0.32), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.006147906162403, 'baseline': 99.57788899467883, 'candidate': 100.19008451206831, 'p_value': 0.3208365704899947, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_down_decrease': (lambda: C.level_check(B, DOWN, rule('decrease'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'low', 'text': 'median 31% below before (68.89 vs 99.58; p=8.6e-10); comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 0.6918071926855097, 'baseline': 99.57788899467883, 'candidate': 68.88869983895808, 'p_value': 8.602401880002547e-10, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_down_increase': (lambda: C.level_check(B, DOWN, rule('increase'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 31% below before (68.89 vs 99.58; p=1), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 0.6918071926855097, 'baseline': 99.57788899467883, 'candidate': 68.88869983895808, 'p_value': 0.9999999991397598, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158, 'allowed_change': 'low'}}),
    'level_up_either_allowed50': (lambda: C.level_check(B, UP, rule(allowed_increase=1.5), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 30% above before (129.2 vs 99.58; p=1.2e-09), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.2975746284350642, 'baseline': 99.57788899467883, 'candidate': 129.20974231261846, 'p_value': 1.1740762331222984e-09, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_up_min_change': (lambda: C.level_check(B, UP, rule('increase', min_change=40), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 30% above before (129.2 vs 99.58; p=1.2e-09), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.2975746284350642, 'baseline': 99.57788899467883, 'candidate': 129.20974231261846, 'p_value': 1.1740762331222984e-09, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_short_baseline': (lambda: C.level_check(SHORT_B, UP, rule('increase'), 0.01, scale(SHORT_B), 'than before'),
        {'name': 'level', 'status': 'high', 'text': 'median 30% above before (129.1 vs 99.39; p=3.9e-06); comparable baseline periods (25 of 8 points) varied by at most 8%; the baseline (200 points) is shorter than 4 candidates (96 points), so period-to-period variation is assumed to be half the allowed change', 'effect': 1.299125788508893, 'baseline': 99.39173777474214, 'candidate': 129.122369707881, 'p_value': 3.887612971294858e-06, 'n_eff_baseline': 25, 'n_eff_candidate': 12, 'variation': 0.07579074199909173, 'extra': {'block_points': 8, 'df': 24.0, 'se': 5.246586857649385, 'short_baseline': True}}),
    'level_short_same': (lambda: C.level_check(SHORT_B, SAME, rule('increase'), 0.01, scale(SHORT_B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 1% above before (100.4 vs 99.39; p=0.42), within what is allowed or not significant; comparable baseline periods (25 of 8 points) varied by at most 8%; the baseline (200 points) is shorter than 4 candidates (96 points), so period-to-period variation is assumed to be half the allowed change', 'effect': 1.0103445901688684, 'baseline': 99.39173777474214, 'candidate': 100.41990456819349, 'p_value': 0.42314224570302167, 'n_eff_baseline': 25, 'n_eff_candidate': 12, 'variation': 0.07579074199909173, 'extra': {'block_points': 8, 'df': 24.0, 'se': 5.246586857649385, 'short_baseline': True}}),
    'level_block_given': (lambda: C.level_check(B, UP, rule('increase'), 0.01, scale(B), 'than before', block=12),
        {'name': 'level', 'status': 'high', 'text': 'median 30% above before (129 vs 99.38; p=1.2e-40); comparable baseline periods (80 of 12 points) varied by at most 7%', 'effect': 1.2977869349692028, 'baseline': 99.37974054449471, 'candidate': 128.9737288792744, 'p_value': 1.2355460291028374e-40, 'n_eff_baseline': 80, 'n_eff_candidate': 8, 'variation': 0.07349451501852218, 'extra': {'block_points': 12, 'df': 79.0, 'se': 1.1434392054423208}}),
    'level_no_candidate': (lambda: C.level_check(B, UP[:0], rule('increase'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'inconclusive', 'text': 'median: 0 candidate points, at least 1 needed', 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': 0, 'variation': None, 'extra': {}}),
    'level_tiny_baseline': (lambda: C.level_check(B[:30], UP, rule('increase'), 0.01, scale(B), 'than before', block=16),
        {'name': 'level', 'status': 'inconclusive', 'text': 'median: the baseline holds 2 comparable periods of 16 points, at least 3 needed', 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': 2, 'n_eff_candidate': 6, 'variation': None, 'extra': {}}),
    'level_zero_base': (lambda: C.level_check(B - 100, UP - 100, rule('increase'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'high', 'text': 'median +29.63 from before (29.21 vs -0.4221; p=1.2e-09); comparable baseline periods (10 of 96 points) varied by at most 510%', 'effect': None, 'baseline': -0.42211100532115964, 'candidate': 29.209742312618445, 'p_value': 1.174076233122322e-09, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 5.100411940408194, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040178}}),
    'tail95_up': (lambda: C.tail_check(B, UP, rule('increase'), 0.01, 0.95, scale(B), 'than before'),
        {'name': 'p95', 'status': 'high', 'text': 'p95 27% above before (137.8 vs 108.2; p=1.3e-08); comparable baseline periods (10 of 96 points) varied by at most 3%', 'effect': 1.2741579615404466, 'baseline': 108.1686186794029, 'candidate': 137.82390667919387, 'p_value': 1.2783872675785733e-08, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.027317765611013876, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.6679413491873802}}),
    'tail99_short': (lambda: C.tail_check(B, UP, rule('increase'), 0.01, 0.99, scale(B), 'than before'),
        {'name': 'p99', 'status': 'inconclusive', 'text': 'p99: 96 candidate points, at least 100 needed', 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': 0, 'variation': None, 'extra': {}}),
    'tail05_down': (lambda: C.tail_check(B, DOWN, rule('decrease'), 0.01, 0.05, scale(B), 'than before'),
        {'name': 'p5', 'status': 'low', 'text': 'p5 33% below before (60.31 vs 90.52; p=1.8e-07); comparable baseline periods (10 of 96 points) varied by at most 4%', 'effect': 0.6662360869861358, 'baseline': 90.51712696916329, 'candidate': 60.30577647716257, 'p_value': 1.787949663885449e-07, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.04030448742762161, 'extra': {'block_points': 96, 'df': 9.0, 'se': 2.301766992566743}}),
    'tail95_same': (lambda: C.tail_check(B, SAME, rule('either'), 0.01, 0.95, scale(B), 'than before'),
        {'name': 'p95', 'status': 'ok', 'text': 'p95 1% below before (106.9 vs 108.2; p=0.23), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 3%', 'effect': 0.9879012692843652, 'baseline': 108.1686186794029, 'candidate': 106.85991569011861, 'p_value': 0.22641606187774824, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.027317765611013876, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.6679413491873802}}),
    'exc_spike': (lambda: C.excursion_check(B, SPIKE, rule('increase'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 8 points reached 160.8, above anything in 10 comparable baseline periods (most extreme 108.3; level 99.45)', 'effect': 1.6172616613614874, 'baseline': 108.34382021764155, 'candidate': 160.83169357065654, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 8, 'scan_z': 11.344829512016174, 'threshold_z': 2.779364162483298}}),
    'exc_same': (lambda: C.excursion_check(B, SAME, rule('increase'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'ok', 'text': "no run of 1-16 points beyond the baseline's own excursions", 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {}}),
    'exc_dip': (lambda: C.excursion_check(B, DIP, rule('decrease'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'low', 'text': 'a run of 4 points reached 29.8, below anything in 10 comparable baseline periods (most extreme 84.66; level 99.45)', 'effect': 0.29964886769218024, 'baseline': 84.65695823749623, 'candidate': 29.799157439305006, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 4, 'scan_z': 12.871954783413397, 'threshold_z': 4.296527516751428}}),
    'exc_dip_either': (lambda: C.excursion_check(B, DIP, rule('either'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'low', 'text': 'a run of 4 points reached 29.8, below anything in 10 comparable baseline periods (most extreme 84.66; level 99.45)', 'effect': 0.29964886769218024, 'baseline': 84.65695823749623, 'candidate': 29.799157439305006, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 4, 'scan_z': 12.871954783413397, 'threshold_z': 4.61693160409424}}),
    'exc_spike_short': (lambda: C.excursion_check(SHORT_B, SPIKE, rule('increase'), 0.01, float(np.median(SHORT_B)), scale(SHORT_B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 8 points reached 160.8, above anything in 4 comparable baseline periods (most extreme 107.2; level 98.54)', 'effect': 1.6322093467297245, 'baseline': 107.15044293076178, 'candidate': 160.83169357065657, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 8, 'scan_z': 10.373683278261804, 'threshold_z': 4.887605984527047}}),
    'exc_few': (lambda: C.excursion_check(B, SPIKE[:3], rule('increase'), 0.01, 100.0, scale(B), 'than before'),
        {'name': 'excursion', 'status': 'inconclusive', 'text': 'excursions: too few points (960 baseline, 3 candidate)', 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'exc_few_base': (lambda: C.excursion_check(B[:15], SPIKE, rule('increase'), 0.01, 100.0, scale(B), 'than before'),
        {'name': 'excursion', 'status': 'inconclusive', 'text': 'excursions: too few points (15 baseline, 96 candidate)', 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'exc_zero_scale': (lambda: C.excursion_check(np.full(400, 5.0), np.r_[np.full(40, 5.0), np.full(8, 9.0)], rule('increase'), 0.01, 5.0, 0.0, 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 1 point reached 9, above anything in 8 comparable baseline periods (most extreme 5; level 5)', 'effect': 1.8000000000000003, 'baseline': 5.0, 'candidate': 9.000000000000002, 'p_value': None, 'n_eff_baseline': 8, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 1, 'scan_z': 800000.0000000005, 'threshold_z': 5.412997578168135e-09}}),
    'const_within': (lambda: C.constant_check(1.0, 1.05, rule()),
        {'name': 'constant', 'status': 'ok', 'text': 'both samples are constant (1 before, 1.05 after), a change within what is allowed', 'effect': 1.05, 'baseline': 1.0, 'candidate': 1.05, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'const_high': (lambda: C.constant_check(1.0, 1.2, rule()),
        {'name': 'constant', 'status': 'high', 'text': 'constant 1 before and 1.2 after, beyond the allowed change', 'effect': 1.2, 'baseline': 1.0, 'candidate': 1.2, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'const_low': (lambda: C.constant_check(1.0, 0.8, rule('either')),
        {'name': 'constant', 'status': 'low', 'text': 'constant 1 before and 0.8 after, beyond the allowed change', 'effect': 0.8, 'baseline': 1.0, 'candidate': 0.8, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'const_low_increase_only': (lambda: C.constant_check(1.0, 0.8, rule('increase')),
        {'name': 'constant', 'status': 'ok', 'text': 'both samples are constant (1 before, 0.8 after), a change within what is allowed', 'effect': 0.8, 'baseline': 1.0, 'candidate': 0.8, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'const_equal': (lambda: C.constant_check(2.0, 2.0, rule()),
        {'name': 'constant', 'status': 'ok', 'text': 'both samples are constant (2 before, 2 after)', 'effect': 1.0, 'baseline': 2.0, 'candidate': 2.0, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'const_zero_base': (lambda: C.constant_check(0.0, 0.5, rule('increase')),
        {'name': 'constant', 'status': 'high', 'text': 'constant 0 before and 0.5 after, beyond the allowed change', 'effect': None, 'baseline': 0.0, 'candidate': 0.5, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'count_up': (lambda: C.count_check(EB, XB, EC_UP, XC, rule('increase'), 0.01, 'requests'),
        {'name': 'rate', 'status': 'high', 'text': '1121 events in 96000 requests (0.0117) vs 4886 in 960000 (0.00509), rate ratio 2.29 [2.15, 2.45], baseline over-dispersed x1; above the allowed 1.1 (p=2.8e-10)', 'effect': 2.2943102742529677, 'baseline': 0.005089583333333333, 'candidate': 0.011677083333333333, 'p_value': 2.785411539161588e-10, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 1103.0829833913238, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 1121.0, 'low': 2.148217668368577, 'high': 2.4486886766129325}}),
    'count_same': (lambda: C.count_check(EB, XB, EC_SAME, XC, rule('increase'), 0.01, 'requests'),
        {'name': 'rate', 'status': 'ok', 'text': '485 events in 96000 requests (0.00505) vs 4886 in 960000 (0.00509), rate ratio 0.993 [0.902, 1.09], baseline over-dispersed x1; within the allowed [0.9, 1.1] or not significant', 'effect': 0.9926320098239868, 'baseline': 0.005089583333333333, 'candidate': 0.005052083333333333, 'p_value': 0.446318952171896, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 477.24821315324886, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 485.0, 'low': 0.902340841163763, 'high': 1.0899444836762475}}),
    'count_down': (lambda: C.count_check(EB, XB, EC_DOWN, XC, rule('decrease'), 0.01, 'requests'),
        {'name': 'rate', 'status': 'low', 'text': '110 events in 96000 requests (0.00115) vs 4886 in 960000 (0.00509), rate ratio 0.225 [0.185, 0.272], baseline over-dispersed x1; below the allowed 0.9 (p=1.5e-12)', 'effect': 0.22513303315595581, 'baseline': 0.005089583333333333, 'candidate': 0.0011458333333333333, 'p_value': 1.5170371027611886e-12, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 108.24186277702552, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 110.0, 'low': 0.18464464220017215, 'high': 0.2719707452775697}}),
    'count_down_either': (lambda: C.count_check(EB, XB, EC_DOWN, XC, rule('either'), 0.01, 'requests'),
        {'name': 'rate', 'status': 'low', 'text': '110 events in 96000 requests (0.00115) vs 4886 in 960000 (0.00509), rate ratio 0.225 [0.185, 0.272], baseline over-dispersed x1; below the allowed 0.9 (p=1.5e-12)', 'effect': 0.22513303315595581, 'baseline': 0.005089583333333333, 'candidate': 0.0011458333333333333, 'p_value': 1.5170371027611886e-12, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 108.24186277702552, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 110.0, 'low': 0.18464464220017215, 'high': 0.2719707452775697}}),
    'count_up_decrease_only': (lambda: C.count_check(EB, XB, EC_UP, XC, rule('decrease'), 0.01, 'requests'),
        {'name': 'rate', 'status': 'ok', 'text': '1121 events in 96000 requests (0.0117) vs 4886 in 960000 (0.00509), rate ratio 2.29 [2.15, 2.45], baseline over-dispersed x1; within the allowed [0.9, 1.1] or not significant', 'effect': 2.2943102742529677, 'baseline': 0.005089583333333333, 'candidate': 0.011677083333333333, 'p_value': 1.3878781974545188e-114, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 1103.0829833913238, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 1121.0, 'low': 2.148217668368577, 'high': 2.4486886766129325}}),
    'count_bursty': (lambda: C.count_check(BURSTY, XB, EC_BURST, XC, rule('increase'), 0.01, 'requests'),
        {'name': 'rate', 'status': 'ok', 'text': '725 events in 96000 requests (0.00755) vs 4878 in 960000 (0.00508), rate ratio 1.49 [1.37, 1.61], baseline over-dispersed x1.3e+02; within the allowed [0.9, 1.1] or not significant', 'effect': 1.4862648626486266, 'baseline': 0.00508125, 'candidate': 0.007552083333333333, 'p_value': 0.3153183491605819, 'n_eff_baseline': 36.32041729460003, 'n_eff_candidate': 5.398176002169951, 'variation': None, 'extra': {'dispersion': 134.30462432283898, 'blocks': 48, 'events_baseline': 4878.0, 'events_candidate': 725.0, 'low': 1.3728386079583532, 'high': 1.6072002969815977}}),
    'count_min_change': (lambda: C.count_check(EB, XB, EC_UP, XC, rule('increase', min_change=100000), 0.01, 'requests'),
        {'name': 'rate', 'status': 'ok', 'text': '1121 events in 96000 requests (0.0117) vs 4886 in 960000 (0.00509), rate ratio 2.29 [2.15, 2.45], baseline over-dispersed x1; within the allowed [0.9, 1.1] or not significant', 'effect': 2.2943102742529677, 'baseline': 0.005089583333333333, 'candidate': 0.011677083333333333, 'p_value': 1.3878781974545188e-114, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 1103.0829833913238, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 1121.0, 'low': 2.148217668368577, 'high': 2.4486886766129325}}),
    'count_allowed3': (lambda: C.count_check(EB, XB, EC_UP, XC, rule('increase', allowed_increase=3.0), 0.01, 'requests'),
        {'name': 'rate', 'status': 'ok', 'text': '1121 events in 96000 requests (0.0117) vs 4886 in 960000 (0.00509), rate ratio 2.29 [2.15, 2.45], baseline over-dispersed x1; within the allowed [0.9, 3] or not significant', 'effect': 2.2943102742529677, 'baseline': 0.005089583333333333, 'candidate': 0.011677083333333333, 'p_value': 1.3878781974545188e-114, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 1103.0829833913238, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 1121.0, 'low': 2.148217668368577, 'high': 2.4486886766129325}}),
    'count_zero': (lambda: C.count_check(np.zeros(960), XB, np.zeros(96), XC, rule('increase'), 0.01, 'samples'),
        {'name': 'rate', 'status': 'ok', 'text': '0 events in 96000 samples (0) vs 0 in 960000 (0), rate ratio 1 [0, inf]; within the allowed [0.9, 1.1] or not significant', 'effect': 1.0, 'baseline': 0.0, 'candidate': 0.0, 'p_value': 1.0, 'n_eff_baseline': 0.0, 'n_eff_candidate': 0.0, 'variation': None, 'extra': {'dispersion': 1.0, 'blocks': 48, 'events_baseline': 0.0, 'events_candidate': 0.0, 'low': 0.0, 'high': math.inf}}),
    'level_either_p_between': (lambda: C.level_check(B, ar1(96, 3, level=104.0), rule(allowed_increase=1.03), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 4% above before (103.2 vs 99.58; p=0.0094), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.0364724875633151, 'baseline': 99.57788899467883, 'candidate': 103.20974231261843, 'p_value': 0.00944667261467459, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_same_decrease': (lambda: C.level_check(B, SAME, rule('decrease'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 1% above before (100.2 vs 99.58; p=0.68), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.006147906162403, 'baseline': 99.57788899467883, 'candidate': 100.19008451206831, 'p_value': 0.6791634295100053, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158}}),
    'level_up_decrease': (lambda: C.level_check(B, UP, rule('decrease'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 30% above before (129.2 vs 99.58; p=1), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 2%', 'effect': 1.2975746284350642, 'baseline': 99.57788899467883, 'candidate': 129.20974231261846, 'p_value': 0.9999999988259237, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.021620663316459815, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040158, 'allowed_change': 'high'}}),
    'level_good_not_significant': (lambda: C.level_check(SHORT_B, ar1(96, 4, level=85.0), rule('increase'), 0.001, scale(SHORT_B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 15% below before (84.1 vs 99.39; p=1), within what is allowed or not significant; comparable baseline periods (25 of 8 points) varied by at most 8%; the baseline (200 points) is shorter than 4 candidates (96 points), so period-to-period variation is assumed to be half the allowed change', 'effect': 0.846117005659983, 'baseline': 99.39173777474214, 'candidate': 84.09703955330704, 'p_value': 0.9962076964407984, 'n_eff_baseline': 25, 'n_eff_candidate': 12, 'variation': 0.07579074199909173, 'extra': {'block_points': 8, 'df': 24.0, 'se': 5.246586857649385, 'short_baseline': True}}),
    'level_negative_good': (lambda: C.level_check(B - 110, DOWN - 110, rule('increase'), 0.01, scale(B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median -30.69 from before (-41.11 vs -10.42; p=1), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 21%', 'effect': None, 'baseline': -10.42211100532116, 'candidate': -41.11130016104192, 'p_value': 0.9999999991397598, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.2065742737357657, 'extra': {'block_points': 96, 'df': 9.0, 'se': 1.2715136114040178, 'allowed_change': 'low'}}),
    'level_flat_up': (lambda: C.level_check(FLAT_B, np.full(96, 6.0), rule('increase'), 0.01, 0.0, 'than before'),
        {'name': 'level', 'status': 'high', 'text': 'median 20% above before (6 vs 5; p=0); comparable baseline periods (4 of 96 points) varied by at most 0%', 'effect': 1.2, 'baseline': 5.0, 'candidate': 6.0, 'p_value': 0.0, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': 0.0, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.0}}),
    'level_flat_down': (lambda: C.level_check(FLAT_B, np.full(96, 4.0), rule('either'), 0.01, 0.0, 'than before'),
        {'name': 'level', 'status': 'low', 'text': 'median 20% below before (4 vs 5; p=0); comparable baseline periods (4 of 96 points) varied by at most 0%', 'effect': 0.8, 'baseline': 5.0, 'candidate': 4.0, 'p_value': 0.0, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': 0.0, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.0}}),
    'level_flat_same': (lambda: C.level_check(FLAT_B, np.full(96, 5.0), rule('either'), 0.01, 0.0, 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 0% below before (5 vs 5; p=1), within what is allowed or not significant; comparable baseline periods (4 of 96 points) varied by at most 0%', 'effect': 1.0, 'baseline': 5.0, 'candidate': 5.0, 'p_value': 1.0, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': 0.0, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.0}}),
    'level_small_scale': (lambda: C.level_check(SMALL_B, SMALL_UP, rule('increase', allowed_increase=1.001), 0.01, scale(SMALL_B), 'than before'),
        {'name': 'level', 'status': 'high', 'text': 'median 0% above before (100.5 vs 100; p=2.6e-10); comparable baseline periods (10 of 96 points) varied by at most 0%', 'effect': 1.0047835257952724, 'baseline': 100.00055424359577, 'candidate': 100.47890947436154, 'p_value': 2.6474843663594674e-10, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.0003138438761307827, 'extra': {'block_points': 96, 'df': 9.0, 'se': 0.017358819699826642}}),
    'level_zero_exact': (lambda: C.level_check(ZERO_B, ZERO_B[:96] + 3, rule('increase'), 0.01, 1.0, 'than before'),
        {'name': 'level', 'status': 'high', 'text': 'median +3 from before (3 vs 0; p=6e-05)', 'effect': None, 'baseline': 0.0, 'candidate': 3.0, 'p_value': 6.036397366609881e-05, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.1141088661469096}}),
    'level_equal': (lambda: C.level_check(EQUAL_B, EQUAL_B[:96], rule('either'), 0.01, 1.0, 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 0% below before (5 vs 5; p=0.5), within what is allowed or not significant; comparable baseline periods (4 of 96 points) varied by at most 0%', 'effect': 1.0, 'baseline': 5.0, 'candidate': 5.0, 'p_value': 0.5, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': 0.0, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.1141088661469096}}),
    'level_three_blocks': (lambda: C.level_check(B[:48], UP, rule('increase'), 0.01, scale(B), 'than before', block=16),
        {'name': 'level', 'status': 'ok', 'text': 'median 30% above before (128.9 vs 99.25; p=0.015), within what is allowed or not significant; comparable baseline periods (3 of 16 points) varied by at most 3%; the baseline (48 points) is shorter than 4 candidates (96 points), so period-to-period variation is assumed to be half the allowed change', 'effect': 1.2983884765732072, 'baseline': 99.25419250811196, 'candidate': 128.87049980411132, 'p_value': 0.014989194498500573, 'n_eff_baseline': 3, 'n_eff_candidate': 6, 'variation': 0.027822376082204482, 'extra': {'block_points': 16, 'df': 2.0, 'se': 5.246553917382875, 'short_baseline': True}}),
    'level_short_allowed50': (lambda: C.level_check(SHORT_B, UP, rule('increase', allowed_increase=1.5), 0.01, scale(SHORT_B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 30% above before (129.1 vs 99.39; p=0.12), within what is allowed or not significant; comparable baseline periods (25 of 8 points) varied by at most 8%; the baseline (200 points) is shorter than 4 candidates (96 points), so period-to-period variation is assumed to be half the allowed change', 'effect': 1.299125788508893, 'baseline': 99.39173777474214, 'candidate': 129.122369707881, 'p_value': 0.12211721938217988, 'n_eff_baseline': 25, 'n_eff_candidate': 12, 'variation': 0.07579074199909173, 'extra': {'block_points': 8, 'df': 24.0, 'se': 24.904813308431873, 'short_baseline': True}}),
    'tail95_block40': (lambda: C.tail_check(B, UP, rule('increase'), 0.01, 0.95, scale(B), 'than before', block=40),
        {'name': 'p95', 'status': 'high', 'text': 'p95 28% above before (138.2 vs 107.7; p=4.7e-14); comparable baseline periods (24 of 40 points) varied by at most 4%', 'effect': 1.283278628839271, 'baseline': 107.7065427309625, 'candidate': 138.21750447280792, 'p_value': 4.66945075123566e-14, 'n_eff_baseline': 24, 'n_eff_candidate': 2, 'variation': 0.040473327159457465, 'extra': {'block_points': 40, 'df': 23.0, 'se': 1.94922099650097}}),
    'tail90_twenty': (lambda: C.tail_check(B, UP[:20], rule('increase'), 0.01, 0.9, scale(B), 'than before'),
        {'name': 'p90', 'status': 'high', 'text': 'p90 31% above before (137.8 vs 105.5; p=1.8e-15); comparable baseline periods (48 of 20 points) varied by at most 5%', 'effect': 1.306268982072835, 'baseline': 105.45534864829513, 'candidate': 137.7530509329444, 'p_value': 1.7743264916112541e-15, 'n_eff_baseline': 48, 'n_eff_candidate': 1, 'variation': 0.05485640536829411, 'extra': {'block_points': 20, 'df': 47.0, 'se': 2.824402310742273}}),
    'tail95_twenty': (lambda: C.tail_check(B, UP[:20], rule('increase'), 0.01, 0.95, scale(B), 'than before'),
        {'name': 'p95', 'status': 'high', 'text': 'p95 31% above before (140.3 vs 106.9; p=1.8e-15); comparable baseline periods (48 of 20 points) varied by at most 6%', 'effect': 1.3121173129194657, 'baseline': 106.94892662894596, 'candidate': 140.32953822799365, 'p_value': 1.7807191358739802e-15, 'n_eff_baseline': 48, 'n_eff_candidate': 1, 'variation': 0.05684261403911024, 'extra': {'block_points': 20, 'df': 47.0, 'se': 2.919403156725471}}),
    'tail95_short': (lambda: C.tail_check(SHORT_B, UP, rule('increase'), 0.01, 0.95, scale(SHORT_B), 'than before'),
        {'name': 'p95', 'status': 'high', 'text': 'p95 28% above before (137.6 vs 107.3; p=0.00028); comparable baseline periods (10 of 20 points) varied by at most 6%; the baseline (200 points) is shorter than 4 candidates (96 points), so period-to-period variation is assumed to be half the allowed change', 'effect': 1.2822268540561181, 'baseline': 107.28635610170008, 'candidate': 137.5654468674273, 'p_value': 0.00027673594380563587, 'n_eff_baseline': 10, 'n_eff_candidate': 5, 'variation': 0.0629888250250804, 'extra': {'block_points': 20, 'df': 9.0, 'se': 5.8070579070901225, 'short_baseline': True}}),
    'exc_five': (lambda: C.excursion_check(B, SPIKE[38:43], rule('increase'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 1 point reached 168.7, above anything in 192 comparable baseline periods (most extreme 120.6; level 99.45)', 'effect': 1.696187436074097, 'baseline': 120.59173181772671, 'candidate': 168.6806188971364, 'p_value': None, 'n_eff_baseline': 192, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 1, 'scan_z': 12.795429013438925, 'threshold_z': 5.861818647052729}}),
    'exc_eight': (lambda: C.excursion_check(B, SPIKE[40:48], rule('increase'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 2 points reached 164.6, above anything in 120 comparable baseline periods (most extreme 115.4; level 99.45)', 'effect': 1.6551473018016163, 'baseline': 115.35369702784656, 'candidate': 164.59930388355133, 'p_value': None, 'n_eff_baseline': 120, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 2, 'scan_z': 12.041140588260221, 'threshold_z': 4.409717179925597}}),
    'exc_four': (lambda: C.excursion_check(B, SPIKE[40:44], rule('increase'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 1 point reached 168.7, above anything in 240 comparable baseline periods (most extreme 120.6; level 99.45)', 'effect': 1.696187436074097, 'baseline': 120.59173181772671, 'candidate': 168.6806188971364, 'p_value': None, 'n_eff_baseline': 240, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 1, 'scan_z': 12.795429013438923, 'threshold_z': 5.861818647052729}}),
    'exc_base16': (lambda: C.excursion_check(B[:16], SPIKE[40:44], rule('increase'), 0.01, 100.0, scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 1 point reached 168.7, above anything in 4 comparable baseline periods (most extreme 105; level 100)', 'effect': 1.6868061889713641, 'baseline': 104.97205119766775, 'candidate': 168.6806188971364, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 1, 'scan_z': 12.693211794674289, 'threshold_z': 1.4773455588110962}}),
    'exc_base18': (lambda: C.excursion_check(B[:18], SPIKE[40:44], rule('increase'), 0.01, 100.0, scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 1 point reached 168.7, above anything in 4 comparable baseline periods (most extreme 105; level 100)', 'effect': 1.6868061889713641, 'baseline': 104.97205119766775, 'candidate': 168.6806188971364, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 1, 'scan_z': 12.693211794674289, 'threshold_z': 1.4773455588110962}}),
    'exc_small_scale': (lambda: C.excursion_check(SMALL_B, SMALL_UP, rule('increase'), 0.01, float(np.median(SMALL_B)), scale(SMALL_B), 'than before'),
        {'name': 'excursion', 'status': 'ok', 'text': "no run of 1-16 points beyond the baseline's own excursions", 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {}}),
    'exc_short_allowed50': (lambda: C.excursion_check(SHORT_B, SPIKE, rule('increase', allowed_increase=1.5), 0.01, float(np.median(SHORT_B)), scale(SHORT_B), 'than before'),
        {'name': 'excursion', 'status': 'ok', 'text': "no run of 1-16 points beyond the baseline's own excursions", 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {}}),
    'exc_first_point': (lambda: C.excursion_check(FIRST_B, SPIKE, rule('increase'), 0.01, float(np.median(FIRST_B)), scale(FIRST_B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 8 points reached 160.8, above anything in 10 comparable baseline periods (most extreme 108.3; level 99.45)', 'effect': 1.6172616613614876, 'baseline': 108.34382021764155, 'candidate': 160.83169357065657, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 8, 'scan_z': 11.327032903107115, 'threshold_z': 2.825540774020371}}),
    'exc_long_candidate': (lambda: C.excursion_check(B[:16], UP[:64], rule('increase'), 0.01, 100.0, scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 16 points reached 133.2, above anything in 4 comparable baseline periods (most extreme 101.2; level 100)', 'effect': 1.3317040193218415, 'baseline': 101.19180460205472, 'candidate': 133.17040193218415, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 16, 'scan_z': 6.130389384962889, 'threshold_z': 2.17854560277708}}),
    'exc_two_maxima': (lambda: C.excursion_check(B[:32], UP[:64], rule('increase'), 0.01, 100.0, scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 4 points reached 136.3, above anything in 4 comparable baseline periods (most extreme 102.8; level 100)', 'effect': 1.362766354590932, 'baseline': 102.7991984326686, 'candidate': 136.2766354590932, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 4, 'scan_z': 6.7044680795626945, 'threshold_z': 2.6241514517865223}}),
    'exc_exactly_four_periods': (lambda: C.excursion_check(B[:384], SPIKE, rule('increase'), 0.01, float(np.median(B[:384])), scale(B[:384]), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 8 points reached 160.8, above anything in 4 comparable baseline periods (most extreme 104.5; level 99.07)', 'effect': 1.6233330970060005, 'baseline': 104.4877656547487, 'candidate': 160.83169357065657, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 8, 'scan_z': 14.057384196907467, 'threshold_z': 1.8481297204506233}}),
    'exc_spike_allowed145': (lambda: C.excursion_check(B, SPIKE, rule('increase', allowed_increase=1.45), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 8 points reached 160.8, above anything in 10 comparable baseline periods (most extreme 108.3; level 99.45)', 'effect': 1.6172616613614874, 'baseline': 108.34382021764155, 'candidate': 160.83169357065654, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 8, 'scan_z': 11.344829512016174, 'threshold_z': 2.779364162483298}}),
    'exc_negative_level': (lambda: C.excursion_check(B - 200, SPIKE - 200, rule('increase'), 0.01, float(np.median(B - 200)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 8 points reached -39.17, above anything in 10 comparable baseline periods (most extreme -91.66; level -100.6)', 'effect': None, 'baseline': -91.65617978235845, 'candidate': -39.16830642934345, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 8, 'scan_z': 11.344829512016174, 'threshold_z': 2.779364162483298}}),
    'exc_two_points': (lambda: C.excursion_check(B, TWO, rule('increase'), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 2 points reached 161.3, above anything in 10 comparable baseline periods (most extreme 115.4; level 99.45)', 'effect': 1.622078997462958, 'baseline': 115.35369702784656, 'candidate': 161.31076281604157, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 2, 'scan_z': 11.433368717015107, 'threshold_z': 4.409717179925597}}),
    'const_zero_base_small': (lambda: C.constant_check(0.0, 0.05, rule('increase')),
        {'name': 'constant', 'status': 'high', 'text': 'constant 0 before and 0.05 after, beyond the allowed change', 'effect': None, 'baseline': 0.0, 'candidate': 0.05, 'p_value': None, 'n_eff_baseline': None, 'n_eff_candidate': None, 'variation': None, 'extra': {}}),
    'count_either_p_between': (lambda: C.count_check(EB, XB, EC_EDGE, XC, rule(allowed_increase=1.05), 0.01, 'requests'),
        {'name': 'rate', 'status': 'ok', 'text': '547 events in 96000 requests (0.0057) vs 4886 in 960000 (0.00509), rate ratio 1.12 [1.02, 1.22], baseline over-dispersed x1; within the allowed [0.9, 1.05] or not significant', 'effect': 1.1195251739664347, 'baseline': 0.005089583333333333, 'candidate': 0.005697916666666666, 'p_value': 0.007777401033870655, 'n_eff_baseline': 4807.9067411686065, 'n_eff_candidate': 538.2572630821178, 'variation': None, 'extra': {'dispersion': 1.0162426733785632, 'blocks': 48, 'events_baseline': 4886.0, 'events_candidate': 547.0, 'low': 1.02297348763799, 'high': 1.2232194976080564}}),
    'level_flat_same_increase': (lambda: C.level_check(FLAT_B, np.full(96, 5.0), rule('increase'), 0.01, 0.0, 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 0% below before (5 vs 5; p=1), within what is allowed or not significant; comparable baseline periods (4 of 96 points) varied by at most 0%', 'effect': 1.0, 'baseline': 5.0, 'candidate': 5.0, 'p_value': 1.0, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': 0.0, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.0}}),
    'level_flat_same_decrease': (lambda: C.level_check(FLAT_B, np.full(96, 5.0), rule('decrease'), 0.01, 0.0, 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 0% below before (5 vs 5; p=1), within what is allowed or not significant; comparable baseline periods (4 of 96 points) varied by at most 0%', 'effect': 1.0, 'baseline': 5.0, 'candidate': 5.0, 'p_value': 1.0, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': 0.0, 'extra': {'block_points': 96, 'df': 3.0, 'se': 0.0}}),
    'level_small_decrease': (lambda: C.level_check(SMALL_B, ar1(96, 8, sd=0.1, level=99.95), rule('decrease', allowed_decrease=0.99999), 0.01, scale(SMALL_B), 'than before'),
        {'name': 'level', 'status': 'ok', 'text': 'median 0% below before (99.96 vs 100; p=0.025), within what is allowed or not significant; comparable baseline periods (10 of 96 points) varied by at most 0%', 'effect': 0.9996064917519956, 'baseline': 100.00055424359577, 'candidate': 99.9612032006959, 'p_value': 0.0248061527444838, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': 0.0003138438761307827, 'extra': {'block_points': 96, 'df': 9.0, 'se': 0.017358819699826642}}),
    'exc_small_scale_short': (lambda: C.excursion_check(SMALL_B[:200], SMALL_SPIKE, rule('increase'), 0.01, float(np.median(SMALL_B[:200])), scale(SMALL_B[:200]), 'than before'),
        {'name': 'excursion', 'status': 'ok', 'text': "no run of 1-16 points beyond the baseline's own excursions", 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': 4, 'n_eff_candidate': 1, 'variation': None, 'extra': {}}),
    # a scale below 1 is a real scale, not the zero-scale fallback (which would give z in the hundreds of thousands)
    'exc_small_scale_spike': (lambda: C.excursion_check(SMALL_B, SMALL_PEAK, rule('increase'), 0.01, float(np.median(SMALL_B)), scale(SMALL_B), 'than before'),
        {'name': 'excursion', 'status': 'high', 'text': 'a run of 1 point reached 140, above anything in 10 comparable baseline periods (most extreme 100.4; level 100)', 'effect': 1.400023399475782, 'baseline': 100.36456285886757, 'candidate': 140.0, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {'window_points': 1, 'scan_z': 330.19913817594454, 'threshold_z': 4.5346939405376725}}),
    'exc_spike_allowed155': (lambda: C.excursion_check(B, SPIKE, rule('increase', allowed_increase=1.55), 0.01, float(np.median(B)), scale(B), 'than before'),
        {'name': 'excursion', 'status': 'ok', 'text': "no run of 1-16 points beyond the baseline's own excursions", 'effect': None, 'baseline': None, 'candidate': None, 'p_value': None, 'n_eff_baseline': 10, 'n_eff_candidate': 1, 'variation': None, 'extra': {}}),
}


def _same(actual, expected, where):
    if isinstance(expected, dict):
        assert set(actual) == set(expected), where
        for k in expected:
            _same(actual[k], expected[k], f"{where}.{k}")
    elif isinstance(expected, float) and math.isnan(expected):
        assert isinstance(actual, float) and math.isnan(actual), where
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12), where
    else:
        assert actual == expected, where


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_field_of_each_check(name):
    call, expected = GOLDEN[name]
    _same(call().to_dict(), expected, name)


def test_robust_scale_by_hand():
    assert C.robust_scale(np.array([1.0, 2, 3, 4, 100])) == pytest.approx(1.4826)  # MAD 1
    assert C.robust_scale(np.array([0.0, 0, 0, 10])) == pytest.approx(np.std([0, 0, 0, 10]))  # MAD 0: the sd
    assert C.robust_scale(np.array([5.0, 5, 5])) == 0.0 and C.robust_scale(np.array([7.0])) == 0.0


def test_practical_by_hand():
    r = MetricRule(match="m", allowed_increase=1.2, allowed_decrease=0.8, min_change=1.0)
    assert C._practical(1, 125.0, 100.0, r, 5.0) and not C._practical(1, 115.0, 100.0, r, 5.0)
    assert not C._practical(1, 120.0, 100.0, r, 5.0)  # exactly the allowed ratio is allowed
    assert C._practical(-1, 75.0, 100.0, r, 5.0) and not C._practical(-1, 80.0, 100.0, r, 5.0)
    assert not C._practical(1, 90.0, 100.0, r, 5.0) and not C._practical(-1, 110.0, 100.0, r, 5.0)  # wrong way
    assert not C._practical(1, 1.5, 1.0, r, 5.0)  # a 50% rise smaller than min_change
    # no positive baseline: the allowed change (0.1 by default) in units of max(scale, |base|)
    assert C._practical(1, 0.2, 0.0, MetricRule(match="m"), 1.0) is True
    assert C._practical(1, 0.05, 0.0, MetricRule(match="m"), 1.0) is False
    assert C._practical(-1, -0.2, 0.0, MetricRule(match="m"), 1.0) is True
    assert C._practical(-1, -12.0, -10.0, MetricRule(match="m"), 1.0) is True  # 2 > 0.1 x 10
    assert C._practical(1, 0.2, 0.0, MetricRule(match="m"), 3.0) is False  # 0.2 < 0.1 x 3
    assert C._practical(-1, -10.5, -10.0, MetricRule(match="m"), 1.0) is False


def test_welch_by_hand():
    mb, mc = np.array([1.0, 3.0, 2.0, 4.0]), np.array([5.0, 7.0])
    diff, se, df = C._welch(mb, mc, 0.1, 10)
    # lag1 of [1,3,2,4]: d = [-1.5, .5, -.5, 1.5], sum d_i d_i+1 = -.75 -.25 -.75 = -1.75 over 5: negative -> rho 0
    sb2 = np.var(mb, ddof=1)  # 5/3
    assert diff == 6.0 - 2.5 and df == 3.0
    assert se == pytest.approx(math.sqrt(sb2 * (1 / 4 + 1 / 2)))
    flat = C._welch(np.array([2.0, 2, 2, 2]), np.array([2.0]), 1.0, 4)  # never varied: points as independent
    assert flat[1] == pytest.approx(math.sqrt(1.0 / 4 * (1 / 4 + 1)))
    rising = C._welch(np.arange(10.0), np.array([20.0]), 0.0, 1)  # lag-1 0.7: variance inflated, capped at 1
    rho = 0.7
    infl = (1 + rho) / (1 - rho)
    assert rising[1] == pytest.approx(math.sqrt(np.var(np.arange(10.0), ddof=1) * (min(infl / 10, 1) + 1)))


def test_bad_signs_and_ratio():
    assert C._bad_signs("increase") == (1,) and C._bad_signs("decrease") == (-1,)
    assert C._bad_signs("either") == (1, -1)
    assert C._ratio(3.0, 2.0) == 1.5 and math.isnan(C._ratio(3.0, 0.0)) and math.isnan(C._ratio(3.0, -1.0))


def test_dispersion_by_hand():
    events = np.array([10.0, 0, 10, 0] * 12)
    exposure = np.ones(48)
    phi, k = C.dispersion(events, exposure, 4)
    # blocks of 1: expected 5 each, (25/5) x 48 / 47; blocks of 4 (the candidate's length): all 20: 0
    assert k == 48 and phi == pytest.approx(5 * 48 / 47)
    assert C.dispersion(np.full(48, 3.0), exposure, 4) == (1.0, 48)  # Poisson or tighter: 1
    assert C._pearson(np.zeros(8), np.ones(8), 1) == (1.0, 8)  # no events: nothing to measure


def test_prediction_p_by_hand():
    rates = np.log(np.array([1.0, 1.1, 0.9, 1.0, 1.05]))
    assert C._prediction_p(rates[:3], 5.0, 1) == 0.0  # fewer than 4 periods: the rate test decides
    assert C._prediction_p(np.zeros(5), 0.1, 1) == 0.0 and C._prediction_p(np.zeros(5), -0.1, 1) == 1.0
    sd = float(np.std(rates, ddof=1))
    t = (math.log(2.0) - rates.mean()) / (sd * math.sqrt(1 + 1 / 5))
    from scipy import stats

    assert C._prediction_p(rates, math.log(2.0), 1) == pytest.approx(stats.t.sf(t, 4))
    assert C._prediction_p(rates, math.log(2.0), -1) == pytest.approx(stats.t.sf(-t, 4))
    assert len(C._period_rates(np.ones(10), np.ones(10), 3)) == 0  # fewer than 4 periods
    assert C._period_rates(np.ones(12), np.full(12, 2.0), 3) == pytest.approx(np.log(np.full(4, 3.5 / 6)))


def test_boundaries_by_hand():
    assert C.robust_scale(np.array([1.0, 3.0])) == pytest.approx(1.4826)  # two values are enough
    assert C.robust_scale(np.array([1.0, 1.1, 1.2])) == pytest.approx(0.14826)  # a MAD below 1 is kept
    r = MetricRule(match="m", allowed_increase=1.2, min_change=30.0)
    assert C._practical(1, 130.0, 100.0, r, 1.0)  # a change of exactly min_change counts
    assert C._practical(1, 0.65, 0.5, MetricRule(match="m", allowed_increase=1.2), 5.0)  # a base below 1 is a ratio
    lopsided_up = MetricRule(match="m", allowed_increase=1.5, allowed_decrease=0.9)
    assert not C._practical(1, 0.3, 0.0, lopsided_up, 1.0)  # rises use allowed_increase (0.5)
    assert C._practical(-1, -0.3, 0.0, lopsided_up, 1.0)  # falls use allowed_decrease (0.1)
    lopsided_down = MetricRule(match="m", allowed_increase=1.1, allowed_decrease=0.5)
    assert not C._practical(-1, -0.3, 0.0, lopsided_down, 1.0) and C._practical(1, 0.3, 0.0, lopsided_down, 1.0)
    assert not C._practical(1, 0.5, 0.0, lopsided_up, 1.0)  # exactly the allowed change is allowed


def test_welch_edges_by_hand():
    one = C._welch(np.array([2.0]), np.array([3.0]), 1.0, 4)  # one block: its variance unknown, the floor
    assert one == (1.0, pytest.approx(math.sqrt(0.25 * 2)), 1.0)
    two = C._welch(np.array([1.0, 3.0]), np.array([3.0]), 0.0, 4)  # two blocks: their variance, df 1
    assert two == (1.0, pytest.approx(math.sqrt(2.0 * (1 / 2 + 1))), 1.0)
    trend = np.arange(50.0)  # lag-1 0.94: capped at 0.8, inflation 9
    assert C._welch(trend, np.array([60.0]), 0.0, 1)[1] == pytest.approx(
        math.sqrt(np.var(trend, ddof=1) * (9 / 50 + 1)))
    eight = np.arange(8.0)
    rho = min(max(float(np.dot(eight[:-1] - 3.5, eight[1:] - 3.5) / np.dot(eight - 3.5, eight - 3.5)), 0), 0.8)
    infl = (1 + rho) / (1 - rho)
    assert C._welch(eight, np.array([9.0]), 0.0, 1)[1] == pytest.approx(
        math.sqrt(np.var(eight, ddof=1) * (min(infl / 8, 1.0) + 1.0)))
    assert isinstance(C.level_check(B, UP, rule("increase"), 0.01, scale(B), "x").extra["df"], float)


def test_dispersion_scales_by_hand():
    burst = np.array([5.0] * 12 + [0.0] * 12 + [5.0] * 12 + [0.0] * 12)
    flat = np.ones(48)
    # blocks of 1: 6.25/2.5 x 48 / 47; blocks of the candidate's 12: sums 60, 0, 60, 0: 900/30 x 4 / 3
    assert C.dispersion(burst, flat, 12) == (pytest.approx(40.0), 4)  # n is exactly 4 candidates: both scales
    assert C.dispersion(burst, flat, 13)[0] == pytest.approx(6.25 / 2.5 * 48 / 47)  # fewer: the short scale only
    pairs = np.array([3.0, 3.0, 0.0, 0.0] * 12)
    assert C.dispersion(pairs, flat, 1)[0] == pytest.approx(2.25 / 1.5 * 48 / 47)  # the candidate is one point
    varying = np.array([1.0, 3.0] * 24)  # exposure varies: the expected counts follow it
    assert C._pearson(np.array([1.0, 3.0] * 24), varying, 1) == (pytest.approx(0.0), 48)
    assert C._pearson(np.array([1.0, 0, 0, 1]), np.ones(4), 1) == (pytest.approx((0.25 / 0.5) * 4 / 3), 4)
    assert C._pearson(np.array([1.0, 0, 0]), np.ones(3), 1) == (1.0, 3)  # fewer than 4 blocks: Poisson assumed
    by_three = C._pearson(np.array([2.0, 2, 2, 1, 1, 1] * 4), np.array([1.0, 1, 4, 2, 2, 2] * 4), 3)
    assert by_three == (pytest.approx(4 * (1.5 ** 2 / 4.5 + 1.5 ** 2 / 4.5) / 7), 8)  # exposure summed per block
    gaps = C._pearson(np.array([1.0, 0, 0, 1, 0, 0]), np.array([1.0, 1, 1, 1, 0, 0]), 1)
    assert gaps == (pytest.approx((0.25 / 0.5) * 4 / 3), 4)  # blocks without exposure are left out


def test_period_rates_and_prediction_edges():
    assert C._period_rates(np.ones(4), np.ones(4), 1) == pytest.approx(np.log(np.full(4, 1.5)))  # one-point periods
    assert len(C._period_rates(np.ones(4), np.ones(4), 0)) == 0
    quarter = C._period_rates(np.ones(12), np.full(12, 0.25), 3)
    assert quarter == pytest.approx(np.log(np.full(4, 3.5 / 0.75)))  # exposure below 1 per period is kept
    holes = C._period_rates(np.ones(12), np.array([1.0] * 9 + [0.0] * 3), 3)
    assert len(holes) == 3  # a period without exposure has no rate
    four = np.log(np.array([1.0, 1.1, 0.9, 1.0]))
    sd = float(np.std(four, ddof=1))
    from scipy import stats

    assert C._prediction_p(four, math.log(2.0), 1) == pytest.approx(
        stats.t.sf((math.log(2.0) - four.mean()) / (sd * math.sqrt(1 + 1 / 4)), 3))  # four periods are enough
    assert C._prediction_p(np.zeros(5), 0.0, 1) == 1.0  # no spread, no change: nothing to reject


def test_count_boundaries_by_hand():
    eb, xb, xc = np.full(960, 4.0), np.full(960, 1000.0), np.full(96, 1000.0)
    double, half = np.full(96, 8.0), np.full(96, 2.0)
    assert C.count_check(eb, xb, double, xc, rule("increase", allowed_increase=2.0), 0.01, "r").status == "ok"
    assert C.count_check(eb, xb, double, xc, rule("increase", allowed_increase=1.9), 0.01, "r").status == "high"
    assert C.count_check(eb, xb, half, xc, rule("decrease", allowed_decrease=0.5), 0.01, "r").status == "ok"
    assert C.count_check(eb, xb, half, xc, rule("decrease", allowed_decrease=0.55), 0.01, "r").status == "low"
    moved = abs(8 / 1000 - 4 / 1000) * 96000  # 384 events more than the baseline rate predicts
    assert C.count_check(eb, xb, double, xc, rule("increase", min_change=moved), 0.01, "r").status == "high"
    assert C.count_check(eb, xb, double, xc, rule("increase", min_change=1.0), 0.01, "r").status == "high"
    assert C.count_check(eb, xb, double, xc, rule("increase", min_change=500.0), 0.01, "r").status == "ok"
