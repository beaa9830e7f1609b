"""The desired configuration as infrastructure-as-code declares it, read into settings a
snapshot can be compared with: Terraform's JSON state or plan (``terraform show -json``),
rendered Kubernetes/Helm/Kustomize YAML, and Ansible vars files.

A setting either describes a whole configuration file (a ConfigMap or Secret entry named like a
file, a Terraform ``local_file``: its text is parsed like the snapshot's files) or one key found
by name in whatever file holds it (a ConfigMap or container env entry, a database parameter
group's parameter, an SSM parameter, an Ansible variable). Names match across styles:
``db.pool.max``, ``DB_POOL_MAX`` and ``db_pool_max`` are one setting. Secret values are
fingerprinted with the store's key before they leave this module; templated values
(``{{ ... }}``, ``${...}``) are not a declaration and are skipped.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from ..errors import DataError

__all__ = ["Declared", "read_desired", "norm", "TERRAFORM_MAJORS"]

TERRAFORM_MAJORS = ("0", "1")  # format_version majors of `terraform show -json` this reader knows
_TEMPLATE = re.compile(r"\{\{.*\}\}|\$\{[^}]*\}|\(sensitive value\)|\(known after apply\)")
_PARAMETER_TYPES = {"aws_db_parameter_group", "aws_rds_cluster_parameter_group", "aws_elasticache_parameter_group",
                    "aws_neptune_parameter_group", "aws_docdb_cluster_parameter_group"}
_NAME_VALUE_TYPES = {"azurerm_postgresql_flexible_server_configuration", "azurerm_mysql_flexible_server_configuration",
                     "azurerm_postgresql_configuration", "azurerm_mysql_configuration"}
_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


@dataclass(frozen=True)
class Declared:
    source: str  # "iac/terraform.json: aws_db_parameter_group.orders" or "iac/app.yaml:12 ConfigMap/app"
    file: str | None  # the configuration file it declares whole, or None: one key, found by name
    key: str
    value: str
    secret: bool = False
    templated: bool = False  # filled in at deploy time: the key is declared, its value is not compared


def norm(key: str) -> str:
    """One spelling of a setting's name: lower case, separators dropped."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _text(value) -> str:
    from ..control.snapshot import _text as snapshot_text

    return snapshot_text(value)


def _file_settings(source: str, name: str, content: str, key: bytes, secret: bool) -> list[Declared]:
    """A declared file's text parsed like a snapshot's file of that name."""
    from ..control.keys import fingerprint
    from ..control.secrets import is_secret_key, secret_in_value
    from ..control.snapshot import _flatten, _format, _parse

    fmt = _format(Path(name))
    if fmt is None:
        return [Declared(source, None, name, fingerprint(key, content) if secret else content, secret)]
    flat: dict = {}
    _flatten(_parse(Path(name), fmt, content), "", flat)
    out = []
    for k, v in flat.items():
        text = _text(v)
        if _TEMPLATE.search(text):  # filled in at deploy time: declared, but no value to compare
            out.append(Declared(source, PurePosixPath(name).name, k, "", False, templated=True))
            continue
        hidden = secret or is_secret_key(k) or secret_in_value(text) is not None
        out.append(Declared(source, PurePosixPath(name).name, k, fingerprint(key, text) if hidden else text, hidden))
    return out


def _one(source: str, name: str, value, key: bytes, secret: bool = False) -> Declared | None:
    from ..control.keys import fingerprint
    from ..control.secrets import is_secret_key

    text = _text(value)
    if _TEMPLATE.search(text):
        return None
    hidden = secret or is_secret_key(name)
    return Declared(source, None, name, fingerprint(key, text) if hidden else text, hidden)


_KINDS = {dict: "a mapping", list: "a list", str: "text"}


def _get(node: dict, name: str, kind: type, where: str, path: Path):
    """``node[name]`` when it is a ``kind`` (empty when absent or null); any other type is the
    file's mistake, named with the field's path."""
    value = node.get(name)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise DataError(f"{path}: {where}.{name}(={str(value)[:40]!r}): must be {_KINDS[kind]}, not "
                        f"{_KINDS.get(type(value), type(value).__name__)}")
    return value


def _items(node: dict, name: str, where: str, path: Path) -> list[tuple[int, dict]]:
    """(index, mapping) of the list ``node[name]``; an item that is not a mapping is a mistake."""
    items = _get(node, name, list, where, path)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise DataError(f"{path}: {where}.{name}[{i}](={str(item)[:40]!r}): must be a mapping")
    return list(enumerate(items))


# ----------------------------------------------------------------------------- Terraform


def _modules(module: dict, where: str, path: Path):
    yield where, module
    for i, child in _items(module, "child_modules", where, path):
        yield from _modules(child, f"{where}.child_modules[{i}]", path)


