"""A configuration file's text with every secret value replaced by a placeholder naming its
fingerprint, and nothing else changed: what a snapshot keeps for `config restore` and for git.

The placeholder is ``SECRET-FP-<16 hex>`` (the start of the keyed fingerprint stored for that
entry), quoted where the format needs a string. Values are found where the format puts them: YAML
and JSON by the parser's node positions, ``.env``/``.properties``/INI/TOML by the key's line.
Every other occurrence of a secret's text in the file is replaced too. The result is then parsed
again and must give the same entries with the secrets changed; when it does not (an escape the
text does not show verbatim, a multi-line value...), the file's text is not kept, and
:func:`redact` says why, so no secret can reach the store or a repository in clear.
"""

from __future__ import annotations

import re

import yaml

from ..errors import DataError

__all__ = ["redact", "placeholder", "PLACEHOLDER"]

PLACEHOLDER = re.compile(r"SECRET-FP-[0-9a-f]{16}")
_MIN_GLOBAL = 6  # shorter secret texts are replaced only where their key puts them


def placeholder(fingerprint_value: str) -> str:
    """``fp:0123...`` -> ``SECRET-FP-0123456789abcdef``."""
    return "SECRET-FP-" + fingerprint_value.removeprefix("fp:")[:16]


def _yaml_spans(text: str, secret_keys: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, key) of the scalar nodes holding each secret key's value."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    spans: list[tuple[int, int, str]] = []

    def scalars(n):
        if isinstance(n, yaml.ScalarNode):
            yield n
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                yield from scalars(item)
        elif isinstance(n, yaml.MappingNode):
            for _, v in n.value:
                yield from scalars(v)

    def walk(n, prefix: str) -> None:
        if prefix in secret_keys:
            spans.extend((s.start_mark.index, s.end_mark.index, prefix) for s in scalars(n))
            return
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                name = k.value if isinstance(k, yaml.ScalarNode) else ""
                walk(v, f"{prefix}.{name}" if prefix else name)
        elif isinstance(n, yaml.SequenceNode) and any(not isinstance(i, yaml.ScalarNode) for i in n.value):
            for i, item in enumerate(n.value):
                walk(item, f"{prefix}[{i}]")

    if node is not None:
        walk(node, "")
    return spans


def _structured(text: str, fmt: str, secrets: dict[str, str]) -> str:
    spans = _yaml_spans(text, set(secrets))
    out = text
    for start, end, key in sorted(spans, reverse=True):
        original = text[start:end]
        quote = original[0] if original[:1] in ("'", '"') else ('"' if fmt == "json" else "")
        out = out[:start] + quote + placeholder(secrets[key]) + quote + out[end:]
    return out


_SEP = {"env": r"\s*=\s*", "properties": r"\s*[=:\s]\s*", "ini": r"\s*[=:]\s*", "toml": r"\s*=\s*"}


def _continues(line: str) -> bool:
    body = line.rstrip("\r\n")
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _by_line(text: str, fmt: str, secrets: dict[str, str], values: dict[str, str]) -> str:
    lines = text.splitlines(keepends=True)
    for key, fp in secrets.items():
        name = key.rsplit(".", 1)[-1] if fmt in ("ini", "toml") else key
        pattern = re.compile(r"^(\s*(?:export\s+)?[\"']?" + re.escape(name) + r"[\"']?" + _SEP[fmt] + r")(.*?)(\s*)$",
                             re.S)
        for i, line in enumerate(lines):
            match = pattern.match(line)
            if not match:
                continue
            rest, value = match.group(2), values.get(key, "")
            if value and value in rest:
                rest = rest.replace(value, placeholder(fp))
            else:  # escaped on the line: the whole value goes, quotes kept
                quote = rest[0] if rest[:1] in ("'", '"') else ('"' if fmt == "toml" else "")
                rest = quote + placeholder(fp) + quote
            lines[i] = match.group(1) + rest + match.group(3)
            if fmt == "properties":  # a value continued on the next lines goes with it
                j = i
                while _continues(line) and j + 1 < len(lines):
                    j, line = j + 1, lines[j + 1]
                    lines[j] = ""
                lines[i] = lines[i] if j == i else match.group(1) + placeholder(fp) + line[len(line.rstrip("\r\n")):]
    return "".join(lines)


def redact(text: str, fmt: str, secrets: dict[str, str], values: dict[str, str], reparse) -> tuple[str | None, str]:
    """(redacted text, "") or (None, why it cannot be kept).

    ``secrets`` maps each secret key to its fingerprint, ``values`` to its text as parsed;
    ``reparse(text)`` gives the file's flattened {key: text} (it raises on invalid text).
    """
    if not secrets:
        return text, ""
    try:
        if fmt in ("yaml", "json"):
            out = _structured(text, fmt, secrets)
        else:
            out = _by_line(text, fmt, secrets, values)
    except yaml.YAMLError:
        return None, "its secrets could not be located in the text"
    for key in sorted(secrets, key=lambda k: -len(values.get(k, ""))):  # a leftover copy elsewhere
        value = values.get(key, "")
        if len(value) >= _MIN_GLOBAL and value in out:
            out = out.replace(value, placeholder(secrets[key]))
    try:
        after = reparse(out)
        before = reparse(text)
    except DataError:  # our own output does not parse: do not keep it
        return None, "the text with placeholders does not parse"
    if set(after) != set(before):
        return None, "replacing a secret would change the file's keys"
    for key, value in before.items():
        if key in secrets:
            if key not in after or (values.get(key) and values[key] in after[key]):
                return None, f"the secret at {key} could not be replaced in place"
        elif after.get(key) != value and not PLACEHOLDER.search(after.get(key) or ""):
            return None, f"replacing a secret would change {key}"
    return out, ""
