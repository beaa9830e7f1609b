"""Archives: a change's reports, execution log and configuration snapshots, with a sha256
manifest and a retention policy that can be checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..paths import safe_name

__all__ = ["archive_change", "verify_archive", "retention_check", "Archive"]


@dataclass(frozen=True)
class Archive:
    folder: Path
    files: int
    manifest: Path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archive_change(change_id: str, out: str | Path, store, *, reports: str | Path | None = None,
                   retention_days: int = 2555, today: dt.date | None = None) -> Archive:
    """Collect what belongs to ``change_id`` into ``out/<change_id>/`` and write its manifest."""
    today = today or dt.date.today()
    safe_name(change_id, "--change")
    final = Path(out) / change_id
    if final.exists() or final.is_symlink():
        raise DataError(f"{final}: an archive of {change_id} exists already; archives are not overwritten")
    Path(out).mkdir(parents=True, exist_ok=True)
    folder = Path(out) / f".{change_id}.partial-{os.getpid()}"  # renamed into place when complete
    if folder.exists():
        shutil.rmtree(folder)
    try:
        archive = _fill(change_id, folder, store, reports, retention_days, today)
        os.replace(folder, final)
    except BaseException:  # noqa: BLE001 - cleans up the partial folder whatever stopped it, then re-raises
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Archive(final, archive[0], final / "manifest.json")


def _fill(change_id, folder: Path, store, reports, retention_days, today) -> tuple[int]:
    audit = store.audit_records(change_id)
    folder.mkdir(parents=True)
    (folder / "audit.jsonl").write_text("".join(json.dumps(r, default=str, sort_keys=True) + "\n"
                                                for r in audit.to_dict(orient="records")))
    snaps = store.snapshots()
    (folder / "snapshots").mkdir()
    for s in snaps.itertuples():
        entries = store.snapshot_entries(s.snapshot_id)  # secrets are fingerprints already
        name = f"{safe_name(s.env, 'snapshot env')}-{safe_name(s.tag, 'snapshot tag')}.json"
        (folder / "snapshots" / name).write_text(json.dumps(
            {"env": s.env, "tag": s.tag, "taken_at": str(s.taken_at), "entries": entries.to_dict(orient="records")},
            indent=1, default=str))
    history = store.history()
    (folder / "history.json").write_text(history[history["change_id"] == change_id].to_json(orient="records",
                                                                                        date_format="iso"))
    copied = 0
    if reports and Path(reports).is_dir():
        for manifest in Path(reports).glob("*/manifest.json"):
            try:
                meta = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # not a report of ours
            if isinstance(meta, dict) and meta.get("change_id") == change_id and not manifest.parent.is_symlink():
                shutil.copytree(manifest.parent, folder / "reports" / manifest.parent.name, symlinks=True)
                copied += 1
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    manifest = {"change_id": change_id, "created": today.isoformat(),
                "retain_until": (today + dt.timedelta(days=retention_days)).isoformat(),
                "audit_records": len(audit), "reports": copied,
                "files": {p.relative_to(folder).as_posix(): _sha(p) for p in files}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return (len(files),)


def verify_archive(folder: str | Path) -> list[str]:
    """Problems with an archive: files changed, missing or added since its manifest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no archive folder here")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder}: no readable manifest.json ({exc})") from None
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise DataError(f"{folder}/manifest.json: files: must map file names to sha256 digests")
    problems = []
    root = folder.resolve()
    for name, digest in listed.items():
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{name}: a name outside the archive (not checked)")
        elif path.is_symlink():
            problems.append(f"{name}: a link, not a file (not followed)")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif not path.resolve().is_relative_to(root):
            problems.append(f"{name}: resolves outside the archive (not followed)")
        elif _sha(path) != digest:
            problems.append(f"{name}: changed (sha256 differs)")
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for entry in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            rel = (Path(dirpath) / entry).relative_to(folder).as_posix()
            if rel != "manifest.json" and rel not in listed:
                problems.append(f"{rel}: not in the manifest")
    return problems


def retention_check(root: str | Path, today: dt.date) -> list[dict]:
    """Each archive under ``root``: kept (within retention) or due (past retain_until)."""
    rows = []
    for manifest in sorted(Path(root).glob("*/manifest.json")):
        meta = json.loads(manifest.read_text())
        until = dt.date.fromisoformat(meta["retain_until"])
        rows.append({"change_id": meta["change_id"], "retain_until": until,
                     "status": "due for disposal" if until < today else "kept"})
    return rows