def _terraform(path: Path, doc: dict, key: bytes) -> list[Declared]:
    version = str(doc.get("format_version", ""))
    if version.split(".")[0] not in TERRAFORM_MAJORS:
        raise DataError(f"{path}: Terraform JSON format_version {version!r} is not one this reader knows "
                        f"({', '.join(m + '.x' for m in TERRAFORM_MAJORS)}); read it with a matching upgradesim")
    top = "planned_values" if doc.get("planned_values") is not None else "values"
    root = _get(doc, top, dict, "(top)", path).get("root_module")
    if not isinstance(root, dict):
        raise DataError(f"{path}: Terraform JSON without values.root_module or planned_values.root_module "
                        "(give `terraform show -json` output)")
    out = []
    for where, module in _modules(root, f"{top}.root_module", path):
        for i, res in _items(module, "resources", where, path):
            at = f"{where}.resources[{i}]"
            values, rtype = _get(res, "values", dict, at, path), str(res.get("type", ""))
            sensitive = res.get("sensitive_values") if isinstance(res.get("sensitive_values"), dict) else {}
            source = f"{path.name}: {res.get('address', rtype)}"
            if rtype in ("local_file", "local_sensitive_file") and isinstance(values.get("content"), str):
                out += _file_settings(source, str(values.get("filename") or "file"), values["content"], key,
                                      rtype == "local_sensitive_file" or bool(sensitive.get("content")))
            elif rtype in ("kubernetes_config_map", "kubernetes_config_map_v1", "kubernetes_secret",
                           "kubernetes_secret_v1"):
                secret = "secret" in rtype
                for name, value in _get(values, "data", dict, f"{at}.values", path).items():
                    out += _entry(source, str(name), value, key, secret)
            elif rtype in _PARAMETER_TYPES:
                for _, p in _items(values, "parameter", f"{at}.values", path):
                    if "name" in p:
                        out += [d for d in [_one(source, str(p["name"]), p.get("value"), key)] if d]
            elif rtype in _NAME_VALUE_TYPES and "name" in values:
                out += [d for d in [_one(source, str(values["name"]), values.get("value"), key)] if d]
            elif rtype == "aws_ssm_parameter" and "name" in values:
                name = str(values["name"]).rstrip("/").rsplit("/", 1)[-1]
                secret = values.get("type") == "SecureString" or bool(sensitive.get("value"))
                if values.get("value") is not None:
                    out += [d for d in [_one(source, name, values["value"], key, secret)] if d]
    return out


# ----------------------------------------------------------------------------- Kubernetes, Ansible


def _entry(source: str, name: str, value, key: bytes, secret: bool) -> list[Declared]:
    if not isinstance(value, str):
        value = _text(value)
    if _format(name):
        return _file_settings(source, name, value, key, secret)
    found = _one(source, name, value, key, secret)
    return [found] if found else []


def _format(name: str):
    from ..control.snapshot import _format as fmt

    return fmt(Path(name))


def _objects(docs: list, lines: list[int], path: Path):
    """(line, where, object) of every Kubernetes object, the items of a ``kind: List`` (``kubectl
    get -o yaml``, ``ConfigMapList``) included."""
    for doc, line in zip(docs, lines, strict=True):
        if not isinstance(doc, dict):
            continue
        if str(doc.get("kind", "")).endswith("List") and "items" in doc:
            for i, item in _items(doc, "items", f"line {line}", path):
                yield line, f"items[{i}] ", item
        else:
            yield line, "", doc


