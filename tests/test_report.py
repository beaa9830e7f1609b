"""Reports: the notebook contract, execution against a small store, errors, escaping, a browser."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import papermill
import pytest

from upgradesim import ReportError, compare, judge_telemetry, load_plan, write_sample
from upgradesim.readiness import assess
from upgradesim.report import REPORTS, notebooks_dir, plots, render, report_parameters
from upgradesim.store import Store

NOTEBOOKS = Path(__file__).resolve().parents[1] / "src" / "upgradesim" / "notebooks"
pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A small sample estate with every result the reports show."""
    folder = tmp_path_factory.mktemp("estate")
    files = write_sample(folder, baseline_weeks=2, post_days=2, step_min=120, seed=3)
    plan = load_plan(files.plan)
    db = folder / "store.duckdb"
    with Store(db) as store:
        store.ingest(files.telemetry)
        store.write_readiness(assess(plan, as_of=dt.date(2026, 11, 30), store=store))
        store.write_simulation(compare(plan, replications=12, seed=1))
        judge_telemetry(store, baseline=(None, plan.cutover_at), candidate=(plan.cutover_at, None))
    from upgradesim import api
    from upgradesim.sample.executions import NOW

    api.optimize(files.plan, budget=8, seed=1, screen=10, confirm=30, db=db, progress=False)
    api.forecast(files.plan, folder / "forecast" / "troubled.csv", now=dt.datetime.fromisoformat(NOW),
                 replications=40, db=db)
    return folder, files.plan, db


@pytest.mark.parametrize("name", list(REPORTS))
def test_contract_parameters_match_the_renderer(name):
    declared = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    assert list(declared) == list(REPORTS[name])
    for spec in declared.values():
        assert spec["help"], f"{name}: parameter {spec['name']} has no trailing comment"


