"""Every plan field that may be omitted, with the value the code then uses: the source that
``docs/plan-defaults.md`` is checked against (``tests/test_plan_defaults.py``)."""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .distributions import Fixed

__all__ = ["plan_defaults", "render_default"]


def _models(annotation) -> list[type[BaseModel]]:
    found = []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    return found


def render_default(value) -> str:
    """A default as it would be written in the plan's YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fixed):
        return f"{value.value:g}"
    if isinstance(value, (tuple, list)):
        return "[]" if not value else "[" + ", ".join(render_default(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    if value == "":
        return '""'
    return str(value)


def plan_defaults() -> dict[str, str]:
    """``{field path: default}`` for every optional leaf field of a plan. Lists and mappings of
    models are ``name[]``; a strategy's fields are ``strategies[kind].field``."""
    from .model import Plan
    from .strategies import Strategy

    out: dict[str, str] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            if name in ("dist", "n", "kind"):  # discriminators and a fitted distribution's sample size
                continue
            path = prefix + name
            inner = _models(field.annotation)
            section = bool(inner) and field.default is not None and not isinstance(field.default, (Fixed, tuple))
            if field.default is not PydanticUndefined and not section:  # a section: its fields are listed
                out[path] = render_default(field.default)
            if path == "strategies":  # listed per kind below
                continue
            many = "tuple" in str(field.annotation) or "dict" in str(field.annotation)
            for sub in inner:
                if sub.__module__.endswith("distributions"):
                    continue
                walk(sub, path + ("[]." if many else "."))

    walk(Plan, "")
    for member in typing.get_args(typing.get_args(Strategy)[0]):
        kind_model = typing.get_args(member)[0]
        kind = kind_model.model_fields["kind"].annotation.__args__[0]
        walk(kind_model, f"strategies[{kind}].")
    return out
