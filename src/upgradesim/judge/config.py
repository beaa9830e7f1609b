"""Judge configuration: per-metric direction, kind, thresholds, groups and weights."""

from __future__ import annotations

import fnmatch
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import DataError
from ..yamlmodel import load_model

__all__ = ["MetricRule", "JudgeConfig", "load_judge_config", "DEFAULT_CONFIG"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricRule(_Frozen):
    """How one metric (or a glob of metrics) is judged."""

    match: str  # metric name or glob: "latency_*"
    # continuous: level, tail and excursion checks; count: a rate test; auto: count when the values
    # are non-negative integers and mostly zero (sparse error counts), else continuous
    kind: Literal["continuous", "count", "auto"] = "auto"
    denominator: str | None = None  # count metrics: e.g. errors out of "requests"
    direction: Literal["increase", "decrease", "either"] = "either"  # which change is bad
    # the change a metric may show before it counts, for every check (median, tails, excursions,
    # rates, constants): candidate/baseline ratio limits, and an absolute floor in the metric's units
    allowed_increase: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 1.10
    allowed_decrease: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.90
    min_change: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    tails: tuple[Annotated[float, Field(gt=0.5, lt=1)], ...] = (0.95, 0.99)  # upper quantiles checked
    excursions: bool = True  # scan for brief spikes (or dips) beyond the baseline's own
    seasonal: bool = True  # remove a daily/weekly cycle when the baseline proves one
    critical: bool = False  # a failing critical metric fails the whole verdict
    group: str | None = None  # default: the metric name
    nan: Literal["remove", "replace"] = "remove"
    nan_value: float = 0.0

    @model_validator(mode="after")
    def _count(self) -> MetricRule:
        if self.denominator and self.kind != "count":
            raise ValueError("a denominator needs kind: count")
        return self


class JudgeConfig(_Frozen):
    """Thresholds and rules of a verdict. Metrics no rule matches use ``default``."""

    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.01  # shared by a metric's checks (Bonferroni)
    min_points: Annotated[int, Field(ge=2)] = 5  # fewer in either sample: Inconclusive
    # a critical metric that has no data, is inconclusive or errs makes its service this
    critical_missing: Literal["inconclusive", "fail"] = "inconclusive"
    log_header: str | None = None  # logs-diff: a regex whose match at a line's start is its header
    pass_score: Annotated[float, Field(ge=0, le=100)] = 75
    marginal_score: Annotated[float, Field(ge=0, le=100)] = 50
    groups: dict[str, Annotated[float, Field(gt=0)]] = {}  # group -> weight (default 1)
    metrics: tuple[MetricRule, ...] = ()
    default: MetricRule = MetricRule(match="*")
    ignore: tuple[str, ...] = ()  # metric globs not judged

    @model_validator(mode="after")
    def _scores(self) -> JudgeConfig:
        if self.marginal_score > self.pass_score:
            raise ValueError("marginal_score must not exceed pass_score")
        if self.log_header is not None:
            import re

            try:
                re.compile(self.log_header)
            except re.error as exc:
                raise ValueError(f"log_header is not a regular expression: {exc}") from None
        return self

    def rule(self, metric: str) -> MetricRule:
        for rule in self.metrics:
            if fnmatch.fnmatchcase(metric, rule.match):
                return rule
        return self.default

    def ignored(self, metric: str) -> bool:
        if any(fnmatch.fnmatchcase(metric, g) for g in self.ignore):
            return True
        # a metric that is some rule's denominator is judged through that rule, not alone
        return any(r.denominator == metric for r in self.metrics)

    def weight(self, group: str) -> float:
        return self.groups.get(group, 1.0)


DEFAULT_CONFIG = JudgeConfig(metrics=(
    MetricRule(match="error*", kind="count", denominator="requests", direction="increase", allowed_increase=1.2,
               critical=True, group="errors"),
    MetricRule(match="latency*", kind="continuous", direction="increase", group="latency"),
    MetricRule(match="cpu*", kind="continuous", direction="increase", allowed_increase=1.15, group="saturation"),
))


def load_judge_config(path) -> JudgeConfig:
    """Read a judge YAML file; problems are reported like plan problems (file, line, field)."""
    return load_model(path, JudgeConfig, error=DataError)
