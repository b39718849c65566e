"""The ``parameters`` of a chain over the catalogue's defaults: leaves, dated values,
indexation rules (``then:``), their checks, and the completeness of the tree."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..codes import LEVELS
from ..parameters.catalogue import Catalogue, Entry
from ..parameters.timeline import INDEX_SERIES, Origin, Rule, Step, Timeline
from ..parameters.tree import ParameterTree
from ..source.diagnostics import Collector, did_you_mean, valid_names_hint
from ..source.document import PathKey, dotted
from .chain import ChainFile
from .schema import Horizon

EARLIEST = dt.date(1900, 1, 1)
LEAF_KEYS = {"value", "values", "source", "note", "then"}
POLICY_META = {"source", "note", "then"}
RULE_GROWTH = (-0.3, 0.3)  # a yearly growth rule, as the catalogue's limits of 1/year
RULE_KINDS = ("grow", "step", "index")
DATE_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.(\d{4}-\d{2}-\d{2}))?$")


def defaults(catalogue: Catalogue, horizon: Horizon) -> dict[str, Timeline]:
    timelines: dict[str, Timeline] = {}
    for path, entry in catalogue.entries.items():
        if entry.default is None:
            continue
        origin = Origin("default", catalogue.file, entry.line, source=entry.source)
        if isinstance(entry.default, dict):
            steps = [
                Step(
                    dt.date.fromisoformat(k),
                    entry.validate(v)[0],
                    Origin("default", catalogue.file, entry.line, k, entry.source),
                )
                for k, v in sorted(entry.default["values"].items())
            ]
            timelines[path] = Timeline(tuple(steps))
        else:
            timelines[path] = Timeline.constant(EARLIEST, entry.validate(entry.default)[0], origin)
    return timelines


def check_first_dates(
    timelines: Mapping[str, Timeline], horizon: Horizon, problems: Collector
) -> None:
    """Every parameter has a value on the horizon's first day: checked on the values in the
    end (a file may replace the dated values of the file it extends, for a longer horizon)."""
    for path, timeline in timelines.items():
        first = timeline.steps[0]
        if first.start > horizon.start:
            problems.error(
                first.origin.file,
                first.origin.line,
                f"parameters.{path}",
                f"first value is dated {first.start.isoformat()}, after the horizon starts "
                f"({horizon.start.isoformat()})",
                "give a value in force on the first day of the horizon",
            )


def read_parameters(
    file: ChainFile,
    catalogue: Catalogue,
    horizon: Horizon,
    timelines: dict[str, Timeline],
    given: set[str],
    problems: Collector,
    root: tuple[str, ...] = ("parameters",),
    node: Mapping[str, Any] | None = None,
    spread: set[str] | None = None,
) -> None:
    """Read the parameters of ``file`` (or ``node`` under ``root``: an area's) into
    ``timelines``, over what they hold; the paths set by one value for their whole group are
    also added to ``spread``."""
    section = file.document.parameters if node is None else node
    assert section is not None
    where = ".".join(root)

    def walk(node: Mapping[str, Any], prefix: tuple[str, ...], inherited_source: str) -> None:
        written = node.get("source")
        source_here = written if isinstance(written, str) else inherited_source
        for key, value in node.items():
            if key in ("source", "note") and prefix:
                continue
            path = (*prefix, key)
            dotted_path = ".".join(path)
            key_path: PathKey = (*root, *path)
            line = file.source.line_of(key_path)

            def read_into(leaf_path: str, key_path: PathKey = key_path, value: Any = value) -> bool:
                """Read ``value`` (written at ``key_path``) as parameter ``leaf_path``."""
                leaf = _read_leaf(
                    file, catalogue[leaf_path], key_path, value, horizon, source_here, problems
                )
                if leaf is not None:
                    timelines[leaf_path] = leaf
                    given.add(leaf_path)
                return leaf is not None

            if dotted_path in catalogue:
                read_into(dotted_path)
            elif dotted_path in catalogue.groups:
                if isinstance(value, dict) and not {"value", "values"}.intersection(value):
                    walk(value, path, source_here)
                    continue
                # a value for a whole group sets each parameter in it (ratio: 0.5 for every level)
                leaves = group_leaves(catalogue, dotted_path)
                if leaves is None:
                    problems.error(
                        file.name,
                        line,
                        f"{where}.{dotted_path}",
                        "is a group of parameters, not a value",
                        "one value sets a whole group only where it is one quantity by level "
                        "or status (e.g. ratio: 0.9); "
                        + valid_names_hint(catalogue.children(dotted_path)),
                    )
                    continue
                for leaf_path in leaves:
                    if read_into(leaf_path) and spread is not None:
                        spread.add(leaf_path)
            else:
                siblings = catalogue.children(".".join(prefix))
                hint = did_you_mean(key, siblings) or did_you_mean(dotted_path, catalogue.paths)
                problems.error(
                    file.name,
                    line,
                    f"{where}.{dotted_path}",
                    f"unknown parameter '{key}'",
                    hint or valid_names_hint(siblings),
                )

    walk(section, (), "")


# the names a group may be split by for one value to set it all (a ratio by level and status)
BY_NAMES = frozenset((*LEVELS, "active", "retired"))


def group_leaves(catalogue: Catalogue, group: str) -> list[str] | None:
    """The parameters a value given for ``group`` sets: every one under it, when the group is
    one quantity by hospital level or membership status (all below it named by those, of one
    kind and unit); None for any other group."""
    leaves = catalogue.under(group)
    kinds = {(catalogue[p].kind, catalogue[p].unit) for p in leaves}
    named = all(set(p[len(group) + 1 :].split(".")) <= BY_NAMES for p in leaves)
    return leaves if leaves and named and len(kinds) == 1 else None


def _read_leaf(
    file: ChainFile,
    entry: Entry,
    key_path: PathKey,
    raw: Any,
    horizon: Horizon,
    inherited_source: str,
    problems: Collector,
) -> Timeline | None:
    name, where = file.name, dotted(key_path)
    line = file.source.line_of(key_path)
    source = inherited_source
    if isinstance(raw, dict):
        unknown = set(raw) - LEAF_KEYS
        if unknown or ("value" in raw) == ("values" in raw):
            problems.error(
                name,
                line,
                where,
                f"a parameter is a value, {{value: …, source: …}} or {{values: {{YYYY-MM-DD: …}}, source: …}}; got keys {', '.join(sorted(raw))}",
                f"{entry.path} is {entry.kind.label_article} [{entry.unit}]: {entry.description}",
            )
            return None
        if "source" in raw:
            if not isinstance(raw["source"], str) or not raw["source"].strip():
                problems.error(
                    name,
                    file.source.line_of((*key_path, "source")),
                    where + ".source",
                    "source must be text",
                )
                return None
            source = raw["source"]
        if "values" in raw:
            values = raw["values"]
            if not isinstance(values, dict) or not values:
                problems.error(
                    name,
                    line,
                    where + ".values",
                    "values must map dates to values",
                    "e.g. values: {2021-01-01: 580, 2022-01-01: 610}",
                )
                return None
            steps: list[Step] = []
            for date_key, value in values.items():
                date_line = file.source.line_of((*key_path, "values", date_key))
                try:
                    date = dt.date.fromisoformat(date_key)
                except ValueError:
                    problems.error(
                        name,
                        date_line,
                        f"{where}.values.{date_key}",
                        f"malformed date '{date_key}'",
                        "dates are ISO: YYYY-MM-DD",
                    )
                    continue
                checked = check_value(
                    entry, value, name, date_line, f"{where}.values.{date_key}", problems
                )
                if checked is not INVALID:
                    steps.append(
                        Step(date, checked, Origin("baseline", name, date_line, date_key, source))
                    )
            if len(steps) != len(values):
                return None
            steps.sort(key=lambda s: s.start)
            if "then" in raw:
                rule = read_rule(
                    file, entry, (*key_path, "then"), raw["then"], steps[-1].start, source, problems
                )
                if rule is INVALID:
                    return None
                steps[-1] = dataclasses.replace(steps[-1], rule=rule)
            warn_unsourced(source, name, line, where, problems)
            return Timeline(tuple(steps))
        rule = None
        if "then" in raw:
            rule = read_rule(
                file, entry, (*key_path, "then"), raw["then"], horizon.start, source, problems
            )
            if rule is INVALID:
                return None
        raw = raw["value"]
        line = file.source.line_of((*key_path, "value"))
    else:
        rule = None
    checked = check_value(entry, raw, name, line, where, problems)
    if checked is INVALID:
        return None
    warn_unsourced(source, name, line, where, problems)
    origin = Origin("baseline", name, line, "", source)
    return Timeline((Step(EARLIEST, checked, origin, rule),))


INVALID: Any = object()


def read_rule(
    file: ChainFile,
    entry: Entry,
    key_path: PathKey,
    raw: Any,
    anchor: dt.date,
    source: str,
    problems: Collector,
) -> Any:
    """The ``then:`` rule at ``key_path``: a :class:`Rule` anchored at ``anchor``, None for
    ``then: none`` (hold the value flat), or ``INVALID`` after saying why."""
    name, where = file.name, dotted(key_path)
    line = file.source.line_of(key_path)
    shape = (
        "then: {grow: 0.05} (5% a year), {step: 30} (30 a year), {index: wage} (as the "
        "average wage grows), {index: inpatient_cost} (as inpatient spending per member "
        "grows) or then: none"
    )
    if raw == "none":
        return None
    if not entry.kind.numeric or entry.kind.name in {"count", "month", "bool"}:
        problems.error(
            name, line, where, f"{entry.kind.label_article} cannot continue by a rule", shape
        )
        return INVALID
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in RULE_KINDS:
        problems.error(name, line, where, "a rule is one of grow or step", shape)
        return INVALID
    kind, amount = next(iter(raw.items()))
    if kind == "index":
        if amount not in INDEX_SERIES:
            hint = did_you_mean(str(amount), list(INDEX_SERIES))
            problems.error(
                name,
                line,
                where,
                f"no series {amount!r} to index to",
                hint or valid_names_hint(list(INDEX_SERIES)),
            )
            return INVALID
        if entry.kind.name not in {"money", "signed_money"}:
            problems.error(
                name,
                line,
                where,
                f"only an amount of money can be indexed to a series, not {entry.kind.label_article}",
                "index premiums, subsidies, budgets and caps; grow or step a rate",
            )
            return INVALID
        origin = Origin("rule", name, line, "then", source)
        return Rule("index", 0.0, anchor, origin, str(amount))
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount != amount:
        problems.error(name, line, where, f"{kind} takes a number, not {amount!r}", shape)
        return INVALID
    if kind == "grow" and not RULE_GROWTH[0] <= amount <= RULE_GROWTH[1]:
        problems.error(
            name,
            line,
            where,
            f"a yearly growth of {amount:g} is outside [{RULE_GROWTH[0]:g}, {RULE_GROWTH[1]:g}]",
            "growth is a fraction a year: 0.05 means 5% a year",
        )
        return INVALID
    return Rule(kind, float(amount), anchor, Origin("rule", name, line, "then", source))


def check_rule_values(tree: ParameterTree, catalogue: Catalogue, problems: Collector) -> None:
    """Every value a rule writes over the horizon must be valid for its parameter."""
    for path in tree.paths:
        if not tree.rules(path).has_rules:
            continue
        entry = catalogue[path]
        for step in tree.timeline(path).steps:
            if step.origin.role != "rule":
                continue
            _, message = entry.validate(step.value)
            if message is not None:
                problems.error(
                    step.origin.file,
                    step.origin.line,
                    "then",
                    f"the rule takes {path} to {step.value:,.6g} by {step.start.year}: {message}",
                    "a smaller growth or step, or a later value that stops it",
                )
                break


def check_value(
    entry: Entry, value: Any, name: str, line: int, where: str, problems: Collector
) -> Any:
    checked, message = entry.validate(value)
    if message is not None:
        if (entry.lower, entry.upper) != (entry.kind.lower, entry.kind.upper):
            note = entry.kind.valid.partition("; ")[2]  # "rates are fractions: …"
            valid = f"{entry.kind.label_article} within {entry.bounds_text}"
            valid += f"; {note}" if note else ""
        else:
            valid = entry.kind.valid
        problems.error(name, line, where, message, f"{entry.path} takes {valid} [{entry.unit}]")
        return INVALID
    return checked


def warn_unsourced(source: str, name: str, line: int, where: str, problems: Collector) -> None:
    """A warning at ``where`` when a value (a parameter's, or a policy change's) has no source."""
    if not source.strip():
        problems.warning(
            name,
            line,
            where,
            "no source given for this value",
            "add source: … naming the document, table or derivation",
        )


def check_complete(
    root: ChainFile,
    catalogue: Catalogue,
    given: set[str],
    problems: Collector,
    filled: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Report the required parameters not ``given`` (whole groups at once); the ``filled``
    ones (an undeclared level's) are neither given nor missing."""
    missing = [
        p for p, e in catalogue.entries.items() if e.required and p not in given and p not in filled
    ]
    if not missing or root.document.parameters is None:
        return
    line = root.source.line_of(("parameters",))
    reported: set[str] = set()
    for path in missing:
        # Report a whole group once when every parameter in it is missing.
        parts = path.split(".")
        group = path
        for depth in range(1, len(parts)):
            candidate = ".".join(parts[:depth])
            under = catalogue.under(candidate)
            if all(p in missing or p in filled or not catalogue[p].required for p in under):
                group = candidate
                break
        if group in reported:
            continue
        reported.add(group)
        if group == path:
            entry = catalogue[path]
            problems.error(
                root.name,
                line,
                f"parameters.{path}",
                "missing parameter",
                f"{entry.kind.label_article} [{entry.unit}]: {entry.description}",
            )
        else:
            count = sum(
                1 for p in catalogue.under(group) if catalogue[p].required and p not in filled
            )
            problems.error(
                root.name,
                line,
                f"parameters.{group}",
                f"missing parameter group ({count} parameters)",
                valid_names_hint(catalogue.children(group)),
            )
