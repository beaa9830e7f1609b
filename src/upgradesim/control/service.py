"""Configuration control as the API offers it: snapshots (in the store, and in git), restore,
the log of tagged states, and drift against a baseline or the declared desired state."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

__all__ = ["Snapshot", "snapshot", "Drift", "drift", "Restore", "restore", "config_log"]

PathLike = str | os.PathLike


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    env: str
    tag: str
    files: int
    keys: int
    secrets: int
    not_kept: dict[str, str] = field(default_factory=dict)  # file -> why its text could not be kept
    commit: str | None = None  # the git commit, with --git

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in self.to_dict().items() if k != "not_kept"}])


def snapshot(folder: PathLike, *, env: str, tag: str, db: PathLike, git: PathLike | None = None,
             change: str = "") -> Snapshot:
    """Read a folder's configuration files into the store (secrets kept as keyed fingerprints, the
    files' text with placeholders for restore); with ``git``, also commit them there under an
    annotated tag ``upgradesim/<env>/<tag>``. Both or neither: a git failure stores nothing."""
    from ..paths import safe_name
    from ..store import Store
    from . import gitrepo
    from .keys import store_key
    from .snapshot import read_config_files

    safe_name(env, "--env")
    safe_name(tag, "--tag")
    previous = None
    if git is not None:
        repo = gitrepo.open_repo(git)
        gitrepo.ensure_free(repo, env, tag)  # before anything is read or written
        previous = gitrepo.head_of(repo)
    found = read_config_files(Path(folder), store_key(Path(db)))
    commits: list[str] = []

    def to_git(snapshot_id: str, taken_at: dt.datetime) -> None:
        if git is not None:
            commits.append(gitrepo.commit_snapshot(git, env=env, tag=tag, change_id=change, snapshot_id=snapshot_id,
                                                   taken_at=taken_at, contents=found.contents,
                                                   not_kept=found.not_kept))

    try:
        with Store(Path(db)) as store:
            snapshot_id = store.write_snapshot(env, tag, str(folder), found.entries, found.hashes,
                                               contents=found.contents, notes=found.not_kept, before_commit=to_git)
    except BaseException:
        if commits:  # committed to git, then the store did not commit: git goes back too
            gitrepo.undo_snapshot(git, env=env, tag=tag, previous=previous)
        raise
    return Snapshot(snapshot_id, env, tag, len(found.hashes), len(found.entries),
                    sum(e.secret for e in found.entries), dict(found.not_kept), commits[0] if commits else None)


@dataclass(frozen=True)
class Restore:
    """Files written back from a snapshot; secrets are placeholders for the operator to fill."""

    env: str
    tag: str
    source: str  # "store" or the git repository
    folder: Path
    written: list[str]
    not_kept: dict[str, str]  # files whose text was never kept: not written
    placeholders: pd.DataFrame  # file, key, placeholder: the values to fill from the vault

    @property
    def exit_code(self) -> int:
        return 2 if self.not_kept else 0

    def to_frame(self) -> pd.DataFrame:
        return self.placeholders

    def to_dict(self) -> dict:
        from ..documents import json_records

        return {"env": self.env, "tag": self.tag, "source": self.source, "folder": str(self.folder),
                "written": self.written, "not_kept": self.not_kept, "placeholders": json_records(self.placeholders)}


def restore(db: PathLike, *, env: str, tag: str, to: PathLike, git: PathLike | None = None) -> Restore:
    """Write the files of snapshot ``env``/``tag`` into the empty (or new) folder ``to``: from the
    store, or from the git tag with ``git``. Byte for byte as they were, except secret values."""
    import pandas as pd

    from ..errors import DataError, StoreError
    from ..store import Store
    from . import gitrepo
    from .redact import placeholder

    to = Path(to)
    if to.exists() and (not to.is_dir() or any(to.iterdir())):
        raise DataError(f"--to(={to}): not an empty folder; restore into a new or empty folder")
    not_kept: dict[str, str] = {}
    stored: dict = {}
    secrets = pd.DataFrame(columns=["file", "key", "value"])
    if Path(db).exists():
        with Store(Path(db), must_exist=True) as store:
            try:
                snap = store.find_snapshot(env=env, tag=tag)
            except StoreError:  # no such snapshot in the store: with --git the tag alone is enough
                if git is None:
                    raise
                snap = None
            if snap is not None:
                entries = store.snapshot_entries(snap.snapshot_id)
                secrets = entries[entries["secret"]][["file", "key", "value"]]
                stored = store.snapshot_files(snap.snapshot_id)
    elif git is None:
        raise DataError(f"{db}: no such store")
    if git is not None:
        files = gitrepo.read_tag(git, env, tag)
        source = str(git)
    else:
        if not stored:
            raise DataError(f"snapshot {env}/{tag} was taken before files were kept (upgradesim < 0.2); restore it "
                            "from git, or take a new snapshot")
        files = {f: data for f, (data, _) in stored.items() if data is not None}
        not_kept = {f: why for f, (data, why) in stored.items() if data is None}
        source = "store"
    paths = {f: to / gitrepo.safe_relative(f) for f in files}  # refused before anything is written
    written = []
    existed = to.exists()
    made = next((p for p in reversed([to, *to.parents]) if not p.exists()), to)  # the first folder we create
    try:
        for file, data in sorted(files.items()):
            paths[file].parent.mkdir(parents=True, exist_ok=True)
            paths[file].write_bytes(data)
            written.append(file)
    except BaseException:  # disk full, no permission: the folder as it was (new, or empty)
        import shutil

        if existed:
            for child in to.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        else:
            shutil.rmtree(made, ignore_errors=True)
        raise
    holders = pd.DataFrame({"file": secrets["file"].astype(str), "key": secrets["key"].astype(str),
                            "placeholder": [placeholder(v) for v in secrets["value"]]})
    holders = holders[holders["file"].isin(written)].reset_index(drop=True)
    if holders.empty:  # from a tag the store does not know: the placeholders by their line
        holders = _placeholders_in({f: files[f] for f in written})
    return Restore(env, tag, source, to, written, not_kept, holders)


def _placeholders_in(files: dict[str, bytes]) -> pd.DataFrame:
    """file, key ("line N": the key is not known without the store), placeholder of each
    placeholder written in ``files``."""
    import re

    import pandas as pd

    from .redact import PLACEHOLDER

    pattern = re.compile(PLACEHOLDER.pattern.encode())
    newline = b"\n"
    rows = [{"file": file, "key": f"line {data.count(newline, 0, m.start()) + 1}", "placeholder": m.group(0).decode()}
            for file, data in sorted(files.items()) for m in pattern.finditer(data)]
    return pd.DataFrame(rows, columns=["file", "key", "placeholder"])


def config_log(db: PathLike | None = None, *, env: str | None = None, git: PathLike | None = None) -> pd.DataFrame:
    """The tagged configuration states: in the store, in git, or both (one row per env and tag)."""
    import pandas as pd

    from ..errors import DataError
    from ..store import Store
    from . import gitrepo

    if db is None and git is None:
        raise DataError("name a store (--db) or a repository (--git)")
    rows: dict[tuple[str, str], dict] = {}
    if db is not None:
        with Store(Path(db), must_exist=True) as store:
            for r in store.snapshots(env).itertuples():
                rows[(r.env, r.tag)] = {"env": r.env, "tag": r.tag, "taken_at": r.taken_at.isoformat(),
                                        "files": int(r.files), "in_store": True, "in_git": False, "change": "",
                                        "commit": ""}
    if git is not None:
        for t in gitrepo.tagged_states(git, env):
            row = rows.setdefault((t["env"], t["tag"]), {"env": t["env"], "tag": t["tag"], "taken_at": t["taken_at"],
                                                         "files": None, "in_store": False})
            row.update(in_git=True, change=t["change"], commit=t["commit"])
    frame = pd.DataFrame(list(rows.values()), columns=["env", "tag", "taken_at", "files", "in_store", "in_git",
                                                       "change", "commit"])
    return frame.sort_values(["taken_at", "env", "tag"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Drift:
    """Differences between an environment's newest snapshot and a baseline, classified."""

    baseline: tuple[str, str]
    current: tuple[str, str]
    as_of: dt.date
    differences: pd.DataFrame
    empty: tuple[str, ...] = ()  # desired-state files that declare no setting compared
    declared: int | None = None  # settings the desired-state files declare (None: a baseline snapshot)

    @property
    def unapproved(self) -> pd.DataFrame:
        return self.differences[self.differences["status"] != "approved"]

    @property
    def exit_code(self) -> int:
        """2 unapproved drift; 3 inconclusive (the desired state declares nothing to compare); 0."""
        return 2 if len(self.unapproved) else 3 if self.declared == 0 else 0

    def to_frame(self) -> pd.DataFrame:
        return self.differences

    def to_dict(self) -> dict:
        from ..documents import json_records

        return {"baseline": dict(zip(("env", "tag"), self.baseline, strict=True)),
                "current": dict(zip(("env", "tag"), self.current, strict=True)), "as_of": self.as_of.isoformat(),
                "declared": self.declared, "declares_nothing": list(self.empty),
                "counts": self.differences["status"].value_counts().to_dict(),
                "differences": json_records(self.differences)}


