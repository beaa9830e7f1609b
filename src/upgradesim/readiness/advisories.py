"""Security advisories, offline: OSV-schema JSON files and, optionally, CISA's Known Exploited
Vulnerabilities catalogue (CSV or JSON), matched to the plan's components.

A component matches an OSV package by its ``purl`` (type, namespace and name; the version is the
component's own) or, without one, by the package name equal to its product (case-insensitive).
Affected ranges are evaluated with the ecosystem's version rules (``univers``); an ecosystem it
does not know falls back to ``packaging``'s rules and then to a generic dotted comparison, and the
finding says so. ``GIT`` ranges cannot be evaluated from a version and are reported as such, never
silently skipped. Severity is the CVSS base score (``cvss``) of the advisory's vector, else its
database's label.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import DataError

__all__ = ["Advisory", "AdvisoryFinding", "load_osv", "load_kev", "match_advisories", "ECOSYSTEMS"]

# OSV ecosystem -> univers version class name
ECOSYSTEMS = {
    "pypi": "PypiVersion", "npm": "SemverVersion", "maven": "MavenVersion", "go": "GolangVersion",
    "crates.io": "SemverVersion", "rubygems": "RubygemsVersion", "nuget": "NugetVersion",
    "packagist": "ComposerVersion", "debian": "DebianVersion", "ubuntu": "DebianVersion",
    "alpine": "AlpineLinuxVersion", "red hat": "RpmVersion", "rocky linux": "RpmVersion",
    "almalinux": "RpmVersion", "hex": "SemverVersion", "pub": "SemverVersion", "conancenter": "ConanVersion",
}
PURL_TYPES = {"pypi": "pypi", "npm": "npm", "maven": "maven", "golang": "go", "cargo": "crates.io", "gem": "rubygems",
              "nuget": "nuget", "composer": "packagist", "deb": "debian", "apk": "alpine", "rpm": "red hat",
              "hex": "hex", "pub": "pub", "conan": "conancenter", "generic": "generic"}
MAX_FILE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Affected:
    ecosystem: str
    name: str
    ranges: tuple  # ((type, ((event, version), ...)), ...)
    versions: tuple


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple
    summary: str
    score: float | None
    label: str
    affected: tuple
    source: str


@dataclass
class AdvisoryFinding:
    component: str
    version: str
    target_version: str | None
    advisory: str
    aliases: list
    summary: str
    score: float | None
    severity: str
    known_exploited: bool
    affected: bool  # the running version is affected (or cannot be judged: see note)
    fixed_in: str | None  # the first fixed version above the running one
    target_fixes: bool | None  # None: no target, or not judged
    note: str = ""
    kev: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _label(score: float | None, fallback: str) -> str:
    if score is None:
        return (fallback or "unknown").lower()
    return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low" if score > 0 else "none"


def _score(severities: list, where: str) -> float | None:
    from cvss import CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    for s in severities or []:
        kind, vector = str(s.get("type", "")), str(s.get("score", ""))
        try:
            if kind == "CVSS_V3" or vector.startswith("CVSS:3"):
                return float(CVSS3(vector).scores()[0])
            if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
                return float(CVSS4(vector).base_score)
        except (CVSSError, ValueError, KeyError) as exc:
            raise DataError(f"{where}: severity score(={vector[:60]}): not a CVSS vector ({exc})") from None
    return None


def _read_json(path: Path):
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None


def _advisory(doc, where: str) -> Advisory:
    if not isinstance(doc, dict):
        raise DataError(f"{where}: an OSV advisory must be a JSON object")
    ident = doc.get("id")
    if not isinstance(ident, str) or not ident:
        raise DataError(f"{where}: id: required (an OSV advisory id)")
    affected = []
    for i, a in enumerate(doc.get("affected") or []):
        pkg = a.get("package") if isinstance(a, dict) else None
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            raise DataError(f"{where}: {ident}: affected[{i}].package.name: required")
        ranges = []
        for j, r in enumerate(a.get("ranges") or []):
            events = r.get("events") if isinstance(r, dict) else None
            if not isinstance(events, list) or not events:
                raise DataError(f"{where}: {ident}: affected[{i}].ranges[{j}].events: required, a list")
            pairs = []
            for e in events:
                if not isinstance(e, dict) or len(e) != 1:
                    raise DataError(f"{where}: {ident}: affected[{i}].ranges[{j}]: each event is one of introduced, "
                                    "fixed, last_affected, limit")
                (kind, value), = e.items()
                if kind not in ("introduced", "fixed", "last_affected", "limit") or not isinstance(value, str):
                    raise DataError(f"{where}: {ident}: affected[{i}].ranges[{j}]: event {kind!r} is not one of "
                                    "introduced, fixed, last_affected, limit (with a version string)")
                pairs.append((kind, value))
            ranges.append((str(r.get("type", "ECOSYSTEM")).upper(), tuple(pairs)))
        ecosystem = str(pkg.get("ecosystem", "")).split(":")[0].lower()
        name = pkg["name"]
        if pkg.get("purl"):
            ecosystem, name = _purl(pkg["purl"], f"{where}: {ident}")[:2]
        affected.append(Affected(ecosystem, name.lower(), tuple(ranges), tuple(str(v) for v in a.get("versions") or ())))
    if not affected:
        raise DataError(f"{where}: {ident}: affected: required (no package named)")
    score = _score(doc.get("severity") or [x for a in doc.get("affected") or [] if isinstance(a, dict)
                                            for x in a.get("severity") or []], f"{where}: {ident}")
    fallback = str((doc.get("database_specific") or {}).get("severity", ""))
    return Advisory(ident, tuple(doc.get("aliases") or ()), str(doc.get("summary", ""))[:200], score,
                    _label(score, fallback), tuple(affected), where)


def _purl(text: str, where: str) -> tuple[str, str, str | None]:
    from packageurl import PackageURL

    try:
        p = PackageURL.from_string(text)
    except ValueError as exc:
        raise DataError(f"{where}: purl(={text[:80]}): not a package URL ({exc})") from None
    name = f"{p.namespace}:{p.name}" if p.type == "maven" and p.namespace else (
        f"{p.namespace}/{p.name}" if p.namespace and p.type in ("npm", "golang", "composer") else p.name)
    return PURL_TYPES.get(p.type, p.type), name.lower(), p.version


def load_osv(folder: str | Path) -> list[Advisory]:
    """Every ``*.json`` below ``folder``: an advisory, or a list of them (as OSV exports give)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of OSV JSON files")
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise DataError(f"{folder}: no *.json files: no advisories read (an empty feed is not 'no advisories')")
    out = []
    for path in files:
        doc = _read_json(path)
        for i, item in enumerate(doc if isinstance(doc, list) else [doc]):
            out.append(_advisory(item, f"{path}" + (f"[{i}]" if isinstance(doc, list) else "")))
    return out


