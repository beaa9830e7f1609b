"""Migration SQL judged statement by statement: the lock each takes, whether it blocks reads or
writes, whether it rewrites or scans the table, and the safer way to write it (the squawk /
strong_migrations class of advice), per engine and version. Parsed with sqlglot.

PostgreSQL rules (the documented lock of each ``ALTER TABLE`` form): an index built without
``CONCURRENTLY`` blocks writes; a column type change, ``VACUUM FULL``, ``CLUSTER``, ``SET
TABLESPACE``/``LOGGED`` and a volatile default rewrite the table under ACCESS EXCLUSIVE; before 11
any default rewrites; ``SET NOT NULL``, a ``CHECK`` or ``FOREIGN KEY`` added without ``NOT VALID``
scan the table under lock; a primary key or unique constraint builds its index under ACCESS
EXCLUSIVE; adding a nullable column, ``DROP NOT NULL``, ``SET DEFAULT`` and ``VALIDATE CONSTRAINT``
do not block. MySQL (InnoDB) rules: ``ADD COLUMN`` is INSTANT from 8.0.12 (else an in-place
rebuild), secondary indexes build online, a column type change or a foreign key copies the table
and blocks writes. Renames and dropped columns break the release still running (expand/contract).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

__all__ = ["Statement", "lint_sql", "split_statements", "mask_secrets", "ENGINES"]

ENGINES = ("postgresql", "mysql")
_DIALECT = {"postgresql": "postgres", "mysql": "mysql"}
_VOLATILE = {"random", "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1", "clock_timestamp", "timeofday",
             "nextval", "uuid", "rand"}
_SERIAL = {"SERIAL", "BIGSERIAL", "SMALLSERIAL"}
_UTILITY = {"CLUSTER", "VACUUM", "REINDEX", "LOCK", "OPTIMIZE"}


@dataclass(frozen=True)
class Statement:
    file: str
    line: int
    sql: str  # the statement on one line, cut at 160 characters
    table: str | None
    operation: str
    lock: str  # the lock taken on the table ("" none)
    blocks: str  # "reads and writes", "writes" or "nothing"
    work: str  # rewrite, index, scan, update, none: what its duration grows with
    severity: str  # blocker, warning, ok, error (unparseable or impossible)
    advice: str


def _version(text: str | None) -> tuple[int, ...]:
    found = re.match(r"(\d+(?:\.\d+)*)", text or "")
    return tuple(int(x) for x in found.group(1).split(".")) if found else ()


def split_statements(text: str, engine: str) -> list[tuple[int, str]]:
    """(line, text) of each statement, split on the tokenizer's semicolons (so a ``;`` in a string
    or comment does not split); a text the tokenizer refuses is split on ``;`` at line ends."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(_DIALECT[engine]).tokenize(text)
    except TokenError:  # an unterminated string or comment: statements end with ';' at a line end
        out, first, buf = [], None, []
        for number, text_line in enumerate(text.splitlines(), 1):
            if first is None and text_line.strip():
                first = number
            buf.append(text_line)
            if text_line.rstrip().endswith(";") and first is not None:
                out.append((first, "\n".join(buf).strip().removesuffix(";").rstrip()))  # as the tokenizer splits
                first, buf = None, []
        if first is not None:
            out.append((first, "\n".join(buf).strip()))
        return out
    out, start, prev = [], None, None
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append((start.line, text[start.start:prev.end + 1]))
            start = None
            continue
        if start is None:
            start = tok
        prev = tok
    if start is not None:
        out.append((start.line, text[start.start:prev.end + 1]))
    return out


_LITERAL = re.compile(r"(\b(?:PASSWORD|IDENTIFIED\s+(?:WITH\s+\S+\s+)?BY|SECRET|TOKEN)\s*(?:=\s*)?)?"
                      r"([EeNn]?'(?:[^']|'')*'|\$\w*\$)", re.I)


