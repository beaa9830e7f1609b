"""Exact traces of the schema migration (issue 13): every phase, failure and undo, the restore a
rollback runs first, archive-first waiting, lock waits; with the region, detail and figures of
each event. Seed 0 draws the failure point 0.993503... of the run (pinned below)."""

from __future__ import annotations

import pytest

from upgradesim.sim import prepare, run_replication

from .simplans import make_plan

BOOKKEEPING = {"capacity", "rollout_complete", "rollout_end", "second_stack", "defect_present", "horizon_reached"}
WHERE = 0.993503029230448  # seed 0: where in its run the failing migration fails
FIGURES = ("duration_min", "downtime_min", "migration_min", "rolled_back", "rollback_reason", "nodes_rolled_back",
           "completed")


def run(edit, strategy="one-by-one"):
    record, events = run_replication(prepare(make_plan(edit)), strategy, 0, 0, keep_events=True)
    return {k: record[k] for k in FIGURES}, [e for e in events if e[1] not in BOOKKEEPING]


def _app_batches(t0):
    out = []
    for i in range(3):
        start = t0 + 10 * i
        out += [("eu", "batch_start", start, "eu", "1"), (f"eu/app/00{i + 1}", "upgrade_start", start, "eu", "1"),
                (f"eu/app/00{i + 1}", "upgrade_done", start + 10, "eu", "")]
    return out


DB_FIRST = [("eu", "batch_start", 0.0, "eu", "1"), ("eu/db/001", "upgrade_start", 0.0, "eu", "1"),
            ("eu/db/001", "upgrade_done", 20.0, "eu", "")]


def test_phases_block_only_while_a_blocking_statement_runs():
    def edit(d):
        d["migration"] = {"rows": 1, "rows_per_s": 1, "phases": [{"minutes": 5, "blocking": True},
                                                                   {"minutes": 0, "blocking": True},
                                                                   {"minutes": 10, "blocking": False}]}
    figures, events = run(edit)
    assert events == DB_FIRST + [("eu", "migration_start", 20.0, "eu", "lock_wait=0.0"),
                                 ("eu", "migration_done", 35.0, "eu", "")] + _app_batches(35.0)
    # down: the only db node for 20 minutes, then the 5-minute blocking phase
    assert figures == {"duration_min": 65.0, "downtime_min": 25.0, "migration_min": 15.0, "rolled_back": False,
                       "rollback_reason": "", "nodes_rolled_back": 0, "completed": True}


def test_migration_minutes_add_up_over_regions():
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100}  # 10 minutes, offline
        d["regions"].append({**d["regions"][0], "name": "us"})
    figures, events = run(edit)
    assert [(e[0], e[1], e[2]) for e in events if e[1].startswith("migration")] == [
        ("eu", "migration_start", 20.0), ("us", "migration_start", 20.0),
        ("eu", "migration_done", 30.0), ("us", "migration_done", 30.0)]
    assert figures["migration_min"] == 20.0  # 10 minutes in each region
    assert figures["downtime_min"] == 30.0  # the union: both regions down over the same 30 minutes


def test_a_failed_migration_without_transactions_restores_from_backup():
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "restore_min": 15,
                          "transactional": False}
    figures, events = run(edit)
    failed = 20.0 + 10 * WHERE
    assert events == DB_FIRST + [
        ("eu", "migration_start", 20.0, "eu", "lock_wait=0.0"), ("eu", "migration_failed", pytest.approx(failed), "eu", ""),
        ("rollout", "rollback_triggered", pytest.approx(failed + 15), "", "migration_failed"),
        ("eu/db/001", "revert_start", pytest.approx(failed + 15), "eu", ""),
        ("eu/db/001", "reverted", pytest.approx(failed + 15 + 9), "eu", "")]
    # offline: down from the db upgrade to the end (upgrade, failing run, restore, revert)
    assert figures == {"duration_min": pytest.approx(failed + 24), "downtime_min": pytest.approx(failed + 24),
                       "migration_min": pytest.approx(10 * WHERE + 15), "rolled_back": True,
                       "rollback_reason": "migration_failed", "nodes_rolled_back": 1, "completed": False}


