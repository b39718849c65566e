"""The ``policy`` section: dated overrides of the baseline, checked before any is applied."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ..parameters.catalogue import Catalogue
from ..parameters.timeline import Origin
from ..parameters.tree import Override
from ..source.diagnostics import Collector, did_you_mean, valid_names_hint
from ..source.document import PathKey
from .chain import ChainFile
from .schema import Horizon
from .values import (
    DATE_KEY,
    INVALID,
    POLICY_META,
    check_value,
    group_leaves,
    read_rule,
    warn_unsourced,
)


def read_policy(
    file: ChainFile,
    catalogue: Catalogue,
    horizon: Horizon,
    problems: Collector,
    spread: set[str] | None = None,
) -> list[Override]:
    """The dated overrides of ``file``'s ``policy`` section; the parameters changed by an
    entry for their whole group are also added to ``spread``."""
    assert file.document.policy is not None
    name = file.name
    open_ended: list[Override] = []
    bounded: list[Override] = []
    for written, entries in file.document.policy.items():
        key_path: PathKey = ("policy", written)
        line = file.source.line_of(key_path)
        where = f"policy.{written}"
        if written in catalogue:
            paths = [written]
        elif written in catalogue.groups:
            # an override of a whole group changes each parameter in it (all of one kind)
            leaves = group_leaves(catalogue, written)
            if leaves is None:
                problems.error(
                    name,
                    line,
                    where,
                    f"'{written}' is a group of parameters, not one parameter",
                    "one override changes a whole group only where it is one quantity by "
                    "level or status (e.g. a ratio); "
                    + valid_names_hint(catalogue.children(written)),
                )
                continue
            paths = leaves
            if spread is not None:
                spread.update(leaves)
        else:
            problems.error(
                name,
                line,
                where,
                f"unknown parameter '{written}'",
                did_you_mean(written, catalogue.paths)
                or "see `fundsim explain SCENARIO` for every parameter",
            )
            continue
        for path in paths:
            # (a mistake in a group's entry is reported once: the collector drops repeats)
            _read_entry(
                file, catalogue, horizon, problems, path, written, entries, open_ended, bounded
            )
    # Open-ended changes in date order, then bounded ranges on top: a range is a temporary
    # exception after which the value that would otherwise hold returns.
    open_ended.sort(key=lambda o: o.start)
    bounded.sort(key=lambda o: o.start)
    return [*open_ended, *bounded]


def _read_entry(
    file: ChainFile,
    catalogue: Catalogue,
    horizon: Horizon,
    problems: Collector,
    path: str,
    written: str,
    entries: dict[str, Any],
    open_ended: list[Override],
    bounded: list[Override],
) -> None:
    """Read the dated overrides of parameter ``path`` written under ``policy.{written}`` (the
    parameter or a group holding it) into the open-ended and bounded lists."""
    name = file.name
    key_path: PathKey = ("policy", written)
    where = f"policy.{written}"
    entry = catalogue[path]
    if not _source_is_text(entries, file, (*key_path, "source"), f"{where}.source", problems):
        return
    path_source = entries.get("source", "")
    ranges: list[tuple[dt.date, dt.date, int]] = []
    for key, raw in entries.items():
        if key in POLICY_META:
            continue
        key_line = file.source.line_of((*key_path, key))
        key_where = f"{where}.{key}"
        match = DATE_KEY.match(key)
        if not match:
            problems.error(
                name,
                key_line,
                key_where,
                f"malformed date key '{key}'",
                "write YYYY-MM-DD (from that day on) or YYYY-MM-DD.YYYY-MM-DD (a bounded range)",
            )
            continue
        try:
            start = dt.date.fromisoformat(match.group(1))
            end = dt.date.fromisoformat(match.group(2)) if match.group(2) else None
        except ValueError as exc:
            problems.error(
                name,
                key_line,
                key_where,
                f"malformed date in '{key}': {exc}",
                "dates are ISO: YYYY-MM-DD",
            )
            continue
        outside = [
            d for d in (start, end) if d is not None and not horizon.start <= d <= horizon.end
        ]
        if outside:
            problems.error(
                name,
                key_line,
                key_where,
                f"date {outside[0].isoformat()} is outside the horizon",
                f"the horizon runs {horizon.start.isoformat()} to {horizon.end.isoformat()}",
            )
            continue
        if end is not None and end < start:
            problems.error(
                name,
                key_line,
                key_where,
                f"range ends ({end.isoformat()}) before it starts ({start.isoformat()})",
            )
            continue
        source = path_source
        value_line = key_line
        if isinstance(raw, dict):  # {value: …, source: …}; tier tables are lists
            unknown = set(raw) - {"value", "source", "note"}
            if unknown or "value" not in raw:
                problems.error(
                    name,
                    key_line,
                    key_where,
                    "an override is a value or {value: …, source: …}",
                    f"got keys {', '.join(sorted(raw))}",
                )
                continue
            if not _source_is_text(
                raw, file, (*key_path, key, "source"), f"{key_where}.source", problems
            ):
                continue
            source = raw.get("source", source)
            raw = raw["value"]
            value_line = file.source.line_of((*key_path, key, "value"))
        checked = check_value(entry, raw, name, value_line, key_where, problems)
        if checked is INVALID:
            continue
        warn_unsourced(source, name, key_line, key_where, problems)
        origin = Origin("override", name, key_line, key, source)
        override = Override(path, start, end, checked, origin)
        if end is None:
            open_ended.append(override)
        else:
            for other_start, other_end, other_line in ranges:
                if start <= other_end and other_start <= end:
                    problems.error(
                        name,
                        key_line,
                        key_where,
                        f"range overlaps the range on line {other_line}",
                        "bounded ranges of one parameter may not overlap; split them",
                    )
            ranges.append((start, end, key_line))
            bounded.append(override)
    if "then" in entries:
        mine = [o for o in open_ended if o.path == path]
        then_path: PathKey = (*key_path, "then")
        if not mine:
            problems.error(
                name,
                file.source.line_of(then_path),
                f"{where}.then",
                "then: continues the last dated value from that date on; this entry has none",
                "give a date key YYYY-MM-DD (from that day on) before then:",
            )
            return
        last = max(mine, key=lambda o: o.start)
        rule = read_rule(file, entry, then_path, entries["then"], last.start, path_source, problems)
        if rule is not INVALID:
            open_ended[open_ended.index(last)] = dataclasses.replace(last, rule=rule)


def _source_is_text(
    node: dict[str, Any], file: ChainFile, key_path: PathKey, where: str, problems: Collector
) -> bool:
    """Whether ``node``'s ``source``, when it has one, is text that says something (an error
    where it is not, as a parameter's value gets: an empty source is no source)."""
    if "source" not in node:
        return True
    source = node["source"]
    if isinstance(source, str) and source.strip():
        return True
    problems.error(
        file.name,
        file.source.line_of(key_path),
        where,
        "source must be text" if not isinstance(source, str) else "source is empty",
        "name the document, table or derivation the value comes from, e.g. "
        "source: 医保发〔2024〕12号",
    )
    return False
