"""Loading a plan file: safe YAML, line numbers for every field, every problem reported at once."""

from __future__ import annotations

import difflib
import hashlib
import os
import types
import typing
from pathlib import Path

import networkx as nx
import yaml
from pydantic import BaseModel, ValidationError

from ..errors import DataError, PlanError, Problem
from .model import _DEP, Plan

__all__ = ["load_plan", "parse_plan", "plan_hash", "load_model", "parse_model", "safe_yaml", "MAX_PLAN_BYTES",
           "MAX_EXPANDED_NODES"]

MAX_PLAN_BYTES = 5_000_000
MAX_EXPANDED_NODES = 200_000  # YAML nodes after alias expansion; a plan has a few thousand
_RAW_TEXT_KEYS = ("version", "source_version", "target_version")

Path_ = tuple[object, ...]


def load_plan(path: str | os.PathLike, overlays: tuple | list = ()) -> Plan:
    """Read and validate a plan file.

    Raises
    ------
    PlanError
        With one :class:`~upgradesim.errors.Problem` per problem, each naming the file, line,
        field path, value and rule.

    Examples
    --------
    >>> from upgradesim import load_plan, sample_plan_path
    >>> load_plan(sample_plan_path()).name
    'Order platform 7.0 upgrade'
    """
    path = Path(path)
    extra = []
    for overlay in overlays:
        overlay = Path(overlay)
        data = _construct(_compose(_read(overlay), str(overlay)), str(overlay))
        if not isinstance(data, dict):
            raise PlanError([Problem(str(overlay), 1, "", type(data).__name__, "an overlay must be a mapping of keys")])
        extra.append(data)
    return parse_plan(_read(path), source=str(path), overlays=extra)


def _merge(base: dict, overlay: dict) -> dict:
    """Overlay values replace the base's; mappings merge key by key, except a mapping that names
    its own kind (a distribution's ``dist``, a strategy's ``kind``), which replaces the base's whole."""
    out = dict(base)
    for key, value in overlay.items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict) and not ({"dist", "kind"} & set(value))
        out[key] = _merge(out[key], value) if nested else value
    return out


def _read(path: Path) -> str:
    source = str(path)
    try:
        if path.is_dir():
            raise PlanError([Problem(source, None, "", None, "is a folder, not a plan file", has_value=False)])
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise PlanError([Problem(source, None, "", size, f"file is larger than {MAX_PLAN_BYTES} bytes")])
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PlanError([Problem(source, None, "", None, "file not found", has_value=False)]) from None
    except UnicodeDecodeError as exc:
        raise PlanError([Problem(source, None, "", None, f"not UTF-8 text (byte {exc.start})", has_value=False)]) from None
    except OSError as exc:
        raise PlanError([Problem(source, None, "", None, f"cannot read: {exc.strerror}", has_value=False)]) from None


def plan_hash(plan: Plan) -> str:
    """A stable sha256 of the plan's validated content (not of its formatting)."""
    return hashlib.sha256(plan.model_dump_json().encode()).hexdigest()


def parse_plan(text: str, source: str = "<plan>", overlays: list[dict] | None = None) -> Plan:
    """Validate plan text (with ``overlays`` merged over it, in order); see :func:`load_plan`."""
    return parse_model(text, Plan, source, cross_checks=_cross_checks, after=_window_checks,
                       what="the plan must be a mapping of keys (name:, release:, ...)", overlays=overlays)


def safe_yaml(text: str, source: str, *, error=DataError) -> object:
    """Any YAML document with the plan's protections: alias-bomb and nesting limits, duplicate keys
    named with both lines; problems raised as ``error``."""
    try:
        return _construct(_compose(text, source), source)
    except PlanError as exc:
        raise error(exc.problems) from None


def load_model(path: str | os.PathLike, model: type[BaseModel], *, error=PlanError):
    """Read a YAML file into ``model`` with the plan's precise errors (file, line, field, value, rule)."""
    path = Path(path)
    try:
        text = _read(path)
    except PlanError as exc:
        raise error(exc.problems) from None
    return parse_model(text, model, str(path), error=error)


