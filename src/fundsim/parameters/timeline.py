"""Piecewise-constant dated values with the origin of each piece.

A :class:`Timeline` is a sorted tuple of :class:`Step` s: the value set at ``start`` holds
until the next step. Applying an override never changes a timeline; it returns a new one
(copy on write), so a baseline tree shared by many scenarios stays as it was read.

A step may carry a :class:`Rule` (``then:`` in a scenario): after its start the value does
not stay flat but grows by a share, or steps by an amount, every 1 January, until the next
step. :meth:`Timeline.expand` writes the rule's values out as yearly steps (what the model
and ``fundsim explain`` read); overrides work on the rules themselves, so a bounded range
restores the rule afterwards and an open-ended change carries it on from its new value.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The series a value may be indexed to (``then: {index: NAME}``): each year it grows as the
# product of (1 + these parameters) in force that year.
INDEX_SERIES: dict[str, tuple[str, ...]] = {
    "wage": ("economy.wage_growth",),  # the average wage, as contribution bases follow it
    "inpatient_cost": ("care.cost_trend", "care.admission_trend"),  # per member, before reforms
}
Growth = Callable[[str, int], float]  # (series, year) -> the series' growth into that year


@dataclass(frozen=True)
class Origin:
    """Where a value came from.

    Parameters
    ----------
    role : "default" (the catalogue's national rule), "baseline" (a scenario's ``parameters``),
        "override" (a scenario's ``policy``) or "draw" (an uncertainty draw)
    file : the file, as shown to the user
    line : 1-based line in ``file`` (0 when not from a file)
    label : what was written, e.g. ``2025-01-01`` or ``2023-01-01.2024-12-31``
    source : the cited source of the number, if any
    """

    role: str
    file: str
    line: int
    label: str = ""
    source: str = ""

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{self.role} {where}"
        if self.label:
            text += f" [{self.label}]"
        return text


@dataclass(frozen=True)
class Rule:
    """How a value continues after its step: every 1 January after ``anchor`` it grows by
    ``amount`` (a fraction, ``kind="grow"``), changes by ``amount`` (``kind="step"``) or
    grows as the series ``series`` does (``kind="index"``, :data:`INDEX_SERIES`).

    Parameters
    ----------
    kind : "grow", "step" or "index"
    amount : the yearly growth [1/year] or the yearly step [the parameter's unit]
    anchor : the date whose value the rule starts from
    origin : where the rule was written
    series : the series an index rule follows
    """

    kind: str
    amount: float
    anchor: dt.date
    origin: Origin
    series: str = ""

    def years(self, date: dt.date) -> int:
        """How many 1 Januaries lie after the anchor, up to ``date``."""
        return max(0, date.year - self.anchor.year)

    def apply(self, value: float, date: dt.date, growth: Growth | None = None) -> float:
        """The value on ``date`` of a value set at the anchor (``growth`` gives an indexed
        series' growth into each year)."""
        n = self.years(date)
        if self.kind == "grow":
            return float(value) * (1.0 + self.amount) ** n
        if self.kind == "step":
            return float(value) + self.amount * n
        if growth is None:
            raise ValueError(f"a value indexed to {self.series} needs the tree to be read")
        result = float(value)
        for year in range(self.anchor.year + 1, self.anchor.year + n + 1):
            result *= 1.0 + growth(self.series, year)
        return result

    def anchored(self, anchor: dt.date) -> Rule:
        return Rule(self.kind, self.amount, anchor, self.origin, self.series)

    @property
    def label(self) -> str:
        if self.kind == "index":
            what = f"indexed to {self.series} (as {' and '.join(INDEX_SERIES[self.series])})"
        elif self.kind == "grow":
            what = f"grow {self.amount:g} a year"
        else:
            what = f"step {self.amount:g} a year"
        return f"then {what} from {self.anchor.isoformat()}"


@dataclass(frozen=True)
class Step:
    start: dt.date
    value: Any
    origin: Origin
    rule: Rule | None = None


@dataclass(frozen=True)
class Timeline:
    """Dated values of one parameter; the value of a step holds until the next step starts."""

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a timeline needs at least one step")
        starts = [s.start for s in self.steps]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError(f"timeline steps must have increasing dates: {starts}")

    @classmethod
    def constant(cls, start: dt.date, value: Any, origin: Origin) -> Timeline:
        return cls((Step(start, value, origin),))

    def step_at(self, date: dt.date) -> Step:
        """The step in force on ``date``; ValueError before the first step."""
        steps = self.steps
        if date < steps[0].start:
            raise ValueError(f"no value before {steps[0].start.isoformat()}")
        if len(steps) == 1:  # most parameters never change
            return steps[0]
        return steps[bisect.bisect_right([s.start for s in steps], date) - 1]

    def at(self, date: dt.date) -> Any:
        step = self.step_at(date)
        return step.rule.apply(step.value, date) if step.rule is not None else step.value

    @property
    def has_rules(self) -> bool:
        return any(s.rule is not None for s in self.steps)

    def expand(self, end: dt.date, growth: Growth | None = None) -> Timeline:
        """This timeline with every rule's values written out as steps on each 1 January up
        to ``end`` (steps without rules: what the model reads)."""
        if not self.has_rules:
            return self
        steps: list[Step] = []
        bounds = [s.start for s in self.steps[1:]] + [end + dt.timedelta(days=1)]
        for step, until in zip(self.steps, bounds, strict=True):
            rule = step.rule
            if rule is None:
                steps.append(step)
                continue
            steps.append(Step(step.start, rule.apply(step.value, step.start, growth), step.origin))
            origin = Origin(
                "rule", rule.origin.file, rule.origin.line, rule.label, rule.origin.source
            )
            for year in range(max(step.start.year, rule.anchor.year) + 1, until.year + 1):
                day = dt.date(year, 1, 1)
                if step.start < day < until:
                    steps.append(Step(day, rule.apply(step.value, day, growth), origin))
        return Timeline(tuple(steps))

    def change_dates(self) -> list[dt.date]:
        """Dates where the value differs from the value just before."""
        return [
            after.start
            for before, after in zip(self.steps, self.steps[1:], strict=False)
            if after.value != before.value
        ]

    def last_rule(self) -> Rule | None:
        """The rule of the last step that has one (what ``then:`` in ``uncertainty`` draws)."""
        ruled = [s.rule for s in self.steps if s.rule is not None]
        return ruled[-1] if ruled else None

    def with_rule_amount(self, amount: float) -> Timeline:
        """A new timeline whose last rule grows or steps by ``amount`` (a run's draw)."""
        index = max(i for i, s in enumerate(self.steps) if s.rule is not None)
        step = self.steps[index]
        assert step.rule is not None
        rule = Rule(step.rule.kind, float(amount), step.rule.anchor, step.rule.origin)
        steps = list(self.steps)
        steps[index] = Step(step.start, step.value, step.origin, rule)
        return Timeline(tuple(steps))

    def set_from(
        self, start: dt.date, value: Any, origin: Origin, rule: Rule | str | None = "keep"
    ) -> Timeline:
        """A new timeline with ``value`` from ``start`` on. The rule in force on ``start`` (if
        any) carries on from the new value unless ``rule`` is given (None: hold it flat)."""
        kept = [s for s in self.steps if s.start < start]
        if rule == "keep":
            try:
                before = self.step_at(start).rule
            except ValueError:
                before = None
            rule = before.anchored(start) if before is not None else None
        assert rule is None or isinstance(rule, Rule)
        return Timeline((*kept, Step(start, value, origin, rule)))

    def set_between(self, start: dt.date, end: dt.date, value: Any, origin: Origin) -> Timeline:
        """A new timeline with ``value`` from ``start`` to ``end`` inclusive; afterwards the
        value this timeline has on the day after ``end`` returns."""
        resume = end + dt.timedelta(days=1)
        before = [s for s in self.steps if s.start < start]
        after = [s for s in self.steps if s.start > resume]
        try:
            back = self.step_at(resume)
        except ValueError:
            back = None
        steps = [*before, Step(start, value, origin)]
        if back is not None:  # the step that would hold then, its rule from the same anchor
            steps.append(Step(resume, back.value, back.origin, back.rule))
        return Timeline((*steps, *after))
