"""Supported upgrade paths: is each version jump of the plan one hop its vendor supports? When it
is not, the chain of intermediate versions to take instead (see ``data/lifecycle/upgrade_paths.yaml``
for the rules and how to add products)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from ..errors import DataError
from ..plan.base import _Frozen

__all__ = ["PathRule", "load_paths", "chain", "check_paths"]


class PathRule(_Frozen):
    rule: Literal["any", "one_minor", "one_major", "stones"]
    stones: tuple[str, ...] = ()
    last_minor: dict[str, int] = {}
    source: str = ""


def load_paths(path: str | Path | None = None) -> dict[str, PathRule]:
    """The bundled rules, or ``path`` (the same YAML shape) merged over them."""
    from ..yamlmodel import safe_yaml

    bundled = resources.files("upgradesim") / "data" / "lifecycle" / "upgrade_paths.yaml"
    rules = {}
    for source in ([bundled] + ([Path(path)] if path else [])):
        text = source.read_text(encoding="utf-8")
        data = safe_yaml(text, str(source))
        if not isinstance(data, dict):
            raise DataError(f"{source}: upgrade paths must be a mapping of product: {{rule: ...}}")
        for product, spec in data.items():
            try:
                rules[str(product).lower()] = PathRule.model_validate(spec)
            except ValidationError as exc:  # one line: the first problem pydantic names
                first = str(exc).splitlines()[1:3]
                raise DataError(f"{source}: {product}: {' '.join(x.strip() for x in first)}") from None
            if rules[str(product).lower()].rule == "stones" and not rules[str(product).lower()].stones:
                raise DataError(f"{source}: {product}: rule stones needs stones: [versions]")
    return rules


def _numbers(version: str) -> tuple[int, ...] | None:
    m = re.match(r"^\D*?(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def chain(rule: PathRule, current: str, target: str) -> list[str] | None:
    """The versions to pass through between ``current`` and ``target`` (empty: one hop is fine);
    None when a version cannot be read."""
    a, b = _numbers(current), _numbers(target)
    if a is None or b is None:
        return None
    if rule.rule == "any" or b <= a:
        return []
    if rule.rule == "one_major":
        return [str(m) for m in range(a[0] + 1, b[0])]
    if rule.rule == "stones":
        out = []
        for stone in rule.stones:
            s = _numbers(stone)
            if s is not None and a[:len(s)] < s and s < b[:len(s)]:
                out.append(stone)
        return out
    # one_minor
    minor_a = a[1] if len(a) > 1 else 0
    minor_b = b[1] if len(b) > 1 else 0
    if a[0] == b[0]:
        return [f"{a[0]}.{m}" for m in range(minor_a + 1, minor_b)]
    out = []
    last = rule.last_minor.get(str(a[0]))
    if last is None:
        out.append(f"the last {a[0]}.x minor")
    else:
        out += [f"{a[0]}.{m}" for m in range(minor_a + 1, last + 1)]
    for major in range(a[0] + 1, b[0]):
        out.append(f"{major}.x (its last minor)")
    out += [f"{b[0]}.{m}" for m in range(0, minor_b)]
    return out


def check_paths(plan, rules: dict[str, PathRule]) -> list[dict]:
    """A blocker per jump the vendor does not support in one hop, with the chain to take."""
    from .checks import _finding

    found = []
    for comp in plan.components:
        if not comp.target_version:
            continue
        product = (comp.lifecycle or comp.product).lower()
        rule = rules.get(product) or rules.get(comp.product.lower())
        if rule is None:
            continue
        steps = chain(rule, comp.version, comp.target_version)
        if steps is None:
            found.append(_finding("dependency", "warning", comp.name,
                                  f"{comp.name}: the jump {comp.version} -> {comp.target_version} cannot be checked "
                                  f"against {product}'s upgrade path ({rule.rule}): a version is unreadable",
                                  "upgrade_paths", "check the vendor's supported upgrade path by hand"))
            continue
        if steps:
            path = " -> ".join([comp.version, *steps, comp.target_version])
            tier = comp.tier
            found.append(_finding(
                "dependency", "blocker", comp.name,
                f"{comp.name}: {product} does not support {comp.version} -> {comp.target_version} in one hop "
                f"({rule.rule.replace('_', ' ')}); take {path}",
                f"upgrade path rule: {rule.source or rule.rule}",
                f"upgrade in {len(steps) + 1} steps; to simulate them set tiers.{tier}.steps: {len(steps) + 1}"))
    return found
