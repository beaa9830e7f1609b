"""A wheel install ships the notebooks: built, installed in a fresh venv (dependencies taken from
the test environment), it renders a report outside any checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_ships_the_notebooks_and_renders_a_report(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("upgradesim-*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert {f"upgradesim/notebooks/{n}.ipynb" for n in ("readiness", "rollout_strategy", "post_upgrade", "cab_pack",
                                                         "what_if")} <= set(names)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    # the dependencies come from this environment; upgradesim itself only from the wheel
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    python = venv / "bin" / "python"
    code = ("import upgradesim, upgradesim.report as r; assert 'venv' in upgradesim.__file__, upgradesim.__file__; "
            "print(r.render('readiness', out='reports').html)")
    import os

    # the dependencies' data files (nbconvert templates, kernelspec) are this environment's as well
    env = {**os.environ, "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
    done = subprocess.run([str(python), "-c", code], cwd=work, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (work / done.stdout.strip()).exists()  # rendered from the wheel's notebook, the sample made on the way
