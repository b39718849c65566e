"""Properties of ``then:`` rules (issue 13, item 1): a rule never changes a dated value on its
date; a bounded range restores the rule afterwards; an open-ended change carries the rule on
from its new value; the written-out steps agree with the rule everywhere."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from fundsim.parameters import Origin, ParameterTree, Timeline
from fundsim.parameters.timeline import Rule, Step

START, END = dt.date(2021, 1, 1), dt.date(2035, 12, 31)
DAYS = (END - START).days
ORIGIN = Origin("baseline", "test.yaml", 1)
days = st.integers(min_value=1, max_value=DAYS)
amounts = st.floats(min_value=100.0, max_value=2000.0, allow_nan=False)
rules = st.one_of(
    st.tuples(st.just("grow"), st.floats(min_value=-0.3, max_value=0.3)),
    st.tuples(st.just("step"), st.floats(min_value=-50.0, max_value=100.0)),
)


def _date(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@st.composite
def ruled(draw: st.DrawFn) -> tuple[Timeline, dict[dt.date, float]]:
    """Dated values, the last of which continues by a rule; and the dated values."""
    offsets = sorted(set(draw(st.lists(days, min_size=1, max_size=4))))
    dated = {dt.date(1900, 1, 1): draw(amounts)}
    dated.update({_date(o): draw(amounts) for o in offsets})
    kind, amount = draw(rules)
    steps = [Step(d, v, ORIGIN) for d, v in dated.items()]
    last = steps[-1]
    steps[-1] = Step(last.start, last.value, ORIGIN, Rule(kind, amount, last.start, ORIGIN))
    return Timeline(tuple(steps)), dated


def test_a_rule_writes_yearly_values_from_its_anchor() -> None:
    rule = Rule("grow", 0.05, dt.date(2025, 1, 1), ORIGIN)
    timeline = Timeline(
        (Step(dt.date(1900, 1, 1), 580.0, ORIGIN), Step(dt.date(2025, 1, 1), 700.0, ORIGIN, rule))
    )
    expanded = timeline.expand(END)
    assert expanded.at(dt.date(2024, 12, 31)) == 580.0
    assert expanded.at(dt.date(2025, 6, 30)) == 700.0
    assert expanded.at(dt.date(2026, 1, 1)) == 700.0 * 1.05
    assert abs(expanded.at(END) - 700.0 * 1.05**10) < 1e-9
    assert [s.start.year for s in expanded.steps][2:] == list(range(2026, 2036))
    assert all(s.origin.role == "rule" for s in expanded.steps[2:])


@given(ruled())
def test_a_dated_value_holds_on_its_date(case: tuple[Timeline, dict[dt.date, float]]) -> None:
    timeline, dated = case
    expanded = timeline.expand(END)
    for date, value in dated.items():
        assert expanded.at(max(date, START)) == timeline.at(max(date, START))
        if date >= START:
            assert expanded.at(date) == value


@given(ruled(), st.integers(0, DAYS))
def test_written_out_steps_agree_with_the_rule(
    case: tuple[Timeline, dict[dt.date, float]], offset: int
) -> None:
    timeline, _ = case
    date = _date(offset)
    assert abs(timeline.expand(END).at(date) - timeline.at(date)) <= 1e-9 * abs(timeline.at(date))


@given(ruled(), days, days, amounts)
def test_a_bounded_range_restores_the_rule(
    case: tuple[Timeline, dict[dt.date, float]], a: int, b: int, value: float
) -> None:
    timeline, _ = case
    start, end = sorted((_date(a), _date(b)))
    changed = timeline.set_between(start, end, value, ORIGIN)
    before, after = timeline.expand(END), changed.expand(END)
    probe = start
    while probe <= END:
        expected = value if probe <= end else before.at(probe)
        assert abs(after.at(probe) - expected) <= 1e-9 * max(1.0, abs(expected)), probe
        probe += dt.timedelta(days=97)
    if end < END:
        resume = end + dt.timedelta(days=1)
        assert abs(after.at(resume) - before.at(resume)) <= 1e-9 * max(1.0, abs(before.at(resume)))


@given(ruled(), days, amounts)
def test_an_open_ended_change_carries_the_rule_on(
    case: tuple[Timeline, dict[dt.date, float]], a: int, value: float
) -> None:
    timeline, _ = case
    start = _date(a)
    rule = timeline.step_at(start).rule
    changed = timeline.set_from(start, value, ORIGIN).expand(END)
    assert changed.at(start) == value
    if rule is not None:
        assert abs(changed.at(END) - rule.anchored(start).apply(value, END)) <= 1e-9 * max(
            1.0, abs(value)
        )
    flat = timeline.set_from(start, value, ORIGIN, rule=None).expand(END)
    assert flat.at(END) == value  # then: none holds it flat


@given(ruled())
def test_the_tree_reads_written_out_values_and_overrides_the_rules(
    case: tuple[Timeline, dict[dt.date, float]],
) -> None:
    timeline, _ = case
    tree = ParameterTree({"x": timeline}, START, END)
    assert tree.timeline("x") == timeline.expand(END)
    assert tree.rules("x") == timeline
    assert set(tree.breakpoints()) >= {
        s.start
        for s in timeline.expand(END).steps
        if s.start > START and s.value != timeline.expand(END).at(s.start - dt.timedelta(days=1))
    }


@given(st.floats(min_value=-0.05, max_value=0.15), days, days, amounts)
def test_a_bounded_range_restores_an_index_rule(wage: float, a: int, b: int, value: float) -> None:
    rule = Rule("index", 0.0, dt.date(2022, 1, 1), ORIGIN, "wage")
    indexed = Timeline(
        (Step(dt.date(1900, 1, 1), 500.0, ORIGIN), Step(dt.date(2022, 1, 1), 700.0, ORIGIN, rule))
    )
    growth = Timeline.constant(dt.date(1900, 1, 1), wage, ORIGIN)
    tree = ParameterTree({"economy.wage_growth": growth, "x": indexed}, START, END)
    start, end = sorted((_date(a), _date(b)))
    paused = ParameterTree(
        {"economy.wage_growth": growth, "x": indexed.set_between(start, end, value, ORIGIN)},
        START,
        END,
    )
    assert abs(tree.value("x", END) - 700.0 * (1 + wage) ** 13) < 1e-6 * 700.0 * (1 + wage) ** 13
    for year in range(end.year + 1, END.year + 1):
        day = dt.date(year, 1, 1)
        assert abs(paused.value("x", day) - tree.value("x", day)) <= 1e-9 * tree.value("x", day)
