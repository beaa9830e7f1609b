"""Post-upgrade and canary verdicts: per-metric checks, scores, explanations; backtest; log-pattern diff."""

from .config import DEFAULT_CONFIG, JudgeConfig, MetricRule, load_judge_config
from .logs import LogsDiff, logs_diff
from .statistics import rate_test
from .verdict import EXIT_CODES, METRIC_COLUMNS, Verdict, judge, judge_frames

__all__ = ["judge", "judge_frames", "Verdict", "JudgeConfig", "MetricRule", "DEFAULT_CONFIG", "load_judge_config",
           "logs_diff", "LogsDiff", "rate_test", "METRIC_COLUMNS",
           "EXIT_CODES"]