@pytest.mark.parametrize("name", list(REPORTS))
def test_committed_notebooks_are_clean(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert book.cells[0].cell_type == "markdown" and book.cells[0].source.startswith("# ")
    assert "**Inputs:**" in book.cells[0].source
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    raw = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())  # nbformat.read fills missing ids in silently
    ids = [cell.get("id") for cell in raw["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), "every cell has its own id (nbformat 5)"
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
            assert len(cell.source.splitlines()) <= 12, "logic belongs in the package"
            assert "import" not in cell.source or re.search(r"from upgradesim import", cell.source)


EXPECTED_IMAGES = {"readiness": 4, "rollout_strategy": 7, "post_upgrade": 4, "cab_pack": 1, "forecast": 1}  # order-api: 3 metrics


@pytest.mark.slow  # renders notebooks: make test-all / make test-slow
@pytest.mark.parametrize("name", list(REPORTS))
def test_each_report_renders(estate, name, tmp_path):
    folder, plan, db = estate
    extra = ({"logs_before": str(folder / "logs" / "app-before.log"), "logs_after": str(folder / "logs" / "app-after.log")}
             if name == "post_upgrade" else {})
    result = render(name, plan=str(plan), db=str(db), parameters=extra, out=tmp_path)
    html = result.html.read_text()
    assert html.count("<img") == EXPECTED_IMAGES[name]
    assert "Traceback" not in html
    assert "cdnjs" not in html and 'src="http' not in html
    manifest = json.loads(result.manifest.read_text())
    assert manifest["parameters"]["plan_path"] == str(Path(plan).resolve())
    assert manifest["plan_hash"] and manifest["simulation"]["seed"] == 1
    for artifact, digest in manifest["artifacts"].items():
        import hashlib

        assert hashlib.sha256((result.folder / artifact).read_bytes()).hexdigest() == digest
    assert "bound method" not in html and "Warning" not in html and "(n=0)" not in html
    if name == "post_upgrade":
        assert "unknown field" in html  # the new log pattern
        assert "Verdict: Fail (candidate against the baseline, with the" in html
    if name == "rollout_strategy":
        assert "Recommended:" in html
        assert "Recommended: point" in html and "(the plan&#39;s)" in html or "(the plan's)" in html
    if name == "cab_pack":
        assert "<h2" in html and "Evidence" in html and ">LATER<" in html  # the sample's wave and after gates
    if name == "forecast":
        assert "PAUSE at 2027-03-13T02:30:00+00:00" in html or "ROLLBACK at 2027-03-13T02:30:00+00:00" in html
        assert "as planned" in html and "point of no return" in html


@pytest.mark.slow  # renders notebooks: make test-all / make test-slow
def test_failing_notebook_names_the_cell_and_keeps_the_partial_notebook(estate, tmp_path):
    _, _, db = estate
    with pytest.raises(ReportError) as info:
        render("readiness", plan=str(tmp_path / "missing.yaml"), db=str(db), out=tmp_path)
    err = info.value
    assert re.match(r"readiness: cell \d+ failed: PlanError: .*missing.yaml: file not found", str(err))
    assert err.cell is not None and Path(err.path).exists()
    partial = nbformat.read(err.path, as_version=4)
    assert any(o.get("output_type") == "error" for c in partial.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow  # renders notebooks: make test-all / make test-slow
def test_store_without_telemetry_says_so(tmp_path, estate):
    folder, plan, _ = estate
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    result = render("post_upgrade", plan=str(plan), db=str(empty), out=tmp_path)
    html = result.html.read_text()
    assert "The store holds no telemetry" in html and "Traceback" not in html


@pytest.mark.slow  # renders notebooks: make test-all / make test-slow
def test_hostile_plan_name_is_escaped(estate, tmp_path):
    folder, plan, db = estate
    hostile = tmp_path / "plan.yaml"
    text = Path(plan).read_text().replace("name: Order platform 7.0 upgrade", "name: \"<script>alert('owned')</script>\"")
    hostile.write_text(text)
    result = render("cab_pack", plan=str(hostile), db=str(db), out=tmp_path)
    html = result.html.read_text()
    assert "<script>alert('owned')</script>" not in html
    assert "&lt;script&gt;alert('owned')&lt;/script&gt;" in html


def test_parameter_merge_order_and_unknown_parameters():
    params = report_parameters("rollout_strategy", "p.yaml", "d.duckdb", {"run_id": "abc", "db_path": "other.duckdb"})
    assert params["run_id"] == "abc" and params["db_path"] == "other.duckdb"  # -p wins over --db
    assert params["plan_path"].endswith("p.yaml")
    with pytest.raises(ReportError, match="has no such parameter; it takes plan_path, db_path, run_id"):
        report_parameters("rollout_strategy", None, None, {"seed": "1"})
    with pytest.raises(ReportError, match="unknown report 'nope'"):
        report_parameters("nope", None, None, None)
    assert notebooks_dir() == NOTEBOOKS


@pytest.mark.slow  # needs the rendered estate
def test_plot_functions_have_titles_labels_and_legends(estate):
    folder, plan_path, db = estate
    plan = load_plan(plan_path)
    with Store(db, read_only=True) as store:
        sim = store.simulation()
        ready = store.readiness()
    figures = [plots.findings_by_area(ready.findings),
               plots.distributions(sim.replications, "duration_min", "duration (h)", 1 / 60),
               plots.probabilities(sim.summary, {"p_rollback": 0.3}),
               plots.rollout_timeline(plan, sim.events[sim.events.replication == 0]),
               plots.strategy_intervals(sim.summary, "downtime_min", "downtime (min)")]
    for fig in figures:
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel()
        assert any(ax.get_legend() is not None for ax in fig.axes)


def _browser():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.slow  # a real browser
@pytest.mark.skipif(_browser() is None and not os.environ.get("CI"), reason="no headless browser installed")
def test_reports_open_in_a_real_browser(estate, tmp_path):
    from playwright.sync_api import sync_playwright

    folder, plan, db = estate
    from upgradesim.report import render_all

    results = render_all(str(plan), str(db), out=tmp_path, log=lambda m: None)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_browser(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            for result in results:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                page.on("requestfailed", lambda r, errors=errors: errors.append(f"request failed: {r.url}"))
                page.goto(result.html.as_uri(), wait_until="load")
                images = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
                assert errors == [], (result.name, errors)
                assert len(images) == EXPECTED_IMAGES[result.name] and all(images), result.name
                page.close()
        finally:
            browser.close()


def test_numbers_for_people():
    from upgradesim.report import count, label, minutes, odds

    assert [odds(p) for p in (0.04, 0.5, 0.22, 0.0001, 0.97, 0.9999, 0.01)] == [
        "1 in 25", "1 in 2", "1 in 4.5", "almost never", "97 in 100", "almost always", "1 in 100"]
    assert [minutes(m) for m in (45, 200, 60, 3000, 2880)] == ["45 min", "3 h 20 min", "1 h", "2 days 2 h", "2 days"]
    assert [count(x) for x in (4560.2, 3.25, 12, 0)] == ["4,560", "3.2", "12", "0"]
    assert label("p_rollback") == "chance of a rollback" and label("odd_name") == "odd name"
