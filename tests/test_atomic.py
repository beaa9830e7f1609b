"""A writing verb killed (SIGKILL) just before its transaction commits leaves the store exactly as
it was: every table's rows are counted before and after."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from upgradesim.cli import cli
from upgradesim.store.schema import TABLES

KILLER = textwrap.dedent("""
    import os, signal, sys
    import upgradesim.store.database as database
    original = database.Store._Tx.__exit__
    seen = [0]

    def exit_then_die(self, kind, value, tb):
        seen[0] += 1
        if kind is None and seen[0] == int(os.environ["KILL_AT"]):
            os.kill(os.getpid(), signal.SIGKILL)  # no commit, no cleanup
        return original(self, kind, value, tb)

    database.Store._Tx.__exit__ = exit_then_die
    from upgradesim.cli import main
    sys.argv = ["upgradesim", *sys.argv[1:]]
    main()
""")


def counts(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("atomic")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(folder / "e"), "--weeks", "1", "--post-days", "1", "--step-min", "60"]).exit_code == 0
    return folder / "e"


VERBS = {
    "ingest": lambda e, db: ["ingest", *sorted(str(p) for p in (e / "telemetry").glob("*.parquet")), "--db", db],
    "history": lambda e, db: ["history", str(e / "history.csv"), "--db", db],
    "audit ingest": lambda e, db: ["audit", "ingest", str(e / "logs" / "executed-CHG-2026-0077.jsonl"), "--db", db],
    "config snapshot": lambda e, db: ["config", "snapshot", str(e / "config" / "prod"), "--env", "prod", "--tag",
                                      "t9", "--db", db],
    "baseline": lambda e, db: ["baseline", "--db", db],
    "compare": lambda e, db: ["compare", str(e / "plan.yaml"), "-n", "5", "--strategies", "big-bang", "--db", db],
    "judge": lambda e, db: ["judge", "--plan", str(e / "plan.yaml"), "--db", db],
}

FAST = {"ingest", "compare"}  # the others under make test-all (a process each)


@pytest.mark.parametrize("verb", [v if v in FAST else pytest.param(v, marks=pytest.mark.slow) for v in sorted(VERBS)])
def test_sigkill_before_commit_leaves_the_store_as_it_was(verb, estate, tmp_path):
    from click.testing import CliRunner

    db = tmp_path / "s.duckdb"
    runner = CliRunner()
    if verb != "ingest":  # a store with telemetry in it already
        files = sorted(str(p) for p in (estate / "telemetry").glob("*.parquet"))
        assert runner.invoke(cli, ["ingest", *files, "--db", str(db)]).exit_code == 0
    else:
        assert runner.invoke(cli, ["audit", "append", "--change", "C", "--step", "s", "--actor", "a", "--role",
                                   "executor", "--action", "x", "--db", str(db)]).exit_code == 0
    before = counts(db)
    # transaction 1 is the schema check on open; the verb's own write is the next one
    proc = subprocess.run([sys.executable, "-c", KILLER, *VERBS[verb](estate, str(db))], capture_output=True,
                          text=True, env={**__import__("os").environ, "KILL_AT": "2"})
    assert proc.returncode == -9, (proc.returncode, proc.stderr[-500:])
    assert counts(db) == before
