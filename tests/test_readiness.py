"""Readiness checks on small hand-built estates with a pinned as-of date (never today)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from click.testing import CliRunner

from upgradesim import DataError, load_plan, sample_plan_path
from upgradesim.cli import cli
from upgradesim.readiness import assess, cycle_of, load_lifecycle, parse_version, satisfies

from .simplans import make_plan

AS_OF = dt.date(2026, 11, 30)


@pytest.mark.parametrize(("text", "expected"), [
    ("12.2", "12.2"), ("3.8.x", "3.8"), ("3.8.*", "3.8"), ("2019", "2019"), ("11.0.21+9", "11.0.21+9"),
    ("8u502-b07", "8.0.502"), ("1.1.1w", "1.1.1.post23"), ("2024-06", "2024.6"), ("v2.4.58", "2.4.58"),
    ("17.0.12+7", "17.0.12+7"), ("5.0", "5.0"), ("R2", "2"), ("release-7.4.1-final", "7.4.1"),
])
def test_real_world_version_strings(text, expected):
    assert str(parse_version(text)) == expected


def test_unusable_versions_and_comparisons():
    assert parse_version("latest") is None and parse_version("") is None
    assert parse_version("1.1.1w") > parse_version("1.1.1a") > parse_version("1.1.1")
    assert parse_version("8u502") > parse_version("8u41")
    assert satisfies("12.17", ">=13") is False and satisfies("16.4", ">=13") is True
    assert satisfies("11.0.21+9", ">=11,<17") is True and satisfies("nonsense", ">=1") is None
    assert cycle_of("12.17", ["12", "16", "9.6"]) == "12"
    assert cycle_of("9.6.24", ["9", "9.6"]) == "9.6"  # the longest matching cycle
    assert cycle_of("3.11.28", ["3.1", "3.11"]) == "3.11"
    assert cycle_of("20.04", ["20.04", "22.04"]) == "20.04"
    assert cycle_of("4.0", ["3.13"]) is None


def test_bundled_snapshot_loads():
    lc = load_lifecycle()
    assert len(lc.products()) == 30
    pg12 = lc.cycles["postgresql"]["12"]
    assert pg12.eol == dt.date(2024, 11, 21)


def test_malformed_lifecycle_rows_are_named(tmp_path):
    path = tmp_path / "lc.csv"
    path.write_text(textwrap.dedent("""\
        product,cycle,release_date,support_end,eol,latest
        postgresql,16,2023-09-14,,2028-11-09,16.15
        postgresql,15,2022-13-01,,2027-11-11,15.9
        redis,7.2,2023-08-15,,someday,7.2.16
        ,8.0,2025-05-02,,2026-12-01,8.0.6
        """))
    with pytest.raises(DataError) as info:
        load_lifecycle(path)
    assert str(info.value).splitlines() == [
        f"{path}:3: release_date(=2022-13-01): must be an ISO date (YYYY-MM-DD)",
        f"{path}:4: eol(=someday): must be an ISO date (YYYY-MM-DD) or true/false",
        f"{path}:5: product and cycle are required",
    ]
    (tmp_path / "bad.csv").write_text("product,version\nx,1\n")
    with pytest.raises(DataError, match="missing columns cycle, release_date, support_end, eol, latest"):
        load_lifecycle(tmp_path / "bad.csv")


def estate(**edits):
    """A two-component estate; ``edits`` maps a dotted section to a function editing the data."""
    def edit(data):
        for fn in edits.values():
            fn(data)
    return make_plan(edit)


def by_area(result, area):
    return result.findings[result.findings.area == area]


def test_compatibility_rule_blocks_without_an_upgrade_and_warns_with_one():
    plan = estate(req=lambda d: d["release"].update(requires=["postgresql >=13"]))
    result = assess(plan, as_of=AS_OF)
    dep = by_area(result, "dependency").iloc[0]
    assert (dep.severity, dep.component) == ("blocker", "db")
    assert "fails the target's rule 'postgresql >=13'" in dep.message and "blocks app" in dep.message
    assert not result.go and result.decision == "no-go"

    plan = estate(req=lambda d: d["release"].update(requires=["postgresql >=13"]),
                  tgt=lambda d: d["components"][0].update(target_version="16.4"))
    dep = by_area(assess(plan, as_of=AS_OF), "dependency").iloc[0]
    assert dep.severity == "warning" and "must be done first" in dep.message


def test_edge_constraint_broken_by_the_planned_upgrade():
    def edit(d):
        d["components"][0].update(version="12.4", target_version="16.4")
        d["components"][1]["depends_on"] = ["db >=12,<16"]
    result = assess(make_plan(edit), as_of=AS_OF)
    dep = by_area(result, "dependency").iloc[0]
    assert dep.severity == "blocker" and "upgrading db to 16.4 breaks app's constraint >=12,<16" in dep.message
    assert result.upgrade_order == ["db"]


def test_lifecycle_statuses_on_a_pinned_date():
    def edit(d):
        d["components"] = [
            {"name": "pg", "tier": "db", "product": "postgresql", "version": "12.17"},                # past eol
            {"name": "pg2", "tier": "db", "product": "postgresql", "version": "12.17", "target_version": "16.4"},
            {"name": "tc", "tier": "app", "product": "tomcat", "version": "9.0.85"},                  # eol 2027-03-31
            {"name": "mystery", "tier": "app", "product": "in-house-erp", "version": "4.2"},
        ]
        d["calendar"]["start"] = "2027-03-06T00:00:00Z"
        d["calendar"]["horizon_days"] = 56
        d["calendar"]["one_off_windows"] = [{"start": "2027-03-06T00:00:00", "end": "2027-05-01T00:00:00"}]
    result = assess(make_plan(edit), as_of=AS_OF)
    lc = by_area(result, "lifecycle").set_index("component")
    assert lc.loc["pg", "severity"] == "blocker" and "since 2024-11-21" in lc.loc["pg", "message"]
    assert lc.loc["pg2", "severity"] == "warning" and "(the plan upgrades it)" in lc.loc["pg2", "message"]
    assert lc.loc["tc", "severity"] == "warning" and "during the planned rollout" in lc.loc["tc", "message"]
    assert lc.loc["mystery", "severity"] == "info" and "unknown" in lc.loc["mystery", "message"]
    rows = result.lifecycle.set_index("component")
    assert rows.loc["pg", "days_to_eol"] == (dt.date(2024, 11, 21) - AS_OF).days
    assert rows.loc["tc", "days_to_eol"] == (dt.date(2027, 3, 31) - AS_OF).days
    assert rows.loc["pg", "urgency_rank"] == 1 and rows.loc["mystery", "status"] == "unknown"
    classes = result.components.set_index("component").readiness
    assert classes["pg"] == "not ready" and classes["tc"] == "conditionally ready" and classes["mystery"] == "unknown"


def test_capacity_projection_and_batch_out():
    def edit(d):
        d["release"]["overheads"] = {"cpu_pct": 20}
        d["regions"][0]["nodes"] = {"app": 4, "db": 1}
        d["regions"][0]["traffic"] = {"hourly_rps": [300.0] * 24}  # 300 of 400 rps: 75%, 90% with overhead
        d["chosen_strategy"] = "one-by-one"
    result = assess(make_plan(edit), as_of=AS_OF)
    cap = by_area(result, "capacity")
    app = cap[cap.component == "app in eu"]
    assert "projected peak utilisation 90% exceeds 85%" in app.message.iloc[0] and app.severity.iloc[0] == "blocker"
    row = result.capacity.set_index("tier").loc["app"]
    assert row.utilisation == pytest.approx(0.75) and row.projected == pytest.approx(0.9)
    assert row.utilisation_during_batch == pytest.approx(300 / 300 * 1.2)  # 3 of 4 nodes left
    assert any("with 1 of 4 nodes out" in m for m in app.message)


def test_security_and_customizations():
    def edit(d):
        d["release"].update(min_tls="1.2", auth_mechanisms=["oauth2"], removed_features=["soap"],
                            changed_features=["pricing"])
        d["components"].append({"name": "erp", "tier": "integration", "product": "erp", "version": "1",
                                "tls_versions": ["1.0", "1.1"], "auth_mechanisms": ["basic"], "uses_features": ["soap"]})
        d["components"].append({"name": "pay", "tier": "integration", "product": "pay", "version": "1",
                                "tls_versions": ["1.2"], "auth_mechanisms": ["oauth2"]})
        d["components"][1]["customizations"] = [{"name": "bridge", "touches": ["soap"]},
                                                {"name": "discounts", "touches": "pricing"}]
        d["workflows"] = [{"name": "checkout", "criticality": "critical", "components": ["app", "pay"]},
                          {"name": "newsletter", "criticality": "low", "components": ["pay"]}]
    result = assess(make_plan(edit), as_of=AS_OF)
    sec = by_area(result, "security")
    assert list(sec.component) == ["erp", "erp"]
    assert set(sec.message) == {"supports TLS up to 1.1; the target requires >= 1.2",
                                "authenticates with basic; the target supports only oauth2"}
    cus = by_area(result, "customization").set_index("message")
    assert cus.loc["customization bridge uses soap, which the release removes", "severity"] == "blocker"
    assert cus.loc["customization discounts touches pricing, which the release changes", "severity"] == "warning"
    assert cus.loc["erp uses soap, which the release removes", "severity"] == "blocker"
    wf = result.workflows.set_index("workflow")
    assert wf.loc["checkout", "needs"] == "parallel run" and wf.loc["checkout", "blocked_by"] == "app"
    assert wf.loc["newsletter", "needs"] == "standard testing"
    assert by_area(result, "workflow").iloc[0].severity == "blocker"
    assert list(result.findings.id[:2]) == ["CUS-001", "CUS-002"]


def test_clean_estate_is_go():
    def edit(d):
        d["components"][0].update(product="postgresql", version="17.2")
    result = assess(make_plan(edit), as_of=AS_OF)
    assert result.go and result.counts()["blocker"] == 0


def test_sample_estate_findings():
    result = assess(load_plan(sample_plan_path()), as_of=AS_OF)
    # + 1 blocker: the order-history archive moves EU data to the US (residency);
    # + 1 blocker: rabbitmq 3.11 -> 3.13 skips 3.12 (upgrade paths); + 5 blockers: the staging
    # evidence gates (before_go) with no store are missing; + 2 warnings:
    # erp-connector and tax-service touched without fallback or contract test; + 1 info: shipping-api
    # has a fallback but no contract test; + 3 blockers: 7.0 needs 1 GB more memory than the app
    # nodes of each region have (memory and storage); + 1 warning: those memory blockers bear on every
    # app-tier component, so the medium workflow customer-notifications (order-worker) is touched
    assert result.counts() == {"blocker": 28, "warning": 19, "info": 15}
    memory = result.findings[result.findings.message.str.contains("of memory per node")]
    assert sorted(memory.component) == ["app in ap-southeast", "app in eu-west", "app in us-east"]
    assert set(result.findings.area) == {"dependency", "lifecycle", "capacity", "security", "customization", "workflow",
                                         "integration", "evidence", "residency"}
    evd = result.findings[result.findings.area == "evidence"]
    assert len(evd) == 5 and set(evd.severity) == {"blocker"}
    assert sorted(result.findings[result.findings.area == "integration"].component) == [
        "erp-connector", "shipping-api", "tax-service"]
    assert result.decision == "no-go" and 15 < result.score < 30
    assert result.upgrade_order.index("orders-db") < result.upgrade_order.index("order-api")
    assert result.upgrade_order.index("app-jvm") < result.upgrade_order.index("servlet-container")
    classes = result.components.readiness.value_counts().to_dict()
    assert classes["not ready"] >= 8 and classes.get("unknown", 0) >= 5


def test_cli_readiness(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["readiness", str(sample_plan_path()), "--as-of", "2026-11-30", "--json",
                                 "--db", str(tmp_path / "r.duckdb")])
    assert result.exit_code == 2
    doc = json.loads(result.output)
    assert list(doc)[:5] == ["as_of", "decision", "score", "counts", "upgrade_order"]
    assert doc["decision"] == "no-go" and doc["counts"]["blocker"] == 28
    from upgradesim.store import Store

    with Store(tmp_path / "r.duckdb") as store:
        stored = store.readiness()
    assert len(stored.findings) == 62 and stored.decision == "no-go" and stored.readiness_id
    # read back as the Readiness write_readiness took: every table and field
    assert json.loads(json.dumps(stored.to_dict(), default=str)) == doc
    assert stored.meta["plan_hash"] and stored.meta["lifecycle_source"] and stored.meta["capacity_source"] == "plan"
    bad = runner.invoke(cli, ["readiness", str(sample_plan_path()), "--as-of", "30/11/2026"])
    assert bad.exit_code == 1 and "--as-of(=30/11/2026): must be a date YYYY-MM-DD" in bad.output


@pytest.mark.parametrize("day, status, days", [(dt.date(2024, 11, 20), "ends_before_rollout", 1),
                                               (dt.date(2024, 11, 21), "ends_before_rollout", 0),
                                               (dt.date(2024, 11, 22), "past_eol", -1)])
def test_end_of_life_is_compared_on_the_right_day(day, status, days):
    """PostgreSQL 12 reaches end of life on 2024-11-21: supported through that day, past it after."""
    def edit(d):
        d["components"] = [{"name": "pg", "tier": "db", "product": "postgresql", "version": "12.17"}]
        d["calendar"]["start"] = "2025-01-06T00:00:00Z"
        d["calendar"]["one_off_windows"] = [{"start": "2025-01-06T00:00:00", "end": "2025-02-01T00:00:00"}]
    rows = assess(make_plan(edit), as_of=day).lifecycle.set_index("component")
    assert rows.loc["pg", "status"] == status and rows.loc["pg", "days_to_eol"] == days