def test_a_failed_online_migration_undoes_its_work_without_downtime():
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "online": True}
    figures, events = run(edit)
    failed = 20.0 + 10 * WHERE
    assert [e[1:3] for e in events[3:]] == [("migration_start", 20.0), ("migration_failed", pytest.approx(failed)),
                                            ("rollback_triggered", pytest.approx(failed + 10 * WHERE)),
                                            ("revert_start", pytest.approx(failed + 10 * WHERE)),
                                            ("reverted", pytest.approx(failed + 10 * WHERE + 9))]
    assert figures["downtime_min"] == 29.0  # the db node's upgrade (20) and revert (9) only
    assert figures["migration_min"] == pytest.approx(20 * WHERE)  # the work and its undo


def test_a_rollback_restores_the_schema_first_with_the_region_down():
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "restore_min": 15}
        d["tiers"]["app"]["failure_prob"] = 1.0
    figures, events = run(edit)
    assert events == DB_FIRST + [
        ("eu", "migration_start", 20.0, "eu", "lock_wait=0.0"), ("eu", "migration_done", 30.0, "eu", ""),
        ("eu", "batch_start", 30.0, "eu", "1"), ("eu/app/001", "upgrade_start", 30.0, "eu", "1"),
        ("eu/app/001", "upgrade_failed", 40.0, "eu", ""), ("eu/app/001", "failure_detected", 45.0, "eu", ""),
        ("eu/app/001", "node_rolled_back", 52.0, "eu", ""), ("rollout", "rollback_triggered", 52.0, "", "failed_nodes"),
        ("eu", "schema_restore", 52.0, "eu", ""), ("eu/db/001", "revert_start", 67.0, "eu", ""),
        ("eu/db/001", "reverted", 76.0, "eu", "")]
    # down: db upgrade 20 + offline migration 10 + schema restore 15 + db revert 9
    assert figures == {"duration_min": 76.0, "downtime_min": 54.0, "migration_min": 10.0, "rolled_back": True,
                       "rollback_reason": "failed_nodes", "nodes_rolled_back": 1, "completed": False}


def test_no_restore_when_the_migration_never_ran():
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "restore_min": 15}
        d["tiers"]["db"]["failure_prob"] = 1.0
    _, events = run(edit)
    assert "schema_restore" not in [e[1] for e in events] and "migration_start" not in [e[1] for e in events]


def test_archive_first_waits_for_the_archive_and_migrates_the_rest():
    """100 GB, half archived at 100 GB/h: the archive runs 30 minutes from the start; the migration
    then moves half the rows (5 minutes) and counts only its own time."""
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "data": {
            "mode": "archive_first", "volume_gb": 100, "archive_fraction": 0.5, "archive_gb_per_h": 100}}
    figures, events = run(edit)
    assert events == DB_FIRST + [("eu", "migration_start", 30.0, "eu", "lock_wait=0.0"),
                                 ("eu", "migration_done", 35.0, "eu", "")] + _app_batches(35.0)
    assert (figures["migration_min"], figures["downtime_min"], figures["duration_min"]) == (5.0, 25.0, 65.0)


def test_a_lock_wait_blocks_an_offline_migration():
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "long_transactions": {"per_hour": 30, "hold_min": 20}}
    figures, events = run(edit)
    start = [e for e in events if e[1] == "migration_start"][0]
    done = [e for e in events if e[1] == "migration_done"][0]
    wait = done[2] - start[2] - 10
    assert start[4] == f"lock_wait={wait:.1f}" == "lock_wait=18.7"
    assert figures["migration_min"] == pytest.approx(10 + wait)
    assert figures["downtime_min"] == pytest.approx(20 + 10 + wait)  # the wait blocks too


