"""The upgrade plan as validated, immutable objects (pydantic v2, frozen).

Units are in the key names: ``_min`` minutes, ``_h`` hours, ``_days`` days, ``_rps`` requests
per second, ``_ms`` milliseconds, ``_pct`` percent (0-100), ``_mb``/``_gb`` sizes. Probabilities
are fractions in [0, 1] and named ``p_...`` or ``..._prob``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from .base import (  # noqa: F401
    DAYS,
    Name,
    NonNegative,
    Percent,
    Positive,
    Probability,
    _Frozen,
    _probability,
    _tuple,
)
from .cost import Cost
from .distributions import (  # noqa: F401
    MAX_DURATION,
    Beta,
    Duration,
    Empirical,
    Fixed,
    LogNormal,
    Span,
    SpanOrZero,
    Triangular,
)
from .evidence import DataFlow, Environment, Integration, Probe, Residency, Stage, Team
from .migration import DataMigration, LongTransactions, Migration, MigrationPhase, Throughput  # noqa: F401
from .resources import NodeResources
from .risk import RiskTolerance  # noqa: F401 - part of the plan model
from .search import SearchSpace
from .strategies import (  # noqa: F401
    BigBang,
    BlueGreen,
    Canary,
    ParallelRun,
    Phased,
    Rolling,
    Strategy,
)

__all__ = [
    "Plan",
    "Release",
    "Overheads",
    "Component",
    "Dependency",
    "Customization",
    "Workflow",
    "Region",
    "Traffic",
    "WeeklyWindow",
    "OneOffWindow",
    "Freeze",
    "Calendar",
    "Fixed",
    "Triangular",
    "LogNormal",
    "Empirical",
    "Beta",
    "Duration",
    "TierBehaviour",
    "Migration",
    "LongTransactions",
    "DataMigration",
    "BigBang",
    "Rolling",
    "Phased",
    "Canary",
    "BlueGreen",
    "ParallelRun",
    "Strategy",
    "RollbackPolicy",
    "ServiceLevels",
    "RiskTolerance",
    "Roles",
    "DAYS",
]

# --------------------------------------------------------------------------- release


# --------------------------------------------------------------------------- estate

_DEP = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(.*?)\s*$")


class Dependency(_Frozen):
    """An edge of the dependency graph: this component needs ``name`` at ``constraint``."""

    name: Name
    constraint: str = ""

    @field_validator("constraint")
    @classmethod
    def _spec(cls, value: str) -> str:
        if value:
            try:
                SpecifierSet(value.replace(" ", ""))
            except InvalidSpecifier:
                raise ValueError(
                    "must be a version constraint such as '>=13' or '>=11,<18'"
                ) from None
        return value


def _dependency(value: object) -> object:
    if isinstance(value, str):
        match = _DEP.match(value)
        if match:
            return {"name": match.group(1), "constraint": match.group(2)}
    return value


class Customization(_Frozen):
    """Local code or configuration that depends on features of the product."""

    name: Name
    touches: Annotated[tuple[str, ...], BeforeValidator(_tuple)] = ()
    owner: str = ""


class Component(_Frozen):
    """One deployable part of the estate."""

    name: Name
    tier: Name
    product: str
    version: str
    target_version: str | None = None
    lifecycle: str | None = None  # endoflife.date product id when it differs from `product`
    depends_on: tuple[Annotated[Dependency, BeforeValidator(_dependency)], ...] = ()
    customizations: tuple[Customization, ...] = ()
    tls_versions: tuple[Literal["1.0", "1.1", "1.2", "1.3"], ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    uses_features: tuple[str, ...] = ()
    integration: Integration | None = None  # a third-party integration: its fallback and contract test
    purl: str | None = None  # package URL (pkg:maven/org.apache.tomcat/tomcat-catalina): matches advisories
    patch_cadence: Literal["monthly", "quarterly", "vendor", "none"] = "quarterly"  # `upgradesim schedule`


class Workflow(_Frozen):
    """A business-critical flow and the components it touches."""

    name: Name
    criticality: Literal["low", "medium", "high", "critical"] = "high"
    components: Annotated[tuple[Name, ...], Field(min_length=1)]
    description: str = ""


# --------------------------------------------------------------------------- fleet


class Traffic(_Frozen):
    """Demand of a region: an hourly profile, or a telemetry metric to derive it from."""

    hourly_rps: tuple[NonNegative, ...] | None = None  # 24 values, local hours 0..23
    weekend_factor: Positive = 1.0
    metric: str | None = None  # "service/metric": a per-sample count in the store, e.g. "order-api/requests"

    @model_validator(mode="after")
    def _one_source(self) -> Traffic:
        if (self.hourly_rps is None) == (self.metric is None):
            raise ValueError("give exactly one of hourly_rps (24 values) or metric")
        if self.metric is not None and "/" not in self.metric:
            raise ValueError(f"metric(={self.metric}) must be 'service/metric', e.g. order-api/requests")
        if self.hourly_rps is not None and len(self.hourly_rps) != 24:
            raise ValueError(f"hourly_rps has {len(self.hourly_rps)} values; it needs 24 (one per local hour)")
        return self

    def rps_at(self, weekday: int, hour: int) -> float:
        """Demand at a local weekday (0 = Monday) and hour, from the profile."""
        if self.hourly_rps is None:
            raise ValueError("traffic comes from telemetry; resolve it through the store first")
        factor = self.weekend_factor if weekday >= 5 else 1.0
        return self.hourly_rps[hour] * factor


_WINDOW = re.compile(
    r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def _clock(text: str) -> dt.time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return dt.time(0, 0)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{text} is not a time of day")
    return dt.time(hours, minutes)


class WeeklyWindow(_Frozen):
    """A weekly maintenance window in the region's local time; may cross midnight."""

    days: tuple[int, ...]  # 0 = Monday
    start: dt.time
    end: dt.time

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _WINDOW.match(value.lower())
        if not match:
            raise ValueError("must look like 'sat 01:00-05:00' or 'fri-sun 22:00-02:00'")
        days: list[int] = []
        for part in re.split(r"\s*,\s*", match.group("days")):
            ends = [d.strip() for d in part.split("-")]
            for name in ends:
                if name not in DAYS:
                    raise ValueError(f"unknown day {name!r}; use one of {', '.join(DAYS)}")
            first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
            span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
            days.extend(d for d in span if d not in days)
        return {"days": tuple(days), "start": _clock(match.group("start")), "end": _clock(match.group("end"))}

    @model_validator(mode="after")
    def _length(self) -> WeeklyWindow:
        if self.start == self.end:
            raise ValueError("window ends when it starts (zero length)")
        return self

    @property
    def length_min(self) -> float:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return (end - start) % 1440


