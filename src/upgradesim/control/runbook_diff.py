"""What a change made stale in the runbook and the configuration: a checklist for after the
upgrade. Steps that name a version the change replaces, a component or feature the plan no longer
has, steps that start a service before one it depends on (by the plan's dependency graph), and
configuration keys added or removed between two snapshots of an environment."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

__all__ = ["StaleItem", "stale_items"]


@dataclass
class StaleItem:
    area: str  # step, start-up order, configuration
    subject: str
    what: str
    action: str

    def as_dict(self) -> dict:
        return asdict(self)


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(word.lower())}(?![\w-]|\.\d)", text.lower()) is not None


def stale_items(book, plan, *, store=None, env: str = "prod", before: str | None = None,
                after: str | None = None) -> list[StaleItem]:
    items: list[StaleItem] = []
    names = {c.name for c in plan.components}
    for step in book.steps:
        text = f"{step.id} {step.name}"
        for c in plan.components:
            if c.target_version and _mentions(text, c.version):
                items.append(StaleItem("step", step.id, f"names {c.product} {c.version}, which the change replaces "
                                       f"with {c.target_version}", f"update the step for {c.target_version}"))
        for feature in plan.release.removed_features:
            if _mentions(text, feature):
                items.append(StaleItem("step", step.id, f"names {feature}, which {plan.release.target_version} "
                                       "removes", "rewrite or drop the step"))
        for token in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", text.lower()):
            known = token in names or token in {f.lower() for f in plan.release.removed_features}
            looks_like_service = token.endswith(("-db", "-api", "-service", "-worker", "-lb", "-cache", "-broker"))
            if looks_like_service and not known:
                items.append(StaleItem("step", step.id, f"names {token}, which the plan no longer has",
                                       "drop or redirect the step"))
    order = _step_order(book)
    position = {}
    for i, step_id in enumerate(order):
        for c in plan.components:
            step = next(s for s in book.steps if s.id == step_id)
            if _mentions(f"{step.id} {step.name}", c.name) and c.name not in position:
                position[c.name] = (i, step_id)
    graph = plan.dependency_graph()
    for comp, (i, step_id) in position.items():
        for dep in graph.successors(comp):
            if dep in position and position[dep][0] > i:
                items.append(StaleItem("start-up order", step_id, f"starts {comp} before {dep}, which it depends on "
                                       f"(step {position[dep][1]})", "move the step after its dependency"))
    if store is not None and before and after:
        old = store.find_snapshot(env=env, tag=before)
        new = store.find_snapshot(env=env, tag=after)
        from .drift import diff_entries

        diff = diff_entries(store.snapshot_entries(old.snapshot_id), store.snapshot_entries(new.snapshot_id))
        for r in diff.itertuples():
            if r.change == "added":
                items.append(StaleItem("configuration", f"{r.file}:{r.key}", "a new key", "document it in the runbook"))
            elif r.change == "removed":
                items.append(StaleItem("configuration", f"{r.file}:{r.key}", "removed by the change",
                                       "remove it from the runbook and its checks"))
    unique: dict[tuple, StaleItem] = {}
    for item in items:  # two components on one version give one line
        unique.setdefault((item.area, item.subject, item.what), item)
    return list(unique.values())


def _step_order(book) -> list[str]:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(s.id for s in book.steps)
    for s in book.steps:
        for d in s.depends_on:
            if d in graph:
                graph.add_edge(d, s.id)
    try:
        return list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        return [s.id for s in book.steps]
