"""Stale pins: the references in pipeline, image and build definitions to the products a plan
upgrades, judged against each product's target version (file, line, found, required, and the line
with the target written in)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .products import (
    CODENAMES,
    family_of,
    image_matches,
    image_parts,
    java_hint,
    leading_version,
    satisfies,
    suggest,
)
from .references import Reference, scan_folder

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

    from ..plan import Plan

__all__ = ["Target", "targets_of", "judge_references", "Pipelines", "scan", "FINDING_COLUMNS"]

FINDING_COLUMNS = ["file", "line", "component", "kind", "found", "required", "suggestion", "status"]


@dataclass(frozen=True)
class Target:
    components: tuple[str, ...]
    product: str
    family: str | None
    version: str  # the target version
    package: tuple[str, str] | None = None  # (ecosystem, name) from the component's purl


def targets_of(plan: Plan) -> list[Target]:
    """One target per upgraded product (components with a ``target_version``)."""
    from packageurl import PackageURL

    grouped: dict[tuple, list] = {}
    for comp in plan.components:
        if not comp.target_version:
            continue
        fam = family_of(comp.lifecycle or comp.product) or family_of(comp.product)
        package = None
        if comp.purl:
            try:
                purl = PackageURL.from_string(comp.purl)
                package = (purl.type, f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name)
            except ValueError:
                package = None
        key = (fam.name if fam else None, comp.product if fam is None else "", comp.target_version, package)
        grouped.setdefault(key, []).append(comp)
    return [Target(tuple(c.name for c in comps), comps[0].product, key[0], key[2], key[3])
            for key, comps in grouped.items()]


def _image_target(repo: str, targets: list[Target]) -> Target | None:
    from .products import FAMILIES

    for t in targets:
        fam = next((f for f in FAMILIES if f.name == t.family), None)
        if fam and any(image_matches(repo, alias) for alias in fam.images):
            return t
    last = repo.rsplit("/", 1)[-1]
    return next((t for t in targets if last in t.components or last == t.product.lower()), None)


def _row(ref: Reference, target: Target, found: str, status: str) -> dict:
    suggested = suggest(found, target.version, ref.ecosystem) if status == "stale" else ""
    line = ""
    if suggested and found and found in ref.text:  # an image's tag ends its name: its last occurrence
        at = ref.text.rfind(found) if ref.kind == "image" else ref.text.find(found)
        line = ref.text[:at] + suggested + ref.text[at + len(found):]
    return {"file": ref.file, "line": ref.line, "component": ", ".join(target.components), "kind": ref.kind,
            "found": found or "(none)", "required": target.version,
            "suggestion": line or (f"pin {target.version}" if status != "ok" else ""), "status": status}


def _codename(ref: Reference, target: Target, word: str, version: str) -> dict:
    ok = satisfies(version, target.version)
    newer = next((w for w, v in CODENAMES[target.family].items() if satisfies(v, target.version)), target.version)
    row = _row(ref, target, f"{word} ({version})", "ok" if ok else "stale")
    return row | ({"suggestion": ref.text.replace(word, newer, 1)} if not ok else {})


def _judge(ref: Reference, target: Target, found: str, ecosystem: str | None = None) -> dict:
    ok = satisfies(found, target.version, ecosystem) if found else None
    return _row(ref, target, found, "ok" if ok else "stale" if ok is False else "unknown")


def judge_references(refs: list[Reference], targets: list[Target]) -> list[dict]:
    """A row per reference to an upgraded product: status ok, stale (does not admit the target) or
    unknown (no version given, ``latest``, an unresolved build argument)."""
    by_family = {t.family: t for t in targets if t.family}
    rows = []
    for ref in refs:
        if ref.kind == "image":
            repo, tag = image_parts(ref.name)
            target = _image_target(repo, targets)
            if target is not None:
                version = tag or ""
                codename = CODENAMES.get(target.family or "", {}).get(version.split("-")[0])
                if "$" in version:  # a build argument without a default, a CI variable defined elsewhere
                    docker = re.search(r"(^|/)(dockerfile|containerfile)|\.dockerfile$", ref.file.lower())
                    fill = "give the build argument a default" if docker else "define the variable in the file"
                    rows.append(_row(ref, target, version, "unknown") | {"suggestion": f"{fill}, or pin {target.version}"})
                elif codename:
                    rows.append(_codename(ref, target, version.split("-")[0], codename))
                else:
                    rows.append(_judge(ref, target, leading_version(version) or version))
            for family, names in CODENAMES.items():  # eclipse-temurin:11-jre-focal runs on Ubuntu 20.04
                word = next((w for w in (tag or "").split("-")[1:] if w in names), None)
                if word and family in by_family and by_family[family] is not target:
                    rows.append(_codename(ref, by_family[family], word, names[word]))
            hint = java_hint(tag or "")
            if hint and "java" in by_family and (target is None or target.family != "java"):
                rows.append(_judge(ref, by_family["java"], hint))
            continue
        if ref.ecosystem in ("maven", "npm", "pypi") and ref.kind == "dependency":
            target = next((t for t in targets if t.package and t.package[0] == ref.ecosystem
                           and t.package[1].lower() == ref.name.lower()), None)
            if target is not None:
                rows.append(_judge(ref, target, ref.found, ref.ecosystem))
            continue
        named = family_of(ref.name)
        fam = ref.family or (named.name if named else None)
        if fam in by_family:
            rows.append(_judge(ref, by_family[fam], ref.found, ref.ecosystem))
    return rows


@dataclass(frozen=True)
class Pipelines:
    """References found, the stale ones (exit 2), the unknown ones, the files skipped."""

    references: pd.DataFrame  # FINDING_COLUMNS, every reference to an upgraded product
    skipped: dict[str, str]
    scanned: list[str]
    plan: str
    scan_id: str | None = None
    targets: list[dict] = field(default_factory=list)

    @property
    def stale(self) -> pd.DataFrame:
        return self.references[self.references["status"] == "stale"].reset_index(drop=True)

    @property
    def unknown(self) -> pd.DataFrame:
        return self.references[self.references["status"] == "unknown"].reset_index(drop=True)

    @property
    def exit_code(self) -> int:
        return 2 if len(self.stale) else 3 if len(self.unknown) else 0

    def to_frame(self) -> pd.DataFrame:
        return self.references

    def to_dict(self) -> dict:
        from ..documents import json_records

        return {"plan": self.plan, "scan_id": self.scan_id, "scanned": self.scanned, "targets": self.targets,
                "counts": {s: int((self.references["status"] == s).sum()) for s in ("stale", "unknown", "ok")},
                "references": json_records(self.references), "skipped": self.skipped}


def scan(plan: Plan | str | os.PathLike, folders, *, db: str | os.PathLike | None = None) -> Pipelines:
    """Scan ``folders`` (or files) for references to the plan's upgraded products; with ``db``, the
    stale and unknown ones are stored for the CAB pack."""
    import pandas as pd

    from ..errors import DataError
    from ..plan import Plan, load_plan, plan_hash

    plan = plan if isinstance(plan, Plan) else load_plan(Path(plan))
    targets = targets_of(plan)
    refs, skipped, scanned = [], {}, []
    for folder in folders:
        folder = Path(folder)
        if not folder.exists():
            raise DataError(f"{folder}: no such folder or file")
        found, why = scan_folder(folder, folder.name or str(folder))
        refs += found
        skipped |= why
        scanned.append(str(folder))
    rows = judge_references(refs, targets)
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS).sort_values(["file", "line", "component"], kind="stable")
    frame = frame.drop_duplicates().reset_index(drop=True)
    scan_id = None
    if db is not None:
        from ..store import Store

        with Store(Path(db)) as store:
            scan_id = store.write_pipeline_findings(plan.name, plan_hash(plan), frame[frame["status"] != "ok"])
    return Pipelines(frame, skipped, scanned, plan.name, scan_id,
                     [{"components": list(t.components), "product": t.product, "target": t.version} for t in targets])