class OneOffWindow(_Frozen):
    """An extra window in local time of the named regions (all regions when empty)."""

    start: dt.datetime
    end: dt.datetime
    regions: tuple[Name, ...] = ()

    @model_validator(mode="after")
    def _order(self) -> OneOffWindow:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):  # a number reads as an aware epoch time
            raise ValueError("give start and end both in local time (no zone) or both with a zone")
        if self.end <= self.start:
            raise ValueError("window must end after it starts")
        return self


class Freeze(_Frozen):
    """A change-freeze period, local dates inclusive; nothing starts inside it."""

    name: str
    start: dt.date
    end: dt.date
    regions: tuple[Name, ...] = ()

    @model_validator(mode="after")
    def _order(self) -> Freeze:
        if self.end < self.start:
            raise ValueError("freeze must not end before it starts")
        return self


class Region(_Frozen):
    """A region: time zone, nodes per tier, traffic, maintenance windows."""

    name: Name
    tz: str
    nodes: dict[Name, Annotated[int, Field(ge=0)]]
    traffic: Traffic
    windows: tuple[WeeklyWindow, ...] = ()  # defaults to calendar.windows when empty
    jurisdiction: str | None = None  # where its data lives under the law (EU, US, AU, ...): data residency
    storage_free_gb: NonNegative | None = None  # free shared storage for the rollout's copies and scratch

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone (e.g. Europe/Dublin, Australia/Sydney)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


class Calendar(_Frozen):
    """When work may happen."""

    start: dt.datetime  # earliest start; naive means UTC
    horizon_days: Annotated[float, Field(ge=1, le=3650)] = 42  # from one day to ten years
    windows: tuple[WeeklyWindow, ...] = ()  # default weekly windows for every region
    one_off_windows: tuple[OneOffWindow, ...] = ()
    blackouts: tuple[dt.date, ...] = ()  # local dates on which no work starts
    freezes: tuple[Freeze, ...] = ()
    on_window_close: Literal["finish", "halt"] = "halt"

    @property
    def start_utc(self) -> dt.datetime:
        if self.start.tzinfo is None:
            return self.start.replace(tzinfo=dt.UTC)
        return self.start.astimezone(dt.UTC)


# --------------------------------------------------------------------------- behaviour


class Overheads(_Frozen):
    """Extra resources the target release needs compared with the source release."""

    cpu_pct: NonNegative = 0.0  # extra CPU, percent of today's use (15 = 15% more)
    memory_mb_per_node: NonNegative = 0.0
    storage_gb: NonNegative = 0.0  # per node of each tier whose resources declare storage


class Release(_Frozen):
    """The release being rolled out."""

    product: str
    source_version: str
    target_version: str
    overheads: Overheads = Overheads()
    min_tls: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    auth_mechanisms: tuple[str, ...] = ()
    removed_features: tuple[str, ...] = ()
    changed_features: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # compatibility rules: "postgresql >=13", "openjdk >=17"
    # A defect that only production traffic reveals: with probability defect_prob the release
    # carries one; it manifests defect_manifest_h (hours) after first production exposure, and
    # from then on every upgraded node of defect_tiers fails defect_error_pct % of its requests.
    defect_prob: Probability = 0.0
    defect_error_pct: Annotated[float, Field(gt=0, le=100)] = 20.0
    defect_manifest_h: Duration = Fixed(value=4)
    defect_tiers: tuple[Name, ...] = ()  # default: the service's bottleneck tier



