"""Real-world version strings made comparable: "12.2", "3.8.x", "2019", "11.0.21+9", "8u502-b07",
"1.1.1w", "2024-06", "v2.4.58". Built on :mod:`packaging.version` (PEP 440) after normalisation."""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["parse_version", "satisfies", "cycle_of", "release_tuple"]

_JAVA_UPDATE = re.compile(r"^(\d+)u(\d+)(?:-b\d+)?$")  # 8u502-b07
_LETTER_PATCH = re.compile(r"^(\d+(?:\.\d+)*)([a-z])$")  # 1.1.1w
_WILDCARD = re.compile(r"(\.(?:x|\*))+$", re.I)  # 3.8.x


def parse_version(text: str | None) -> Version | None:
    """A comparable Version, or None when the string holds no version at all."""
    if text is None:
        return None
    raw = str(text).strip().lower().removeprefix("v")
    if not raw:
        return None
    raw = _WILDCARD.sub("", raw)
    match = _JAVA_UPDATE.match(raw)
    if match:
        raw = f"{match.group(1)}.0.{match.group(2)}"
    match = _LETTER_PATCH.match(raw)
    if match:  # openssl-style letter releases sort after the number: 1.1.1w = 1.1.1.post23
        raw = f"{match.group(1)}.post{ord(match.group(2)) - ord('a') + 1}"
    raw = raw.replace("-", ".") if re.fullmatch(r"\d{4}-\d{2}", raw) else raw
    try:
        return Version(raw)
    except InvalidVersion:
        numbers = re.findall(r"\d+", raw)
        if not numbers:
            return None
        try:
            return Version(".".join(str(int(n)) for n in numbers[:4]))
        except InvalidVersion:  # pragma: no cover - digits always parse
            return None


def release_tuple(text: str | None) -> tuple[int, ...] | None:
    version = parse_version(text)
    return version.release if version is not None else None


def satisfies(version: str | None, constraint: str) -> bool | None:
    """Whether ``version`` meets ``constraint`` (">=13", ">=11,<18"); None when either is unusable."""
    parsed = parse_version(version)
    if parsed is None:
        return None
    try:
        spec = SpecifierSet(constraint.replace(" ", ""))
    except InvalidSpecifier:
        return None
    return spec.contains(parsed, prereleases=True) or spec.contains(Version(".".join(map(str, parsed.release))),
                                                                    prereleases=True)


def cycle_of(version: str | None, cycles: list[str]) -> str | None:
    """The release cycle a version belongs to: the longest cycle whose numbers prefix the version's."""
    release = release_tuple(version)
    if release is None:
        return None
    best, best_len = None, -1
    for cycle in cycles:
        numbers = release_tuple(cycle)
        if numbers is None:
            continue
        n = len(numbers)
        padded = release + (0,) * max(0, n - len(release))
        if padded[:n] == numbers and n > best_len:
            best, best_len = cycle, n
    return best
