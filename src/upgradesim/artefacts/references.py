"""Version references in CI/CD and build definitions, each with its file and line: container images
(Dockerfile ``FROM`` with build arguments resolved, compose, Kubernetes and Helm YAML, GitLab
``image``/``services``, GitHub ``container``/``services``, Jenkinsfiles), toolchain setups (GitHub
``actions/setup-*``, Jenkins ``tools``, ``.tool-versions``, ``.nvmrc``/``.python-version``/
``.java-version``/``runtime.txt``), build settings (Maven ``java.version``/compiler release,
Gradle toolchains and compatibility) and package pins (Maven, Gradle, npm, pip); more in
:mod:`.manifests` (pyproject, Gradle version catalogs, Terraform, go.mod, global.json).

Binary, oversized and undecodable files are skipped and counted, never an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from . import civars
from .civars import entries as _entries

__all__ = ["Reference", "scan_folder", "references_in", "SKIP_DIRS", "MAX_FILE_BYTES"]

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "target", "build", "dist", ".terraform"}
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Reference:
    file: str
    line: int  # 1-based
    kind: str  # image, setup action, tool version, build setting, dependency
    name: str  # image repository, tool or family name, or package name
    found: str  # the version as written ("" when none is given)
    text: str  # the line as it stands
    family: str | None = None  # set when the source says which family (a setup action, a Java setting)
    ecosystem: str | None = None  # maven, npm, pypi for package pins


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _ref(file, lines, line, kind, name, found, **kw) -> Reference:
    return Reference(file, line, kind, name, found, lines[line - 1].strip() if 0 < line <= len(lines) else "", **kw)


# ----------------------------------------------------------------------------- images

_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", re.I)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I)
_COPY_FROM = re.compile(r"^\s*COPY\s+.*--from=(\S+)", re.I)
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _expand(text: str, args: dict[str, str]) -> str:
    def one(m):
        name = m.group(1) or m.group(3)
        if args.get(name):
            return args[name]
        return m.group(2) if m.group(2) is not None else m.group(0)

    return _VAR.sub(one, text.strip("\"'"))


def dockerfile(file: str, text: str) -> Iterator[Reference]:
    lines, args, stages = _lines(text), {}, set()
    for i, line in enumerate(lines, 1):
        if (m := _ARG.match(line)) and m.group(2) is not None:
            args.setdefault(m.group(1), m.group(2).strip("\"'"))
        elif m := _FROM.match(line):
            image = _expand(m.group(1), args)
            if m.group(2):
                stages.add(m.group(2).lower())
            if image.lower() not in stages and image.lower() != "scratch":
                ref = _ref(file, lines, i, "image", image, "", ecosystem="docker")
                # the line as the build sees it: a suggestion then names the value, not the variable
                yield ref if image in line else replace(ref, text=line.strip().replace(m.group(1), image, 1))
        elif (m := _COPY_FROM.match(line)) and ":" in m.group(1) and m.group(1).lower() not in stages:
            yield _ref(file, lines, i, "image", _expand(m.group(1), args), "", ecosystem="docker")


_IMAGE_LINE = re.compile(r"^\s*-?\s*(?:image|name)\s*:\s*[\"']?([\w./:@${}-]+:[\w.${}+-]+)")


def _scalars(node) -> Iterator:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)


def _walk(node, parent_key: str | None = None, seen: set[int] | None = None, ctx: dict | None = None,
          lines: list[str] | None = None) -> Iterator[tuple[str | None, object, object, dict]]:
    """(key, key node, value node, variables in scope) of every mapping entry, depth first;
    sequences pass their key on. A node an alias repeats is walked once (its lines are the same):
    an alias bomb costs its size."""
    seen = set() if seen is None else seen
    ctx = {} if ctx is None else ctx
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        ctx = civars.context(node, ctx, lines or [])
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            yield key, node, v, ctx
            yield from _walk(v, key, seen, ctx, lines)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                yield parent_key, None, item, ctx
            else:
                yield from _walk(item, parent_key, seen, ctx, lines)


def _filled(refs: Iterator[Reference], ctx: dict) -> Iterator[Reference]:
    """Each reference with its CI variables filled in (one per matrix value); a version that comes
    from one variable is reported at the line defining it."""
    for ref in refs:
        field = "name" if ref.kind == "image" else "found"
        for value, source in civars.expand(getattr(ref, field), ctx):
            done = replace(ref, **{field: value})
            yield replace(done, line=source.line, text=source.text) if source is not None else done


def yaml_file(file: str, text: str, env: dict | None = None) -> Iterator[Reference]:
    """``env``: variables defined outside the file (a compose project's ``.env``)."""
    lines = _lines(text)
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:  # a template (Helm {{ }}) or broken YAML: the image lines still say enough
        for i, line in enumerate(lines, 1):
            if (m := _IMAGE_LINE.match(line)) and "{{" not in line:
                yield _ref(file, lines, i, "image", m.group(1), "", ecosystem="docker")
        return
    seen: set[int] = set()
    for doc in docs:
        for key, owner, value, ctx in _walk(doc, ctx=env, lines=lines):
            yield from _filled(_yaml_entry(file, lines, key, owner, value, seen), ctx)


def _yaml_entry(file, lines, key, owner, value, seen: set[int]) -> Iterator[Reference]:
    line = value.start_mark.line + 1
    if key == "image" and isinstance(value, yaml.ScalarNode) and value.value and owner is not None:
        yield _ref(file, lines, line, "image", value.value, "", ecosystem="docker")
    elif key in ("image", "services", "container") and isinstance(value, yaml.MappingNode):
        fields = _entries(value)
        repo = fields.get("repository") or fields.get("name")
        tag = fields.get("tag")
        if isinstance(repo, yaml.ScalarNode) and id(value) not in seen:
            seen.add(id(value))
            reg = fields.get("registry")
            name = (f"{reg.value}/" if isinstance(reg, yaml.ScalarNode) and reg.value else "") + repo.value
            if isinstance(tag, yaml.ScalarNode) and str(tag.value):
                yield _ref(file, lines, tag.start_mark.line + 1, "image", f"{name}:{tag.value}", "",
                           ecosystem="docker")
            elif ":" in repo.value:
                yield _ref(file, lines, repo.start_mark.line + 1, "image", repo.value, "", ecosystem="docker")
    elif key == "services" and owner is None and isinstance(value, yaml.ScalarNode) and ":" in value.value:
        yield _ref(file, lines, line, "image", value.value, "", ecosystem="docker")  # GitLab services: [x:y]
    elif key == "services" and isinstance(value, yaml.SequenceNode):  # GitLab services: [{name: x:y, alias}]
        for item in value.value:
            name = _entries(item).get("name") if isinstance(item, yaml.MappingNode) else None
            if isinstance(name, yaml.ScalarNode) and ":" in name.value and id(item) not in seen:
                seen.add(id(item))
                yield _ref(file, lines, name.start_mark.line + 1, "image", name.value, "", ecosystem="docker")
    elif key == "container" and isinstance(value, yaml.ScalarNode) and ":" in value.value:
        yield _ref(file, lines, line, "image", value.value, "", ecosystem="docker")  # GitHub job container
    elif key == "uses" and isinstance(value, yaml.ScalarNode) and owner is not None:
        yield from _setup_action(file, lines, value.value, _entries(owner).get("with"))


def _setup_action(file, lines, uses: str, with_node) -> Iterator[Reference]:
    from .products import FAMILIES

    action = uses.split("@", 1)[0].lower()
    family = next((f for f in FAMILIES if f.setup == action), None)
    if family is None or not isinstance(with_node, yaml.MappingNode):
        return
    fields = _entries(with_node)
    version = fields.get(family.setup_key)
    if isinstance(version, yaml.ScalarNode):
        yield _ref(file, lines, version.start_mark.line + 1, "setup action", action, version.value, family=family.name)
    elif isinstance(version, yaml.SequenceNode):  # a matrix of versions: each one
        for item in _scalars(version):
            yield _ref(file, lines, item.start_mark.line + 1, "setup action", action, item.value, family=family.name)


# ----------------------------------------------------------------------------- Jenkins, tool files

_JENKINS_IMAGE = re.compile(r"""(?:docker\.image\(\s*|\bimage\s+\(?\s*)['"]([^'"]+:[^'"]+)['"]""")
_JENKINS_TOOL = re.compile(r"""^\s*(jdk|maven|gradle|nodejs)\s+['"]([^'"]+)['"]""")


def jenkinsfile(file: str, text: str) -> Iterator[Reference]:
    lines = _lines(text)
    for i, line in enumerate(lines, 1):
        for m in _JENKINS_IMAGE.finditer(line):
            yield _ref(file, lines, i, "image", m.group(1), "", ecosystem="docker")
        if m := _JENKINS_TOOL.match(line):
            version = re.search(r"(\d+(?:\.\d+)*)", m.group(2))
            family = {"jdk": "java", "nodejs": "nodejs"}.get(m.group(1), m.group(1))
            yield _ref(file, lines, i, "tool version", m.group(1), version.group(1) if version else m.group(2),
                       family=family)


def tool_versions(file: str, text: str) -> Iterator[Reference]:
    lines = _lines(text)
    for i, line in enumerate(lines, 1):
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2:
            version = re.sub(r"^(?:temurin|openjdk|adoptopenjdk|corretto|zulu|oracle|graalvm)-", "", parts[1])
            yield _ref(file, lines, i, "tool version", parts[0].lower(), version)


_SINGLE = {".nvmrc": "nodejs", ".node-version": "nodejs", ".python-version": "python", ".java-version": "java",
           "runtime.txt": "python", ".terraform-version": "terraform", ".ruby-version": "ruby", ".go-version": "go"}


def single_version(file: str, text: str, family: str) -> Iterator[Reference]:
    lines = _lines(text)
    for i, line in enumerate(lines, 1):
        value = line.split("#", 1)[0].strip()
        if value:
            yield _ref(file, lines, i, "tool version", family, re.sub(r"^(?:python-|v)", "", value), family=family)
            return


# ----------------------------------------------------------------------------- build files

_POM_JAVA = re.compile(r"<(java\.version|maven\.compiler\.(?:source|target|release)|release)>\s*([^<\s]+)\s*<")
_POM_PROP = re.compile(r"<([\w.\-]+)>\s*([^<\s]+)\s*</\1>")
_POM_DEP = re.compile(r"<(?:dependency|plugin|parent)>(.*?)</(?:dependency|plugin|parent)>", re.S)


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def pom(file: str, text: str) -> Iterator[Reference]:
    lines = _lines(text)
    props = {m.group(1): m.group(2) for m in _POM_PROP.finditer(text)}
    for m in _POM_JAVA.finditer(text):
        value = props.get(m.group(2)[2:-1], m.group(2)) if m.group(2).startswith("${") else m.group(2)
        yield _ref(file, lines, _line_at(text, m.start()), "build setting", m.group(1), value.removeprefix("1."),
                   family="java")
    for m in _POM_DEP.finditer(text):
        body = m.group(1)
        group = re.search(r"<groupId>\s*([^<\s]+)", body)
        artifact = re.search(r"<artifactId>\s*([^<\s]+)", body)
        version = re.search(r"<version>\s*([^<\s]+)", body)
        if group and artifact and version:
            value = version.group(1)
            if value.startswith("${") and value.endswith("}"):
                value = props.get(value[2:-1], value)
            pos = m.start(1) + version.start()
            yield _ref(file, lines, _line_at(text, pos), "dependency", f"{group.group(1)}/{artifact.group(1)}", value,
                       ecosystem="maven")


_GRADLE_JAVA = re.compile(r"(?:sourceCompatibility|targetCompatibility)\s*=?\s*(?:JavaVersion\.VERSION_)?['\"]?"
                          r"(?:1[._])?(\d+)|JavaLanguageVersion\.of\(\s*(\d+)\s*\)|jvmToolchain\(\s*(\d+)\s*\)")
_GRADLE_DEP = re.compile(r"""\b(?:implementation|api|compileOnly|runtimeOnly|testImplementation|classpath)\s*\(?\s*"""
                         r"""['"]([\w.\-]+):([\w.\-]+):([^'"@]+)['"]""")


def gradle(file: str, text: str) -> Iterator[Reference]:
    lines = _lines(text)
    for i, line in enumerate(lines, 1):
        for m in _GRADLE_JAVA.finditer(line):
            yield _ref(file, lines, i, "build setting", "java", next(g for g in m.groups() if g), family="java")
        for m in _GRADLE_DEP.finditer(line):
            yield _ref(file, lines, i, "dependency", f"{m.group(1)}/{m.group(2)}", m.group(3), ecosystem="maven")


def package_json(file: str, text: str) -> Iterator[Reference]:
    lines = _lines(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return
    if not isinstance(doc, dict):
        return

    def line_of(name: str) -> int:
        found = re.search(r'"' + re.escape(name) + r'"\s*:', text)
        return _line_at(text, found.start()) if found else 1

    engines = doc.get("engines") if isinstance(doc.get("engines"), dict) else {}
    if isinstance(engines.get("node"), str):
        yield _ref(file, lines, line_of("node"), "engine", "node", engines["node"], family="nodejs", ecosystem="npm")
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        deps = doc.get(section)
        for name, spec in (deps.items() if isinstance(deps, dict) else ()):
            if isinstance(spec, str):
                yield _ref(file, lines, line_of(name), "dependency", name, spec, ecosystem="npm")


_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~]=?|===)\s*[^;#\s]+(?:\s*,\s*"
                  r"(?:[<>=!~]=?)\s*[^;#\s,]+)*)")