class TierBehaviour(_Frozen):
    """How a node of one tier upgrades, fails and rolls back (from staging measurements)."""

    capacity_rps: Positive  # requests/s one node serves at full utilisation
    resources: NodeResources = NodeResources()  # memory and disk per node (readiness checks them)
    upgrade_min: Duration
    # a probability, or a Beta distribution of it drawn once per replication
    failure_prob: Probability | Beta = 0.0
    detect_min: Duration = Fixed(value=5)
    rollback_min: Duration = Fixed(value=10)
    retries: Annotated[int, Field(ge=0, le=5)] = 0
    after: tuple[Name, ...] = ()  # tiers that must finish first; default from the dependency graph
    # a multi-hop upgrade (3.11 -> 3.12 -> 3.13): each attempt runs this many consecutive version
    # steps, each with upgrade_min and failure_prob; the attempt fails when any step fails
    steps: Annotated[int, Field(ge=1, le=10)] = 1

    @property
    def planning_steps_min(self) -> float:
        """The 95th-percentile minutes of one attempt (every step), for fitting work into windows."""
        from ..sim.distributions import planning_min

        return planning_min(self.upgrade_min) * self.steps


class RollbackPolicy(_Frozen):
    """Triggers that stop the rollout and revert what was upgraded. A key that is omitted (or null)
    disables that trigger: no trigger is ever applied by default."""

    failed_nodes_per_batch: Annotated[int, Field(gt=0)] | None = None
    error_rate_pct: Annotated[float, Field(gt=0, le=100)] | None = None
    sla_breach_min: Annotated[float, Field(gt=0)] | None = None
    window_overrun_min: Annotated[float, Field(gt=0)] | None = None


# --------------------------------------------------------------------------- service & governance


class ServiceLevels(_Frozen):
    p95_latency_ms: Positive = 300
    service_time_ms: Positive = 50  # mean time a node spends on one request
    availability_pct: Annotated[float, Field(gt=0, le=100)] = 99.9
    bottleneck_tier: Name | None = None  # the tier whose queue sets latency; default app


class Roles(_Frozen):
    executor: str
    validator: str
    approver: str


# --------------------------------------------------------------------------- the plan


class Plan(_Frozen):
    """An upgrade plan: the estate, fleet, calendar, release, behaviour, strategies and limits.

    Load one with :func:`upgradesim.load_plan`; the objects are frozen.
    """

    name: str = Field(min_length=1)
    change_id: str = ""
    release: Release
    components: Annotated[tuple[Component, ...], Field(min_length=1)]
    workflows: tuple[Workflow, ...] = ()
    regions: Annotated[tuple[Region, ...], Field(min_length=1)]
    calendar: Calendar
    tiers: dict[Name, TierBehaviour]
    migration: Migration | None = None
    strategies: Annotated[tuple[Strategy, ...], Field(min_length=1)]
    rollback: RollbackPolicy = RollbackPolicy()
    service: ServiceLevels = ServiceLevels()
    risk: RiskTolerance = RiskTolerance()
    cost: Cost = Cost()
    optimize: SearchSpace | None = None  # the design space `upgradesim optimize` searches
    evidence: dict[Name, Stage] = {}  # stage -> the evidence it needs (`upgradesim evidence check`)
    probes: tuple[Probe, ...] = ()  # health checks (`upgradesim probe`)
    environments: tuple[Environment, ...] = ()  # staging and others, for `upgradesim parity`
    data_flows: tuple[DataFlow, ...] = ()  # where the change moves or copies data (residency)
    residency: Residency = Residency()
    teams: tuple[Team, ...] = ()  # escalation paths: component -> team -> on-call (incidents)
    chosen_strategy: Name | None = None
    roles: Roles | None = None
    cutover_at: dt.datetime | None = None  # separates baseline from post-upgrade telemetry

    @model_validator(mode="after")
    def _dst(self) -> Plan:
        """A window may not start at a local time that does not exist (DST gap) or exists twice (DST
        overlap) on any day within the horizon: say which."""
        from .calendar import dst_window_problems

        problems = dst_window_problems(self)
        if problems:
            raise ValueError("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        return self

    def strategy(self, name: str):
        """The strategy called ``name``; KeyError names the known ones."""
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        raise KeyError(f"no strategy {name!r}; the plan has {', '.join(s.name for s in self.strategies)}")

    def region(self, name: str) -> Region:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def dependency_graph(self):
        """The component dependency graph — the one source of it: a node per component (tier,
        product, version, target), an edge A -> B when A depends on B (with its constraint)."""
        import networkx as nx

        graph = nx.DiGraph()
        for c in self.components:
            graph.add_node(c.name, tier=c.tier, product=c.product, version=c.version, target=c.target_version)
        for c in self.components:
            for dep in c.depends_on:
                graph.add_edge(c.name, dep.name, constraint=dep.constraint)
        return graph

    def windows_of(self, region: Region) -> tuple[WeeklyWindow, ...]:
        return region.windows or self.calendar.windows

    @property
    def node_count(self) -> int:
        return sum(sum(r.nodes.values()) for r in self.regions)