def _failing_phases(d):
    d["migration"] = {"rows": 1, "rows_per_s": 1, "failure_prob": 1.0, "phases": [
        {"minutes": 5, "blocking": True}, {"minutes": 10, "blocking": False}, {"minutes": 3, "blocking": True}]}


@pytest.mark.parametrize("seed, where", [(0, WHERE), (9, 0.09467597371307556)])
def test_a_migration_failing_inside_its_phases(seed, where):
    """18 minutes of phases fail at 18 x where: down in the blocking stretches run so far, then down
    while the database undoes as much work (a blocking migration), then the db node reverts (9)."""
    record, events = run_replication(prepare(make_plan(_failing_phases)), "one-by-one", seed, 0, keep_events=True)
    work = 18 * where
    failed = [at for _, e, at, _, _ in events if e == "migration_failed"]
    assert failed == [pytest.approx(20 + work)]
    blocking_run = min(work, 5) + max(0.0, work - 15)
    assert record["downtime_min"] == pytest.approx(20 + blocking_run + work + 9)
    assert record["migration_min"] == pytest.approx(2 * work) and record["rollback_reason"] == "migration_failed"


def test_after_a_failed_offline_migration_the_region_serves_again_while_nodes_revert():
    """Two db nodes: the failing offline run (to 40 + 10 x WHERE) and the 15-minute restore are
    downtime; the two reverts that follow (9 min each) keep one db node serving."""
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 3, "db": 2}
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "restore_min": 15,
                          "transactional": False}
    figures, events = run(edit)
    failed = 40.0 + 10 * WHERE
    assert figures["downtime_min"] == pytest.approx(10 * WHERE + 15)
    assert figures["duration_min"] == pytest.approx(failed + 15 + 18) and figures["nodes_rolled_back"] == 2
    assert [e[:3] for e in events[-4:]] == [("eu/db/001", "revert_start", pytest.approx(failed + 15)),
                                            ("eu/db/001", "reverted", pytest.approx(failed + 24)),
                                            ("eu/db/002", "revert_start", pytest.approx(failed + 24)),
                                            ("eu/db/002", "reverted", pytest.approx(failed + 33))]


def test_a_failed_transactional_migration_blocks_while_it_undoes_a_blocking_phase():
    """Phases: 5 blocking, then 5 online; it fails at 10 x WHERE (in the online phase) and undoes as
    long, blocking: downtime 5 + 10 x WHERE."""
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 3, "db": 2}
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "transactional": True,
                          "phases": [{"minutes": 5, "blocking": True}, {"minutes": 5, "blocking": False}]}
    figures, _ = run(edit)
    assert figures["downtime_min"] == pytest.approx(5 + 10 * WHERE)
    assert figures["migration_min"] == pytest.approx(20 * WHERE)


def test_a_rollback_reverts_a_tier_in_its_batches_and_restores_the_schema_before_its_tier():
    """Rolling, one db node at a time but all three app nodes at once; seed 0 fails app/001 only.
    The rollback reverts the two upgraded app nodes together (one app batch), then restores the
    schema (15 min, down) before the db nodes revert one by one (one db node keeps serving).
    Downtime: the migration (10), the app batch with its whole tier out (10), the restore (15)."""
    def edit(d):
        d["regions"][0]["nodes"] = {"app": 3, "db": 2}
        d["tiers"]["app"]["failure_prob"] = 0.4
        d["strategies"].append({"name": "r", "kind": "rolling", "batch_size": 1, "batch_sizes": {"app": 3}})
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "restore_min": 15}
        d["rollback"] = {"failed_nodes_per_batch": 1, "error_rate_pct": None, "sla_breach_min": None,
                         "window_overrun_min": None}
    figures, events = run(edit, "r")
    assert [e[:3] for e in events[18:]] == [
        ("eu/app/002", "revert_start", 72.0), ("eu/app/003", "revert_start", 72.0),
        ("eu/app/002", "reverted", 79.0), ("eu/app/003", "reverted", 79.0), ("eu", "schema_restore", 79.0),
        ("eu/db/001", "revert_start", 94.0), ("eu/db/001", "reverted", 103.0),
        ("eu/db/002", "revert_start", 103.0), ("eu/db/002", "reverted", 112.0)]
    assert figures == {"duration_min": 112.0, "downtime_min": 35.0, "migration_min": 10.0, "rolled_back": True,
                       "rollback_reason": "failed_nodes", "nodes_rolled_back": 4, "completed": False}


