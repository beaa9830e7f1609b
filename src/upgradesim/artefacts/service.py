"""The migration verbs as the API offers them: lint the plan's SQL, store table sizes."""

from __future__ import annotations

import os
from pathlib import Path

from .migration import MigrationLint

__all__ = ["migration_lint", "migration_sizes"]


def migration_lint(plan, *, db: str | os.PathLike | None = None) -> MigrationLint:
    """Judge every statement of the plan's migration SQL; with ``db``, time it from the table sizes."""
    from ..plan import Plan, load_plan
    from .migration import lint_migration

    folder = Path(plan).parent if not isinstance(plan, Plan) else Path(".")
    loaded = plan if isinstance(plan, Plan) else load_plan(Path(plan))
    sizes = {}
    if db is not None:
        from ..store import Store

        with Store(Path(db), must_exist=True, read_only=True) as store:
            sizes = store.table_sizes()
    return lint_migration(loaded, folder, sizes)


def migration_sizes(path: str | os.PathLike, *, db: str | os.PathLike) -> int:
    """Store the table sizes in ``path`` (CSV); returns how many."""
    from ..store import Store
    from .migration import read_sizes

    frame = read_sizes(Path(path))
    with Store(Path(db)) as store:
        return store.write_table_sizes(frame, str(path))
