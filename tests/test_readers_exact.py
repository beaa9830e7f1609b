"""Exact promises of the shared readers (issue 13): each message with its file and line, blank
rows skipped wherever they are, quoted line breaks kept as written, the rule shown for a value."""

from __future__ import annotations

import pytest

from upgradesim.errors import DataError
from upgradesim.readers import (
    csv_records,
    csv_table,
    json_lines,
    parse_timestamp,
    read_csv,
    read_text,
)


def test_read_text_names_a_missing_file_as_a_file(tmp_path):
    with pytest.raises(DataError, match=r"^.*nope.txt: file not found$"):
        read_text(tmp_path / "nope.txt")


def test_a_lower_case_z_is_not_a_zone():
    assert parse_timestamp("2026-11-30T02:00:00Z").isoformat() == "2026-11-30T02:00:00+00:00"
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_timestamp("2026-11-30T02:00:00z")


def test_csv_keeps_quoted_line_breaks_and_names_its_errors():
    assert csv_table("f.csv", 'a,b\n"x\r\ny",2\n') == [["a", "b"], ["x\r\ny", "2"]]
    with pytest.raises(DataError, match=r"^f.csv: not a CSV file \(field larger than field limit \(131072\)\)$"):
        csv_table("f.csv", "a\n" + "x" * 200_000 + "\n")
    with pytest.raises(DataError, match=r"^g.csv: empty, no header row$"):
        csv_records("g.csv", "\n")


def test_csv_records_skip_every_blank_row():
    header, rows = csv_records("f.csv", "a,b\n1,2\n\n , \n3,4\n")
    assert header == ["a", "b"] and rows == [(2, {"a": "1", "b": "2"}), (5, {"a": "3", "b": "4"})]


def test_json_lines_messages():
    with pytest.raises(DataError, match=r"^f.jsonl:2: each line must be a JSON object$"):
        list(json_lines("f.jsonl", '{"a": 1}\n[1, 2]\n'))
    with pytest.raises(DataError, match=r"^f.jsonl:1: nested too deeply$"):
        list(json_lines("f.jsonl", "[" * 100_000 + "]" * 100_000 + "\n"))


def test_read_csv_messages_and_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("n,k\n1,a\n\n2,b\n")
    frame = read_csv(path, {"n": "number", "k": "text"})
    assert frame["n"].tolist() == [1.0, 2.0] and frame["k"].tolist() == ["a", "b"]  # a blank row in between
    path.write_text("")
    with pytest.raises(DataError, match=rf"^{path}: empty, no header row$"):
        read_csv(path, {"n": "number"})
    path.write_text("n,zz\n1,a\n")
    with pytest.raises(DataError, match=rf"^{path}:1: unknown column zz \(known: n, k\)$"):
        read_csv(path, {"n": "number", "k": "text"})
    path.write_text("n,k\n3,a\n")
    with pytest.raises(DataError, match=rf"^{path}:2: n\(=3\): must be one of 1.0, 2.0$"):
        read_csv(path, {"n": "number", "k": "text"}, choices={"n": (1.0, 2.0)})
    path.write_text("n,k\n" + "9" * 35 + "x" * 6 + ",a\n")  # 41 characters: shortened
    with pytest.raises(DataError, match=rf"^{path}:2: n\(={'9' * 35}xx\.\.\.\): must be a finite number$"):
        read_csv(path, {"n": "number", "k": "text"})
    path.write_text("n,k\n" + "9" * 34 + "x" * 6 + ",a\n")  # 40: shown whole
    with pytest.raises(DataError, match=rf"^{path}:2: n\(={'9' * 34}xxxxxx\): must be a finite number$"):
        read_csv(path, {"n": "number", "k": "text"})


def test_what_the_file_is_named_in_its_errors(tmp_path):
    from upgradesim.readers import decode_text

    path = tmp_path / "x.bin"
    path.write_bytes(b"ab\x00c")
    with pytest.raises(DataError) as caught:
        read_text(path, what="plan")
    assert str(caught.value) == f"{path}: binary data (a NUL byte at 2), not a text plan"
    with pytest.raises(DataError) as caught:
        decode_text("y", b"\x00")
    assert str(caught.value) == "y: binary data (a NUL byte at 0), not a text file"
    assert decode_text("y", "é".encode("utf-16")) == "é" and decode_text("y", b"\xef\xbb\xbfhi") == "hi"


def test_exact_messages_of_rows_and_lines():
    with pytest.raises(DataError) as caught:
        csv_records("t.csv", "a,b\n1,2\n\n1,2,3\n")
    assert str(caught.value) == "t.csv:4: 3 cells, the header has 2"
    with pytest.raises(DataError) as caught:
        list(json_lines("l.jsonl", '{"a": 1}\n{"a": }\n'))
    assert str(caught.value) == "l.jsonl:2: not JSON: Expecting value"
    # a blank line anywhere is skipped, and the lines after it are read
    assert list(json_lines("l.jsonl", '{"a": 1}\n\n   \n{"a": 2}\n')) == [(1, {"a": 1}), (4, {"a": 2})]


def test_every_bad_row_is_named_after_a_short_one(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("name,size\na\nb,x\nc,3\n")
    with pytest.raises(DataError) as caught:
        read_csv(path, {"name": "text", "size": "number"})
    assert str(caught.value) == f"{path}:2: 1 cells, the header has 2\n{path}:3: size(=x): must be a finite number"


def test_a_declared_optional_column_absent_from_the_file_is_missing(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("name\na\nb\n")
    frame = read_csv(path, {"name": "text", "size": "number", "ok": "bool"})
    assert frame["name"].tolist() == ["a", "b"]
    assert frame["size"].isna().all() and frame["ok"].isna().all() and list(frame.columns) == ["name", "size", "ok"]
