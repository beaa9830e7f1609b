"""Configuration snapshots: YAML, JSON, INI, .properties, .env and TOML files flattened to key
paths with values and types; secrets kept only as keyed fingerprints."""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import DataError
from .keys import fingerprint

__all__ = ["Entry", "read_config_dir", "is_secret_key", "FORMATS"]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".ini": "ini", ".cfg": "ini", ".conf": "ini",
           ".properties": "properties", ".env": "env", ".toml": "toml"}
_SECRET_KEY = re.compile(r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth[_-]?key|"
                         r"access[_-]?key|client[_-]?secret|session[_-]?key)$|^(pwd)$", re.I)
_CREDENTIAL_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)  # scheme://user:pass@host


@dataclass(frozen=True)
class Entry:
    file: str
    key: str
    value: str  # the value as text; for a secret, its fingerprint
    type: str  # str, int, float, bool, null, list, secret
    secret: bool


def is_secret_key(key: str) -> bool:
    last = re.split(r"[.\[\]:]", key.strip("]"))[-1] if key else key
    return bool(_SECRET_KEY.search(last or key))


def _format(path: Path) -> str | None:
    if path.name == ".env" or path.name.endswith(".env"):
        return "env"
    return FORMATS.get(path.suffix.lower())


def _flatten(value, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        if not value:
            out[prefix] = {}
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = value


def _parse(path: Path, fmt: str) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        if fmt == "yaml":
            data = yaml.safe_load(text)
            return data if isinstance(data, dict) else {"(document)": data}
        if fmt == "json":
            data = json.loads(text)
            return data if isinstance(data, dict) else {"(document)": data}
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "ini":
            parser = configparser.ConfigParser(interpolation=None)
            parser.optionxform = str
            parser.read_string(text, source=str(path))
            return {s: dict(parser[s]) for s in parser.sections()} | (
                {"DEFAULT": dict(parser.defaults())} if parser.defaults() else {})
        out = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith(("#", "!")):
                continue
            if fmt == "env":
                line = line.removeprefix("export ").strip()
            sep = re.search(r"[=:]" if fmt == "properties" else r"=", line)
            if not sep:
                raise DataError(f"{path}:{number}: {line[:40]!r}: expected KEY=VALUE")
            key, value = line[: sep.start()].strip(), line[sep.end():].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out[key] = value
        return out
    except (yaml.YAMLError, json.JSONDecodeError, tomllib.TOMLDecodeError, configparser.Error) as exc:
        line = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", None)
        if line is None and (found := re.search(r"line (\d+)", str(exc))):  # tomllib says it in the text
            line = int(found.group(1))
        where = f"{path}:{line + 1 if isinstance(exc, yaml.YAMLError) and line is not None else line}" if line else str(path)
        raise DataError(f"{where}: not valid {fmt.upper()}: {str(exc).splitlines()[0]}") from None


def _type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, dict)):
        return "list" if isinstance(value, list) else "map"
    return "str"


def _text(value) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, default=str)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_config_dir(folder: str | Path, key: bytes) -> tuple[list[Entry], dict[str, str]]:
    """Every config file below ``folder``: (entries, {file: sha256 of its bytes}).

    Secrets (by key name, or a URL carrying a password) are replaced by their keyed fingerprint
    before anything leaves this function.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    entries, hashes = [], {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        fmt = _format(path)
        if fmt is None:
            continue
        rel = path.relative_to(folder).as_posix()
        hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        flat: dict = {}
        _flatten(_parse(path, fmt), "", flat)
        for k, v in flat.items():
            text = _text(v)
            secret = is_secret_key(k) or bool(_CREDENTIAL_URL.match(text))
            if secret:
                entries.append(Entry(rel, k, fingerprint(key, text), "secret", True))
            else:
                entries.append(Entry(rel, k, text, _type(v), False))
    if not hashes:
        raise DataError(f"{folder}: no configuration files ({', '.join(sorted(set(FORMATS)))}, .env)")
    return entries, hashes