def requirements(file: str, text: str) -> Iterator[Reference]:
    lines = _lines(text)
    for i, line in enumerate(lines, 1):
        if m := _REQ.match(line):
            spec = re.sub(r"\s+", "", m.group(2))
            yield _ref(file, lines, i, "dependency", m.group(1).lower(), spec, ecosystem="pypi")


# ----------------------------------------------------------------------------- files


def _reader(path: Path):
    name = path.name.lower()
    if name in ("dockerfile", "containerfile") or name.startswith(("dockerfile.", "dockerfile-")) or name.endswith(
            ".dockerfile"):
        return dockerfile
    if name.endswith((".yml", ".yaml")):
        return yaml_file
    if name.startswith("jenkinsfile") or name.endswith(".jenkinsfile"):
        return jenkinsfile
    if name == ".tool-versions":
        return tool_versions
    if name in _SINGLE:
        return lambda file, text, family=_SINGLE[name]: single_version(file, text, family)
    if name == "pom.xml":
        return pom
    if name in ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"):
        return gradle
    if name == "package.json":
        return package_json
    if re.fullmatch(r"(requirements|constraints)[\w.\-]*\.txt", name):
        return requirements
    from . import manifests

    return {"pyproject.toml": manifests.pyproject, "go.mod": manifests.go_mod,
            "global.json": manifests.global_json}.get(name) or (
        manifests.version_catalog if name.endswith(".versions.toml") else
        manifests.terraform if name.endswith(".tf") else None)


