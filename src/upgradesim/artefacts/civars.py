"""Variables a CI definition fills in before a version is used: GitLab ``variables:``, GitHub
``env:`` and a compose file's ``.env`` (``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${{ env.VAR
}}``), and GitHub's ``strategy.matrix`` (``${{ matrix.java }}`` is each value of the matrix, ``${{
matrix.pg || '12' }}`` falls back to ``12``).

A context maps a name to the places it is defined (value, line, line text); the innermost mapping
that defines a name wins, as in the CI systems. A reference whose version comes from one variable
is reported where that variable is defined: that is the line to change.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import yaml

__all__ = ["Definition", "entries", "context", "expand", "dotenv_context"]

MAX_EXPANSIONS = 50  # values one text expands to (a matrix times a matrix ...)
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Definition:
    value: str
    line: int  # 1-based
    text: str  # the defining line as it stands


def entries(mapping) -> dict[str, object]:
    """{key: value node} of a YAML mapping node's scalar keys."""
    return {k.value: v for k, v in mapping.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node, lines: list[str]) -> Definition | None:
    if isinstance(node, yaml.ScalarNode) and node.value != "":
        line = node.start_mark.line + 1
        return Definition(str(node.value), line, lines[line - 1].strip() if line <= len(lines) else "")
    return None


def context(mapping, ctx: dict, lines: list[str]) -> dict:
    """``ctx`` extended with what ``mapping`` defines for its own subtree."""
    fields = entries(mapping)
    new: dict | None = None
    for section in ("variables", "env"):
        block = fields.get(section)
        if not isinstance(block, yaml.MappingNode):
            continue
        for k, v in block.value:
            if isinstance(v, yaml.MappingNode):  # GitLab: {value: ..., description: ...}
                v = entries(v).get("value")
            found = _scalar(v, lines)
            if isinstance(k, yaml.ScalarNode) and found is not None:
                new = dict(ctx) if new is None else new
                new[f"var:{k.value}"] = [found]
    strategy = fields.get("strategy")
    matrix = entries(strategy).get("matrix") if isinstance(strategy, yaml.MappingNode) else None
    if isinstance(matrix, yaml.MappingNode):
        new = dict(ctx) if new is None else new
        axes: dict[str, list[Definition]] = {}
        for k, v in matrix.value:
            if not isinstance(k, yaml.ScalarNode):
                continue
            if k.value == "include" and isinstance(v, yaml.SequenceNode):
                for item in v.value:
                    for kk, vv in (item.value if isinstance(item, yaml.MappingNode) else ()):
                        if isinstance(kk, yaml.ScalarNode) and (found := _scalar(vv, lines)):
                            axes.setdefault(kk.value, []).append(found)
            elif isinstance(v, yaml.SequenceNode):
                axes.setdefault(k.value, []).extend(d for d in (_scalar(i, lines) for i in v.value) if d)
        new.update({f"matrix:{k}": v for k, v in axes.items()})
    return ctx if new is None else new


def _choices(match, ctx: dict) -> list[Definition] | None:
    if match.group(1) is None:  # $VAR, ${VAR}, ${VAR:-default} (compose and shell)
        found = ctx.get(f"var:{match.group(2) or match.group(4)}")
        return found or ([Definition(match.group(3), 0, "")] if match.group(3) else None)
    for alternative in match.group(1).split("||"):
        alternative = alternative.strip()
        if m := re.fullmatch(r"matrix\.([\w-]+)", alternative):
            found = ctx.get(f"matrix:{m.group(1)}")
        elif m := re.fullmatch(r"env\.([\w-]+)", alternative):
            found = ctx.get(f"var:{m.group(1)}")
        elif m := re.fullmatch(r"'([^']*)'|\"([^\"]*)\"|([\d.]+)", alternative):
            found = [Definition(next(g for g in m.groups() if g is not None), 0, "")]
        else:
            found = None
        if found:
            return found
    return None


def expand(text: str, ctx: dict) -> list[tuple[str, Definition | None]]:
    """Each way ``text`` reads with its variables filled in, with the one definition it rests on
    (None: the text itself, or several variables); ``[(text, None)]`` when a variable is unknown."""
    matches = list(_EXPR.finditer(text))
    if not matches:
        return [(text, None)]
    options = [_choices(m, ctx) for m in matches]
    if any(not o for o in options):
        return [(text, None)]
    out = []
    for combo in itertools.islice(itertools.product(*options), MAX_EXPANSIONS):
        filled, last = [], 0
        for m, d in zip(matches, combo, strict=True):
            filled.append(text[last:m.start()] + d.value)
            last = m.end()
        source = combo[0] if len(combo) == 1 and combo[0].line else None
        out.append(("".join(filled) + text[last:], source))
    return out


def dotenv_context(text: str) -> dict:
    """The variables of a compose project's ``.env`` (defined in another file: no line to report)."""
    from io import StringIO

    from dotenv.parser import parse_stream

    return {f"var:{b.key}": [Definition(b.value, 0, "")] for b in parse_stream(StringIO(text))
            if b.key and b.value is not None and not b.error}
