"""The exception tree of upgradesim.

::

    UpgradesimError
    ├── PlanError        the plan file is wrong; message names file, line, field, value, rule
    ├── DataError        telemetry/config/log input is wrong; names file, row, column
    ├── StoreError       the database cannot do what was asked
    ├── SimulationError  an invariant broke (a bug, or a plan that cannot run)
    └── ReportError      a notebook failed; carries the cell and the path of the saved notebook

A user mistake raises a subclass whose ``problems`` are printed by the CLI one per line, with a
non-zero exit and no traceback. A traceback means a bug of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "UpgradesimError",
    "Problem",
    "PlanError",
    "DataError",
    "StoreError",
    "SimulationError",
    "ReportError",
]


class UpgradesimError(Exception):
    """Base of every error upgradesim raises on purpose."""

    @property
    def lines(self) -> list[str]:
        """The message as the CLI prints it, one problem per line."""
        return str(self).splitlines() or [type(self).__name__]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, which field, what value, which rule."""

    source: str
    line: int | None
    path: str
    value: object
    rule: str
    has_value: bool = True

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        if not self.path and not self.has_value:
            return f"{where}: {self.rule}"
        field = self.path or "(document)"
        if self.has_value:
            field = f"{field}(={_short(self.value)})"
        return f"{where}: {field}: {self.rule}"


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PlanError(UpgradesimError):
    """The plan file is wrong. ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(UpgradesimError):
    """Telemetry, configuration or log input is wrong; the message names file, row and column."""

    def __init__(self, message: str | list[Problem]):
        if isinstance(message, list):
            self.problems = sorted(message, key=lambda p: (p.line or 0, p.path))
            message = "\n".join(str(p) for p in self.problems)
        else:
            self.problems = []
        super().__init__(message)


class StoreError(UpgradesimError):
    """The store cannot do what was asked (missing, locked, wrong schema version)."""


class SimulationError(UpgradesimError):
    """An invariant of the simulation broke: a bug of ours or a plan that cannot run."""


class ReportError(UpgradesimError):
    """A notebook failed while rendering; carries the cell index and the saved notebook's path."""

    def __init__(self, message: str, *, cell: int | None = None, path: str | None = None):
        self.cell = cell
        self.path = path
        super().__init__(message)
