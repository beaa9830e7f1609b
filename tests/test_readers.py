"""Safe readers: encodings, binary, sizes, typed CSV with row numbers; and the error contract held
against random bytes, truncations and nesting for every reader a verb uses (hypothesis, bounded)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from upgradesim import DataError
from upgradesim.cli import cli
from upgradesim.control.kpi import read_history
from upgradesim.readers import read_csv, read_text

from .budget import examples

GOOD_HISTORY = ("change_id,requested_at,started_at,finished_at,downtime_min,outcome,rolled_back,incidents_p1,"
                "incidents_p2,incidents_p3\n"
                "CHG-1,2026-01-01,2026-01-10T01:00:00Z,2026-01-10T03:00:00Z,12.5,successful,false,0,1,0\n")


def test_read_text_encodings(tmp_path):
    utf8 = tmp_path / "a.txt"
    utf8.write_bytes("\ufeffcafé".encode())
    assert read_text(utf8) == "café"  # BOM dropped
    utf16 = tmp_path / "b.txt"
    utf16.write_text("café", encoding="utf-16")
    assert read_text(utf16) == "café"
    latin = tmp_path / "c.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(DataError, match=r"not UTF-8 text \(byte 3: b'\\xe9'\); save it as UTF-8"):
        read_text(latin)
    binary = tmp_path / "d.txt"
    binary.write_bytes(b"ab\x00cd")
    with pytest.raises(DataError, match="binary data \\(a NUL byte at 2\\)"):
        read_text(binary)
    with pytest.raises(DataError, match="is a folder"):
        read_text(tmp_path)
    with pytest.raises(DataError, match="larger than the 3"):
        read_text(utf8, max_bytes=3)


def test_history_reads_types_and_names_bad_rows(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(GOOD_HISTORY)
    frame = read_history(path)
    row = frame.iloc[0]
    assert row.change_id == "CHG-1" and row.downtime_min == 12.5 and not row.rolled_back and row.incidents_p2 == 1
    assert str(row.started_at) == "2026-01-10 01:00:00+00:00"
    cases = {
        "CHG-2,2026-01-01,2026-02-30,2026-03-01,,successful,,,,\n": "started_at(=2026-02-30): must be an ISO 8601",
        "CHG-2,,2026-01-02,2026-01-01,,successful,,,,\n": "finished_at(=2026-01-01T00:00Z): before started_at",
        "CHG-2,,2026-01-02,2026-01-03,inf,successful,,,,\n": "downtime_min(=inf): must be a finite number",
        "CHG-2,,2026-01-02,2026-01-03,,meh,,,,\n": "outcome(=meh): must be one of successful",
        "CHG-2,,2026-01-02,2026-01-03,,successful,maybe,,,\n": "rolled_back(=maybe): must be true or false",
        "CHG-2,,2026-01-02,2026-01-03,,successful,,-1,,\n": "incidents_p1(=-1): must be a whole number >= 0",
        "CHG-2,,2026-01-02\n": "3 cells, the header has 10",
        "CHG-1,,2026-01-02,2026-01-03,,successful,,,,\n": "change_id CHG-1 given more than once",
    }
    for line, message in cases.items():
        path.write_text(GOOD_HISTORY + line)
        with pytest.raises(DataError) as info:
            read_history(path)
        assert message in str(info.value), (line, str(info.value))
        assert f"{path}:3:" in str(info.value) or "more than once" in message


def test_csv_header_problems(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,a\n1,2,3\n")
    with pytest.raises(DataError) as info:
        read_csv(path, {"a": "number", "c": "text"}, required=("c",))
    text = str(info.value)
    assert f"{path}:1: missing column c" in text and f"{path}:1: unknown column b" in text
    assert "named twice" in text
    path.write_text("")
    with pytest.raises(DataError, match="empty, no header row"):
        read_csv(path, {"a": "number"})


SETTINGS = settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NOISE = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda s: s.encode("utf-8")),
    st.text(max_size=200).map(lambda s: s.encode("utf-16")),
    st.text(alphabet="[]{}:,-\n &*ab", max_size=400).map(str.encode),
    st.integers(0, len(GOOD_HISTORY)).map(lambda n: GOOD_HISTORY[:n].encode()),
)


def _contract(result, tmp_path, before: set) -> None:
    assert result.exit_code in (0, 1, 2, 3), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.stderr.strip() and "internal error" not in result.stderr, result.stderr
    assert {p.name for p in tmp_path.iterdir()} - before <= {"s.duckdb", "s.duckdb.key", "s.duckdb.wal"}


@SETTINGS
@given(data=NOISE)
def test_random_bytes_never_break_the_contract(tmp_path, data):
    runner = CliRunner()
    for name, args in (("plan.yaml", ["validate"]), ("h.csv", ["history", "--db", str(tmp_path / "s.duckdb")]),
                       ("r.yaml", ["runbook"]), ("a.jsonl", ["audit", "ingest", "--db", str(tmp_path / "s.duckdb")])):
        path = tmp_path / name
        path.write_bytes(data)
        before = {p.name for p in tmp_path.iterdir()}
        result = runner.invoke(cli, args[:1] + [str(path)] + args[1:] if name != "h.csv" and name != "a.jsonl"
                               else args[:1] + ([args[1]] if len(args) == 1 else []) + [str(path)] + args[1:])
        _contract(result, tmp_path, before)


@SETTINGS
@given(depth=st.integers(1, 3000), kind=st.sampled_from(["[", "{a: "]))
def test_nesting_never_breaks_the_contract(tmp_path, depth, kind):
    close = "]" if kind == "[" else "}"
    path = tmp_path / "plan.yaml"
    path.write_text("name: " + kind * depth + "1" + close * depth + "\n")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output and "internal error" not in result.output


def test_scalar_parsers_exact():
    import datetime as dt

    from upgradesim.readers import KINDS, parse_timestamp

    assert parse_timestamp("2026-01-02T03:04:05Z") == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert parse_timestamp(" 2026-01-02 ") == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)  # naive means UTC
    assert parse_timestamp("2026-01-02T04:00:00+01:00") == dt.datetime(2026, 1, 2, 3, tzinfo=dt.UTC)
    assert parse_timestamp("2026-01-02T04:00:00+01:00").tzinfo is dt.UTC
    for text in ("true", "YES", "1", "y", "T"):
        assert KINDS["bool"](text) is True
    for text in ("false", "No", "0", "n", "F"):
        assert KINDS["bool"](text) is False
    for kind, text, rule in (("bool", "maybe", "must be true or false"), ("number", "nan", "must be a finite number"),
                             ("number", "-inf", "must be a finite number"), ("count", "1.5", "must be a whole number >= 0"),
                             ("count", "-1", "must be a whole number >= 0"), ("text", "a\x01b", "must not contain control characters")):
        with pytest.raises(ValueError, match=rule):
            KINDS[kind](text)
    assert KINDS["count"]("3") == 3 and isinstance(KINDS["count"]("3.0"), int) and KINDS["number"]("2.5") == 2.5
    assert KINDS["text"]("a\tb") == "a\tb"


def test_read_text_boundaries(tmp_path):
    from upgradesim.readers import is_gzip

    path = tmp_path / "x.txt"
    path.write_bytes(b"abc")
    assert read_text(path, max_bytes=3) == "abc"  # exactly the limit is allowed
    path.write_bytes(b"a\x00b\x00")
    with pytest.raises(DataError, match=r"a NUL byte at 1\)"):  # the first NUL is named
        read_text(path)
    with pytest.raises(DataError, match=r"nope.txt: report not found$"):
        read_text(tmp_path / "nope.txt", what="report")
    gz = tmp_path / "a.gz"
    import gzip

    gz.write_bytes(gzip.compress(b"x"))
    assert is_gzip(gz) and not is_gzip(path)


def test_read_csv_exact_problems_types_and_limits(tmp_path):
    import datetime as dt

    import pandas as pd

    path = tmp_path / "t.csv"
    cols = {"name": "text", "at": "timestamp", "n": "count", "x": "number", "ok": "bool"}
    path.write_text("name,at,n,x,ok\nalpha,2026-01-02T03:00:00+01:00,3,2.5,yes\n\n ,,,,\nbeta,,,,\n")
    frame = read_csv(path, cols, required=("name",))
    assert list(frame["name"]) == ["alpha", "beta"]  # blank rows are skipped
    assert frame["at"].iloc[0] == pd.Timestamp(dt.datetime(2026, 1, 2, 2, tzinfo=dt.UTC))
    assert pd.isna(frame["at"].iloc[1]) and pd.isna(frame["n"].iloc[1]) and pd.isna(frame["ok"].iloc[1])
    kinds = {c: str(t) for c, t in frame.dtypes.items()}
    assert kinds.pop("at").startswith("datetime64[") and str(frame["at"].dt.tz) == "UTC"  # ns or us by pandas
    assert kinds == {"name": "string", "n": "Int64", "x": "float64", "ok": "boolean"}
    # header problems: singular and plural, all at once
    path.write_text("a,b,c\n")
    with pytest.raises(DataError) as info:
        read_csv(path, {"a": "text", "d": "text", "e": "text"}, required=("d", "e"))
    assert str(info.value) == (f"{path}:1: missing columns d, e\n"
                               f"{path}:1: unknown columns b, c (known: a, d, e)")
    # cell problems, each named with its row; a long value is shortened; choices are checked
    long = "y" * 50
    path.write_text(f"name,n\n,1\nz,{long}\nq,2,3\nw,4\n")
    with pytest.raises(DataError) as info:
        read_csv(path, {"name": "text", "n": "count"}, required=("name",), choices={"name": ("w",)})
    assert str(info.value).splitlines() == [
        f"{path}:2: name: required, empty",
        f"{path}:3: name(=z): must be one of w",
        f"{path}:3: n(={'y' * 37}...): must be a whole number >= 0",
        f"{path}:4: 3 cells, the header has 2",
    ]
    # at most ten problems are listed, then it says it stopped
    path.write_text("n\n" + "".join(f"bad{i}\n" for i in range(15)))
    with pytest.raises(DataError) as info:
        read_csv(path, {"n": "count"})
    lines = str(info.value).splitlines()
    assert len(lines) == 11 and lines[-1] == f"{path}: (stopped after 10 problems)" and lines[9].startswith(f"{path}:11:")
    # a value of exactly 40 characters is shown whole
    path.write_text("n\n" + "z" * 40 + "\n")
    with pytest.raises(DataError, match=r"n\(=" + "z" * 40 + r"\): must be a whole number"):
        read_csv(path, {"n": "count"})
    # an overflowing number is a rule violation, not a crash
    path.write_text("n\n1e400\n")
    with pytest.raises(DataError, match=r"n\(=1e400\): must be a finite number"):
        read_csv(path, {"n": "number"})


def test_read_text_and_csv_edges(tmp_path, monkeypatch):
    import time

    from upgradesim.readers import KINDS, parse_timestamp

    path = tmp_path / "e.txt"
    path.write_bytes(b"\xfe\xff" + "café".encode("utf-16-be"))  # big-endian BOM
    assert read_text(path) == "café"
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8")  # a lone surrogate
    with pytest.raises(DataError, match=r"e.txt: not valid UTF-16 \(byte 2\)$"):
        read_text(path)
    path.write_bytes(b"\x00abc")
    with pytest.raises(DataError, match=r"a NUL byte at 0\)"):
        read_text(path)
    path.write_bytes("éa".encode("latin-1"))
    with pytest.raises(DataError, match=r"\(byte 0: b'\\xe9'\); save it as UTF-8$"):
        read_text(path)
    with pytest.raises(DataError, match=r"nope.csv: CSV not found$"):
        read_csv(tmp_path / "nope.csv", {"n": "count"})
    # naive times are UTC whatever the machine's zone
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert parse_timestamp("2026-01-02T00:00").hour == 0
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert KINDS["text"]("a b") == "a b"  # a blank is not a control character
    for kind, text, rule in (("number", "x", "could not convert"), ("count", "-2", "must be a whole number >= 0$"),
                             ("bool", "maybe", "^must be true or false$"), ("text", "a\x02", "^must not contain control")):
        with pytest.raises(ValueError, match=rule):
            KINDS[kind](text)
    # a control character in a text cell is named with the text rule; a quoted comma stays in its cell
    csv_path = tmp_path / "c.csv"
    csv_path.write_bytes(b'name\r\n"a\x01"\r\n')
    with pytest.raises(DataError, match=r"c.csv:2: name\(=a\x01\): must not contain control characters$"):
        read_csv(csv_path, {"name": "text"})
    csv_path.write_bytes(b'name,n\r\n"x,y",1\r\n')
    frame = read_csv(csv_path, {"name": "text", "n": "count"})
    assert list(frame["name"]) == ["x,y"] and str(frame["n"].dtype) == "Int64"
