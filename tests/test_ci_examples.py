"""The CI examples are valid YAML and call only verbs and options the CLI has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from upgradesim.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ci"


def _commands(doc) -> list[str]:
    found = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in ("run", "script", "before_script") and v is not None:
                for block in v if isinstance(v, list) else [v]:
                    found += [line.strip() for line in str(block).splitlines() if line.strip().startswith("upgradesim ")]
            else:
                found += _commands(v)
    elif isinstance(doc, list):
        for v in doc:
            found += _commands(v)
    return found


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_example_calls_existing_verbs_and_options(name):
    doc = yaml.safe_load((EXAMPLES / name).read_text())
    commands = _commands(doc)
    verbs = {c.split()[1] for c in commands}
    assert {"validate", "readiness", "check", "judge", "report", "ingest"} <= verbs
    for command in commands:
        words = shlex.split(re.sub(r"\s*>.*$", "", command))[1:]
        group: click.Command = cli
        while isinstance(group, click.Group) and words and words[0] in group.commands:
            group = group.commands[words.pop(0)]
        assert not isinstance(group, click.Group) or group.invoke_without_command, command
        options = {o for p in group.params for o in getattr(p, "opts", [])}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{name}: {command}: {word}"
