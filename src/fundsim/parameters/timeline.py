"""Piecewise-constant dated values with the origin of each piece.

A :class:`Timeline` is a sorted tuple of :class:`Step` s: the value set at ``start`` holds
until the next step. Applying an override never changes a timeline; it returns a new one
(copy on write), so a baseline tree shared by many scenarios stays as it was read.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from typing import Any


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
class Step:
    start: dt.date
    value: Any
    origin: Origin


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
        return self.step_at(date).value

    def change_dates(self) -> list[dt.date]:
        """Dates where the value differs from the value just before."""
        return [
            after.start
            for before, after in zip(self.steps, self.steps[1:], strict=False)
            if after.value != before.value
        ]

    def set_from(self, start: dt.date, value: Any, origin: Origin) -> Timeline:
        """A new timeline with ``value`` from ``start`` on."""
        kept = [s for s in self.steps if s.start < start]
        return Timeline((*kept, Step(start, value, origin)))

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
        if back is not None:
            steps.append(Step(resume, back.value, back.origin))
        return Timeline((*steps, *after))
