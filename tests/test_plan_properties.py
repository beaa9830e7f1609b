"""Random mutations of the sample plan either load or raise PlanError, never anything else."""

from __future__ import annotations

import contextlib
import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from upgradesim import Plan, PlanError, parse_plan, sample_plan_path

from .budget import examples

SAMPLE = yaml.safe_load(sample_plan_path().read_text())

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


ALL_PATHS = [p for p in paths(SAMPLE) if p]


def mutate(data, path, action, junk):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = junk
    elif action == "delete":
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
    elif action == "add_key" and isinstance(parent, dict):
        parent[f"{last}_extra"] = junk
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    return data


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    muts=st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["replace", "delete", "add_key", "duplicate"]), JUNK),
        min_size=1, max_size=3,
    )
)
def test_mutations_load_or_raise_plan_error(muts):
    data = copy.deepcopy(SAMPLE)
    for path, action, junk in muts:
        try:
            data = mutate(data, path, action, junk)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier mutation removed this path
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        plan = parse_plan(text, source="mutated.yaml")
    except PlanError as exc:
        assert exc.problems, "a PlanError must carry at least one problem"
        for problem in exc.problems:
            assert str(problem).startswith("mutated.yaml")
    else:
        assert isinstance(plan, Plan)


@settings(max_examples=examples(100), deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_loads_or_raises_plan_error(text):
    with contextlib.suppress(PlanError):
        parse_plan(text, source="x.yaml")
