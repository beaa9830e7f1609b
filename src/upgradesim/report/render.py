"""Rendering a report: papermill runs the notebook, nbconvert writes HTML without code, and a
manifest records the parameters, plan hash, seed, package version and each artifact's sha256."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReportError, UpgradesimError

__all__ = ["REPORTS", "RenderResult", "render", "render_all", "notebooks_dir", "report_parameters"]

# report -> the parameters its notebook declares, with the renderer's defaults. A contract test
# checks these names against papermill.inspect_notebook, so the two cannot drift apart.
REPORTS: dict[str, dict[str, str]] = {
    "readiness": {"plan_path": "", "db_path": ""},
    "rollout_strategy": {"plan_path": "", "db_path": "", "run_id": ""},
    "post_upgrade": {"plan_path": "", "db_path": "", "verdict_id": "", "logs_before": "", "logs_after": "",
                     "runbook_path": ""},
    "cab_pack": {"plan_path": "", "db_path": ""},
    "forecast": {"plan_path": "", "db_path": "", "forecast_id": ""},
}


@dataclass(frozen=True)
class RenderResult:
    name: str
    folder: Path
    notebook: Path
    html: Path
    manifest: Path


def notebooks_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where the report notebooks are: ``explicit``, $UPGRADESIM_NOTEBOOKS, or the ones installed
    with the package (``upgradesim/notebooks``, also what a checkout's ``notebooks/`` links to)."""
    for candidate in (explicit, os.environ.get("UPGRADESIM_NOTEBOOKS"), Path(__file__).resolve().parents[1] / "notebooks"):
        if candidate and (Path(candidate) / "readiness.ipynb").exists():
            return Path(candidate)
    raise ReportError("cannot find the report notebooks: give --notebooks DIR or set UPGRADESIM_NOTEBOOKS")


def report_parameters(name: str, plan: str | None, db: str | None, overrides: dict[str, str] | None) -> dict[str, str]:
    """Merged in a stated order: the renderer's defaults, then --plan/--db, then -p overrides."""
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; choose one of {', '.join(REPORTS)} or all")
    params = dict(REPORTS[name])
    if plan is not None:
        params["plan_path"] = str(Path(plan).resolve())
    if db is not None:
        params["db_path"] = str(Path(db).resolve())
    for key, value in (overrides or {}).items():
        if key not in params:
            raise ReportError(f"-p {key}: {name} has no such parameter; it takes {', '.join(params)}")
        params[key] = value
    return params


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(name: str, *, plan: str | None = None, db: str | None = None, parameters: dict[str, str] | None = None,
           out: str | os.PathLike = "reports", notebooks: str | os.PathLike | None = None,
           stamp: str | None = None, kernel: str | None = None) -> RenderResult:
    """Run report ``name``; the executed notebook, HTML and manifest go to ``out/<name>-<stamp>/``.

    A failing notebook raises ReportError naming the cell and the error, after the partially
    executed notebook has been written.
    """
    import papermill
    from nbconvert import HTMLExporter

    params = report_parameters(name, plan, db, parameters)
    source = notebooks_dir(notebooks) / f"{name}.ipynb"
    stamp = stamp or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(out) / f"{name}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / f"{name}.ipynb"
    try:
        papermill.execute_notebook(str(source), str(executed), parameters=params, progress_bar=False,
                                   kernel_name=kernel, cwd=str(folder), log_output=False,
                                   kernel_manager_class=_local_kernel_manager())
    except papermill.PapermillExecutionError as exc:
        evalue = str(exc.evalue).splitlines()[0] if exc.evalue else ""
        raise ReportError(f"{name}: cell {exc.exec_count} failed: {exc.ename}: {evalue} "
                          f"(partial notebook: {executed})", cell=exc.cell_index, path=str(executed)) from None
    # self-contained: no code, images embedded, and no scripts fetched from a CDN (reports are read
    # offline and inside networks that block them; the reports use neither MathJax nor require.js)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            mathjax_url="", require_js_url="", mermaid_js_url="", mermaid_layout_elk_js_url="")
    body, _ = exporter.from_filename(str(executed))
    body = re.sub(r'<script src=""[^>]*>\s*</script>', "", body)
    html = folder / f"{name}.html"
    html.write_text(body, encoding="utf-8")
    from ..version import __version__

    manifest = {"report": name, "created_at": dt.datetime.now(dt.UTC).isoformat(), "package_version": __version__,
                "parameters": params, **_provenance(params)}
    manifest["artifacts"] = {p.name: _sha256(p) for p in (executed, html)}
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return RenderResult(name, folder, executed, html, path)


