"""The catalogue: every policy parameter's path, kind, unit, descriptions, national default and
bounds.

Bounds: a kind bounds its values (a ratio lies in [0, 1]); the catalogue's ``limits`` section
bounds every amount, count and rate of a unit further, at values beyond what any Chinese
region has, each with its reason, and an entry may set its own ``max`` (with
``limit_reason``). A value that validates stays in range of the model's arithmetic: the
fund's money is kept in whole fen in 64-bit integers, and persons in memory.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..source.diagnostics import Collector, ScenarioError
from ..source.document import SourceDocument, read_yaml
from .kinds import KINDS, Kind, bounds_text, shown_number

CATALOGUE_FILE = "catalogue.yaml"
LEAF_META = {
    "kind",
    "unit",
    "description",
    "description_zh",
    "default",
    "source",
    "min",
    "max",
    "limit_reason",
    "event",
}
LIMITS = "limits"  # the catalogue's section of bounds by unit (not a parameter group)


@dataclass(frozen=True)
class Limit:
    """Bounds of every parameter of one unit, with the reason they are beyond any region."""

    lower: float | None
    upper: float | None
    reason: str


@dataclass(frozen=True)
class Entry:
    """One parameter of the catalogue.

    Parameters
    ----------
    path : dotted path, e.g. ``benefits.urrbmi.inpatient.ratio.level3``
    kind : the value kind
    unit : unit as written in results and ``fundsim explain``
    description, description_zh : what it is, in English and Chinese
    default : the raw default (a value or ``{"values": {...}}``), or None when a baseline must give it
    source : the source of the default
    line : line of the entry in the catalogue file
    lower, upper : the bounds of its values (its kind's, narrowed by the catalogue's limits)
    limit_reason : why the catalogue's limit lies where it does ("" when only the kind bounds)
    event : a short name (zh, en) of a policy this parameter switches on or phases in: charts
        mark the date its value first changes within the horizon (None: not a policy mark)
    """

    path: str
    kind: Kind
    unit: str
    description: str
    description_zh: str
    default: Any
    source: str
    line: int
    lower: float | None = None
    upper: float | None = None
    limit_reason: str = ""
    event: tuple[str, str] | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def validate(self, value: Any) -> tuple[Any, str | None]:
        """Return ``(value, None)`` when valid for this parameter, else ``(None, message)``."""
        checked, message = self.kind.validate(value)
        if message is not None or not self.kind.numeric or isinstance(checked, bool):
            return checked, message
        if (self.lower is not None and checked < self.lower) or (
            self.upper is not None and checked > self.upper
        ):
            why = f"; {self.limit_reason}" if self.limit_reason else ""
            return (
                None,
                f"{self.kind.label} {shown_number(checked)} is outside {self.bounds_text}{why}",
            )
        return checked, None

    def contains(self, low: float, high: float) -> bool:
        """Whether the interval [low, high] lies within this parameter's bounds."""
        return (self.lower is None or low >= self.lower) and (
            self.upper is None or high <= self.upper
        )

    @property
    def bounds_text(self) -> str:
        return bounds_text(self.lower, self.upper)


@dataclass(frozen=True)
class Catalogue:
    entries: dict[str, Entry]
    groups: frozenset[str]
    file: str
    document: SourceDocument

    def __contains__(self, path: object) -> bool:
        return path in self.entries

    def __getitem__(self, path: str) -> Entry:
        return self.entries[path]

    @property
    def paths(self) -> list[str]:
        return list(self.entries)

    def children(self, group: str) -> list[str]:
        """Names directly under a group path ("" for the root)."""
        prefix = f"{group}." if group else ""
        names = {
            p[len(prefix) :].split(".")[0]
            for p in [*self.entries, *self.groups]
            if p.startswith(prefix) and p != group
        }
        return sorted(names)

    def under(self, prefix: str) -> list[str]:
        """Parameter paths equal to or below ``prefix``."""
        if not prefix:
            return self.paths
        return [p for p in self.entries if p == prefix or p.startswith(prefix + ".")]


