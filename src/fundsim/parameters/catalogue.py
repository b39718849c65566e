"""The catalogue: every policy parameter's path, kind, unit, descriptions and national default."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..scenario.diagnostics import Collector, ScenarioError
from ..scenario.yamlsource import SourceDocument, read_yaml
from .kinds import KINDS, Kind

CATALOGUE_FILE = "catalogue.yaml"
LEAF_META = {"kind", "unit", "description", "description_zh", "default", "source"}


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
    """

    path: str
    kind: Kind
    unit: str
    description: str
    description_zh: str
    default: Any
    source: str
    line: int

    @property
    def required(self) -> bool:
        return self.default is None


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
            entries[dotted_path] = Entry(
                path=dotted_path,
                kind=kind,
                unit=str(value["unit"]),
                description=str(value["description"]),
                description_zh=str(value.get("description_zh", "")),
                default=value.get("default"),
                source=str(value.get("source", "")),
                line=document.line_of(path),
            )
        else:
            groups.add(dotted_path)
            _walk(value, path, document, entries, groups, problems, name)


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
    _walk(document.data, (), document, entries, groups, problems, name)
    problems.raise_if_errors()
    return Catalogue(entries=entries, groups=frozenset(groups), file=name, document=document)
