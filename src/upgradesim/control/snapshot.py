"""Configuration snapshots: YAML, JSON, INI, .properties, .env and TOML files flattened to key
paths with values and types; secrets kept only as keyed fingerprints."""

from __future__ import annotations

import configparser
import hashlib
import hmac
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import DataError
from .keys import fingerprint
from .secrets import is_secret_key, secret_in_value

__all__ = ["Entry", "ConfigFiles", "read_config_dir", "read_config_files", "is_secret_key", "FORMATS"]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".ini": "ini", ".cfg": "ini", ".conf": "ini",
           ".properties": "properties", ".env": "env", ".toml": "toml"}
MAX_CONFIG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    file: str
    key: str
    value: str  # the value as text; for a secret, its fingerprint
    type: str  # str, int, float, bool, null, list, secret
    secret: bool


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


def _key_value_lines(path: Path, text: str, fmt: str) -> dict:
    """``.env`` files through python-dotenv's parser (quotes, escapes, ``export``, comments; no
    variable expansion: the file's own text is what is kept), ``.properties`` through jproperties
    (escapes, ``\\uXXXX``, continuation lines, ``=``/``:``/blank separators)."""
    if fmt == "properties":
        from jproperties import Properties

        props = Properties()
        try:
            props.load(text, "utf-8")
        except Exception as exc:  # noqa: BLE001 - jproperties raises bare parse errors; the line is not echoed
            raise DataError(f"{path}: not a valid .properties file ({type(exc).__name__}; the text is not shown: "
                            "it may hold a secret)") from None
        return {k: v for k, (v, _) in props.items()}
    import io

    from dotenv.parser import parse_stream

    out = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            # the line is not echoed: it may hold a secret (a bare word would become a key kept in clear)
            raise DataError(f"{path}:{binding.original.line}: expected KEY=VALUE (the line is not shown: it may hold "
                            "a secret)")
        if binding.key is not None:
            out[binding.key] = binding.value
    return out


def _parse(path: Path, fmt: str, text: str) -> dict:
    from ..yamlmodel import safe_yaml

    try:
        if fmt == "yaml":
            data = safe_yaml(text, str(path))
            return data if isinstance(data, dict) else {"(document)": data}
        if fmt == "json":
            try:
                data = json.loads(text)
            except RecursionError:
                raise DataError(f"{path}: nested too deeply") from None
            return data if isinstance(data, dict) else {"(document)": data}
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "ini":
            parser = configparser.ConfigParser(interpolation=None)
            parser.optionxform = str
            parser.read_string(text, source=str(path))
            return {s: dict(parser[s]) for s in parser.sections()} | (
                {"DEFAULT": dict(parser.defaults())} if parser.defaults() else {})
        return _key_value_lines(path, text, fmt)
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


@dataclass(frozen=True)
class ConfigFiles:
    """What a folder's configuration files hold: the entries (secrets as fingerprints), each file's
    keyed digest, and each file's bytes with its secrets replaced by placeholders (None when the
    secrets could not be replaced in place; ``not_kept`` says why)."""

    entries: list[Entry]
    hashes: dict[str, str]
    contents: dict[str, bytes | None]
    not_kept: dict[str, str]


def _encoding(data: bytes) -> str:
    """How to write redacted text back as the file was: UTF-16, UTF-8 with a BOM, or UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def _flat_text(parsed: dict) -> dict[str, str]:
    flat: dict = {}
    _flatten(parsed, "", flat)
    return {k: _text(v) for k, v in flat.items()}


_VCS = {".git", ".hg", ".svn"}  # a checkout's version-control folders are not its configuration


def read_config_files(folder: str | Path, key: bytes) -> ConfigFiles:
    """Every config file below ``folder`` (see :class:`ConfigFiles`).

    Secrets (by key name, or a value carrying a credential) are replaced by their keyed fingerprint
    before anything leaves this function, in the entries and in the kept text alike.
    """
    from ..readers import decode_text
    from .redact import redact

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    entries, hashes, contents, not_kept = [], {}, {}, {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                       and not _VCS & set(p.relative_to(folder).parts[:-1])):
        fmt = _format(path)
        if fmt is None:
            continue
        rel = path.relative_to(folder).as_posix()
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise DataError(f"{path}: {size} bytes, larger than the {MAX_CONFIG_BYTES} this reader takes")
        data = path.read_bytes()  # once: the digest, the entries and the kept copy all come from it
        text = decode_text(path, data, "configuration file")
        # keyed: a plain digest of a small secret-bearing file could be reversed by guessing
        hashes[rel] = "hmac:" + hmac.new(key, data, hashlib.sha256).hexdigest()
        secrets, values = {}, {}
        flat: dict = {}
        _flatten(_parse(path, fmt, text), "", flat)
        for k, v in flat.items():
            text_value = _text(v)
            if is_secret_key(k) or secret_in_value(text_value) is not None:
                secrets[k], values[k] = fingerprint(key, text_value), text_value
                entries.append(Entry(rel, k, secrets[k], "secret", True))
            else:
                entries.append(Entry(rel, k, text_value, _type(v), False))
        if not secrets:
            contents[rel] = data
            continue
        encoding = _encoding(data)
        kept, why = redact(text, fmt, secrets, values, lambda t, p=path, f=fmt: _flat_text(_parse(p, f, t)))
        contents[rel] = None if kept is None else (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + kept.encode(
            "utf-16" if encoding == "utf-16" else "utf-8")
        if kept is None:
            not_kept[rel] = why
    if not hashes:
        raise DataError(f"{folder}: no configuration files ({', '.join(sorted(set(FORMATS)))}, .env)")
    return ConfigFiles(entries, hashes, contents, not_kept)


def read_config_dir(folder: str | Path, key: bytes) -> tuple[list[Entry], dict[str, str]]:
    """(entries, {file: keyed digest of its bytes}) of every config file below ``folder``."""
    found = read_config_files(folder, key)
    return found.entries, found.hashes
