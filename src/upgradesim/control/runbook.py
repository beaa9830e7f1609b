"""Runbook order: steps with dependencies, the start-up sequence from the dependency graph, and
patching-order rules checked against an executed log."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..errors import DataError
from ..yamlmodel import load_model

__all__ = ["Runbook", "Step", "OrderRule", "load_runbook", "check_runbook", "startup_sequence"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Frozen):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    tier: str | None = None
    depends_on: tuple[str, ...] = ()


class OrderRule(_Frozen):
    """Every step of tier ``first`` finishes before any step of tier ``then`` starts."""

    first: str
    then: str


class Runbook(_Frozen):
    change_id: str = ""
    steps: tuple[Step, ...] = Field(min_length=1)
    rules: tuple[OrderRule, ...] = ()


def load_runbook(path) -> Runbook:
    return load_model(path, Runbook, error=DataError)


def startup_sequence(plan) -> list[list[str]]:
    """Services in start-up order, dependencies first; each inner list can start together."""
    return [sorted(g) for g in nx.topological_generations(plan.dependency_graph().reverse(copy=False))]


def check_runbook(runbook: Runbook, executed: pd.DataFrame | None = None) -> tuple[list[str], list[str]]:
    """(problems, step order). Problems: unknown dependencies, cycles (named), rules broken by the
    executed log (records whose ``step`` is a runbook step id or name, timed by ``ts``)."""
    problems: list[str] = []
    ids = {s.id for s in runbook.steps}
    graph = nx.DiGraph()
    graph.add_nodes_from(s.id for s in runbook.steps)
    for s in runbook.steps:
        for d in s.depends_on:
            if d not in ids:
                problems.append(f"step {s.id}: depends on unknown step {d!r}")
            else:
                graph.add_edge(d, s.id)
    position = {s.id: i for i, s in enumerate(runbook.steps)}
    for cycle in nx.simple_cycles(graph):
        k = cycle.index(min(cycle, key=position.get))  # start from the step listed first
        cycle = cycle[k:] + cycle[:k]
        problems.append("steps form a cycle: " + " -> ".join([*cycle, cycle[0]]))
    order = list(nx.lexicographical_topological_sort(graph)) if nx.is_directed_acyclic_graph(graph) else []
    tiers = {s.id: s.tier for s in runbook.steps} | {s.name: s.tier for s in runbook.steps}
    for rule in runbook.rules:
        for s in runbook.steps:  # the plan's own dependencies must not contradict a rule
            if s.tier == rule.first and any(tiers.get(d) == rule.then for d in nx.ancestors(graph, s.id)):
                problems.append(f"step {s.id} ({rule.first}) comes after a {rule.then} step, against rule "
                                f"'{rule.first} before {rule.then}'")
    if executed is not None and len(executed):
        log = executed.copy()
        log["tier"] = [json.loads(d).get("tier") if isinstance(d, str) and d.startswith("{") else None
                       for d in log["details"]]
        log["tier"] = log["tier"].fillna(log["step"].map(tiers))
        log["ts"] = pd.to_datetime(log["ts"], utc=True)
        for rule in runbook.rules:
            first, then = log[log["tier"] == rule.first], log[log["tier"] == rule.then]
            if len(first) and len(then) and then["ts"].min() < first["ts"].max():
                early = then.sort_values("ts").iloc[0]
                problems.append(f"executed log: {rule.then} step '{early['step']}' at {early['ts']:%Y-%m-%d %H:%M} "
                                f"started before the last {rule.first} step finished ({first['ts'].max():%Y-%m-%d %H:%M}),"
                                f" against rule '{rule.first} before {rule.then}'")
    return problems, order
