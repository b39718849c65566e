"""Properties of dated parameters (Hypothesis): snapshots are piecewise constant between
breakpoints; overrides never change the tree they are applied to; a bounded range restores
the previous value."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.parameters import Origin, Override, ParameterTree, Timeline
from fundsim.parameters.timeline import Step
from fundsim.scenario import load_scenario

START, END = dt.date(2021, 1, 1), dt.date(2035, 12, 31)
DAYS = (END - START).days
ORIGIN = Origin("baseline", "test.yaml", 1)

days = st.integers(min_value=0, max_value=DAYS)
values = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.65, 0.7, 1.0])


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    offsets = sorted(set(draw(st.lists(days, max_size=6))))
    steps = [Step(dt.date(1900, 1, 1), draw(values), ORIGIN)]
    steps += [Step(START + dt.timedelta(days=o), draw(values), ORIGIN) for o in offsets if o > 0]
    return Timeline(tuple(steps))


@st.composite
def trees(draw: st.DrawFn) -> ParameterTree:
    names = draw(st.lists(st.sampled_from(["a.x", "a.y", "b.z", "c"]), min_size=1, unique=True))
    return ParameterTree({n: draw(timelines()) for n in names}, START, END)


@st.composite
def overrides(draw: st.DrawFn, paths: list[str]) -> list[Override]:
    result = []
    for _ in range(draw(st.integers(0, 5))):
        start = START + dt.timedelta(days=draw(days))
        end = None
        if draw(st.booleans()):
            end = start + dt.timedelta(days=draw(st.integers(0, (END - start).days)))
        result.append(
            Override(
                draw(st.sampled_from(paths)),
                start,
                end,
                draw(values),
                Origin("override", "o.yaml", 2),
            )
        )
    return result


def date_in_horizon(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@given(trees(), days)
def test_snapshot_is_constant_between_breakpoints(tree: ParameterTree, offset: int) -> None:
    date = date_in_horizon(offset)
    breakpoints = tree.breakpoints()
    last = max(b for b in breakpoints if b <= date)
    assert dict(tree.at(date)) == dict(tree.at(last))
    # and on every breakpoint after the first, something really changes
    for point in breakpoints[1:]:
        assert dict(tree.at(point - dt.timedelta(days=1))) != dict(tree.at(point))


@given(st.data())
def test_overrides_never_change_the_tree_they_start_from(data: st.DataObject) -> None:
    tree = data.draw(trees())
    before = copy.deepcopy(tree)
    changes = data.draw(overrides(tree.paths))
    changed = tree.with_overrides(changes)
    assert tree == before
    for path in tree.paths:
        assert tree.timeline(path) is before.timeline(path) or tree.timeline(
            path
        ) == before.timeline(path)
    if not changes:
        assert changed == tree


@given(timelines(), days, st.integers(0, DAYS), values)
def test_bounded_range_restores_the_previous_value(
    timeline: Timeline, offset: int, length: int, value: float
) -> None:
    start = date_in_horizon(offset)
    end = min(END, start + dt.timedelta(days=length))
    changed = timeline.set_between(start, end, value, Origin("override", "o.yaml", 3))
    for probe in {
        START,
        start - dt.timedelta(days=1),
        start,
        end,
        end + dt.timedelta(days=1),
        END + dt.timedelta(days=30),
    }:
        if probe < START:
            continue
        if start <= probe <= end:
            assert changed.at(probe) == value
        else:
            assert changed.at(probe) == timeline.at(probe)


@given(timelines(), days, values)
def test_open_override_holds_from_its_date_and_keeps_the_past(
    timeline: Timeline, offset: int, value: float
) -> None:
    start = date_in_horizon(offset)
    changed = timeline.set_from(start, value, Origin("override", "o.yaml", 4))
    assert changed.at(start) == value and changed.at(END) == value
    if start > START:
        assert changed.at(start - dt.timedelta(days=1)) == timeline.at(start - dt.timedelta(days=1))


SCENARIO = load_scenario(
    Path(__file__).resolve().parents[2] / "scenarios" / "nanchuan" / "combined.yaml"
)


@settings(max_examples=60)
@given(st.integers(0, (dt.date(2035, 12, 31) - dt.date(2021, 1, 1)).days))
def test_real_scenario_is_piecewise_constant(offset: int) -> None:
    tree = SCENARIO.tree
    date = tree.start + dt.timedelta(days=offset)
    last = max(b for b in tree.breakpoints() if b <= date)
    assert dict(tree.at(date)) == dict(tree.at(last))


@given(trees())
def test_trees_and_snapshots_survive_pickling(tree: ParameterTree) -> None:
    assert pickle.loads(pickle.dumps(tree)) == tree
    snapshot = tree.at(END)
    assert dict(pickle.loads(pickle.dumps(snapshot))) == dict(snapshot)


def test_scenario_baseline_is_the_region_baseline() -> None:
    """Loading a policy scenario leaves its baseline tree exactly as the baseline file alone
    (Nanchuan's policies extend its calibrated baseline, issue 29)."""
    alone = load_scenario(
        Path(__file__).resolve().parents[2] / "scenarios" / "nanchuan" / "calibrated.yaml"
    )
    assert SCENARIO.baseline == alone.tree
    assert SCENARIO.tree != alone.tree
