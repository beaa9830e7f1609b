"""Post-upgrade and canary verdicts: per-metric statistics, scores, explanations; log-pattern diff."""

from .config import DEFAULT_CONFIG, JudgeConfig, MetricRule, load_judge_config
from .logs import LogsDiff, logs_diff
from .statistics import hodges_lehmann, rank_test, rate_test, spread_test
from .verdict import METRIC_COLUMNS, Verdict, judge, judge_frames

__all__ = ["judge", "judge_frames", "Verdict", "JudgeConfig", "MetricRule", "DEFAULT_CONFIG", "load_judge_config",
           "logs_diff", "LogsDiff", "rank_test", "hodges_lehmann", "rate_test", "spread_test", "METRIC_COLUMNS"]
