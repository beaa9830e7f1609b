"""Configuration in git (issue 18): snapshots committed and tagged in real repositories, restored
byte for byte except secret values, and nothing stored when git refuses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.control.keys import store_key
from upgradesim.control.redact import PLACEHOLDER, placeholder, redact
from upgradesim.control.snapshot import read_config_files
from upgradesim.errors import DataError

KEY = b"k" * 32
SECRETS = ("S3cretPassw0rd", "hunter2x", "abcDEF123456789xyz", "qu0ted pass", "raw-token-value", "iniSecret1",
           "tomlSecret1", 'p@ss\\"word99')


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def _configs(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.yaml").write_text('db:\n  url: "postgres://app:S3cretPassw0rd@db:5432/app"\n  password: hunter2x\n'
                                   "  pool: 20\napi_key: 'abcDEF123456789xyz'\nnote: plain # a comment\n")
    (root / "app.json").write_bytes(b'{\r\n  "password": "p@ss\\"word99",\r\n  "port": 8080,\r\n  "pin": 1234\r\n}\r\n')
    (root / ".env").write_text('DB_PASSWORD="qu0ted pass"\nexport API_TOKEN=raw-token-value\nLOG_LEVEL=info\n')
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "server.properties").write_text("db.password = iniSecret1\\\n  more\nserver.port=80\n")
    (root / "db.ini").write_text("[db]\npassword = iniSecret1\nhost = x\n")
    (root / "rt.toml").write_text('[db]\npassword = "tomlSecret1"\nport = 5\n')
    (root / "plain.yaml").write_bytes(b"\xef\xbb\xbfa: 1\r\nb: [x, y]\r\n")
    return root


def test_each_format_keeps_everything_but_the_secret_values(tmp_path):
    found = read_config_files(_configs(tmp_path / "c"), KEY)
    assert found.not_kept == {}
    assert found.contents["plain.yaml"] == (tmp_path / "c" / "plain.yaml").read_bytes()  # no secret: the bytes
    fp = {(e.file, e.key): e.value for e in found.entries if e.secret}
    assert set(fp) == {("app.yaml", "db.url"), ("app.yaml", "db.password"), ("app.yaml", "api_key"),
                       ("app.json", "password"), ("app.json", "pin"), (".env", "DB_PASSWORD"), (".env", "API_TOKEN"),
                       ("sub/server.properties", "db.password"), ("db.ini", "db.password"), ("rt.toml", "db.password")}
    text = {f: c.decode("utf-8") for f, c in found.contents.items()}
    assert text["app.yaml"] == (f'db:\n  url: "{placeholder(fp["app.yaml", "db.url"])}"\n  password: '
                                f'{placeholder(fp["app.yaml", "db.password"])}\n  pool: 20\napi_key: '
                                f"'{placeholder(fp['app.yaml', 'api_key'])}'\nnote: plain # a comment\n")
    assert text["app.json"] == (f'{{\r\n  "password": "{placeholder(fp["app.json", "password"])}",\r\n  "port": 8080,\r\n'
                                f'  "pin": "{placeholder(fp["app.json", "pin"])}"\r\n}}\r\n')  # a number becomes a string
    assert text[".env"] == (f'DB_PASSWORD="{placeholder(fp[".env", "DB_PASSWORD"])}"\nexport API_TOKEN='
                            f'{placeholder(fp[".env", "API_TOKEN"])}\nLOG_LEVEL=info\n')
    assert text["sub/server.properties"] == (f"db.password = {placeholder(fp['sub/server.properties', 'db.password'])}\n"
                                             "server.port=80\n")  # the continuation line went with the value
    assert text["db.ini"] == f"[db]\npassword = {placeholder(fp['db.ini', 'db.password'])}\nhost = x\n"
    assert text["rt.toml"] == f'[db]\npassword = "{placeholder(fp["rt.toml", "db.password"])}"\nport = 5\n'
    for secret in SECRETS:
        assert not any(secret.encode() in c for c in found.contents.values()), secret


def test_a_checkouts_version_control_folders_and_links_are_not_configuration(tmp_path):
    root = tmp_path / "c"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "hooks.yaml").write_text("a: 1\n")
    (root / "sub" / ".svn").mkdir(parents=True)
    (root / "sub" / ".svn" / "x.json").write_text("{}")
    (root / "app.yaml").write_text("b: 2\n")
    (root / "link.yaml").symlink_to(root / "app.yaml")
    found = read_config_files(root, KEY)
    assert sorted(found.hashes) == ["app.yaml"] and [(e.file, e.key) for e in found.entries] == [("app.yaml", "b")]


def test_a_secret_that_cannot_be_replaced_in_place_is_not_kept(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    (root / "multi.toml").write_text('dsn = """postgres://u:VerySecret99@h/db\nsecond line"""\nport = 5\n')
    found = read_config_files(root, KEY)
    assert found.contents == {"multi.toml": None}
    assert found.not_kept == {"multi.toml": "the text with placeholders does not parse"}