def load_kev(path: str | Path) -> dict[str, dict]:
    """CISA KEV: cve id -> its record, from the catalogue's CSV or JSON."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8-sig", errors="strict") if path.stat().st_size <= MAX_FILE_BYTES else None
    if text is None:
        raise DataError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB")
    if text.lstrip().startswith(("{", "[")):
        doc = _read_json(path)
        rows = doc.get("vulnerabilities") if isinstance(doc, dict) else doc
        if not isinstance(rows, list):
            raise DataError(f"{path}: not the KEV catalogue (no vulnerabilities list)")
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and "cveID" not in rows[0]:
            raise DataError(f"{path}:1: missing column cveID (the KEV catalogue's CSV has it)")
    out = {}
    for i, row in enumerate(rows):
        cve = row.get("cveID") if isinstance(row, dict) else None
        if not isinstance(cve, str) or not cve.strip():
            raise DataError(f"{path}: entry {i + 1}: cveID: required")
        out[cve.strip().upper()] = {k: row.get(k) for k in ("dateAdded", "dueDate", "knownRansomwareCampaignUse")
                                    if row.get(k)}
    if not out:
        raise DataError(f"{path}: no entries: the catalogue is empty")
    return out


def _version_class(ecosystem: str):
    from univers import versions

    name = ECOSYSTEMS.get(ecosystem)
    return getattr(versions, name) if name else None


def _parse(ecosystem: str, text: str):
    """A comparable version, and a note when the ecosystem's own rules were not used."""
    cls = _version_class(ecosystem)
    if cls is not None:
        try:
            return cls(text), ""
        except Exception:  # noqa: BLE001 - univers raises several types for a bad string
            pass
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text), (f"versions compared with PEP 440 rules ({ecosystem or 'no ecosystem'} not known)"
                               if cls is None else f"{text!r} is no {ecosystem} version; PEP 440 rules used")
    except InvalidVersion:
        from univers.versions import GenericVersion

        return GenericVersion(text), f"{text!r}: generic dotted comparison (no rule parses it)"


def _in_range(ecosystem: str, events: tuple, cur) -> bool:
    """The OSV rule: events in version order; introduced opens, fixed closes (the version itself
    is fixed), last_affected closes after itself; ``limit`` only matters for git."""
    keyed = []
    for kind, v in events:
        if kind == "limit":
            continue
        keyed.append(((0,) if kind == "introduced" and v == "0" else (1, _parse(ecosystem, v)[0]), kind))
    keyed.sort(key=lambda x: x[0])
    state = False
    for key, kind in keyed:
        if key != (0,) and cur < key[1]:
            break
        if kind == "introduced":
            state = True
        elif kind == "fixed" or kind == "last_affected" and cur > key[1]:
            state = False
    return state


def _affected(a: Affected, version: str) -> tuple[bool | None, str | None, str]:
    """(affected?, the first fixed version above ``version``, note); None: cannot be judged."""
    cur, note = _parse(a.ecosystem, version)
    fixes = []
    try:
        hit = version in a.versions
        for kind, events in a.ranges:
            if kind == "GIT":
                continue
            hit = hit or _in_range(a.ecosystem, events, cur)
            for k, v in events:
                if k == "fixed":
                    bound = _parse(a.ecosystem, v)[0]
                    if cur < bound:
                        fixes.append((bound, v))
    except TypeError:
        return None, None, f"{version!r} cannot be compared with the advisory's versions"
    if not hit and a.ranges and all(kind == "GIT" for kind, _ in a.ranges) and not a.versions:
        return None, None, "only GIT ranges: the version cannot be judged from them"
    fixes.sort(key=lambda f: f[0])
    return hit, (fixes[0][1] if fixes else None), note


def match_advisories(plan, advisories: list[Advisory], kev: dict | None = None) -> list[AdvisoryFinding]:
    """Findings for every (component, advisory) whose package matches the component."""
    kev = kev or {}
    out = []
    for comp in plan.components:
        purl = getattr(comp, "purl", None)
        eco, name = (_purl(purl, f"components.{comp.name}.purl")[:2] if purl else (None, comp.product.lower()))
        for adv in advisories:
            for a in adv.affected:
                if a.name != name or (eco is not None and a.ecosystem not in (eco, "")):
                    continue
                hit, fixed, note = _affected(a, comp.version)
                if hit is False:
                    continue
                target = None
                if comp.target_version and hit:
                    t_hit, _, t_note = _affected(a, comp.target_version)
                    target = None if t_hit is None else not t_hit
                    note = note or t_note
                ids = {adv.id.upper(), *(x.upper() for x in adv.aliases)}
                known = sorted(ids & set(kev))
                out.append(AdvisoryFinding(comp.name, comp.version, comp.target_version, adv.id, list(adv.aliases),
                                           adv.summary, adv.score, adv.label, bool(known), hit is not False, fixed,
                                           target, note or ("" if hit is not None else "not judged"),
                                           kev[known[0]] if known else {}))
                break
    return out
