"""Every notebook runs with its default parameters (the bundled sample, made on first use), the
CAB pack opens with a decision in plain words, and a report of results from another plan version
says STALE."""

from __future__ import annotations

import re

import nbformat
import papermill
import pytest

from upgradesim import api
from upgradesim.report import render

NOTEBOOKS = ["readiness", "rollout_strategy", "post_upgrade", "cab_pack", "what_if"]
SCI = re.compile(r"\b\d+(?:\.\d+)?e[+-]?\d+\b", re.I)
RAW_FIELDS = re.compile(r"\b(?:p_rollback|p_overrun|p_complete|duration_p\d+_min|downtime_min|sla_breach_min|"
                        r"extra_node_hours|U=|p=0)\b")

pytestmark = [pytest.mark.notebook, pytest.mark.slow]  # renders notebooks


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("defaults")
    api.sample_workspace(folder / api.SAMPLE_FOLDER)
    return folder


def _text(book) -> str:
    parts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts.append(data.get("text/html", "") or data.get("text/plain", "") or out.get("text", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_runs_with_its_default_parameters(workdir, name):
    src = api.__file__.replace("api.py", f"notebooks/{name}.ipynb")
    out = workdir / f"{name}.out.ipynb"
    papermill.execute_notebook(src, str(out), cwd=str(workdir), progress_bar=False, kernel_name="python3")
    text = _text(nbformat.read(out, as_version=4))
    assert "Traceback" not in text
    assert "upgradesim-sample" not in text or name == "what_if" or "bundled sample" in text
    if name == "cab_pack":
        assert re.search(r"Decision: (GO|GO WITH CONDITIONS|NO-GO)", text)
    if name == "what_if":
        assert "P(rollback)" in text and "rolling" in text  # the risk table of the default setting
    if name != "what_if":
        assert "bundled sample" in text  # provenance line: which plan, its hash, the store


def test_the_cab_pack_reads_as_plain_words_before_its_appendix(workdir, tmp_path):
    folder = workdir / api.SAMPLE_FOLDER
    html = render("cab_pack", plan=str(folder / "plan.yaml"), db=str(folder / "upgradesim.duckdb"),
                  out=tmp_path).html.read_text()
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S))
    head = visible.split("Appendix")[0]
    assert re.search(r"Decision: (GO WITH CONDITIONS|GO|NO-GO)", head)
    assert not SCI.findall(head), SCI.findall(head)[:5]
    assert not RAW_FIELDS.findall(head), RAW_FIELDS.findall(head)[:5]
    assert "hash " in head and "generated " in head  # provenance


def test_a_report_of_another_plan_version_says_stale(workdir, tmp_path):
    import yaml

    folder = workdir / api.SAMPLE_FOLDER
    data = yaml.safe_load((folder / "plan.yaml").read_text())
    data["tiers"]["app"]["retries"] = 3  # another version of the plan
    changed = tmp_path / "plan.yaml"
    changed.write_text(yaml.safe_dump(data))
    html = render("rollout_strategy", plan=str(changed), db=str(folder / "upgradesim.duckdb"),
                  out=tmp_path).html.read_text()
    assert "STALE: the stored simulation was computed from plan hash" in html
    cab = render("cab_pack", plan=str(changed), db=str(folder / "upgradesim.duckdb"), out=tmp_path).html.read_text()
    assert "Decision: NO-GO" in cab and "another version of the plan" in cab


def test_an_empty_store_says_what_is_missing_and_which_command_fills_it(workdir, tmp_path):
    from upgradesim import Store

    folder = workdir / api.SAMPLE_FOLDER
    empty = tmp_path / "empty.duckdb"
    with Store(empty):
        pass
    html = render("readiness", plan=str(folder / "plan.yaml"), db=str(empty), out=tmp_path).html.read_text()
    assert "No readiness is stored in" in html and "upgradesim readiness" in html
    html = render("rollout_strategy", plan=str(folder / "plan.yaml"), db=str(empty), out=tmp_path).html.read_text()
    assert "No simulation is stored in" in html and "upgradesim compare" in html
