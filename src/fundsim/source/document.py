"""Strict YAML reading that remembers where every value came from.

PyYAML's safe loader silently keeps the last of two duplicate keys and forgets line numbers
once it has built Python objects. Here we compose the node graph with the safe loader and
build the Python values ourselves, so that

* duplicate keys are an error naming both lines,
* only plain scalar keys, mappings, sequences and safe scalars are accepted,
* every value's position is kept in :attr:`SourceDocument.locations`, keyed by its path
  (a tuple of mapping keys and sequence indices) for error messages and ``fundsim explain``,
* a file hostile by its shape is refused before anything is built, quickly and in bounded
  memory: larger than :data:`MAX_BYTES`, nested deeper than :data:`MAX_DEPTH`, an alias
  inside its own anchor (a recursive structure), or aliases that would expand the file to
  more than :data:`MAX_VALUES` values ("billion laughs").

Mapping keys are kept as the text written (``2025-01-01`` stays a string key), values are
resolved by YAML's core schema (``2025-01-01`` as a value becomes a :class:`datetime.date`).

YAML 1.1, which PyYAML reads, turns some plain numbers into numbers other than the decimal
one written: ``010`` is octal 8, ``0x10`` 16, ``0b11`` 3, ``1:30`` 90 (base 60), and
``1_000`` drops its ``_`` (YAML 1.2 and other readers take it for text). Each is refused where
it is written, with the decimal number to write (:func:`number_form`): a planner who writes
``lag_days: 010`` means ten, and a warning read too late would leave the forecast on eight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .characters import control_character, describe, invisible_character, visible
from .diagnostics import Collector

PathKey = tuple[str | int, ...]
# Scalar tags the safe loader knows (str, int, float, bool, null, timestamp, …); anything else,
# such as !!python/object, is refused before it is constructed.
SAFE_TAGS = frozenset(t for t in SafeConstructor.yaml_constructors if t is not None)
# Bounds on a scenario's shape, far beyond any real one (the Yangjiang baseline, the largest,
# is 20 kB, nests 7 deep and has about 2,000 values).
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_VALUES = 100_000
INT_TAG, FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_NUMBER_FORMS = (  # YAML 1.1 forms of a plain number that are not the decimal written
    (re.compile(r"[-+]?[0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?"), "a base-60 (sexagesimal) number"),
    (re.compile(r"[-+]?0x[0-9a-fA-F_]+"), "a hexadecimal number"),
    (re.compile(r"[-+]?0b[01_]+"), "a binary number"),
    (re.compile(r"[-+]?0[0-7_]+"), "an octal number (a leading 0)"),
    (re.compile(r"[-+]?[0-9._]*_[0-9._]*(?:[eE][-+]?[0-9]+)?"), "a number with '_' dropped"),
)
# every text of these files (titles, names, descriptions, sources) is one line on a chart,
# in a workbook cell and on the terminal
TEXT_RULE = (
    "a text is one line of printable characters: no tab, line break or escape code; "
    "remove the character or write it out in words"
)


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
        if file.exists() and not file.is_dir() and not file.is_file():
            diagnostics.error(name, 0, "", "is not a regular file (a device, pipe or socket)")
            return None
        with open(file, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # a larger file is refused below, unread
    except FileNotFoundError:
        diagnostics.error(name, 0, "", "file not found")
        return None
    except IsADirectoryError:
        diagnostics.error(name, 0, "", "is a directory, not a YAML file")
        return None
    except OSError as exc:
        diagnostics.error(name, 0, "", f"cannot be read: {exc.strerror}")
        return None
    if len(raw) > MAX_BYTES:
        diagnostics.error(
            name,
            0,
            "",
            f"is more than a scenario can be ({MAX_BYTES // 2**20} MiB)",
            "a scenario is a short YAML file; region data go in CSV files under calibration/",
        )
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
        if not _shape_is_safe(text, name, diagnostics):
            return None
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses, by its offset
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        what = (
            "a control character" if control_character(character) else "a character YAML refuses,"
        )
        diagnostics.error(
            name, line, "", f"holds {what} {describe(character)}", TEXT_RULE, column=column
        )
        return None
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


def _shape_is_safe(text: str, name: str, diagnostics: Collector) -> bool:
    """Whether the YAML event stream of ``text`` stays within the shape bounds; records the
    first breach. Works on parser events, which PyYAML produces without recursion, and
    computes what every alias would expand to from its anchor's size and height, so nothing
    is expanded to find out."""
    size: dict[str, int] = {}  # an anchor's values when expanded
    height: dict[str, int] = {}  # an anchor's nesting when expanded
    stack: list[list[Any]] = []  # open collections: [anchor, values, height]
    total = 0

    def refuse(event: yaml.Event, message: str, hint: str) -> bool:
        mark = event.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        diagnostics.error(name, line, "", message, hint, column=column)
        return False

    def add(values: int, tall: int) -> None:
        if stack:
            stack[-1][1] += values
            stack[-1][2] = max(stack[-1][2], tall + 1)

    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            anchor = str(event.anchor)
            if any(frame[0] == anchor for frame in stack):
                return refuse(
                    event,
                    f"the alias *{anchor} lies inside its own anchor &{anchor} (a recursive structure)",
                    "write the values out; a scenario cannot contain itself",
                )
            values, tall = size.get(anchor, 1), height.get(anchor, 0)
        elif isinstance(event, yaml.ScalarEvent):
            values, tall = 1, 0
            if event.anchor is not None:
                size[event.anchor], height[event.anchor] = 1, 0
        elif isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1, 0])
            if len(stack) > MAX_DEPTH:
                return refuse(
                    event,
                    f"nested more than {MAX_DEPTH} levels deep",
                    "a scenario nests a few levels: parameters, policy, uncertainty",
                )
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, values, tall = stack.pop()
            if anchor is not None:
                size[anchor], height[anchor] = values, tall
        else:
            continue
        total += values
        if total > MAX_VALUES:
            return refuse(
                event,
                f"expands to more than {MAX_VALUES:,} values (aliases repeat parts of the file)",
                "write the values out; a scenario has a few thousand values at most",
            )
        if len(stack) + tall > MAX_DEPTH:
            return refuse(
                event,
                f"an alias nests the file more than {MAX_DEPTH} levels deep",
                "write the values out",
            )
        add(values, tall)
    return True


def number_form(text: str, tag: str) -> str | None:
    """What YAML 1.1 takes the plain scalar ``text`` (resolved to ``tag``) for, when it is a
    number other than the decimal written (``010``: "an octal number"); None otherwise."""
    if tag not in (INT_TAG, FLOAT_TAG):
        return None
    for pattern, form in _NUMBER_FORMS:
        if pattern.fullmatch(text):
            return form
    return None


def _decimal(text: str) -> str:
    """The decimal number a planner most likely meant by ``text`` (``010`` -> ``10``)."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text.lstrip("+"))
    digits = body.replace("_", "")
    if ":" in digits:  # a time, a ratio? nothing to guess
        return ""
    if digits[:2].lower() in ("0x", "0b"):
        return sign + str(int(digits, 0))
    if "." in digits or "e" in digits.lower():
        return sign + digits
    return sign + (digits.lstrip("0") or "0")


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
            odd = invisible_character(key)
            if odd is not None:
                self._error(
                    key_node,
                    path,
                    f"the key '{visible(key)}' holds {describe(odd)}, which looks like a space "
                    "or like nothing",
                    "write keys in plain characters and indent with ordinary spaces",
                )
                continue
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
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            if node.tag == "tag:yaml.org,2002:timestamp":
                self._error(
                    node, path, f"malformed date '{node.value}': {exc}", "dates are ISO: YYYY-MM-DD"
                )
            else:
                self._error(node, path, f"cannot read value '{visible(node.value)}': {exc}")
            return None
        form = number_form(str(node.value), str(node.tag))
        if form is not None:
            meant = _decimal(str(node.value))
            write = f"write {meant} if you mean {meant}" if meant else "write the number in decimal"
            self._error(
                node,
                path,
                f"'{node.value}' is {form} in YAML 1.1 and would be read as {value!r}, not as "
                "written",
                f"{write}; put it in quotes if it is text",
            )
            return None
        odd = control_character(value) if isinstance(value, str) else None
        if odd is not None:
            self._error(node, path, f"holds a control character {describe(odd)}", TEXT_RULE)
            return None
        return value