def _kubernetes(path: Path, docs: list, lines: list[int], key: bytes) -> list[Declared]:
    out = []
    for line, item, doc in _objects(docs, lines, path):
        at = f"line {line} {item}".strip()
        kind, name = doc.get("kind"), _get(doc, "metadata", dict, at, path).get("name", "?")
        source = f"{path.name}:{line} {item}{kind}/{name}"
        if kind == "ConfigMap":
            for k, v in _get(doc, "data", dict, f"{at} ConfigMap/{name}", path).items():
                out += _entry(source, str(k), v, key, False)
        elif kind == "Secret":
            for k, v in _get(doc, "data", dict, f"{at} Secret/{name}", path).items():
                try:
                    decoded = base64.b64decode(str(v), validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    raise DataError(f"{path}:{line}: Secret/{name} data.{k}: not base64 text (the value is not "
                                    "shown)") from None
                out += _entry(source, k, decoded, key, True)
            for k, v in _get(doc, "stringData", dict, f"{at} Secret/{name}", path).items():
                out += _entry(source, str(k), v, key, True)
        elif kind in _WORKLOADS:
            where = f"{at} {kind}/{name}.spec"
            spec = _get(doc, "spec", dict, f"{at} {kind}/{name}", path)
            for _ in range(3):  # CronJob > Job > Pod template
                for part in ("jobTemplate", "template"):
                    if part in spec:
                        spec = _get(_get(spec, part, dict, where, path), "spec", dict, f"{where}.{part}", path)
                        where += f".{part}.spec"
            for field in ("containers", "initContainers"):
                for i, container in _items(spec, field, where, path):
                    for _, env in _items(container, "env", f"{where}.{field}[{i}]", path):
                        if "name" in env and "value" in env:
                            found = _one(source, str(env["name"]), env["value"], key)
                            out += [found] if found else []
    return out


def _ansible(path: Path, doc: dict, key: bytes) -> list[Declared]:
    from ..control.snapshot import _flatten

    flat: dict = {}
    _flatten(doc, "", flat)
    out = []
    for name, value in flat.items():
        found = _one(f"{path.name}: {name}", name, value, key)
        if found:
            out.append(found)
    return out


def _ansible_tags(node, seen: set[int]) -> None:
    """Ansible's own tags made plain: an inline ``!vault`` value is a secret filled in at deploy
    time (declared, not compared), an ``!unsafe`` value is text."""
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "!vault":
            node.tag, node.value = "tag:yaml.org,2002:str", "{{ vault }}"
        elif node.tag == "!unsafe":
            node.tag = "tag:yaml.org,2002:str"
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _ansible_tags(item, seen)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _ansible_tags(k, seen)
            _ansible_tags(v, seen)


def read_desired(path: str | Path, key: bytes) -> list[Declared]:
    """The settings ``path`` declares (Terraform JSON, Kubernetes YAML, or an Ansible vars file)."""
    from ..readers import read_text
    from ..yamlmodel import safe_yaml

    path = Path(path)
    text = read_text(path, what="desired-state file")
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        except RecursionError:
            raise DataError(f"{path}: nested too deeply to be a desired state") from None
        if not isinstance(doc, dict) or "format_version" not in doc:
            raise DataError(f"{path}: a JSON desired state must be Terraform's (`terraform show -json`: it has "
                            "format_version)")
        return _terraform(path, doc, key)
    if text.lstrip().startswith("$ANSIBLE_VAULT;"):
        raise DataError(f"{path}: an Ansible Vault encrypted file; give the decrypted vars (ansible-vault view "
                        f"{path.name}) or keep the secrets in their own file")
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        for n in nodes:
            _ansible_tags(n, set())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        hint = ("; an unrendered Helm template? give the rendered manifests (helm template, kustomize build)"
                if re.search(r"\{\{.*?\}\}", text) else "")
        raise DataError(f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML{hint}") from None
    except RecursionError:
        raise DataError(f"{path}: nested too deeply to be a desired state") from None
    docs = [safe_yaml(yaml.serialize(n), str(path)) if n is not None else None for n in nodes]
    lines = [n.start_mark.line + 1 if n is not None else 0 for n in nodes]
    if any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
        return _kubernetes(path, docs, lines, key)
    if len(docs) == 1 and isinstance(docs[0], dict):
        return _ansible(path, docs[0], key)
    raise DataError(f"{path}: neither Kubernetes YAML (apiVersion, kind) nor an Ansible vars file (one mapping)")


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)  # "100" and "100.0", an int typed as a string in YAML
    except ValueError:
        return a.strip().lower() in ("true", "false") and a.strip().lower() == b.strip().lower()


def compare_desired(entries, declared: list[Declared]):
    """Differences between a snapshot's entries (file, key, value, secret) and the declared
    settings: ``changed`` (both have it, values differ), ``missing`` (declared, not in the
    environment) and ``undeclared`` (in a file the code declares whole, but not declared).
    Columns: file, key, change, baseline (the declared value), current, declared_by."""
    import pandas as pd

    rows = []
    by_file: dict[str, list] = {}
    for e in entries.itertuples():
        by_file.setdefault(PurePosixPath(e.file).name, []).append(e)
    whole: dict[str, set[str]] = {}
    for d in declared:
        if d.file is not None:
            whole.setdefault(d.file, set()).add(d.key)
            matches = [e for e in by_file.get(d.file, []) if e.key == d.key]
        else:
            want = norm(d.key)
            matches = [e for e in entries.itertuples() if norm(e.key) == want]
            if not matches:
                matches = [e for e in entries.itertuples() if norm(re.split(r"[.\[\]:]", e.key.strip("]"))[-1]) == want]
        if not matches and not d.templated:
            rows.append({"file": d.file or "", "key": d.key, "change": "missing", "baseline": d.value, "current": None,
                         "declared_by": d.source})
        for e in matches:
            if not d.templated and not _same(str(e.value), d.value):
                rows.append({"file": e.file, "key": e.key, "change": "changed", "baseline": d.value,
                             "current": e.value, "declared_by": d.source})
    for name, keys in whole.items():
        sources = {d.source for d in declared if d.file == name}
        for e in by_file.get(name, []):
            if e.key not in keys:
                rows.append({"file": e.file, "key": e.key, "change": "undeclared", "baseline": None,
                             "current": e.value, "declared_by": sorted(sources)[0]})
    return pd.DataFrame(rows, columns=["file", "key", "change", "baseline", "current", "declared_by"])