def mask_secrets(sql: str) -> str:
    """The statement as it may be shown: a string literal given as a password (``PASSWORD '...'``,
    ``IDENTIFIED BY '...'``) or carrying a credential is ``'***'``; so are the credentials of a URL."""
    from ..control.secrets import _URL_USERINFO, secret_in_value

    def one(m) -> str:
        literal = m.group(2)
        if m.group(1) or (literal.endswith("'") and secret_in_value(literal.strip("'EeNn")) is not None):
            return (m.group(1) or "") + "'***'"
        return m.group(0)

    masked = _LITERAL.sub(one, sql)
    return _URL_USERINFO.sub(lambda m: m.group(0).split("//", 1)[0] + "//***:***@", masked)


def _name(table) -> str | None:
    from sqlglot import exp

    if isinstance(table, exp.Table):
        return ".".join(p for p in (table.args.get("db") and table.args["db"].name, table.name) if p)
    return None


class _Rules:
    def __init__(self, file: str, engine: str, version: str | None):
        self.file, self.engine, self.version = file, engine, _version(version)
        self.new_tables: set[str] = set()
        self.in_transaction = False
        self.lock_timeout = False
        self.warned_timeout = False

    def pg(self, major: int) -> bool:
        return not self.version or self.version[0] >= major

    def make(self, line, sql, table, operation, lock, blocks, work, severity, advice) -> Statement:
        if (table and table.lower() in self.new_tables and operation != "create table"
                and (severity != "error" or operation == "add column not null without default")):  # no rows to fail
            # empty, and nothing else uses it yet: no work, nothing blocked
            blocks, work, severity = "nothing", "none", "ok"
            advice = "the table is created in this migration: nothing else uses it yet"
        return Statement(self.file, line, sql, table, operation, lock, blocks, work, severity, advice)


def _statement_types() -> tuple:
    from sqlglot import exp

    names = ("DDL", "DML", "Query", "Alter", "Drop", "Command", "Rollback", "TruncateTable", "Comment", "Grant",
             "Revoke", "Analyze", "Use", "Describe", "Show")  # MERGE, COPY are DML; SET, BEGIN, COMMIT read before
    return tuple(getattr(exp, n) for n in names if hasattr(exp, n))


