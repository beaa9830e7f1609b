"""Archives: a change's reports, execution log and configuration snapshots, with a sha256
manifest and a retention policy that can be checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

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
    folder = Path(out) / change_id
    if folder.exists():
        raise DataError(f"{folder}: an archive of {change_id} exists already; archives are not overwritten")
    audit = store.audit_records(change_id)
    folder.mkdir(parents=True)
    (folder / "audit.jsonl").write_text("".join(json.dumps(r, default=str, sort_keys=True) + "\n"
                                                for r in audit.to_dict(orient="records")))
    snaps = store.snapshots()
    (folder / "snapshots").mkdir()
    for s in snaps.itertuples():
        entries = store.snapshot_entries(s.snapshot_id)  # secrets are fingerprints already
        (folder / "snapshots" / f"{s.env}-{s.tag}.json").write_text(json.dumps(
            {"env": s.env, "tag": s.tag, "taken_at": str(s.taken_at), "entries": entries.to_dict(orient="records")},
            indent=1, default=str))
    history = store.history()
    (folder / "history.json").write_text(history[history["change_id"] == change_id].to_json(orient="records",
                                                                                        date_format="iso"))
    copied = 0
    if reports and Path(reports).is_dir():
        for manifest in Path(reports).glob("*/manifest.json"):
            meta = json.loads(manifest.read_text())
            if meta.get("change_id") == change_id:
                shutil.copytree(manifest.parent, folder / "reports" / manifest.parent.name)
                copied += 1
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    manifest = {"change_id": change_id, "created": today.isoformat(),
                "retain_until": (today + dt.timedelta(days=retention_days)).isoformat(),
                "audit_records": len(audit), "reports": copied,
                "files": {p.relative_to(folder).as_posix(): _sha(p) for p in files}}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return Archive(folder, len(files), path)


def verify_archive(folder: str | Path) -> list[str]:
    """Problems with an archive: files changed, missing or added since its manifest."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{folder}: no readable manifest.json ({exc})") from None
    problems = []
    listed = manifest["files"]
    for name, digest in listed.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif _sha(path) != digest:
            problems.append(f"{name}: changed (sha256 differs)")
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "manifest.json" and path.relative_to(folder).as_posix() not in listed:
            problems.append(f"{path.relative_to(folder).as_posix()}: not in the manifest")
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