def _local_kernel_manager():
    """A kernel manager speaking over local sockets (IPC): the kernel runs on this machine, so
    there is no reason to open TCP ports, and ipykernel warns about unencrypted TCP otherwise."""
    from jupyter_client.manager import KernelManager
    from traitlets import CaselessStrEnum

    class LocalKernelManager(KernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    return LocalKernelManager


def _provenance(params: dict[str, str]) -> dict:
    """Plan hash and the seed of the stored simulation the report shows, when they exist."""
    out: dict = {}
    try:
        from ..plan import load_plan, plan_hash

        plan = load_plan(params["plan_path"])
        out["plan_hash"] = plan_hash(plan)
        out["change_id"] = plan.change_id
    except UpgradesimError:  # the notebook already reported a plan it could not read
        out["plan_hash"] = None
    try:
        from ..store import Store

        with Store(params["db_path"], read_only=True) as store:
            runs = store.simulation_runs()
        if len(runs):
            row = runs.iloc[-1]
            out["simulation"] = {"run_id": row["run_id"], "seed": int(row["seed"]), "replications": int(row["replications"]),
                                 "plan_hash": row["plan_hash"]}
    except UpgradesimError:  # no store, or no simulation in it
        pass
    return out


def render_all(plan: str, db: str, *, out: str | os.PathLike = "reports", replications: int = 500, seed: int = 0,
               workers: int = 1, as_of: dt.date | None = None, notebooks=None, judge_config: str | None = None,
               log=print, refresh: bool = False) -> list[RenderResult]:
    """Produce whatever results the store lacks (readiness, strategy comparison, verdict) — and,
    with ``refresh``, recompute readiness and the comparison — then render every report. The
    notebooks only query and plot (and say STALE when a result is of another plan version)."""
    from ..judge import judge, load_judge_config
    from ..plan import load_plan
    from ..readiness import assess
    from ..sim import compare
    from ..store import Store

    loaded = load_plan(plan)
    plan_dir = Path(plan).resolve().parent
    with Store(db) as store:
        if refresh or not len(store.table("readiness_runs")):
            log("running the readiness assessment")
            store.write_readiness(assess(loaded, as_of=as_of or dt.date.today(), store=store))
        if refresh or not len(store.simulation_runs()):
            log(f"comparing strategies ({replications} replications each)")
            store.write_simulation(compare(loaded, replications=replications, seed=seed, workers=workers))
        if store.telemetry_range()["rows"] and not len(store.table("verdict_runs")) and loaded.cutover_at:
            log("judging the post-upgrade period")
            config_path = judge_config or (plan_dir / "judge.yaml" if (plan_dir / "judge.yaml").exists() else None)
            judge(store, baseline=(None, loaded.cutover_at), candidate=(loaded.cutover_at, None),
                  config=load_judge_config(config_path) if config_path else None)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = {k: str(plan_dir / "logs" / f"app-{k.split('_')[1]}.log") for k in ("logs_before", "logs_after")
            if (plan_dir / "logs" / f"app-{k.split('_')[1]}.log").exists()}
    results = []
    for name in REPORTS:
        extra = {k: v for k, v in logs.items() if k in REPORTS[name]}
        results.append(render(name, plan=plan, db=db, parameters=extra, out=out, notebooks=notebooks, stamp=stamp))
    return results
