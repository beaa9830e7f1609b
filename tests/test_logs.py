"""New error patterns with drain3: CRLF, non-UTF-8 bytes, gzip, larger files streamed."""

from __future__ import annotations

import gzip
import json
from dataclasses import astuple

import pytest
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
    assert len(new) == 1 and "schema rejected event" in new.template.iloc[0], diff.changed()
    assert new.component.iloc[0] == "OrderEventPublisher" and new.level.iloc[0] == "ERROR"
    assert len(new.examples.iloc[0]) == 3 and all(NEW_PATTERN.split(":")[0] in e for e in new.examples.iloc[0])
    assert new.first_seen.iloc[0].startswith("2026-11-21")


@pytest.mark.slow  # a larger log
def test_gzip_and_a_larger_file(tmp_path):
    before = tmp_path / "b.log.gz"
    with gzip.open(before, "wt") as fh:
        for i in range(100_000):
            fh.write(f"INFO request {i} served in {i % 500} ms\n")
    after = tmp_path / "a.log"
    after.write_text("".join(f"INFO request {i} served in {i % 500} ms\n" for i in range(50_000)) + "FATAL out of memory\n")
    diff = logs_diff(before, after)
    assert diff.lines_before == 100_000 and diff.lines_after == 50_001
    new = diff.changed()
    assert list(new.template) == ["out of memory"] and list(new.level) == ["FATAL"]
    assert diff.formats == {str(before): "generic", str(after): "generic"}


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


SAMPLES = {
    "syslog": ("Nov  2 08:00:01 web-1 sshd[{pid}]: {msg}", "sshd"),
    "syslog-5424": ("<34>1 2026-11-02T08:00:01.003Z web-1 sshd {pid} ID47 - {msg}", "sshd"),
    "iso-level": ("2026-11-02 08:00:01,123 ERROR [main-{pid}] org.acme.Orders: {msg}", "org.acme.Orders"),
    "zookeeper": ("2015-07-29 17:41:44,747 - ERROR [QuorumPeer[myid=1]/0:0:0:0:2181:Leader@{pid}] - {msg}",
                  "QuorumPeer[myid=1]/0:0:0:0:2181:Leader@{pid}"),
    "short-date-level": ("17/06/09 20:10:{pid2} ERROR executor.Backend: {msg}", "executor.Backend"),
    "android": ("03-17 16:13:38.811  1702  {pid} E WindowManager: {msg}", "WindowManager"),
    "nginx-error": ("2026/11/02 08:00:01 [error] {pid}#0: *5 {msg}", ""),
    "apache-error": ("[Sun Dec 04 04:47:44 2005] [error] [pid {pid}] {msg}", ""),
    "bracketed": ("[02/Nov/2026:08:00:01 +0000] ERROR [api] {msg}", "api"),
    "pipe": ("20171223-22:15:29:606|Step_LSC|{pid}|{msg}", "Step_LSC"),
}


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_each_header_format_is_detected_and_stripped(fmt):
    from upgradesim.judge.logparse import HeaderParser

    pattern, component = SAMPLES[fmt]
    lines_ = [pattern.format(pid=1000 + i, pid2=10 + i % 40, msg=f"order {i} rejected") for i in range(20)]
    parser = HeaderParser(lines_)
    assert parser.format == fmt
    parsed = parser.parse(lines_[3])
    assert parsed.message == "order 3 rejected"
    assert parsed.component == component.format(pid=1003)
    if fmt not in ("syslog", "syslog-5424", "pipe"):
        assert parsed.level == "ERROR"


def test_json_keyvalue_access_and_custom_headers():
    from upgradesim.judge.logparse import HeaderParser

    js = [json.dumps({"ts": "2026-11-02T08:00:01Z", "level": "warning", "logger": "db", "msg": f"slow query {i}"})
          for i in range(5)]
    p = HeaderParser(js)
    assert p.format == "json" and astuple(p.parse(js[0])) == ("slow query 0", "WARN", "db", "2026-11-02T08:00:01Z")
    kv = [f'ts=2026-11-02T08:00:0{i}Z level=error logger=pay msg="card {i} declined"' for i in range(5)]
    p = HeaderParser(kv)
    assert p.format == "key=value" and astuple(p.parse(kv[1])) == ("card 1 declined", "ERROR", "pay", "2026-11-02T08:00:01Z")
    access = [f'10.0.0.{i} - - [02/Nov/2026:08:00:01 +0000] "GET /api/orders/{i} HTTP/1.1" 503 12 "-" "curl"'
              for i in range(5)]
    p = HeaderParser(access)
    assert p.format == "access" and astuple(p.parse(access[2])) == ("GET /api/orders/2 503", "ERROR", "access",
                                                             "02/Nov/2026:08:00:01 +0000")
    custom = HeaderParser(["X|1|boom"], r"X\|(?P<level>\d)\|")
    assert custom.format == "custom" and custom.parse("X|1|boom").message == "boom"


def test_masking_of_variable_tokens():
    from upgradesim.judge.logparse import mask

    text = ('user a@b.io from 10.1.2.3:8443 got "Bad thing" at https://x.io/a?b=1 job 123e4567-e89b-12d3-a456-426614174000 '
            "read /var/lib/data/x.db took 250ms ptr 0xdeadbeef sha 9f86d081884c7d65 n=42 blk_-1608999687919862906")
    assert mask(text) == ("user <EMAIL> from <IP> got <STR> at <URL> job <UUID> read <PATH> took <DUR> ptr <HEX> "
                          "sha <HEX> n=<NUM> <ID>")


def test_unreadable_empty_and_binary_logs(tmp_path):
    good = tmp_path / "good.log"
    good.write_text("INFO ok 1\nINFO ok 2\n")
    fake = tmp_path / "fake.log.gz"
    fake.write_text("not gzip\n")
    binary = tmp_path / "bin.log"
    binary.write_bytes(b"\x00\x01\x02ELF" * 100)
    empty = tmp_path / "empty.log"
    empty.write_text("")
    runner = CliRunner()
    for bad, words in ((fake, "named .gz but not gzip"), (binary, "looks binary")):
        result = runner.invoke(cli, ["logs-diff", str(good), str(bad)])
        assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["logs-diff", str(empty), str(good)])
    assert result.exit_code == 3 and "inconclusive: the before logs hold no lines" in result.output
    utf16 = tmp_path / "u16.log"
    utf16.write_text("INFO ok 1\nERROR new thing\n", encoding="utf-16")
    diff = logs_diff(good, utf16)
    assert list(diff.changed().template) == ["new thing"]