def test_redact_checks_its_own_output():
    def reparse(text):  # a parser that sees a new key appear
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    kept, why = redact("password=abc\\\nxyz=1\n", "env", {"password": "fp:" + "0" * 32}, {"password": "abc\\"},
                       reparse)
    assert kept is not None and PLACEHOLDER.search(kept)
    assert redact("a=1\n", "env", {}, {}, reparse) == ("a=1\n", "")


def test_snapshot_in_git_and_restore_from_store_and_tag(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    snap = api.snapshot(src, env="prod", tag="pre", db=db, git=repo, change="CHG-7")
    assert snap.commit == _git(repo, "rev-parse", "HEAD").strip()
    assert _git(repo, "tag", "-l") == "upgradesim/prod/pre\n"
    message = _git(repo, "cat-file", "-p", "upgradesim/prod/pre")
    assert "change: CHG-7\nenv: prod\ntag: pre\n" in message and f"snapshot: {snap.snapshot_id}" in message
    assert sorted(_git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()) == sorted(
        f"prod/{f}" for f in (".env", "app.json", "app.yaml", "db.ini", "plain.yaml", "rt.toml", "sub/server.properties"))
    every_object = _git(repo, "log", "-p", "--all")
    assert not any(s in every_object for s in SECRETS)
    from_store = api.restore(db, env="prod", tag="pre", to=tmp_path / "r1")
    from_git = api.restore(db, env="prod", tag="pre", to=tmp_path / "r2", git=repo)
    assert from_store.written == from_git.written == sorted(from_store.written) and len(from_store.written) == 7
    assert from_git.source == str(repo) and from_store.source == "store" and from_store.exit_code == 0
    found = read_config_files(src, store_key(db))
    for file, content in found.contents.items():
        assert (tmp_path / "r1" / file).read_bytes() == content == (tmp_path / "r2" / file).read_bytes()
    assert (tmp_path / "r1" / "plain.yaml").read_bytes() == (src / "plain.yaml").read_bytes()
    holders = from_store.placeholders
    assert len(holders) == 10 and set(holders["file"]) == {".env", "app.yaml", "app.json", "sub/server.properties",
                                                           "db.ini", "rt.toml"}
    for r in holders.itertuples():  # every placeholder listed is in its restored file
        assert r.placeholder in (tmp_path / "r1" / r.file).read_text()


def test_a_second_snapshot_replaces_the_env_folder_and_the_log_lists_both(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    api.snapshot(src, env="prod", tag="t1", db=db, git=repo)
    (src / "db.ini").unlink()
    (src / "plain.yaml").write_text("a: 2\n")
    api.snapshot(src, env="prod", tag="t2", db=db, git=repo)
    api.snapshot(src, env="staging", tag="t1", db=db)  # store only
    assert "prod/db.ini" not in _git(repo, "ls-tree", "-r", "--name-only", "upgradesim/prod/t2")
    assert "prod/db.ini" in _git(repo, "ls-tree", "-r", "--name-only", "upgradesim/prod/t1")
    old = api.restore(db, env="prod", tag="t1", to=tmp_path / "old", git=repo)
    assert "db.ini" in old.written and (tmp_path / "old" / "plain.yaml").read_bytes() == b"\xef\xbb\xbfa: 1\r\nb: [x, y]\r\n"
    log = api.config_log(db, git=repo)
    assert log[["env", "tag", "in_store", "in_git"]].values.tolist() == [
        ["prod", "t1", True, True], ["prod", "t2", True, True], ["staging", "t1", True, False]]
    assert list(api.config_log(git=repo, env="prod")["tag"]) == ["t1", "t2"]


def _snapshots(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM config_snapshots").fetchone()[0]
    finally:
        con.close()


def test_git_refusals_store_nothing(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    with pytest.raises(DataError, match=r"--git\(=.*nope\): no such folder"):
        api.snapshot(src, env="prod", tag="a", db=db, git=tmp_path / "nope")
    (tmp_path / "plain").mkdir()
    with pytest.raises(DataError, match="not a git repository"):
        api.snapshot(src, env="prod", tag="a", db=db, git=tmp_path / "plain")
    (repo / "inner").mkdir()
    with pytest.raises(DataError, match="a folder inside the repository"):
        api.snapshot(src, env="prod", tag="a", db=db, git=repo / "inner")
    api.snapshot(src, env="prod", tag="a", db=db, git=repo)
    with pytest.raises(DataError, match=r"--tag\(=a\): the repository .* already has tag upgradesim/prod/a"):
        api.snapshot(src, env="prod", tag="a", db=db, git=repo)
    api.snapshot(src, env="prod", tag="s", db=db)  # in the store only: the store refuses, git gets nothing
    with pytest.raises(DataError, match=r"--tag\(=s\): env prod already has a snapshot"):
        api.snapshot(src, env="prod", tag="s", db=db, git=repo)
    assert _git(repo, "tag", "-l") == "upgradesim/prod/a\n" and _git(repo, "status", "--porcelain") == ""
    _git(repo, "tag", "-a", "upgradesim/prod/b", "-m", "made by hand")
    with pytest.raises(DataError, match=r"--tag\(=b\): the repository .* already has tag upgradesim/prod/b"):
        api.snapshot(src, env="prod", tag="b", db=db, git=repo)
    (repo / "prod" / "app.yaml").write_text("edited: by hand\n")  # git refuses late: the store rolls back
    with pytest.raises(DataError, match="prod/ has uncommitted changes"):
        api.snapshot(src, env="prod", tag="c", db=db, git=repo)
    assert _snapshots(db) == 2


def _repo_state(repo: Path) -> tuple:
    """Everything a failed snapshot must leave as it was: refs, index, working tree."""
    return (_git(repo, "for-each-ref", "--format=%(refname) %(objectname)"), _git(repo, "status", "--porcelain", "-uall"),
            _git(repo, "ls-files", "-s"), sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")
                                                  if ".git" not in p.relative_to(repo).parts))


def test_git_refusing_late_puts_the_repository_back(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    (repo / "other.txt").write_text("someone's staged work\n")
    _git(repo, "add", "other.txt")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = _repo_state(repo)  # a branch with no commit yet
    with pytest.raises(DataError, match=r"--git\(=.*repo\): git failed: .*policy: no commits today"):
        api.snapshot(src, env="prod", tag="a", db=db, git=repo)
    assert _repo_state(repo) == before and not (repo / "prod").exists() and _snapshots(db) == 0
    hook.unlink()
    api.snapshot(src, env="prod", tag="a", db=db, git=repo)
    (src / "plain.yaml").write_text("a: 2\n")
    (src / "db.ini").unlink()
    (repo / ".git" / "refs" / "tags" / "upgradesim" / "prod" / "b.lock").write_text("")  # another git holds the tag
    before = _repo_state(repo)
    with pytest.raises(DataError, match=r"git failed: .*b\.lock"):
        api.snapshot(src, env="prod", tag="b", db=db, git=repo)
    assert _repo_state(repo) == before and (repo / "prod" / "db.ini").exists()  # commit undone, files as tagged
    assert _git(repo, "log", "--format=%s").splitlines() == ["upgradesim snapshot prod/a"] and _snapshots(db) == 1
    (repo / ".git" / "refs" / "tags" / "upgradesim" / "prod" / "b.lock").unlink()
    with pytest.raises(DataError, match=r"--tag\(=x.lock\): git refuses upgradesim/prod/x.lock as a tag name"):
        api.snapshot(src, env="prod", tag="x.lock", db=db, git=repo)
    assert _repo_state(repo) == before


def test_a_store_failing_after_git_takes_the_git_commit_back(tmp_path, repo, monkeypatch):
    from upgradesim.store import Store

    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    api.snapshot(src, env="staging", tag="a", db=db, git=repo)
    before = _repo_state(repo)
    real = Store.write_snapshot

    def failing(self, *args, before_commit=None, **kw):
        def then_fail(snapshot_id, taken_at):
            before_commit(snapshot_id, taken_at)  # git commits and tags ...
            raise OSError("disk full")  # ... then the store cannot commit

        return real(self, *args, before_commit=then_fail, **kw)

    monkeypatch.setattr(Store, "write_snapshot", failing)
    with pytest.raises(OSError, match="disk full"):
        api.snapshot(src, env="prod", tag="b", db=db, git=repo)
    assert _repo_state(repo) == before and not (repo / "prod").exists() and _snapshots(db) == 1


def test_restore_refusals(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    api.snapshot(src, env="prod", tag="a", db=db)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(DataError, match=r"--to\(=.*full\): not an empty folder"):
        api.restore(db, env="prod", tag="a", to=tmp_path / "full")
    with pytest.raises(DataError, match="has no tag upgradesim/prod/a"):
        api.restore(db, env="prod", tag="a", to=tmp_path / "o", git=repo)
    (src / "bad.toml").write_text('dsn = """postgres://u:VerySecret99@h/db\nx"""\n')
    api.snapshot(src, env="prod", tag="b", db=db)
    done = api.restore(db, env="prod", tag="b", to=tmp_path / "o2")
    assert done.exit_code == 2 and done.not_kept == {"bad.toml": "the text with placeholders does not parse"}
    assert not (tmp_path / "o2" / "bad.toml").exists() and (tmp_path / "o2" / "app.yaml").exists()


def test_cli_snapshot_restore_log(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    runner = CliRunner()
    out = runner.invoke(cli, ["config", "snapshot", str(src), "--env", "prod", "--tag", "pre", "--git", str(repo),
                              "--change", "CHG-9", "--db", str(db)])
    assert out.exit_code == 0 and "tag upgradesim/prod/pre" in out.output
    out = runner.invoke(cli, ["config", "log", "--db", str(db), "--git", str(repo), "--json"])
    assert out.exit_code == 0
    assert [(s["env"], s["tag"], s["change"]) for s in json.loads(out.output)["states"]] == [("prod", "pre", "CHG-9")]
    out = runner.invoke(cli, ["config", "restore", "--env", "prod", "--tag", "pre", "--to", str(tmp_path / "r"),
                              "--db", str(db)])
    assert out.exit_code == 0 and "restored 7 files" in out.output and "fill app.yaml:db.password <- SECRET-FP-" in out.output
    out = runner.invoke(cli, ["config", "restore", "--env", "prod", "--tag", "pre", "--to", str(tmp_path / "r"),
                              "--db", str(db), "--json"])
    assert out.exit_code == 1 and "not an empty folder" in json.loads(out.output)["error"]["messages"][0]
    out = runner.invoke(cli, ["config", "snapshot", str(src), "--env", "prod", "--tag", "x", "--git", str(tmp_path),
                              "--db", str(db)])
    assert out.exit_code == 1 and out.output.count("\n") == 1 and "not a git repository" in out.output


def test_the_sample_configuration_round_trips(tmp_path, repo):
    from upgradesim.sample import write_sample

    folder = tmp_path / "s"
    write_sample(folder, baseline_weeks=1, post_days=1, step_min=60)
    src, db = folder / "config" / "prod", tmp_path / "s.duckdb"
    api.snapshot(src, env="prod", tag="pre", db=db, git=repo, change="CHG-2027-0142")
    done = api.restore(db, env="prod", tag="pre", to=tmp_path / "back", git=repo)
    assert sorted(done.written) == [".env", "app.yaml", "db.ini", "features.json", "runtime.toml", "server.properties"]
    changed = []
    for name in done.written:
        before = (src / name).read_text().splitlines()
        after = (tmp_path / "back" / name).read_text().splitlines()
        assert len(before) == len(after)
        changed += [(name, b.split("=")[0].split(":")[0].strip()) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [(".env", "BROKER_URL"), ("app.yaml", "api_token"), ("server.properties", "db.password")]
    assert sorted(done.placeholders["key"]) == ["BROKER_URL", "db.password", "payments.api_token"]


def test_restore_from_a_tag_without_the_store_lists_the_placeholders_by_line(tmp_path, repo):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    api.snapshot(src, env="prod", tag="pre", db=db, git=repo)
    with_store = api.restore(db, env="prod", tag="pre", to=tmp_path / "a", git=repo).placeholders
    done = api.restore(tmp_path / "elsewhere.duckdb", env="prod", tag="pre", to=tmp_path / "b", git=repo)
    assert not (tmp_path / "elsewhere.duckdb").exists() and done.source == str(repo)
    lines = {(r.file, r.placeholder): r.key for r in done.placeholders.itertuples()}
    assert len(lines) == len(with_store) == 10
    for r in with_store.itertuples():  # the same placeholders, each at its line of the restored file
        line = int(lines[(r.file, r.placeholder)].removeprefix("line "))
        assert r.placeholder in (tmp_path / "b" / r.file).read_text().splitlines()[line - 1]
    password = with_store[(with_store["file"] == "app.yaml") & (with_store["key"] == "db.password")]["placeholder"]
    assert lines[("app.yaml", password.item())] == "line 3"


def test_a_restore_that_fails_half_way_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    src, db = _configs(tmp_path / "c"), tmp_path / "s.duckdb"
    api.snapshot(src, env="prod", tag="pre", db=db)
    real = Path.write_bytes

    def disk_full(self, data):
        if self.name == "plain.yaml":  # written after app.*, db.ini, .env and sub/: they must go again
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OSError, match="No space left"):
        api.restore(db, env="prod", tag="pre", to=tmp_path / "new" / "r")
    assert not (tmp_path / "new").exists()  # the folders it made are gone too
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="No space left"):
        api.restore(db, env="prod", tag="pre", to=tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []

