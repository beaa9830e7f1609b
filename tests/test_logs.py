"""New error patterns with drain3: CRLF, non-UTF-8 bytes, gzip, larger files streamed."""

from __future__ import annotations

import gzip
import json

from click.testing import CliRunner

from upgradesim.cli import cli
from upgradesim.judge import logs_diff
from upgradesim.sample.logs import NEW_PATTERN, write_logs


def lines(n, template, start=0):
    return [template.format(i=i + start, ms=(i * 37) % 900) for i in range(n)]


def test_known_new_template_and_rate_increase(tmp_path):
    before = lines(500, "INFO order {i} placed in {ms} ms") + lines(50, "WARN retry {i} for erp after {ms} ms")
    after = (lines(500, "INFO order {i} placed in {ms} ms") + lines(150, "WARN retry {i} for erp after {ms} ms")
             + lines(12, "ERROR schema rejected event {i}: unknown field discount_v7"))
    (tmp_path / "b.log").write_text("\n".join(before) + "\n")
    (tmp_path / "a.log").write_bytes(("\r\n".join(after) + "\r\n").encode() + b"INFO ord\xe9r 9 placed in 3 ms\r\n")
    diff = logs_diff(tmp_path / "b.log", tmp_path / "a.log")
    p = diff.patterns.set_index("template")
    new = diff.patterns[diff.patterns.status == "new"]
    assert len(new) == 1 and "unknown field discount_v7" in new.template.iloc[0] and new.after.iloc[0] == 12
    inc = diff.patterns[diff.patterns.status == "increased"]
    assert len(inc) == 1 and "retry" in inc.template.iloc[0] and inc.ratio.iloc[0] > 2
    assert not any("\r" in t for t in p.index)
    assert diff.lines_after == len(after) + 1  # the line with bad bytes is read, not dropped


def test_sample_logs_have_one_new_pattern(tmp_path):
    import datetime as dt

    b, a = write_logs(tmp_path, dt.datetime(2026, 11, 21, 3, tzinfo=dt.UTC), seed=1, lines=3000)
    assert b"\r\n" in a.read_bytes() and b"\xfc" in a.read_bytes()
    diff = logs_diff(b, a)
    new = diff.patterns[diff.patterns.status == "new"]
    assert len(new) == 1 and NEW_PATTERN.split(":")[0].split()[-1] in new.template.iloc[0]


def test_gzip_and_a_larger_file(tmp_path):
    before = tmp_path / "b.log.gz"
    with gzip.open(before, "wt") as fh:
        for i in range(100_000):
            fh.write(f"INFO request {i} served in {i % 500} ms\n")
    after = tmp_path / "a.log"
    after.write_text("".join(f"INFO request {i} served in {i % 500} ms\n" for i in range(50_000)) + "FATAL out of memory\n")
    diff = logs_diff(before, after)
    assert diff.lines_before == 100_000 and diff.lines_after == 50_001
    assert list(diff.changed().template) == ["FATAL out of memory"]


def test_cli_logs_diff(tmp_path):
    (tmp_path / "b.log").write_text("\n".join(lines(100, "INFO ok {i}")) + "\n")
    (tmp_path / "a.log").write_text("\n".join(lines(100, "INFO ok {i}") + ["ERROR boom 1", "ERROR boom 2"]) + "\n")
    result = CliRunner().invoke(cli, ["logs-diff", str(tmp_path / "b.log"), str(tmp_path / "a.log"), "--json"])
    assert result.exit_code == 2
    doc = json.loads(result.output)
    assert doc["patterns"][0]["status"] == "new" and doc["patterns"][0]["after"] == 2
    same = CliRunner().invoke(cli, ["logs-diff", str(tmp_path / "b.log"), str(tmp_path / "b.log")])
    assert same.exit_code == 0
    missing = CliRunner().invoke(cli, ["logs-diff", str(tmp_path / "nope.log"), str(tmp_path / "b.log")])
    assert missing.exit_code == 1 and "file not found" in missing.output