def drift(db: PathLike, *, env: str, baseline_env: str | None = None, baseline_tag: str | None = None,
          exceptions: PathLike | None = None, as_of: dt.date | None = None,
          desired: list[PathLike] | tuple[PathLike, ...] = ()) -> Drift:
    """Configuration drift of ``env``'s newest snapshot against a baseline snapshot, or against
    the desired state declared in ``desired`` (Terraform JSON, Kubernetes YAML, Ansible vars),
    classified by the exception register."""
    from ..errors import DataError
    from ..store import Store
    from .drift import DRIFT_COLUMNS, classify, diff_entries, load_exceptions
    from .keys import store_key

    register = load_exceptions(Path(exceptions)) if exceptions else None
    day = as_of or dt.date.today()
    if desired and (baseline_env or baseline_tag):
        raise DataError("--desired: compare with the declared state or with a baseline snapshot, not both")
    with Store(Path(db), must_exist=True) as store:
        cur = store.find_snapshot(env=env)
        entries = store.snapshot_entries(cur.snapshot_id)
        if desired:
            from ..artefacts.iac import compare_desired, read_desired

            key = store_key(Path(db), create=False)
            per_file = {str(path): read_desired(Path(path), key) for path in desired}
            declared = [d for found in per_file.values() for d in found]
            empty = tuple(path for path, found in per_file.items() if not found)
            raw = compare_desired(entries, declared)
            diff = classify(raw.drop(columns="declared_by"), env, register, day)
            diff = diff.rename(columns={"baseline": "desired"}).assign(declared_by=raw["declared_by"].to_numpy())
            diff = diff.astype(object).where(diff.notna(), None)
            base = ("desired", ", ".join(Path(p).name for p in desired))
            return Drift(base, (cur.env, cur.tag), day, diff[[c if c != "baseline" else "desired" for c in DRIFT_COLUMNS]
                                                              + ["declared_by"]], empty, len(declared))
        base_row = store.find_snapshot(env=baseline_env, tag=baseline_tag)
        diff = classify(diff_entries(store.snapshot_entries(base_row.snapshot_id), entries), env, register, day)
    return Drift((base_row.env, base_row.tag), (cur.env, cur.tag), day, diff)
