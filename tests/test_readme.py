"""The command outputs shown in README.md are what the documented commands print."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "readme_outputs.py"


def _script():
    spec = importlib.util.spec_from_file_location("readme_outputs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # runs the documented command
def test_the_bad_plan_example_is_what_validate_prints():
    assert _script().main(["--check", "--only", "bad-plan"]) == 0


@pytest.mark.slow
def test_the_compare_table_is_what_the_demo_command_prints():
    assert _script().main(["--check", "--only", "compare"]) == 0


def test_every_output_block_of_the_readme_has_a_generator():
    module = _script()
    names = [m.group("name") for m in module.BLOCK.finditer(module.README.read_text())]
    assert sorted(names) == sorted(module.OUTPUTS)


@pytest.mark.slow  # starts papermill
def test_the_readme_papermill_commands_run_as_written(tmp_path):
    """`.venv/bin/papermill --help-notebook notebooks/readiness.ipynb`, as the README writes it."""
    import re
    import subprocess
    import sys

    text = (SCRIPT.parents[1] / "README.md").read_text()
    command = re.search(r"`(\.venv/bin/papermill --help-notebook [^`]+)`", text).group(1).split()
    exe = str(Path(sys.executable).with_name("papermill"))
    done = subprocess.run([exe, *command[1:]], cwd=SCRIPT.parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "plan_path" in done.stdout and "db_path" in done.stdout