def parse_model(text: str, model: type[BaseModel], source: str, *, cross_checks=None, after=None,
                what: str = "the file must be a mapping of keys", error=PlanError, overlays: list[dict] | None = None):
    """Validate YAML text into ``model``; every problem is reported at once through ``error``."""
    try:
        node = _compose(text, source)
        data = _construct(node, source)
    except PlanError as exc:
        raise error(exc.problems) from None
    lines: dict[Path_, int] = {}
    _index_lines(node, (), lines, set())
    if not isinstance(data, dict):
        raise error([Problem(source, 1, "", type(data).__name__, what)])
    for overlay in overlays or ():
        data = _merge(data, overlay)
    problems = cross_checks(data, lines, source) if cross_checks else []
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a list whose items failed also reports "too short": the item errors say it better
        inner = [tuple(e["loc"]) for e in errors]
        errors = [e for e in errors if not (e["type"] == "too_short" and any(
            len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in inner))]
        raise error([_problem(err, data, lines, source, model) for err in errors] + problems) from None
    if after:
        problems += after(value, lines, source)
    if problems:
        raise error(problems)
    return value


# --------------------------------------------------------------------------- YAML


def _compose(text: str, source: str) -> yaml.Node:
    if not text.strip():
        raise PlanError([Problem(source, None, "", None, "file is empty", has_value=False)])
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # ReaderError: a control character the YAML spec forbids
        raise PlanError([Problem(source, None, "", None, f"not valid YAML: {exc}".replace("\n", " "), has_value=False)]) from None
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise PlanError([Problem(source, None, "", None, "nested too deeply", has_value=False)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PlanError([Problem(source, line, "", None, f"not valid YAML: {exc.problem or exc.context}", has_value=False)]) from None
    except yaml.YAMLError as exc:
        raise PlanError([Problem(source, None, "", None, f"not valid YAML: {exc}", has_value=False)]) from None
    finally:
        loader.dispose()
    if node is None:
        raise PlanError([Problem(source, None, "", None, "file is empty", has_value=False)])
    try:
        expanded = _expanded_size(node, {}, set())
    except RecursionError:
        raise PlanError([Problem(source, None, "", None, "nested too deeply", has_value=False)]) from None
    if expanded > MAX_EXPANDED_NODES:
        raise PlanError([Problem(source, None, "", None,
                                 f"aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)", has_value=False)])
    duplicates = _duplicate_keys(node, source)
    if duplicates:
        raise PlanError(duplicates)
    return node


def _duplicate_keys(root: yaml.Node, source: str) -> list[Problem]:
    """A key given twice in one mapping: YAML would keep the last silently; both lines are named."""
    problems, stack, seen_nodes = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    where = key.start_mark.line + 1
                    if key.value in first:
                        problems.append(Problem(source, where, str(key.value), None,
                                                f"duplicate key (first given on line {first[key.value]}; YAML would "
                                                "silently keep the last)", has_value=False))
                    else:
                        first[key.value] = where
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: p.line or 0)


def _expanded_size(node: yaml.Node, memo: dict[int, int], active: set[int]) -> int:
    """Nodes after alias expansion, counted without expanding (memoised on shared nodes)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:  # a recursive anchor expands without end
        return MAX_EXPANDED_NODES + 1
    active.add(key)
    total = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, active) + _expanded_size(v, memo, active)
            if total > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, active)
            if total > MAX_EXPANDED_NODES:
                break
    active.discard(key)
    memo[key] = total
    return total


def _construct(node: yaml.Node, source: str) -> object:
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise PlanError([Problem(source, mark.line + 1 if mark else None, "", None, f"not valid YAML: {exc.problem}", has_value=False)]) from None
    finally:
        loader.dispose()
    _keep_raw_versions(node, data)
    return data


def _keep_raw_versions(node: yaml.Node, data: object) -> None:
    """Version fields keep the text as written: YAML would read 3.10 as the number 3.1."""
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for k, v in node.value:
            key = getattr(k, "value", None)
            if key in _RAW_TEXT_KEYS and isinstance(v, yaml.ScalarNode) and key in data:
                if not isinstance(data[key], str) and data[key] is not None:
                    data[key] = v.value
            elif key in data:
                _keep_raw_versions(v, data[key])
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for item_node, item in zip(node.value, data, strict=False):
            _keep_raw_versions(item_node, item)


def _index_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], seen: set[int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:
        return
    seen = seen | {id(node)}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = getattr(k, "value", None)
            lines[path + (key,)] = k.start_mark.line + 1
            _index_lines(v, path + (key,), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines, seen)


# --------------------------------------------------------------------------- pydantic errors


def _problem(err: dict, data: object, lines: dict[Path_, int], source: str, model: type[BaseModel]) -> Problem:
    loc = tuple(err["loc"])
    if not loc:  # a rule over the whole document: the rule says where
        return Problem(source, None, "", None, _rule(err), has_value=False)
    path, value, found = _data_path(data, loc)
    line = _line_of(path, lines)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = path[-1] if path else loc[-1]
        known = _known_fields(model, loc[:-1])
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else (f"; known keys: {', '.join(known)}" if known else "")
        return Problem(source, line, _dotted(path), None, f"unknown key{hint}", has_value=False)
    if kind in ("union_tag_invalid", "union_tag_not_found") and isinstance(value, dict):
        key = str((err.get("ctx") or {}).get("discriminator", "kind")).strip("'")
        if key in value:
            path, value = path + (key,), value[key]
            line = _line_of(path, lines)
    if kind == "missing":
        missing = loc[-1]
        return Problem(source, line, _dotted(path + (missing,) if path[-1:] != (missing,) else path), None,
                       "required field missing", has_value=False)
    return Problem(source, line, _dotted(path), value, _rule(err), has_value=found)


def _data_path(data: object, loc: tuple) -> tuple[Path_, object, bool]:
    """The part of pydantic's location that exists in the data (union tags are dropped)."""
    path: list[object] = []
    current = data
    found = True
    for part in loc:
        if isinstance(current, dict) and part in current or isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part in _TAGS:
            continue
        elif isinstance(current, (dict, list)):
            path.append(part)
            found = False
            break
        # a scalar shorthand (upgrade_min: 0) carries pydantic's inner names: skip them
    return tuple(path), current if found else None, found


_TAGS = {"fixed", "triangular", "lognormal", "empirical", "big_bang", "rolling", "phased",
         "canary", "blue_green", "parallel_run", "function-after", "function-before"}


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _rule(err: dict) -> str:
    kind, ctx, msg = err["type"], err.get("ctx") or {}, err["msg"]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {op} {bound:g}" if isinstance(bound, (int, float)) else f"must be {op} {bound}"
    if kind == "union_tag_invalid":
        return f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} {ctx.get('tag')!r}; use one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"needs a {ctx.get('discriminator', 'kind').strip(chr(39))} key"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return "must be a name of letters, digits, '.', '_' or '-'"
    return msg.replace("Input should be", "must be").replace("Value should have", "must have")