def lint_sql(text: str, file: str, engine: str = "postgresql", version: str | None = None) -> list[Statement]:
    """Every statement of ``text`` judged; an unparseable one is reported with its line and the
    rest are still judged."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command" is not news
    rules = _Rules(file, engine, version)
    text, out = _psql_commands(text, file)
    for line, sql in split_statements(text, engine):
        flat = re.sub(r"\s+", " ", re.sub(r"--[^\n]*", " ", sql)).strip()
        if not flat:
            continue
        if _TRANSACTION.match(flat):  # BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK: by their words
            rules.in_transaction = not re.match(r"(COMMIT|END|ROLLBACK|ABORT)\b", flat.upper())
            continue
        if flat.upper().startswith("SET "):  # settings: nothing is locked; a lock timeout (0 or DEFAULT: none) counts
            if m := _LOCK_TIMEOUT.search(flat.upper()):
                rules.lock_timeout = m.group(1) not in ("0", "DEFAULT")
            continue
        shown = mask_secrets(flat)
        shown = shown if len(shown) <= 160 else shown[:157] + "..."
        if flat.split()[0].upper() in _UTILITY and (found := _command(flat.upper(), rules)) is not None:
            out.extend(_judged(found, shown, line, rules))  # utility statements: by their words, however parsed
            continue
        try:
            tree = sqlglot.parse_one(sql, read=_DIALECT[engine])
        except (ParseError, TokenError) as exc:
            detail = mask_secrets(str(exc).splitlines()[0])
            out.append(Statement(file, line, shown, None, "unparseable", "", "unknown", "none", "error",
                                 f"not valid SQL for {engine}: {detail}; judge it by hand"))
            continue
        if tree is None or not isinstance(tree, _statement_types()):  # "SELEC x" parses as an alias
            out.append(Statement(file, line, shown, None, "unparseable", "", "unknown", "none", "error",
                                 f"not a {engine} statement; judge it by hand"))
            continue
        out.extend(_judge(tree, flat, shown, line, rules))
    return sorted(out, key=lambda s: s.line)  # stable: a statement's own findings stay in their order


_LOCK_TIMEOUT = re.compile(r"\b(?:LOCK_TIMEOUT|LOCK_WAIT_TIMEOUT)\s*(?:=|\bTO\b)\s*'?([^'\s;]+)")
_META = re.compile(r"^[ \t]*\\(\S+)[^\n]*", re.M)


_TRANSACTION = re.compile(r"(?i)(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\b(?!\s*\$)(?!.*\bTO\s+SAVEPOINT\b)")


def _psql_commands(text: str, file: str) -> tuple[str, list[Statement]]:
    """psql's backslash commands end at the line's end and are not SQL: made comments (the lines
    keep their numbers); an include (``\\i``, ``\\ir``) is SQL this lint does not see: a warning."""
    found = []

    def one(m) -> str:
        if m.group(1) in ("i", "ir", "include", "include_relative"):
            line = text.count("\n", 0, m.start()) + 1
            found.append(Statement(file, line, m.group(0).strip(), None, "psql include", "", "unknown", "none",
                                   "warning", "the included file's statements are not judged here: name it in "
                                   "migration.sql too"))
        return "--"  # the line's number stays; its words go

    return _META.sub(one, text), found


def _judge(tree, flat: str, shown: str, line: int, r: _Rules) -> list[Statement]:
    found = _classify(tree, flat.upper(), r)
    if found is None:
        return [r.make(line, shown, None, tree.key.lower(), "", "nothing", "none", "ok", "")]
    return _judged(found, shown, line, r)


def _judged(found: tuple, shown: str, line: int, r: _Rules) -> list[Statement]:
    """The statement's finding, and the first ACCESS EXCLUSIVE lock's missing lock_timeout."""
    table, operation, lock, blocks, work, severity, advice = found
    made = [r.make(line, shown, table, operation, lock, blocks, work, severity, advice)]
    if (r.engine == "postgresql" and lock == "ACCESS EXCLUSIVE" and not r.lock_timeout and not r.warned_timeout
            and (table or "").lower() not in r.new_tables):
        r.warned_timeout = True
        made.append(Statement(r.file, line, shown, table, "no lock_timeout", lock, "reads and writes", "none",
                              "warning", "SET lock_timeout = '5s' first: while this waits for its lock, every query on "
                                         "the table queues behind it; retry instead"))
    return made


def _classify(tree, upper: str, r: _Rules):
    from sqlglot import exp

    pg = r.engine == "postgresql"
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            name = _name(tree.this.this if isinstance(tree.this, exp.Schema) else tree.this)
            if name:
                r.new_tables.add(name.lower())
            return name, "create table", "", "nothing", "none", "ok", ""
        if kind == "INDEX":
            table = _name(tree.this.args.get("table"))
            if not pg:
                return table, "create index", "", "nothing", "index", "ok", "InnoDB builds a secondary index online"
            if tree.args.get("concurrently"):
                if r.in_transaction:
                    return (table, "create index concurrently", "SHARE UPDATE EXCLUSIVE", "nothing", "index", "error",
                            "CREATE INDEX CONCURRENTLY cannot run inside a transaction block: run it on its own")
                return table, "create index concurrently", "SHARE UPDATE EXCLUSIVE", "nothing", "index", "ok", ""
            return (table, "create index", "SHARE", "writes", "index", "blocker",
                    "CREATE INDEX CONCURRENTLY (outside a transaction): builds without blocking writes")
        return None
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        target = tree.args.get("tables") or [tree.this]
        name = _name(target[0]) if target else None
        if kind == "INDEX" and pg and not tree.args.get("concurrently"):
            return (name, "drop index", "ACCESS EXCLUSIVE", "reads and writes", "none", "warning",
                    "DROP INDEX CONCURRENTLY: does not lock the table")
        if kind == "INDEX" and pg:
            return name, "drop index concurrently", "SHARE UPDATE EXCLUSIVE", "nothing", "none", "ok", ""
        if kind == "TABLE":
            return (name, "drop table", "ACCESS EXCLUSIVE", "reads and writes", "none", "warning",
                    "drop it in a later change, once no running release reads it")
        return None
    if isinstance(tree, exp.TruncateTable):
        return (_name(tree.expressions[0]) if tree.expressions else None, "truncate", "ACCESS EXCLUSIVE",
                "reads and writes", "none", "warning", "destroys every row: be sure it belongs in the migration")
    if isinstance(tree, (exp.Update, exp.Delete)):
        table = _name(tree.this)
        op = "update" if isinstance(tree, exp.Update) else "delete"
        lock = "ROW EXCLUSIVE" if r.engine == "postgresql" else ""  # MySQL: row locks, no table lock
        if tree.args.get("where") is None:
            return (table, f"{op} every row", lock, "writes", "update", "warning",
                    f"{op} in batches (by key range, committing each): one statement locks every row it touches "
                    "until it commits")
        return table, op, lock, "nothing", "none", "ok", ""
    if isinstance(tree, exp.Alter):
        if not pg and all(isinstance(a, exp.Property) for a in tree.args.get("actions") or []) and re.search(
                r"\b(ENGINE|ROW_FORMAT|FORCE|KEY_BLOCK_SIZE)\b", upper):  # table options only: a rebuild
            return (_name(tree.this), "rebuild table", "", "nothing", "rewrite", "warning",
                    "rebuilds the table in place (online, but as long as a copy): run it off-peak")
        return _alter(tree, r)
    if isinstance(tree, exp.Command):
        return _command(upper, r)
    return None


def _alter(tree, r: _Rules):

    table = _name(tree.this)
    pg = r.engine == "postgresql"
    worst = None
    rank = {"error": 4, "blocker": 3, "warning": 2, "ok": 1}
    for action in tree.args.get("actions") or []:
        found = _action(action, tree, r, pg)
        if found and (worst is None or rank[found[4]] > rank[worst[4]]):
            worst = found
    if worst is None:
        return table, "alter table", "ACCESS EXCLUSIVE" if pg else "", "nothing", "none", "ok", ""
    operation, lock, blocks, work, severity, advice = worst
    return table, operation, lock, blocks, work, severity, advice


def _action(action, tree, r: _Rules, pg: bool):
    from sqlglot import exp

    mysql_instant = r.version >= (8, 0, 12) if r.version else True
    if isinstance(action, exp.ColumnDef):
        constraints = action.args.get("constraints") or []
        default = next((c.args["kind"] for c in constraints if isinstance(c.args.get("kind"), exp.DefaultColumnConstraint)), None)
        not_null = any(isinstance(c.args.get("kind"), exp.NotNullColumnConstraint) and not c.args["kind"].args.get("allow_null")
                       for c in constraints)
        dtype = str(getattr(getattr(action.args.get("kind"), "this", None), "name", "")).upper()
        volatile = dtype in _SERIAL or (default is not None and any(
            f.name.lower() in _VOLATILE or (f.sql_name().lower() in _VOLATILE)
            for f in default.find_all(exp.Func)))
        if not pg:
            if mysql_instant:
                return "add column", "", "nothing", "none", "ok", "ALGORITHM=INSTANT"
            return ("add column", "", "nothing", "rewrite", "warning",
                    "before MySQL 8.0.12 this rebuilds the table in place (online, but long)")
        if not_null and default is None:
            return ("add column not null without default", "ACCESS EXCLUSIVE", "reads and writes", "none", "error",
                    "fails on a table with rows: add it nullable, backfill in batches, then add the NOT NULL constraint")
        if volatile:
            return ("add column with volatile default", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker",
                    "add the column without a default, set the default, backfill existing rows in batches")
        if default is not None and not r.pg(11):
            return ("add column with default", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker",
                    "before PostgreSQL 11 a default rewrites the table: add the column, set the default, backfill")
        return "add column", "ACCESS EXCLUSIVE", "nothing", "none", "ok", "metadata only"
    modify = getattr(exp, "ModifyColumn", None)
    if modify is not None and isinstance(action, modify):
        return ("change column type", "", "writes", "rewrite", "blocker",
                "MODIFY/CHANGE COLUMN copies the table and blocks writes: use gh-ost or pt-online-schema-change")
    if isinstance(action, exp.AlterColumn):
        if action.args.get("dtype") is not None:
            if not pg:
                return ("change column type", "", "writes", "rewrite", "blocker",
                        "copies the table and blocks writes: use gh-ost or pt-online-schema-change")
            to = action.args["dtype"].this.name.upper()
            soft = " (no rewrite only if binary-coercible, e.g. varchar to text)" if to in ("TEXT", "VARCHAR") else ""
            return ("change column type", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker",
                    "add a new column, backfill in batches, switch reads and writes, drop the old one" + soft)
        if action.args.get("allow_null") is False:  # SET NOT NULL (DROP NOT NULL leaves it unset)
            advice = ("add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (no scan from "
                      "PostgreSQL 12)") if r.pg(12) else "scans the table under ACCESS EXCLUSIVE: run it in a window"
            return "set not null", "ACCESS EXCLUSIVE", "reads and writes", "scan", "blocker", advice
        return "alter column", "ACCESS EXCLUSIVE" if pg else "", "nothing", "none", "ok", ""
    if isinstance(action, exp.AddConstraint):
        body = next(iter(action.expressions), None)  # a named Constraint or the constraint itself
        not_valid = tree.args.get("not_valid")
        if isinstance(body, exp.IndexColumnConstraint):  # MySQL: ADD [FULLTEXT|SPATIAL] INDEX/KEY
            if str(body.args.get("kind") or "").upper() in ("FULLTEXT", "SPATIAL"):
                return ("add fulltext or spatial index", "", "writes", "index", "blocker",
                        "InnoDB builds it without concurrent writes (the first FULLTEXT index rebuilds the table): "
                        "run it in a window, or with gh-ost")
            return "add index", "", "nothing", "index", "ok", "InnoDB builds a secondary index online"
        if body is not None and body.find(exp.ForeignKey):  # find() looks at the node itself too
            if not pg:
                return ("add foreign key", "", "writes", "rewrite", "blocker",
                        "copies the table unless foreign_key_checks=0: add it with gh-ost or in a window")
            if not_valid:
                return "add foreign key not valid", "SHARE ROW EXCLUSIVE", "nothing", "none", "ok", "then VALIDATE CONSTRAINT"
            return ("add foreign key", "SHARE ROW EXCLUSIVE", "writes", "scan", "blocker",
                    "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in its own transaction")
        if body is not None and body.find(exp.PrimaryKey, exp.UniqueColumnConstraint):
            if not pg:
                if body.find(exp.PrimaryKey):
                    return ("add primary key", "", "nothing", "rewrite", "warning",
                            "InnoDB rebuilds the table in place for a new primary key: online, but as long as a copy")
                return "add key", "", "nothing", "index", "ok", "InnoDB builds it online"
            return ("add primary key or unique", "ACCESS EXCLUSIVE", "reads and writes", "index", "blocker",
                    "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX")
        if not_valid:
            return "add check not valid", "ACCESS EXCLUSIVE", "nothing", "none", "ok", "then VALIDATE CONSTRAINT"
        return ("add check", "ACCESS EXCLUSIVE", "reads and writes", "scan", "blocker",
                "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in its own transaction")
    if isinstance(action, exp.Drop):
        return ("drop column", "ACCESS EXCLUSIVE" if pg else "", "nothing", "none", "warning",
                "the release still running may read it: drop it in a later change (expand/contract)")
    if isinstance(action, (exp.RenameColumn, exp.AlterRename)):
        return ("rename", "ACCESS EXCLUSIVE" if pg else "", "nothing", "none", "warning",
                "the release still running uses the old name: add the new one, dual-write, drop the old later")
    if isinstance(action, exp.AlterSet):
        option = str(action.args.get("option") or "").upper()
        if action.args.get("tablespace") is not None or action.args.get("access_method") is not None or option in (
                "LOGGED", "UNLOGGED"):
            return ("set storage", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker",
                    "rewrites the table: run it in a window, or use pg_repack")
        return "alter table set", "SHARE UPDATE EXCLUSIVE", "nothing", "none", "ok", ""
    return None


# what a lock mode blocks of ordinary reads (ACCESS SHARE) and writes (ROW EXCLUSIVE)
_LOCK_BLOCKS = {"ACCESS EXCLUSIVE": "reads and writes", "EXCLUSIVE": "writes", "SHARE ROW EXCLUSIVE": "writes",
                "SHARE": "writes", "SHARE UPDATE EXCLUSIVE": "nothing", "ROW EXCLUSIVE": "nothing",
                "ROW SHARE": "nothing", "ACCESS SHARE": "nothing"}


_VACUUM = re.compile(r"VACUUM\s*(?:\(([^)]*)\))?((?:\s*\b(?:FULL|FREEZE|VERBOSE|ANALYZE)\b)*)\s*([^\s(]+)?")


def _command(upper: str, r: _Rules):
    """Statements sqlglot keeps as words (a Command): judged by their words."""
    words = upper.split()
    name = (words[2] if len(words) > 2 else "").lower().strip("`") or None  # ALTER TABLE <name>, RENAME TABLE <name>
    if m := _VACUUM.match(upper):
        options = re.split(r"\s*,\s*", (m.group(1) or "").strip()) + (m.group(2) or "").split()
        if any(re.fullmatch(r"FULL(\s+(TRUE|ON|1))?", o.strip()) for o in options):
            return (m.group(3).lower() if m.group(3) else None, "vacuum full", "ACCESS EXCLUSIVE", "reads and writes",
                    "rewrite", "blocker", "rewrites the table under ACCESS EXCLUSIVE: use pg_repack")
    if words[:1] == ["CLUSTER"]:
        table = next((w.lower() for w in words[1:] if w != "VERBOSE"), None)
        return (table, "cluster", "ACCESS EXCLUSIVE", "reads and writes", "rewrite", "blocker",
                "rewrites the table under ACCESS EXCLUSIVE: use pg_repack")
    if words[:1] == ["REINDEX"] and "CONCURRENTLY" not in words:
        return (words[-1].lower() if "TABLE" in words else None, "reindex", "SHARE", "writes", "index", "blocker",
                "REINDEX ... CONCURRENTLY (PostgreSQL 12 and later)" if r.pg(12) else "run it in a window")
    if words[:2] == ["ALTER", "TABLE"] and "VALIDATE" in words:
        return name, "validate constraint", "SHARE UPDATE EXCLUSIVE", "nothing", "scan", "ok", ""
    if words[:2] == ["ALTER", "TABLE"] and "USING" in words and "INDEX" in words:
        return name, "add constraint using index", "ACCESS EXCLUSIVE", "nothing", "none", "ok", ""
    if words[:1] == ["LOCK"] and r.engine == "postgresql":
        rest = [w.strip(",") for w in (words[2:] if words[1:2] == ["TABLE"] else words[1:]) if w != "ONLY"]
        mode = " ".join(rest[rest.index("IN") + 1:-1]) if "IN" in rest and rest[-1] == "MODE" else "ACCESS EXCLUSIVE"
        return (next(iter(rest), "").lower() or None, "lock table", mode, _LOCK_BLOCKS.get(mode, "writes"), "none",
                "warning", "an explicit lock: hold it for as short as possible")
    if r.engine == "mysql" and words[:2] == ["ALTER", "TABLE"] and "CONVERT" in words and "CHARACTER" in words:
        return (name, "convert character set", "", "writes", "rewrite", "blocker",
                "copies the table and blocks writes: convert with gh-ost or pt-online-schema-change")
    if words[:2] == ["RENAME", "TABLE"]:  # MySQL's
        return (name, "rename", "", "nothing", "none", "warning",
                "the release still running uses the old name: add the new one, dual-write, drop the old later")
    if r.engine == "mysql" and words[:1] == ["OPTIMIZE"]:
        return words[-1].lower(), "optimize table", "", "nothing", "rewrite", "warning", "rebuilds the table online"
    return None
