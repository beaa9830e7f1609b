"""The schema migration of a plan: rows and rate (hand-entered), or phases derived from its SQL."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from .base import Name, NonNegative, Positive, Probability, _Frozen
from .distributions import Duration, Fixed

__all__ = ["LongTransactions", "DataMigration", "Throughput", "MigrationPhase", "Migration"]


class LongTransactions(_Frozen):
    """Long-running transactions that hold locks a migration must wait for."""

    per_hour: NonNegative = 0.0
    hold_min: Duration = Fixed(value=5)


class DataMigration(_Frozen):
    """What happens to historic data: carried forward, or archived before the migration."""

    mode: Literal["carry_forward", "archive_first"] = "carry_forward"
    volume_gb: NonNegative = 0.0
    archive_fraction: Probability = 0.0
    archive_gb_per_h: Positive = 100.0


class Throughput(_Frozen):
    """How fast the database does the work a statement implies (MB/s of table data): rewriting a
    table (with its indexes), building an index, scanning for a constraint."""

    rewrite_mb_per_s: Positive = 80.0
    index_mb_per_s: Positive = 40.0
    scan_mb_per_s: Positive = 400.0


class MigrationPhase(_Frozen):
    """One stretch of a migration derived from its SQL: minutes, and whether it blocks the
    application's reads or writes (the region is then out of service)."""

    minutes: NonNegative
    blocking: bool
    statement: str = ""


class Migration(_Frozen):
    """The database schema migration, run once per region after its database tier upgrades.

    With ``sql`` (files relative to the plan), `upgradesim migration lint` judges each statement
    and a simulation with a store holding table sizes derives ``phases`` from them: the region is
    down only while a blocking statement runs, instead of the whole ``rows / rows_per_s``."""

    tier: Name = "db"
    rows: Annotated[int, Field(ge=0)]
    rows_per_s: Positive
    sql: tuple[str, ...] = ()
    engine: Literal["postgresql", "mysql"] | None = None  # default: the product of the tier's database
    engine_version: str | None = None  # default: the target version of the tier's database
    throughput: Throughput = Throughput()
    phases: tuple[MigrationPhase, ...] = ()  # derived from the SQL; when given, replaces rows / rows_per_s
    transactional: bool = True
    online: bool = False  # False: the region is down while it runs
    failure_prob: Probability = 0.0
    restore_min: Positive = 60  # non-transactional failure: restore from backup
    long_transactions: LongTransactions = LongTransactions()
    data: DataMigration = DataMigration()

    @field_validator("sql", mode="before")
    @classmethod
    def _one_file(cls, value):
        """``sql: migrations/001.sql`` is one file, as ``sql: [migrations/001.sql]``."""
        return (value,) if isinstance(value, str) else value
