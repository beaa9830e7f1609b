"""Each validation rule: the exact message shape `PLAN:LINE: field.path(=value): rule`, exit code 1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from upgradesim import PlanError, load_plan, parse_plan
from upgradesim.cli import cli

from .conftest import TINY_PLAN, line_of


def problems_of(text: str, write_plan) -> tuple[str, list[str]]:
    path = write_plan(text)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    return str(path), [str(p) for p in info.value.problems]


def test_tiny_plan_is_valid(write_plan):
    plan = load_plan(write_plan(TINY_PLAN))
    assert plan.name == "tiny"
    assert plan.node_count == 4
    assert plan.components[1].depends_on[0].constraint == ">=12"


# (description, replace old -> new, the line to expect (needle in the *new* text), expected message after "LINE: ")
CASES = [
    ("unknown key with did-you-mean", ("  horizon_days: 14", "  horizon_dayz: 14"), "horizon_dayz",
     "calendar.horizon_dayz: unknown key (did you mean 'horizon_days'?)"),
    ("wrong type", ("capacity_rps: 100,", "capacity_rps: lots,"), "capacity_rps: lots",
     "tiers.app.capacity_rps(=lots): must be a valid number, unable to parse string as a number"),
    ("missing required field", ("  product: shop\n", ""), "release:",
     "release.product: required field missing"),
    ("zero duration", ("upgrade_min: 10,", "upgrade_min: 0,"), "upgrade_min: 0",
     "tiers.app.upgrade_min(=0): must be > 0"),
    ("negative capacity", ("capacity_rps: 1000", "capacity_rps: -5"), "capacity_rps: -5",
     "tiers.db.capacity_rps(=-5): must be > 0"),
    ("probability above 1", ("upgrade_min: 20, failure_prob: 0.0", "upgrade_min: 20, failure_prob: 1.5"), "failure_prob: 1.5",
     "tiers.db.failure_prob(=1.5): must be a probability in [0, 1]"),
    ("probability below 0", ("upgrade_min: 10, failure_prob: 0.0", "upgrade_min: 10, failure_prob: -0.1"), "failure_prob: -0.1",
     "tiers.app.failure_prob(=-0.1): must be a probability in [0, 1]"),
    ("unknown time zone", ("tz: Europe/Dublin", "tz: Europe/Dublim"), "tz: Europe/Dublim",
     "regions[0].tz(=Europe/Dublim): unknown IANA time zone (e.g. Europe/Dublin, Australia/Sydney)"),
    ("window ends when it starts", ('"sat 01:00-05:00"', '"sat 01:00-01:00"'), "sat 01:00-01:00",
     "calendar.windows[0](=sat 01:00-01:00): window ends when it starts (zero length)"),
    ("window not understood", ('"sat 01:00-05:00"', '"saturday early"'), "saturday early",
     "calendar.windows[0](=saturday early): must look like 'sat 01:00-05:00' or 'fri-sun 22:00-02:00'"),
    ("dependency on unknown component", ("depends_on: [db >=12]", "depends_on: [dbx >=12]"), "dbx",
     "components[1].depends_on[0](=dbx): unknown component (did you mean 'db'?)"),
    ("dependency cycle named", ('version: "12.4"}', 'version: "12.4", depends_on: [app]}'), "name: db,",
     "components[0].depends_on: dependency cycle: db -> app -> db"),
    ("duplicate names", ("{name: one-by-one,", "{name: all-at-once,"), "kind: rolling",
     "strategies[1].name(=all-at-once): duplicate name (first at strategies[0], line 22)"),
    ("strategy names an unknown tier", ("batch_size: 1}", "batch_size: 1, tiers: [apps]}"), "tiers: [apps]",
     "strategies[1].tiers[0](=apps): unknown tier (did you mean 'app'?)"),
    ("strategy names an unknown region", ("batch_size: 1}", "batch_size: 1}\n  - {name: w, kind: phased, waves: [[eu], [us]]}"), "waves: [[eu], [us]]",
     "strategies[2].waves[1][0](=us): unknown region"),
    ("unknown strategy kind", ("kind: big_bang", "kind: big-bang"), "kind: big-bang",
     "strategies[0].kind(=big-bang): unknown kind 'big-bang'; use one of 'big_bang', 'rolling', 'phased', 'canary', 'blue_green', 'parallel_run'"),
    ("rolling needs a batch", ("kind: rolling, batch_size: 1", "kind: rolling"), "kind: rolling",
     "strategies[1](={'name': 'one-by-one', 'kind': 'rolling'}): rolling needs batch_size or batch_pct"),
    ("node count of an undefined tier", ("nodes: {app: 3, db: 1}", "nodes: {app: 3, db: 1, cache: 2}"), "nodes: {app",
     "regions[0].nodes.cache(=cache): unknown tier (define it under tiers:)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_message(case, write_plan):
    _, (old, new), needle, expected = case
    assert old in TINY_PLAN
    text = TINY_PLAN.replace(old, new, 1)
    path, problems = problems_of(text, write_plan)
    assert f"{path}:{line_of(text, needle)}: {expected}" in problems, problems


@pytest.mark.parametrize("case", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_cli_exit_code_and_one_line_per_problem(case, write_plan):
    _, (old, new), needle, expected = case
    text = TINY_PLAN.replace(old, new, 1)
    path = write_plan(text)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{path}:{line_of(text, needle)}: {expected}" in result.output.splitlines()


def test_every_problem_is_reported_at_once(write_plan):
    text = (TINY_PLAN.replace("tz: Europe/Dublin", "tz: Mars/Olympus")
            .replace("upgrade_min: 10,", "upgrade_min: -1,")
            .replace("depends_on: [db >=12]", "depends_on: [nope]"))
    _, problems = problems_of(text, write_plan)
    assert len(problems) == 3
    assert [p.split(": ", 2)[1] for p in problems] == [
        "components[1].depends_on[0](=nope)", "regions[0].tz(=Mars/Olympus)", "tiers.app.upgrade_min(=-1)"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "file is empty"),
        ("   \n# only a comment\n", "file is empty"),
        ("name: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "the plan must be a mapping"),
        ("name: x\nitems: &r [*r]\n", "aliases expand to more than"),
    ],
)
def test_file_level_errors(content, expected, write_plan):
    path = write_plan(content)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}")
    assert expected in result.output
    assert "Traceback" not in result.output


def test_missing_file(tmp_path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.output.strip() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_alias_bomb_is_rejected_without_expanding(write_plan):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):  # 9**12 nodes if expanded
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    _, problems = problems_of("\n".join(lines) + "\n", write_plan)
    assert problems == [problems[0]] and "alias bomb" in problems[0]


def test_safe_loader_refuses_python_tags(write_plan):
    _, problems = problems_of("name: !!python/object/apply:os.system ['echo hi']\n", write_plan)
    assert "not valid YAML" in problems[0]


def test_versions_keep_their_text():
    text = TINY_PLAN.replace('version: "12.4"}', "version: 3.10}")
    plan = parse_plan(text)
    assert plan.components[0].version == "3.10"


def test_plan_objects_are_immutable(write_plan):
    plan = load_plan(write_plan(TINY_PLAN))
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="frozen"):
        plan.name = "changed"
    with pytest.raises(ValidationError, match="frozen"):
        plan.tiers["app"].capacity_rps = 1
    assert isinstance(plan.components, tuple)
    assert isinstance(plan.regions[0].windows, tuple)


def test_duplicate_keys_name_both_lines(write_plan):
    text = TINY_PLAN.replace("  horizon_days: 14\n", "  horizon_days: 14\n  horizon_days: 1\n")
    path, problems = problems_of(text, write_plan)
    line = line_of(text, "horizon_days: 14") + 1
    assert problems == [f"{path}:{line}: horizon_days: duplicate key (first given on line {line - 1}; YAML would "
                        "silently keep the last)"]


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_are_refused(value, write_plan):
    text = TINY_PLAN.replace("capacity_rps: 100,", f"capacity_rps: {value},")
    path, problems = problems_of(text, write_plan)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:{line_of(text, 'capacity_rps: ' + value)}: "
                                                          "tiers.app.capacity_rps(=")
    assert "finite number" in problems[0]


@pytest.mark.parametrize("days, ok", [("0.01", False), ("0.9", False), ("1", True), ("3650", True), ("3651", False)])
def test_horizon_within_sane_range(days, ok, write_plan):
    text = TINY_PLAN.replace("horizon_days: 14", f"horizon_days: {days}")
    if ok:
        assert load_plan(write_plan(text)).calendar.horizon_days == float(days)
    else:
        _, problems = problems_of(text, write_plan)
        assert "calendar.horizon_days" in problems[0]


def test_window_starting_in_a_dst_gap_or_overlap_is_refused(write_plan):
    # Dublin springs forward at 01:00 on Sunday 28 March 2027: 01:30 does not exist that day
    gap = TINY_PLAN.replace('"sat 01:00-05:00"', '"sun 01:30-05:00"').replace("horizon_days: 14", "horizon_days: 28")
    path, problems = problems_of(gap, write_plan)
    assert problems == [f"{path}: region eu: the window starting 01:30 on 2027-03-28 does not exist (DST gap) in "
                        "Europe/Dublin; move it out of the clock change"]
    # New York falls back at 02:00 on Sunday 7 November 2027: 01:30 happens twice
    overlap = (gap.replace("Europe/Dublin", "America/New_York").replace("2027-03-06", "2027-10-30"))
    path, problems = problems_of(overlap, write_plan)
    assert problems == [f"{path}: region eu: the window starting 01:30 on 2027-11-07 happens twice (DST overlap) in "
                        "America/New_York; move it out of the clock change"]
    # outside the horizon the same window is fine
    assert load_plan(write_plan(gap.replace("horizon_days: 28", "horizon_days: 14")))


def test_empty_wave_is_refused(write_plan):
    text = TINY_PLAN.replace("  - {name: one-by-one, kind: rolling, batch_size: 1}",
                             "  - {name: waves, kind: phased, waves: [[eu], []]}")
    _, problems = problems_of(text, write_plan)
    assert any("every wave must name at least one region" in p for p in problems)


def test_derived_plans_are_validated_too(write_plan):
    from pydantic import ValidationError

    plan = load_plan(write_plan(TINY_PLAN))
    tier = plan.tiers["app"]
    with pytest.raises(ValidationError, match="probability"):
        tier.model_copy(update={"failure_prob": 1.5})
    with pytest.raises(ValidationError):
        plan.calendar.model_copy(update={"horizon_days": 0.01})
    assert tier.model_copy(update={"failure_prob": 0.5}).failure_prob == 0.5


def test_deeply_nested_and_alias_heavy_yaml_fail_fast(write_plan):
    import time

    deep = "name: " + "[" * 20000 + "]" * 20000 + "\n"
    _, problems = problems_of(deep, write_plan)
    assert problems[0].endswith("nested too deeply") or "not valid YAML" in problems[0]
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))
    started = time.perf_counter()
    _, problems = problems_of(bomb, write_plan)
    assert time.perf_counter() - started < 1.0 and "alias bomb" in problems[0]


def test_durations_within_sane_ranges(write_plan):
    text = TINY_PLAN.replace("upgrade_min: 10,", "upgrade_min: 600000,")
    path, problems = problems_of(text, write_plan)
    assert problems == [f"{path}:{line_of(text, 'upgrade_min: 600000')}: tiers.app.upgrade_min(=600000): "
                        "must be <= 525600"]
    ok = TINY_PLAN.replace("upgrade_min: 10,", "upgrade_min: 525600,")
    assert load_plan(write_plan(ok)).tiers["app"].upgrade_min.value == 525600


def test_a_one_off_window_mixing_zoned_and_local_times_is_refused():
    import pytest

    from upgradesim.errors import PlanError

    from .simplans import make_plan

    def edit(d):
        d["calendar"]["one_off_windows"] = [{"start": 0, "end": "2027-03-02T00:00:00"}]
    with pytest.raises(PlanError, match="give start and end both in local time"):
        make_plan(edit)