def _walk(
    node: dict[str, Any],
    prefix: tuple[str, ...],
    document: SourceDocument,
    entries: dict[str, Entry],
    groups: set[str],
    problems: Collector,
    name: str,
    limits: dict[str, Limit],
) -> None:
    for key, value in node.items():
        path = (*prefix, key)
        dotted_path = ".".join(path)
        if not isinstance(value, dict):
            problems.error(
                name, document.line_of(path), dotted_path, "catalogue entries must be mappings"
            )
            continue
        if "kind" in value:
            unknown = set(value) - LEAF_META
            kind = KINDS.get(value["kind"])
            if unknown or kind is None or "unit" not in value or "description" not in value:
                problems.error(
                    name,
                    document.line_of(path),
                    dotted_path,
                    f"malformed catalogue entry {sorted(value)}",
                )
                continue
            if ("default" in value) != ("source" in value):
                problems.error(
                    name, document.line_of(path), dotted_path, "a default needs a source"
                )
            event = value.get("event")
            if event is not None and not (isinstance(event, dict) and set(event) == {"zh", "en"}):
                problems.error(
                    name, document.line_of(path), dotted_path, "an event is {zh: …, en: …}"
                )
            if ("max" in value or "min" in value) != ("limit_reason" in value):
                problems.error(
                    name, document.line_of(path), dotted_path, "a min or max needs a limit_reason"
                )
            lower, upper, reason = _bounds(kind, limits.get(str(value["unit"])), value)
            entries[dotted_path] = Entry(
                path=dotted_path,
                kind=kind,
                unit=str(value["unit"]),
                description=str(value["description"]),
                description_zh=str(value.get("description_zh", "")),
                default=value.get("default"),
                source=str(value.get("source", "")),
                line=document.line_of(path),
                lower=lower,
                upper=upper,
                limit_reason=reason,
                event=_event(value.get("event")),
            )
        else:
            groups.add(dotted_path)
            _walk(value, path, document, entries, groups, problems, name, limits)


def _event(value: Any) -> tuple[str, str] | None:
    """An entry's ``event: {zh: …, en: …}`` (checked by the catalogue's own test)."""
    if not isinstance(value, dict):
        return None
    return str(value.get("zh", "")), str(value.get("en", ""))


def _bounds(
    kind: Kind, limit: Limit | None, value: dict[str, Any]
) -> tuple[float | None, float | None, str]:
    """An entry's bounds: its kind's, narrowed by its unit's limit and its own ``min`` and
    ``max`` (which replace the unit's)."""
    lower, upper, reason = kind.lower, kind.upper, ""
    if "max" in value or "min" in value:
        low = float(value["min"]) if "min" in value else (limit.lower if limit else None)
        high = float(value["max"]) if "max" in value else (limit.upper if limit else None)
        limit = Limit(low, high, value["limit_reason"])
    if limit is not None:
        if limit.lower is not None and (lower is None or limit.lower > lower):
            lower, reason = limit.lower, limit.reason
        if limit.upper is not None and (upper is None or limit.upper < upper):
            upper, reason = limit.upper, limit.reason
    return lower, upper, reason


def _limits(
    node: Any, document: SourceDocument, problems: Collector, name: str
) -> dict[str, Limit]:
    limits: dict[str, Limit] = {}
    if not isinstance(node, dict):
        problems.error(name, document.line_of((LIMITS,)), LIMITS, "limits must be a mapping")
        return limits
    for unit, spec in node.items():
        if not isinstance(spec, dict) or not {"reason"} <= set(spec) <= {"min", "max", "reason"}:
            problems.error(
                name,
                document.line_of((LIMITS, unit)),
                f"{LIMITS}.{unit}",
                "a limit has max and/or min, and a reason",
            )
            continue
        low, high = spec.get("min"), spec.get("max")
        limits[unit] = Limit(
            None if low is None else float(low),
            None if high is None else float(high),
            spec["reason"],
        )
    return limits


@functools.cache
def load_catalogue() -> Catalogue:
    """The package's parameter catalogue (read once per process)."""
    ref = resources.files("fundsim.parameters").joinpath(CATALOGUE_FILE)
    path = Path(str(ref))
    name = f"fundsim/parameters/{CATALOGUE_FILE}"
    problems = Collector()
    document = read_yaml(path, problems, display=name)
    if document is None:
        raise ScenarioError(problems.items)
    entries: dict[str, Entry] = {}
    groups: set[str] = set()
    data = dict(document.data)
    limits = _limits(data.pop(LIMITS, {}), document, problems, name)
    _walk(data, (), document, entries, groups, problems, name, limits)
    problems.raise_if_errors()
    return Catalogue(entries=entries, groups=frozenset(groups), file=name, document=document)
