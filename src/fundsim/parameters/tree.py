"""The parameter tree: every policy parameter's timeline, and immutable snapshots of it.

``tree.at(date)`` gives a :class:`Snapshot`, a read-only mapping from dotted path to the value
in force that day. ``tree.breakpoints()`` lists the dates on which any value changes, so the
simulation's policy clock swaps snapshots exactly there and never polls. Overrides and
uncertainty draws produce a new tree (copy on write); the tree they start from is unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .timeline import INDEX_SERIES, Origin, Rule, Timeline


@dataclass(frozen=True)
class Override:
    """A dated change to one parameter (a ``policy:`` entry).

    Parameters
    ----------
    path : dotted parameter path
    start : first day the value holds
    end : last day it holds (inclusive) for a bounded range; None for "from then on"
    value : the validated value
    origin : where it was written
    rule : how the value continues (``then:``); "keep" carries on the rule in force, None
        holds the value flat
    """

    path: str
    start: dt.date
    end: dt.date | None
    value: Any
    origin: Origin
    rule: Rule | str | None = "keep"


class Snapshot(Mapping[str, Any]):
    """Read-only values of every parameter on one date."""

    __slots__ = ("_values", "date")

    def __init__(self, date: dt.date, values: Mapping[str, Any]) -> None:
        self.date = date
        self._values = MappingProxyType(dict(values))

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, for process and Dask workers
        return (Snapshot, (self.date, dict(self._values)))

    def __getitem__(self, path: str) -> Any:
        try:
            return self._values[path]
        except KeyError:
            raise KeyError(f"no parameter '{path}'") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def group(self, prefix: str) -> dict[str, Any]:
        """Values under ``prefix`` keyed by the rest of the path: ``group("care.cost_per_case")``
        -> ``{"level1": …, "level2": …}``."""
        start = prefix + "."
        return {p[len(start) :]: v for p, v in self._values.items() if p.startswith(start)}

    def __repr__(self) -> str:
        return f"Snapshot({self.date.isoformat()}, {len(self)} parameters)"


RULE_SUFFIX = ".then"  # an uncertainty path naming a then: rule's amount


def _indexed(timeline: Timeline) -> bool:
    return any(s.rule is not None and s.rule.kind == "index" for s in timeline.steps)


def _expand(timelines: Mapping[str, Timeline], end: dt.date) -> dict[str, Timeline]:
    """Every timeline with its rules written out; indexed ones after the series they follow
    (whose parameters are rates, which cannot themselves be indexed)."""
    expanded = {p: t.expand(end) for p, t in timelines.items() if not _indexed(t)}

    def growth(series: str, year: int) -> float:
        factor = 1.0
        for path in INDEX_SERIES[series]:
            factor *= 1.0 + float(expanded[path].at(dt.date(year, 1, 1)))
        return factor - 1.0

    for path, timeline in timelines.items():
        if path not in expanded:
            expanded[path] = timeline.expand(end, growth)
    return {p: expanded[p] for p in timelines}


class ParameterTree:
    """Timelines of all parameters over a horizon.

    Parameters
    ----------
    timelines : dotted path -> timeline (with its rules, ``then:``)
    start, end : the horizon (inclusive)

    What the tree answers (``timeline``, ``at``, ``value``, ``breakpoints``, ``explain``) is
    read from the timelines with every rule written out as yearly steps over the horizon;
    overrides apply to the timelines with their rules.
    """

    __slots__ = ("_expanded", "_timelines", "end", "start")

    def __init__(self, timelines: Mapping[str, Timeline], start: dt.date, end: dt.date) -> None:
        self._timelines = MappingProxyType(dict(timelines))
        self._expanded = MappingProxyType(_expand(timelines, end))
        self.start = start
        self.end = end

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, for process and Dask workers
        return (ParameterTree, (dict(self._timelines), self.start, self.end))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParameterTree):
            return NotImplemented
        return dict(self._timelines) == dict(other._timelines) and (self.start, self.end) == (
            other.start,
            other.end,
        )

    def __hash__(self) -> int:
        return hash((self.start, self.end, tuple(sorted(self._timelines))))

    def __contains__(self, path: object) -> bool:
        return path in self._timelines

    @property
    def paths(self) -> list[str]:
        return list(self._timelines)

    def timeline(self, path: str) -> Timeline:
        """``path``'s values over the horizon, rules written out as yearly steps."""
        return self._expanded[path]

    def rules(self, path: str) -> Timeline:
        """``path``'s timeline as written, with its rules."""
        return self._timelines[path]

    def at(self, date: dt.date) -> Snapshot:
        """Every parameter's value on ``date``."""
        return Snapshot(date, {p: t.at(date) for p, t in self._expanded.items()})

    def value(self, path: str, date: dt.date) -> Any:
        """One parameter's value on ``date`` (without building a whole snapshot)."""
        return self._expanded[path].at(date)

    def breakpoints(self) -> list[dt.date]:
        """The horizon start and every later date in the horizon on which a value changes."""
        dates = {self.start}
        for timeline in self._expanded.values():
            dates.update(d for d in timeline.change_dates() if self.start < d <= self.end)
        return sorted(dates)

    def with_overrides(self, overrides: Iterable[Override]) -> ParameterTree:
        """A new tree with ``overrides`` applied in order; ``self`` is left as it is."""
        timelines = dict(self._timelines)
        for override in overrides:
            current = timelines[override.path]
            if override.end is None:
                timelines[override.path] = current.set_from(
                    override.start, override.value, override.origin, override.rule
                )
            else:
                timelines[override.path] = current.set_between(
                    override.start, override.end, override.value, override.origin
                )
        return ParameterTree(timelines, self.start, self.end)

    def with_values(self, values: Mapping[str, Any], origin: Origin) -> ParameterTree:
        """A new tree where each path in ``values`` holds that value over the whole horizon
        (used for uncertainty draws: one value per run); ``PATH.then`` sets the growth or
        step of ``PATH``'s last ``then:`` rule instead."""
        timelines = dict(self._timelines)
        for path, value in values.items():
            if path.endswith(RULE_SUFFIX):  # a drawn growth or step of a then: rule
                base = path.removesuffix(RULE_SUFFIX)
                timelines[base] = timelines[base].with_rule_amount(value)
                continue
            first = timelines[path].steps[0].start
            timelines[path] = Timeline.constant(min(first, self.start), value, origin)
        return ParameterTree(timelines, self.start, self.end)

    def explain(self, prefixes: Sequence[str] = ()) -> list[tuple[str, Timeline]]:
        """Timelines of parameters under any of ``prefixes`` (all when empty), in tree order."""
        chosen = []
        for path, timeline in self._expanded.items():
            if not prefixes or any(path == p or path.startswith(p + ".") for p in prefixes):
                chosen.append((path, timeline))
        return chosen
