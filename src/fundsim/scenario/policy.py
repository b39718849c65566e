"""The ``policy`` section: dated overrides of the baseline, checked before any is applied."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..parameters.catalogue import Catalogue
from ..parameters.timeline import Origin
from ..parameters.tree import Override
from ..source.diagnostics import Collector, did_you_mean, valid_names_hint
from ..source.document import PathKey
from .chain import ChainFile
from .schema import Horizon
from .values import DATE_KEY, INVALID, POLICY_META, check_value, read_rule


def read_policy(
    file: ChainFile, catalogue: Catalogue, horizon: Horizon, problems: Collector
) -> list[Override]:
    assert file.document.policy is not None
    name = file.name
    open_ended: list[Override] = []
    bounded: list[Override] = []
    for path, entries in file.document.policy.items():
        key_path: PathKey = ("policy", path)
        line = file.source.line_of(key_path)
        where = f"policy.{path}"
        if path not in catalogue:
            hint = did_you_mean(path, catalogue.paths)
            if path in catalogue.groups:
                problems.error(
                    name,
                    line,
                    where,
                    f"'{path}' is a group of parameters, not one parameter",
                    valid_names_hint(catalogue.children(path)),
                )
            else:
                problems.error(
                    name,
                    line,
                    where,
                    f"unknown parameter '{path}'",
                    hint or "see `fundsim explain SCENARIO` for every parameter",
                )
            continue
        entry = catalogue[path]
        path_source = entries.get("source", "") if isinstance(entries.get("source"), str) else ""
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
                source = raw.get("source", source) if isinstance(raw.get("source"), str) else source
                raw = raw["value"]
                value_line = file.source.line_of((*key_path, key, "value"))
            checked = check_value(entry, raw, name, value_line, key_where, problems)
            if checked is INVALID:
                continue
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
                continue
            last = max(mine, key=lambda o: o.start)
            rule = read_rule(
                file, entry, then_path, entries["then"], last.start, path_source, problems
            )
            if rule is not INVALID:
                open_ended[open_ended.index(last)] = dataclasses.replace(last, rule=rule)
    # Open-ended changes in date order, then bounded ranges on top: a range is a temporary
    # exception after which the value that would otherwise hold returns.
    open_ended.sort(key=lambda o: o.start)
    bounded.sort(key=lambda o: o.start)
    return [*open_ended, *bounded]
