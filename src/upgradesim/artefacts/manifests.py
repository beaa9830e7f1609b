"""More version pins a stale-pin scan reads, each with its file and line: Python projects
(``pyproject.toml``: ``requires-python``, PEP 621 and Poetry dependencies), Gradle version catalogs
(``libs.versions.toml``), Terraform (``engine_version`` of a database or cache resource beside its
``engine``, container ``image`` strings), ``go.mod`` (``go``/``toolchain``)
and .NET ``global.json`` (``sdk.version``)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator

from .references import Reference, _ref

__all__ = ["pyproject", "version_catalog", "terraform", "go_mod", "global_json", "TF_ENGINES"]

# the `engine` of a Terraform database or cache resource -> the product family its version is of
TF_ENGINES = {"postgres": "postgresql", "aurora-postgresql": "postgresql", "postgresql": "postgresql",
              "mysql": "mysql", "aurora-mysql": "mysql", "mariadb": "mariadb", "redis": "redis",
              "mongodb": "mongodb", "elasticsearch": "elasticsearch"}


def _line_of(lines: list[str], pattern: str, start: int = 0) -> int:
    """1-based number of the first line from ``start`` matching ``pattern`` (1 when none does)."""
    rx = re.compile(pattern)
    return next((i + 1 for i in range(start, len(lines)) if rx.search(lines[i])), 1)


def _toml(text: str) -> dict:
    """The document, or {} when it does not parse."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return {}


def _table(node: dict, key: str) -> dict:
    """``node[key]`` when it is a table, else {}."""
    value = node.get(key)
    return value if isinstance(value, dict) else {}


_PEP508 = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(?:\[[^\]]*\])?\s*(?:\(\s*)?([<>=!~][^;)]*)")


def pyproject(file: str, text: str) -> Iterator[Reference]:
    doc = _toml(text)
    lines = text.splitlines()
    project = _table(doc, "project")
    if isinstance(project.get("requires-python"), str):
        yield _ref(file, lines, _line_of(lines, r"^\s*requires-python\s*="), "engine", "python",
                   project["requires-python"].replace(" ", ""), family="python", ecosystem="pypi")
    for dep in project.get("dependencies") or []:
        if isinstance(dep, str) and (m := _PEP508.match(dep)):
            yield _ref(file, lines, _line_of(lines, re.escape(dep)), "dependency", m.group(1).lower(),
                       re.sub(r"\s+", "", m.group(2)), ecosystem="pypi")
    for name, spec in _table(_table(_table(doc, "tool"), "poetry"), "dependencies").items():
        spec = spec.get("version") if isinstance(spec, dict) else spec
        if not isinstance(spec, str) or spec.strip() in ("*", ""):
            continue
        ecosystem = "pypi"  # Poetry's ^ and ~ are read as the PEP 440 ranges they stand for
        line = _line_of(lines, rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
        if name.lower() == "python":
            yield _ref(file, lines, line, "engine", "python", spec.replace(" ", ""), family="python",
                       ecosystem=ecosystem)
        else:
            yield _ref(file, lines, line, "dependency", name.lower(), spec.replace(" ", ""), ecosystem=ecosystem)


def version_catalog(file: str, text: str) -> Iterator[Reference]:
    """Gradle's ``libs.versions.toml``: each library with its module and version (or version.ref)."""
    doc = _toml(text)
    lines = text.splitlines()
    versions, libraries = _table(doc, "versions"), _table(doc, "libraries")
    section = _line_of(lines, r"^\s*\[libraries\]") - 1
    for alias, spec in libraries.items():
        if isinstance(spec, str) and spec.count(":") == 2:
            group, name, version = spec.split(":")
        elif isinstance(spec, dict):
            module = spec.get("module")
            group, name = (module.split(":", 1) if isinstance(module, str) and ":" in module
                           else (spec.get("group"), spec.get("name")))
            version, ref = spec.get("version"), None
            if isinstance(version, dict):  # version.ref = "x", or a rich version
                ref = version.get("ref")
                version = version.get("strictly") or version.get("require") or version.get("prefer")
            if isinstance(ref, str):  # the pin is written once, in [versions]: its line is the one to change
                version = versions.get(ref)
                at = _line_of(lines, rf"^\s*[\"']?{re.escape(ref)}[\"']?\s*=", _line_of(lines, r"^\s*\[versions\]") - 1)
        else:
            continue
        if isinstance(group, str) and isinstance(name, str) and isinstance(version, str):
            line = at if isinstance(spec, dict) and isinstance(ref, str) else _line_of(
                lines, rf"^\s*[\"']?{re.escape(alias)}[\"']?\s*=", section)
            yield _ref(file, lines, line, "dependency", f"{group}/{name}", version, ecosystem="maven")


_TF_BLOCK = re.compile(r"^\s*(resource|data|module)\s+\"([^\"]+)\"")
_TF_ATTR = re.compile(r"^\s*(engine|engine_version|elasticsearch_version|image)\s*=\s*\"([^\"]*)\"")


def terraform(file: str, text: str) -> Iterator[Reference]:
    """Per block (``resource``/``data``/``module``, tracked by braces): ``engine_version`` judged as
    the version of the product its ``engine`` names; ``image`` strings anywhere."""
    lines = text.splitlines()
    block: dict[str, tuple[int, str]] = {}
    depth = 0

    def flush() -> Iterator[Reference]:
        engine = block.get("engine", (0, ""))[1].lower()
        if "engine_version" in block and engine in TF_ENGINES:
            line, version = block["engine_version"]
            yield _ref(file, lines, line, "engine version", engine, version, family=TF_ENGINES[engine])
        if "elasticsearch_version" in block:
            line, version = block["elasticsearch_version"]
            yield _ref(file, lines, line, "engine version", "elasticsearch", version, family="elasticsearch")

    for i, line in enumerate(lines, 1):
        code = re.sub(r"\"(?:[^\"\\]|\\.)*\"", '""', line.split("#", 1)[0].split("//", 1)[0])
        if depth == 0 and _TF_BLOCK.match(line):
            block = {}
        if (m := _TF_ATTR.match(line)) and "${" not in m.group(2):
            key, value = m.group(1), m.group(2)
            if key == "image" and ":" in value:
                yield _ref(file, lines, i, "image", value, "", ecosystem="docker")
            elif key != "image":
                block.setdefault(key, (i, value))
        depth += code.count("{") - code.count("}")
        if depth <= 0 and block:
            yield from flush()
            block, depth = {}, 0


def go_mod(file: str, text: str) -> Iterator[Reference]:
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if m := re.match(r"^\s*(?:go\s+|toolchain\s+go)(\d+(?:\.\d+)*)\b", line):
            yield _ref(file, lines, i, "tool version", "go", m.group(1), family="go")


def global_json(file: str, text: str) -> Iterator[Reference]:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return
    sdk = doc.get("sdk") if isinstance(doc, dict) else None
    if isinstance(sdk, dict) and isinstance(sdk.get("version"), str):
        lines = text.splitlines()
        yield _ref(file, lines, _line_of(lines, r"\"version\"\s*:"), "tool version", "dotnet", sdk["version"],
                   family="dotnet")