def references_in(path: Path, rel: str) -> tuple[list[Reference], str | None]:
    """(references, why the file was skipped or None)."""
    reader = _reader(path)
    if reader is None:
        return [], "not a definition file"
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], f"larger than {MAX_FILE_BYTES} bytes"
        data = path.read_bytes()
    except OSError as exc:  # no permission, removed while scanning: the rest is still scanned
        return [], f"cannot read: {exc.strerror or exc}"
    if b"\x00" in data:
        return [], "binary"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "not UTF-8 text"
    try:
        if reader is yaml_file and re.match(r"(docker-)?compose\b", path.name.lower()):
            return list(yaml_file(rel, text, _dotenv(path.parent / ".env"))), None
        return list(reader(rel, text)), None
    except RecursionError:  # YAML or JSON nested thousands deep
        return [], "nested too deeply"


def _dotenv(path: Path) -> dict | None:
    """The variables of the ``.env`` beside a compose file (none when absent or unreadable)."""
    if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
        return None
    try:
        return civars.dotenv_context(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, OSError):
        return None


def scan_folder(folder: Path, label: str) -> tuple[list[Reference], dict[str, str]]:
    """Every reference below ``folder`` (file names relative to it, prefixed by ``label``), and the
    definition-looking files skipped with the reason."""
    refs, skipped = [], {}
    paths = [folder] if folder.is_file() else sorted(
        p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
        and not SKIP_DIRS & set(p.relative_to(folder).parts[:-1]))
    for path in paths:
        rel = f"{label}/{path.relative_to(folder).as_posix()}" if folder.is_dir() else label
        found, why = references_in(path, rel)
        refs.extend(found)
        if why and why != "not a definition file":
            skipped[rel] = why
    return refs, skipped