def test_failed_migration_minutes_add_up_over_regions():
    """Each region fails at its own point (eu at 10 x WHERE into its run) and undoes as long; the
    minutes of both count, though eu's run ends after the rollback was triggered by us."""
    def edit(d):
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "transactional": True}
        d["regions"].append({**d["regions"][0], "name": "us"})
    figures, events = run(edit)
    failed = {e[0]: e[2] for e in events if e[1] == "migration_failed"}
    assert failed["eu"] == pytest.approx(20 + 10 * WHERE) and failed["us"] < failed["eu"]
    assert figures["migration_min"] == pytest.approx(2 * (failed["eu"] - 20) + 2 * (failed["us"] - 20))


def test_a_batch_stopped_by_its_migration_still_closes_its_window():
    """A big bang in a 25-minute window: the db (20 min), then a migration that fails 10 x WHERE
    into its run and undoes as long; the batch stops there, 20 x WHERE - 5 minutes past the window,
    and that overrun is still accounted."""
    def edit(d):
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-01T00:00:00", "end": "2027-03-01T00:25:00"},
                                            {"start": "2027-03-02T00:00:00", "end": "2027-04-15T00:00:00"}]
        d["calendar"]["on_window_close"] = "finish"
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "failure_prob": 1.0, "transactional": True}
    record, events = run_replication(prepare(make_plan(edit)), "bang", 0, 0, keep_events=True)
    stopped = 20 + 20 * WHERE
    assert record["window_overruns"] == 1 and record["overrun_min"] == pytest.approx(stopped - 25)
    assert ("eu", "window_overrun", pytest.approx(stopped)) in [e[:3] for e in events]


def test_a_finished_big_bang_is_down_again_while_a_later_rollback_restores_its_schema():
    """eu's big bang ends at 40 (db, migration, app); us's web nodes both fail, so its batch ends
    at 62 with the failed-nodes trigger. eu then reverts its app (62-69, the tier out), restores
    the schema (69-84, down) and reverts its db (84-93): the union of downtime is the whole 93."""
    def edit(d):
        d["components"].append({"name": "web", "tier": "web", "product": "shop", "version": "1"})
        d["tiers"]["web"] = {"capacity_rps": 100, "upgrade_min": 50, "detect_min": 5, "rollback_min": 7,
                             "failure_prob": 1.0}
        d["regions"].append({"name": "us", "tz": "UTC", "nodes": {"web": 2}, "traffic": {"hourly_rps": [10] * 24}})
        d["migration"] = {"rows": 60000, "rows_per_s": 100, "restore_min": 15}
        d["rollback"] = {"failed_nodes_per_batch": 1, "error_rate_pct": None, "sla_breach_min": None,
                         "window_overrun_min": None}
    figures, events = run(edit, "bang")
    assert figures == {"duration_min": 93.0, "downtime_min": 93.0, "migration_min": 10.0, "rolled_back": True,
                       "rollback_reason": "failed_nodes", "nodes_rolled_back": 4, "completed": False}
    assert [e[:3] for e in events[-6:]] == [
        ("eu/app/001", "reverted", 69.0), ("eu/app/002", "reverted", 69.0), ("eu/app/003", "reverted", 69.0),
        ("eu", "schema_restore", 69.0), ("eu/db/001", "revert_start", 84.0), ("eu/db/001", "reverted", 93.0)]
