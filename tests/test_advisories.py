"""Advisories (OSV ranges per ecosystem, CVSS, KEV), supported upgrade paths with the proposed
chain, and multi-step upgrades in the simulation."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from upgradesim import api
from upgradesim.cli import cli
from upgradesim.errors import DataError
from upgradesim.readiness import assess
from upgradesim.readiness.advisories import load_kev, load_osv, match_advisories
from upgradesim.readiness.paths import PathRule, chain, load_paths

from .simplans import make_plan


def _feed(tmp_path, *advisories):
    folder = tmp_path / "osv"
    folder.mkdir(exist_ok=True)
    for i, adv in enumerate(advisories):
        (folder / f"{i}.json").write_text(json.dumps(adv))
    return folder


def _adv(ident, ecosystem, name, events, **extra):
    return {"id": ident, "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                                       "ranges": [{"type": "ECOSYSTEM", "events": events}]}], **extra}


def _plan(components):
    def edit(d):
        d["components"] = components
        d["regions"][0]["nodes"] = {"app": 2, "db": 1}
    return make_plan(edit)


@pytest.mark.parametrize("ecosystem,version,events,affected,fixed", [
    ("PyPI", "2.0.1", [{"introduced": "0"}, {"fixed": "2.0.3"}], True, "2.0.3"),
    ("PyPI", "2.0.3", [{"introduced": "0"}, {"fixed": "2.0.3"}], False, None),  # the fixed version is fixed
    ("PyPI", "1.0rc1", [{"introduced": "1.0"}], False, None),  # a pre-release comes before 1.0 in PEP 440
    ("Maven", "9.0.85", [{"introduced": "9.0.0"}, {"fixed": "9.0.90"}, {"introduced": "10.1.0"}, {"fixed": "10.1.25"}],
     True, "9.0.90"),
    ("Maven", "10.0.5", [{"introduced": "9.0.0"}, {"fixed": "9.0.90"}, {"introduced": "10.1.0"}, {"fixed": "10.1.25"}],
     False, None),
    ("Debian", "1.1.1w", [{"introduced": "1.1.1"}, {"last_affected": "1.1.1w"}], True, None),
    ("Debian", "1:2.3-1", [{"introduced": "0"}, {"fixed": "1:2.3-2"}], True, "1:2.3-2"),  # epochs and revisions
    ("npm", "1.10.0", [{"introduced": "1.2.0"}, {"fixed": "1.9.0"}], False, None),  # 1.10 > 1.9: not text order
])
def test_ranges_use_the_ecosystems_rules(tmp_path, ecosystem, version, events, affected, fixed):
    plan = _plan([{"name": "c", "tier": "app", "product": "pkg", "version": version}])
    found = match_advisories(plan, load_osv(_feed(tmp_path, _adv("A-1", ecosystem, "PKG", events))))
    assert bool(found) == affected
    if affected:
        assert found[0].fixed_in == fixed and found[0].note == ""


def test_purl_matching_target_fix_cvss_and_kev(tmp_path):
    adv = _adv("GHSA-1", "Maven", "org.apache.tomcat:tomcat-catalina", [{"introduced": "0"}, {"fixed": "10.1.25"}],
               aliases=["CVE-2099-7"], severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}])
    plan = _plan([{"name": "tc", "tier": "app", "product": "tomcat", "version": "10.1.20", "target_version": "10.1.28",
                   "purl": "pkg:maven/org.apache.tomcat/tomcat-catalina"},
                  {"name": "other", "tier": "db", "product": "tomcat-catalina", "version": "10.1.20"}])
    kev = tmp_path / "kev.json"
    kev.write_text(json.dumps({"vulnerabilities": [{"cveID": "CVE-2099-7", "dateAdded": "2026-01-02"}]}))
    (f,) = match_advisories(plan, load_osv(_feed(tmp_path, adv)), load_kev(kev))
    assert (f.component, f.score, f.severity, f.known_exploited, f.fixed_in, f.target_fixes) == (
        "tc", 9.8, "critical", True, "10.1.25", True)
    assert f.kev == {"dateAdded": "2026-01-02"}


def test_unknown_ecosystem_and_unparsable_versions_say_so(tmp_path):
    plan = _plan([{"name": "c", "tier": "app", "product": "thing", "version": "2.1"}])
    (f,) = match_advisories(plan, load_osv(_feed(tmp_path, _adv("A", "Nowhere", "thing",
                                                                [{"introduced": "0"}, {"fixed": "3.0"}]))))
    assert f.note == "versions compared with PEP 440 rules (nowhere not known)"
    git = {"id": "G", "affected": [{"package": {"ecosystem": "GIT", "name": "thing"},
                                    "ranges": [{"type": "GIT", "events": [{"introduced": "abc"}]}]}]}
    (g,) = match_advisories(plan, load_osv(_feed(tmp_path, git)))
    assert g.note == "only GIT ranges: the version cannot be judged from them"


@pytest.mark.parametrize("content,message", [
    ("{", "not JSON"),
    ('{"affected": []}', "id: required"),
    ('{"id": "X", "affected": []}', "X: affected: required"),
    ('{"id": "X", "affected": [{"package": {"name": "p"}, "ranges": [{"events": [{"opened": "1"}]}]}]}',
     "event 'opened' is not one of introduced, fixed, last_affected, limit"),
    ('{"id": "X", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:Q"}], '
     '"affected": [{"package": {"name": "p"}}]}', "not a CVSS vector"),
])
def test_malformed_osv_is_one_line(tmp_path, content, message):
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "bad.json").write_text(content)
    with pytest.raises(DataError) as caught:
        load_osv(folder)
    assert message in str(caught.value) and str(caught.value).startswith(str(folder / "bad.json"))


def test_empty_feeds_are_errors_not_silence(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no \\*.json files: no advisories read"):
        load_osv(tmp_path / "empty")
    kev = tmp_path / "kev.csv"
    kev.write_text("vendor,product\nx,y\n")
    with pytest.raises(DataError, match="missing column cveID"):
        load_kev(kev)
    kev.write_text("cveID,dateAdded\n")
    with pytest.raises(DataError, match="no entries"):
        load_kev(kev)


@pytest.mark.parametrize("rule,current,target,expected", [
    (PathRule(rule="any"), "12.17", "16.4", []),
    (PathRule(rule="one_minor"), "3.11.28", "3.13.7", ["3.12"]),
    (PathRule(rule="one_minor", last_minor={"3": 13}), "3.12.1", "4.1.0", ["3.13", "4.0"]),
    (PathRule(rule="one_minor"), "3.12.1", "4.0.2", ["the last 3.x minor"]),
    (PathRule(rule="one_major"), "5.7", "8.0", ["6", "7"]),
    (PathRule(rule="stones", stones=("18.04", "20.04", "22.04", "24.04")), "18.04", "24.04", ["20.04", "22.04"]),
    (PathRule(rule="stones", stones=("6.8", "7.17")), "7.10.2", "8.15.0", ["7.17"]),
    (PathRule(rule="one_minor"), "3.13.7", "3.13.9", []),
    (PathRule(rule="one_minor"), "latest", "3.13", None),
])
def test_chains(rule, current, target, expected):
    assert chain(rule, current, target) == expected


def test_the_sample_broker_hop_is_flagged_with_its_chain():
    from upgradesim.sample.estate import sample_plan_path

    result = assess(api.load(sample_plan_path()), as_of=dt.date(2026, 11, 30))
    broker = result.findings[(result.findings.component == "order-broker") & (result.findings.severity == "blocker")
                             & result.findings.message.str.contains("one hop")]
    assert broker.message.tolist() == ["order-broker: rabbitmq does not support 3.11.28 -> 3.13.7 in one hop "
                                       "(one minor); take 3.11.28 -> 3.12 -> 3.13.7"]
    assert broker.recommendation.tolist() == ["upgrade in 2 steps; to simulate them set tiers.middleware.steps: 2"]


def test_own_rules_merge_over_the_bundled(tmp_path):
    extra = tmp_path / "paths.yaml"
    extra.write_text("postgresql: {rule: one_major}\nshop: {rule: stones}\n")
    with pytest.raises(DataError, match="shop: rule stones needs stones"):
        load_paths(extra)
    extra.write_text("postgresql: {rule: one_major}\n")
    assert load_paths(extra)["postgresql"].rule == "one_major" and load_paths()["postgresql"].rule == "any"


@pytest.mark.slow  # simulates every hop
def test_steps_run_consecutive_hops_in_the_simulation():
    from upgradesim.sim import prepare, run_replication

    def edit(d, steps):
        d["components"] = [{"name": "app", "tier": "app", "product": "shop", "version": "1"}]
        d["regions"][0]["nodes"] = {"app": 1}
        d["tiers"] = {"app": {"capacity_rps": 100, "upgrade_min": 10, "steps": steps}}
        d["strategies"] = [{"name": "s", "kind": "rolling", "batch_size": 1}]
    one = run_replication(prepare(make_plan(lambda d: edit(d, 1))), "s", 0, 0)[0]
    three = run_replication(prepare(make_plan(lambda d: edit(d, 3))), "s", 0, 0)[0]
    assert one["duration_min"] == 10.0 and three["duration_min"] == 30.0
    plan = make_plan(lambda d: edit(d, 3))
    assert plan.tiers["app"].planning_steps_min == 30.0
    # failure: any of the 3 steps failing fails the attempt
    def failing(d):
        edit(d, 3)
        d["tiers"]["app"]["failure_prob"] = 0.2
    fails = [run_replication(prepare(make_plan(failing)), "s", 0, i)[0]["nodes_failed"] for i in range(400)]
    assert abs(np.mean(fails) - (1 - 0.8 ** 3)) < 0.06


def test_readiness_advisory_area_and_cli(tmp_path):
    from upgradesim.sample.advisories import write_advisories
    from upgradesim.sample.estate import sample_plan_path

    write_advisories(tmp_path)
    result = api.readiness(sample_plan_path(), as_of=dt.date(2026, 11, 30), osv=tmp_path / "advisories" / "osv",
                           kev=tmp_path / "advisories" / "kev.csv")
    adv = result.findings[result.findings.area == "advisory"]
    assert sorted(zip(adv.component, adv.severity, strict=True)) == [
        ("orders-db", "info"), ("orders-db-replica", "info"), ("servlet-container", "info"),
        ("session-cache", "warning"), ("tls-library", "blocker")]
    blocker = adv[adv.severity == "blocker"].message.iloc[0]
    assert blocker == ("tls-library 1.1.1w: SAMPLE-2026-0002 (CVE-2099-1002), high 8.1, known exploited (CISA KEV); "
                       "no fixed version yet; the plan does not upgrade it")
    res = CliRunner().invoke(cli, ["advisories", str(sample_plan_path()), "--osv", str(tmp_path / "advisories" / "osv"),
                                   "--kev", str(tmp_path / "advisories" / "kev.csv"), "--json"])
    assert res.exit_code == 2 and json.loads(res.output)["open"] == 2
    with pytest.raises(DataError, match="--kev: give --osv too"):
        api.readiness(sample_plan_path(), kev=tmp_path / "advisories" / "kev.csv")


def test_known_exploitation_comes_first_in_the_urgency_order(tmp_path):
    from upgradesim.sample.advisories import write_advisories
    from upgradesim.sample.estate import sample_plan_path

    write_advisories(tmp_path)
    plain = api.readiness(sample_plan_path(), as_of=dt.date(2026, 11, 30)).components.set_index("component")
    with_kev = api.readiness(sample_plan_path(), as_of=dt.date(2026, 11, 30), osv=tmp_path / "advisories" / "osv",
                             kev=tmp_path / "advisories" / "kev.csv").components.set_index("component")
    assert with_kev.loc["tls-library", "urgency_rank"] == 1  # openssl 1.1.1w: known exploited, left open
    assert plain.loc["tls-library", "urgency_rank"] > 1
