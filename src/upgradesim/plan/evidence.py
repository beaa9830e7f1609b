"""What evidence the plan demands (``evidence:`` gates per stage), the health probes it runs
(``probes:``), the environments it compares with production (``environments:``) and how an
integration copes without its partner (``components[].integration``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .base import Name, NonNegative, Positive, Probability, _Frozen

__all__ = ["Gate", "Stage", "Probe", "Environment", "Integration", "GATE_KINDS", "DataFlow", "Residency", "Team"]

TEST_KINDS = ("regression", "integration", "smoke")
GATE_KINDS = (*TEST_KINDS, "performance", "uat", "dr_drill", "training", "pir", "probe")
# a gate's key -> the kinds it applies to
_APPLIES = {
    "min_pass_rate": TEST_KINDS, "no_new_failures": TEST_KINDS, "min_tests": TEST_KINDS,
    "max_p95_increase_pct": ("performance",), "baseline_env": ("performance",),
    "roles": ("uat", "training"), "meet_rto": ("dr_drill",), "meet_rpo": ("dr_drill",),
    "probe_stage": ("probe",),
}


class Gate(_Frozen):
    """One piece of evidence a stage needs, and what must hold of it."""

    kind: Literal[GATE_KINDS]
    env: Name | None = None  # default: the stage's env
    max_age_days: Positive | None = None  # the newest record must be this recent
    max_age_min: Positive | None = None
    min_pass_rate: Probability | None = None  # passed / (tests run); skipped tests do not count
    no_new_failures: bool = False  # no test failing now that passed (or did not fail) in the previous run
    min_tests: Annotated[int, Field(ge=1)] = 1
    max_p95_increase_pct: NonNegative | None = None  # every transaction's p95 against the baseline env
    baseline_env: Name = "prod"
    roles: tuple[str, ...] = ()  # uat: each must have signed; training: each must have completed
    meet_rto: bool = True
    meet_rpo: bool = True
    probe_stage: Literal["pre", "post"] | None = None

    @model_validator(mode="after")
    def _applies(self) -> Gate:
        for key, kinds in _APPLIES.items():  # set to something else than its default (a re-dumped plan sets all)
            if getattr(self, key) != type(self).model_fields[key].default and self.kind not in kinds:
                raise ValueError(f"{key} applies to {', '.join(kinds)} gates, not {self.kind}")
        if self.kind in ("uat", "training") and not self.roles:
            raise ValueError(f"a {self.kind} gate needs roles (who must have signed or completed)")
        if self.max_age_days is not None and self.max_age_min is not None:
            raise ValueError("give max_age_days or max_age_min, not both")
        return self

    @property
    def max_age(self):
        import datetime as dt

        if self.max_age_days is not None:
            return dt.timedelta(days=self.max_age_days)
        if self.max_age_min is not None:
            return dt.timedelta(minutes=self.max_age_min)
        return None


class Stage(_Frozen):
    """A point of the change that evidence gates: staging, each production wave, after the rollout."""

    env: Name = "prod"
    before_go: bool = False  # readiness and the CAB pack hold these gates before the rollout
    gates: Annotated[tuple[Gate, ...], Field(min_length=1)]


class Probe(_Frozen):
    """A health check of one component: an HTTP(S) URL or a TCP host:port."""

    name: Name
    component: Name
    url: str | None = None
    tcp: str | None = None  # host:port
    expect_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] = (200,)
    body: str | None = None  # a regular expression the body must match
    latency_ms: Positive = 1000  # budget; slower is a failure
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 5.0
    retries: Annotated[int, Field(ge=0, le=10)] = 1

    @model_validator(mode="after")
    def _target(self) -> Probe:
        if (self.url is None) == (self.tcp is None):
            raise ValueError("give url or tcp, exactly one")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        if self.tcp is not None:
            host, _, port = self.tcp.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("tcp must look like host:port (port 1-65535)")
            if self.body is not None or self.expect_status != (200,):
                raise ValueError("body and expect_status apply to url probes")
        if self.body is not None:
            import re

            try:
                re.compile(self.body)
            except re.error as exc:
                raise ValueError(f"body is not a regular expression ({exc})") from None
        return self


class Environment(_Frozen):
    """A non-production environment (staging) as it is built: what parity compares with production."""

    name: Name
    nodes: dict[Name, Annotated[int, Field(ge=0)]]  # per tier, all regions together
    regions: tuple[Name, ...] = ()  # which production regions it stands for (none: one)
    versions: dict[Name, str] = {}  # component -> the version it runs
    data_gb: NonNegative | None = None
    config_exceptions: tuple[str, ...] = ()  # config keys (file:key, * wildcards) allowed to differ


class Integration(_Frozen):
    """A third-party integration: how it copes when the partner is away, and its contract test."""

    partner: str = Field(min_length=1)
    fallback: Literal["queue_retry", "degrade", "manual"] | None = None
    contract_test: str | None = None  # the test id (classname::name or a prefix) that checks the contract


class DataFlow(_Frozen):
    """Data the change moves or copies between regions: a migration, a replica, a backup, the
    blue-green copy of a stack."""

    name: Name
    kind: Literal["migration", "replication", "backup", "blue_green_copy", "archive"]
    source: Name  # region
    target: Name  # region
    data: str = ""  # what is moved (orders, customer records, ...)


class Residency(_Frozen):
    """Where data may go: a flow stays in its jurisdiction, or follows one of the ``allowed`` pairs
    (``EU -> UK``). Blue-green and parallel-run stacks are built in their own region, so only the
    declared ``data_flows`` can cross."""

    allowed: tuple[str, ...] = ()  # "EU -> UK": flows from the first to the second are allowed
    require_jurisdiction: bool = False  # every region involved in a flow must declare one


class Team(_Frozen):
    """Who answers for components: incidents on them are routed to the on-call, then the escalation."""

    name: Name
    components: tuple[Name, ...] = Field(min_length=1)
    on_call: str = Field(min_length=1)
    escalation: tuple[str, ...] = ()