def _known_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at a pydantic location, for did-you-mean hints."""
    current: object = model
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    models = _models(current)
    names: list[str] = []
    for model in models:
        names.extend(n for n in model.model_fields if n not in names)
    return names


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models(arg))
    return out


def _unwrap(annotation: object, part: object) -> object:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _unwrap(args[0], part)
    if origin in (tuple, list) and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            for model in _models(arg):
                kind = model.model_fields.get("kind") or model.model_fields.get("dist")
                if kind is not None and part in typing.get_args(kind.annotation):
                    return model
        models = _models(annotation)
        if len(models) == 1:
            return _unwrap(models[0], part)
    return None


# --------------------------------------------------------------------------- cross-field checks
# They read the raw data defensively, so that they run even when the structure has errors.


def _items(value: object) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _names(value: object) -> list[tuple[int, str]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []


def _section(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _cross_checks(data: dict, lines: dict[Path_, int], source: str) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path_, value: object, rule: str, has_value: bool = True) -> None:
        problems.append(Problem(source, _line_of(path, lines), _dotted(path), value, rule, has_value))

    def unknown(path: Path_, value: str, known: list[str], what: str) -> None:
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        add(path, value, f"unknown {what}{hint}")

    def unique(section: str) -> list[str]:
        first: dict[str, int] = {}
        for i, item in _items(data.get(section)):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if name in first:
                add((section, i, "name"), name,
                    f"duplicate name (first at {section}[{first[name]}], line {_line_of((section, first[name]), lines)})")
            else:
                first[name] = i
        return list(first)

    components = unique("components")
    regions = unique("regions")
    strategies = unique("strategies")
    unique("workflows")
    tiers = [t for t in _section(data, "tiers") if isinstance(t, str)]

    graph = nx.DiGraph()
    graph.add_nodes_from(components)
    for i, comp in _items(data.get("components")):
        for j, dep in enumerate(comp.get("depends_on") or [] if isinstance(comp.get("depends_on"), list) else []):
            name = dep.get("name") if isinstance(dep, dict) else _DEP.match(dep).group(1) if isinstance(dep, str) and _DEP.match(dep) else None
            if not isinstance(name, str):
                continue
            if name not in components:
                unknown(("components", i, "depends_on", j), name, components, "component")
            elif name == comp.get("name"):
                add(("components", i, "depends_on", j), name, "a component cannot depend on itself")
            elif isinstance(comp.get("name"), str):
                graph.add_edge(comp["name"], name)
    reported: set[frozenset] = set()
    for cycle in nx.simple_cycles(graph):
        if len(cycle) < 2 or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(cycle, key=components.index)
        k = cycle.index(first)
        ordered = cycle[k:] + cycle[:k]
        add(("components", components.index(first), "depends_on"), None,
            f"dependency cycle: {' -> '.join(ordered + [ordered[0]])}", has_value=False)
        if len(reported) >= 10:
            break

    for i, wf in _items(data.get("workflows")):
        for j, name in _names(wf.get("components")):
            if name not in components:
                unknown(("workflows", i, "components", j), name, components, "component")

    nodes_total = 0
    for i, region in _items(data.get("regions")):
        for tier, count in _section(region, "nodes").items():
            if isinstance(count, int):
                nodes_total += count
            if tiers and tier not in tiers:
                unknown(("regions", i, "nodes", tier), str(tier), tiers, "tier (define it under tiers:)")
    calendar = _section(data, "calendar")
    if tiers:
        for tier, behaviour in _section(data, "tiers").items():
            if isinstance(behaviour, dict):
                for j, other in _names(behaviour.get("after")):
                    if other not in tiers:
                        unknown(("tiers", tier, "after", j), other, tiers, "tier")
    for section in ("one_off_windows", "freezes"):
        for i, item in _items(calendar.get(section)):
            for j, name in _names(item.get("regions")):
                if name not in regions:
                    unknown(("calendar", section, i, "regions", j), name, regions, "region")
    for path in (("migration", "tier"), ("service", "bottleneck_tier")):
        value = _section(data, path[0]).get(path[1])
        if tiers and isinstance(value, str) and value not in tiers:
            unknown(path, value, tiers, "tier")

    kinds = {s["name"]: s.get("kind") for _, s in _items(data.get("strategies")) if isinstance(s.get("name"), str)}
    for i, strategy in _items(data.get("strategies")):
        for j, tier in _names(strategy.get("tiers")):
            if tiers and tier not in tiers:
                unknown(("strategies", i, "tiers", j), tier, tiers, "tier")
        waves = strategy.get("waves")
        for w, wave in enumerate(waves if isinstance(waves, list) else []):
            for j, name in _names(wave):
                if name not in regions:
                    unknown(("strategies", i, "waves", w, j), name, regions, "region")
        then = strategy.get("then")
        if strategy.get("kind") == "canary" and isinstance(then, str):
            if then not in strategies:
                unknown(("strategies", i, "then"), then, strategies, "strategy")
            elif kinds.get(then) in ("canary", "big_bang"):
                add(("strategies", i, "then"), then,
                    f"a canary must be followed by a rolling, phased, blue_green or parallel_run strategy, not {kinds[then]}")
    chosen = data.get("chosen_strategy")
    if isinstance(chosen, str) and chosen not in strategies:
        unknown(("chosen_strategy",), chosen, strategies, "strategy")
    if isinstance(data.get("regions"), list) and data["regions"] and nodes_total == 0:
        add(("regions",), None, "the fleet has no nodes", has_value=False)
    return problems


def _window_checks(plan: Plan, lines: dict[Path_, int], source: str) -> list[Problem]:
    """Checks that need the validated plan: every region must have somewhere to work."""
    problems = []
    for i, region in enumerate(plan.regions):
        if not plan.windows_of(region) and not any(
            not w.regions or region.name in w.regions for w in plan.calendar.one_off_windows
        ):
            path = ("regions", i, "windows")
            problems.append(Problem(source, _line_of(path, lines), _dotted(path), None,
                                    "no maintenance windows: give windows here or calendar.windows", has_value=False))
    return problems
