"""Strict YAML reading that remembers where every value came from.

PyYAML's safe loader silently keeps the last of two duplicate keys and forgets line numbers
once it has built Python objects. Here we compose the node graph with the safe loader and
build the Python values ourselves, so that

* duplicate keys are an error naming both lines,
* only plain scalar keys, mappings, sequences and safe scalars are accepted,
* every value's position is kept in :attr:`SourceDocument.locations`, keyed by its path
  (a tuple of mapping keys and sequence indices) for error messages and ``fundsim explain``.

Mapping keys are kept as the text written (``2025-01-01`` stays a string key), values are
resolved by YAML's core schema (``2025-01-01`` as a value becomes a :class:`datetime.date`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import Collector

PathKey = tuple[str | int, ...]
# Scalar tags the safe loader knows (str, int, float, bool, null, timestamp, …); anything else,
# such as !!python/object, is refused before it is constructed.
SAFE_TAGS = frozenset(t for t in SafeConstructor.yaml_constructors if t is not None)


@dataclass
class SourceDocument:
    """A YAML file's data with the (line, column) of every key and item, 1-based."""

    file: Path
    data: Any
    locations: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int:
        """Line of ``path``, or of its nearest ancestor that has one (1 for the root)."""
        return self.position_of(path)[0]

    def position_of(self, path: PathKey) -> tuple[int, int]:
        probe = tuple(path)
        while probe:
            if probe in self.locations:
                return self.locations[probe]
            probe = probe[:-1]
        return self.locations.get((), (1, 1))


def dotted(path: PathKey) -> str:
    """``("policy", "payment.drg.share", "2025-01-01")`` -> ``policy.payment.drg.share.2025-01-01``."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def read_yaml(
    file: Path, diagnostics: Collector, display: str | None = None
) -> SourceDocument | None:
    """Read ``file`` strictly; record problems in ``diagnostics`` and return None on failure.

    Parameters
    ----------
    file : the YAML file
    diagnostics : where errors go
    display : the name to show in messages (defaults to ``file`` as given)
    """
    name = display or str(file)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        diagnostics.error(name, 0, "", "file not found")
        return None
    except IsADirectoryError:
        diagnostics.error(name, 0, "", "is a directory, not a YAML file")
        return None
    except OSError as exc:
        diagnostics.error(name, 0, "", f"cannot be read: {exc.strerror}")
        return None
    if b"\x00" in raw:
        diagnostics.error(
            name, 1, "", "is a binary file, not YAML text", "save the scenario as UTF-8 text"
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        diagnostics.error(
            name,
            line,
            "",
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8",
        )
        return None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        diagnostics.error(
            name, 1, "", "file is empty", "a scenario needs at least 'name' and 'title'"
        )
        return None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        diagnostics.error(name, line, "", f"invalid YAML: {problem}{context}", column=column)
        return None
    except yaml.YAMLError as exc:
        diagnostics.error(name, 0, "", f"invalid YAML: {exc}")
        return None
    if root is None:
        diagnostics.error(
            name, 1, "", "file is empty", "a scenario needs at least 'name' and 'title'"
        )
        return None
    document = SourceDocument(file=file, data=None)
    document.locations[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    builder = _Builder(name, document, diagnostics)
    before = len(diagnostics.items)
    data = builder.build(root, ())
    if any(d.severity == "error" for d in diagnostics.items[before:]):
        return None
    document.data = data
    return document


class _Builder:
    def __init__(self, name: str, document: SourceDocument, diagnostics: Collector) -> None:
        self.name = name
        self.document = document
        self.diagnostics = diagnostics
        self.constructor = SafeConstructor()

    def _error(self, node: Node, path: PathKey, message: str, hint: str = "") -> None:
        self.diagnostics.error(
            self.name,
            node.start_mark.line + 1,
            dotted(path),
            message,
            hint,
            column=node.start_mark.column + 1,
        )

    def build(self, node: Node, path: PathKey) -> Any:
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.document.locations[(*path, index)] = (
                    item.start_mark.line + 1,
                    item.start_mark.column + 1,
                )
                items.append(self.build(item, (*path, index)))
            return items
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._error(
                    key_node,
                    path,
                    "YAML merge keys ('<<') are not supported",
                    "write the keys out, or use 'extends:'",
                )
                continue
            if not isinstance(key_node, ScalarNode):
                self._error(key_node, path, "a key must be a plain name, not a list or mapping")
                continue
            key = str(key_node.value)
            if key in result:
                self._error(
                    key_node,
                    (*path, key),
                    f"duplicate key '{key}' (first defined on line {first_line[key]})",
                    "each key may appear once in a mapping",
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.document.locations[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, (*path, key))
        return result

    def _scalar(self, node: ScalarNode, path: PathKey) -> Any:
        if node.tag not in SAFE_TAGS:
            self._error(
                node, path, f"unsupported YAML tag '{node.tag}'", "only plain values are allowed"
            )
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            if node.tag == "tag:yaml.org,2002:timestamp":
                self._error(
                    node, path, f"malformed date '{node.value}': {exc}", "dates are ISO: YYYY-MM-DD"
                )
            else:
                self._error(node, path, f"cannot read value '{node.value}': {exc}")
            return None
