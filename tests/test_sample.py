"""The bundled sample estate and its synthetic telemetry."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from upgradesim import DataError, load_plan, sample_plan_path, write_sample
from upgradesim.cli import cli


def test_sample_plan_is_realistic():
    plan = load_plan(sample_plan_path())
    assert 25 <= len(plan.components) <= 40
    assert len(plan.regions) == 3
    assert any(r.tz.startswith("Australia/") for r in plan.regions)  # southern hemisphere
    assert len(plan.strategies) >= 5
    assert {s.kind for s in plan.strategies} >= {"big_bang", "rolling", "phased", "canary", "blue_green", "parallel_run"}
    assert len(plan.workflows) >= 3
    assert {"postgresql", "tomcat", "rabbitmq", "nginx", "redis", "eclipse-temurin"} <= {c.product for c in plan.components}
    app_nodes = [r.nodes["app"] for r in plan.regions]
    assert min(app_nodes) >= 12 and sum(app_nodes) >= 48


def test_write_sample_telemetry(tmp_path):
    files = write_sample(tmp_path, baseline_weeks=2, post_days=2, step_min=60, seed=1)
    plan = load_plan(files.plan)
    frame = pd.concat(pd.read_parquet(p) for p in files.telemetry)
    assert list(frame.columns) == ["ts", "service", "metric", "value", "region", "host"]
    assert len(frame) == files.telemetry_rows
    assert str(frame["ts"].dt.tz) == "UTC"
    cut = pd.Timestamp(plan.cutover_at)
    lat = frame[frame.metric == "latency_p95_ms"]
    ratio = (lat[lat.ts >= cut].groupby("service").value.mean() / lat[lat.ts < cut].groupby("service").value.mean())
    assert ratio["order-api"] > 1.3  # the regressing service
    assert (ratio.drop("order-api") - 1).abs().max() < 0.1  # the others do not
    req = frame[(frame.metric == "requests") & (frame.region == "eu-west") & (frame.ts < cut)]
    by_hour = req.groupby(req.ts.dt.tz_convert("Europe/Dublin").dt.hour).value.mean()
    assert by_hour[12] > 4 * by_hour[3]  # daily seasonality in local time


def test_write_sample_is_seeded(tmp_path):
    a = write_sample(tmp_path / "a", baseline_weeks=1, post_days=1, step_min=120, seed=5)
    b = write_sample(tmp_path / "b", baseline_weeks=1, post_days=1, step_min=120, seed=5)
    pd.testing.assert_frame_equal(pd.read_parquet(a.telemetry[0]), pd.read_parquet(b.telemetry[0]))


def test_init_refuses_to_overwrite(tmp_path):
    write_sample(tmp_path, baseline_weeks=1, post_days=1, step_min=240)
    with pytest.raises(DataError, match="already exists"):
        write_sample(tmp_path)
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1 and "use --force" in result.output


def test_cli_init_then_validate(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(tmp_path), "--weeks", "1", "--post-days", "1", "--step-min", "240"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["validate", str(tmp_path / "plan.yaml")])
    assert result.exit_code == 0
    assert "valid" in result.output and "region ap-southeast (Australia/Sydney)" in result.output
