"""Configuration snapshots in git: each snapshot's files (secrets as placeholders) committed under
``<env>/`` of a repository the user names, with an annotated tag ``upgradesim/<env>/<tag>``
whose message records the change, environment, tag and snapshot; read back by tag for restore.

Only the ``<env>/`` folder of the working tree is written, and only its paths are committed
(other staged work in the repository is left as it was). Through GitPython.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path, PurePosixPath

from ..errors import DataError

__all__ = ["tag_name", "open_repo", "ensure_free", "head_of", "commit_snapshot", "undo_snapshot", "read_tag", "tagged_states", "safe_relative"]

_PREFIX = "upgradesim"


def tag_name(env: str, tag: str) -> str:
    return f"{_PREFIX}/{env}/{tag}"


def open_repo(path: str | os.PathLike):
    """The repository whose working tree is ``path`` (its top folder, not a folder inside it)."""
    import git

    path = Path(path)
    try:
        repo = git.Repo(path)
    except git.NoSuchPathError:
        raise DataError(f"--git(={path}): no such folder (create a repository with: git init {path})") from None
    except git.InvalidGitRepositoryError:
        try:
            top = git.Repo(path, search_parent_directories=True).working_tree_dir
        except git.InvalidGitRepositoryError:
            raise DataError(f"--git(={path}): not a git repository (create one with: git init {path})") from None
        raise DataError(f"--git(={path}): a folder inside the repository at {top}; name its top folder") from None
    if repo.bare:
        raise DataError(f"--git(={path}): a bare repository has no working tree to write the files in")
    return repo


def ensure_free(repo, env: str, tag: str) -> None:
    """The tag ``upgradesim/<env>/<tag>`` is one git accepts and the repository does not have yet."""
    import git

    name = tag_name(env, tag)
    try:
        repo.git.check_ref_format(f"refs/tags/{name}")
    except git.GitCommandError:
        raise DataError(f"--tag(={tag}): git refuses {name} as a tag name (see git check-ref-format: no '.lock' "
                        "ending, no '.' after a '/')") from None
    if name in {t.name for t in repo.tags}:
        raise DataError(f"--tag(={tag}): the repository {repo.working_tree_dir} already has tag {name}; tags name one "
                        "state")


def head_of(repo) -> str | None:
    """The commit HEAD of ``repo`` (an open repository) names (None on a branch with no commit yet)."""
    return repo.head.commit.hexsha if repo.head.is_valid() else None


def undo_snapshot(repo_path, *, env: str, tag: str, previous: str | None) -> None:
    """Put the repository back as it was before :func:`commit_snapshot`: the tag deleted, the
    branch at ``previous``, ``<env>/`` in the index and working tree as ``previous`` had it."""
    repo = open_repo(repo_path)
    g = repo.git
    name = tag_name(env, tag)
    if name in {t.name for t in repo.tags}:
        g.tag("-d", name)
    if repo.head.is_valid() and repo.head.commit.hexsha != previous:
        if previous is not None:
            g.reset("--soft", previous)
        elif not repo.head.is_detached:
            g.update_ref("-d", repo.head.ref.path)  # the branch had no commit: it has none again
    had = previous is not None and env in [t.name for t in repo.commit(previous).tree.trees]
    if had:
        g.reset("-q", previous, "--", env)
        g.checkout(previous, "--", env)
    else:
        g.rm("-r", "-q", "--cached", "--ignore-unmatch", "--", env)
    g.clean("-f", "-d", "-q", "--", env)  # <env>/ was clean before: what is untracked there was written by us


def safe_relative(file: str) -> PurePosixPath:
    """A stored file name as a relative path that stays inside the folder it is written to."""
    rel = PurePosixPath(file)
    if rel.is_absolute() or not rel.parts or any(p in ("..", "") for p in rel.parts) or "\\" in file:
        raise DataError(f"{file!r}: not a relative path inside the snapshot's folder; refused")
    return rel


def _identity(repo) -> dict[str, str]:
    """Author and committer for a machine without a git identity (the repository's own wins)."""
    import git

    env = {}
    try:
        email = repo.git.config("--get", "user.email")
    except git.GitCommandError:
        email = ""
    if not email and not os.environ.get("GIT_AUTHOR_EMAIL"):
        env = {"GIT_AUTHOR_NAME": "upgradesim", "GIT_AUTHOR_EMAIL": "upgradesim@localhost",
               "GIT_COMMITTER_NAME": "upgradesim", "GIT_COMMITTER_EMAIL": "upgradesim@localhost"}
    return env


def commit_snapshot(repo_path, *, env: str, tag: str, change_id: str, snapshot_id: str, taken_at: dt.datetime,
                    contents: dict[str, bytes | None], not_kept: dict[str, str]) -> str:
    """Write the snapshot's files under ``<env>/``, commit them and tag the commit; returns its sha.
    When git refuses any step, the repository is put back as it was."""
    repo = open_repo(repo_path)
    ensure_free(repo, env, tag)
    root = Path(repo.working_tree_dir) / env
    if root.exists() and repo.is_dirty(untracked_files=True, path=env):
        raise DataError(f"--git(={repo_path}): {env}/ has uncommitted changes; commit or stash them first")
    previous = head_of(repo)
    wanted = {safe_relative(f).as_posix(): data for f, data in contents.items() if data is not None}
    try:
        _write_and_commit(repo, root, env, tag, wanted, change_id=change_id, snapshot_id=snapshot_id,
                          taken_at=taken_at, not_kept=not_kept)
    except BaseException:
        undo_snapshot(repo_path, env=env, tag=tag, previous=previous)  # git refused: the repository as it was
        raise
    return repo.head.commit.hexsha


def _write_and_commit(repo, root: Path, env: str, tag: str, wanted: dict[str, bytes], *, change_id: str,
                      snapshot_id: str, taken_at: dt.datetime, not_kept: dict[str, str]) -> None:
    import git

    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for rel, data in wanted.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    lines = [f"change: {change_id or '-'}", f"env: {env}", f"tag: {tag}", f"snapshot: {snapshot_id}",
             f"taken_at: {taken_at.isoformat()}", f"files: {len(wanted)}"]
    lines += [f"not kept: {f} ({why})" for f, why in sorted(not_kept.items())]
    message = "\n".join(lines) + "\n"
    try:
        with repo.git.custom_environment(**_identity(repo)):
            repo.git.add("-A", "--", env)
            repo.git.commit("--allow-empty", "-m", f"upgradesim snapshot {env}/{tag}", "-m", message, "--", env)
            repo.create_tag(tag_name(env, tag), message=message)
    except git.GitCommandError as exc:
        detail = [line.strip(" '") for line in (exc.stderr or str(exc)).strip().splitlines() if line.strip(" '")]
        said = next((line for line in detail if "fatal:" in line or "error:" in line), detail[-1] if detail else "")
        raise DataError(f"--git(={repo.working_tree_dir}): git failed: {said or exc.status}") from None


def read_tag(repo_path, env: str, tag: str) -> dict[str, bytes]:
    """{file: bytes} of the snapshot tagged ``upgradesim/<env>/<tag>``."""
    repo = open_repo(repo_path)
    name = tag_name(env, tag)
    found = next((t for t in repo.tags if t.name == name), None)
    if found is None:
        raise DataError(f"--tag(={tag}): the repository {repo_path} has no tag {name} (list them with: upgradesim "
                        "config log --git ...)")
    try:
        tree = found.commit.tree / env
    except KeyError:
        return {}
    return {blob.path.removeprefix(env + "/"): blob.data_stream.read() for blob in tree.traverse()
            if blob.type == "blob"}


def tagged_states(repo_path, env: str | None = None) -> list[dict]:
    """The snapshots tagged in the repository: tag, env, change, snapshot, taken_at, commit."""
    repo = open_repo(repo_path)
    rows = []
    for t in repo.tags:
        parts = t.name.split("/")
        if len(parts) != 3 or parts[0] != _PREFIX or (env and parts[1] != env):
            continue
        fields = {}
        message = t.tag.message if t.tag is not None else ""
        for line in message.splitlines():
            key, _, value = line.partition(": ")
            fields.setdefault(key, value)
        rows.append({"env": parts[1], "tag": parts[2], "change": fields.get("change", ""),
                     "snapshot": fields.get("snapshot", ""), "taken_at": fields.get("taken_at", ""),
                     "commit": t.commit.hexsha[:12], "annotated": t.tag is not None})
    return sorted(rows, key=lambda r: (r["taken_at"], r["env"], r["tag"]))
