"""The dated policy changes of a scenario, for the marks on the charts' time axes.

Two kinds: a parameter the catalogue names as a policy (``event:``, e.g. the 2023
personal-account reform, a later retirement age, the pooling mode) at the first date its value
changes within the shown years (unless a ``policy`` file changes it: that file's mark says
it); and each ``policy`` file of the scenario's chain at the first
date it changes anything there, named by that file's title; each with the pools it concerns
(the scheme its parameters name, else both). A chart draws the changes of one date as one mark.
The batch stores them on the results (``scenario_events``, JSON), so a
chart of results read back knows them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass

from ..parameters.catalogue import Catalogue, load_catalogue
from .loader import Scenario


@dataclass(frozen=True)
class Event:
    date: dt.date
    zh: str
    en: str
    pools: tuple[str, ...] = ("uebmi", "urrbmi")  # the pools whose charts show it


def _pools(paths: list[str]) -> set[str]:
    """The pools a change concerns: the scheme a parameter path names, else both."""
    found: set[str] = set()
    for path in paths:
        named = {p for p in ("uebmi", "urrbmi") if p in path.split(".")}
        found |= named or {"uebmi", "urrbmi"}
    return found


def short(title: str) -> str:
    """A title without its parenthesised explanation."""
    return title.split("（")[0].split(" (")[0].strip() or title


def events(scenario: Scenario, catalogue: Catalogue | None = None) -> list[Event]:
    """The scenario's policy changes within its shown years, by date (one per name)."""
    catalogue = catalogue or load_catalogue()
    first = scenario.reported_start or scenario.horizon.start
    last = scenario.horizon.end
    found: dict[tuple[dt.date, str, str], set[str]] = {}

    def add(date: dt.date, zh: str, en: str, paths: list[str]) -> None:
        found.setdefault((date, zh, en), set()).update(_pools(paths))

    tree = scenario.tree
    for path, entry in catalogue.entries.items():
        if entry.event is None or path not in tree.paths:
            continue
        steps = tree.rules(path).steps
        for before, step in itertools.pairwise(steps):
            if first <= step.start <= last and step.value != before.value:
                if step.origin.file not in scenario.file_titles or step.origin.role != "override":
                    add(step.start, *entry.event, [path])  # else the policy file's mark says it
                break
    by_file: dict[str, dt.date] = {}
    changed: dict[str, list[str]] = {}
    for override in scenario.overrides:
        if first <= override.start <= last:
            name = override.origin.file
            by_file[name] = min(by_file.get(name, override.start), override.start)
            changed.setdefault(name, []).append(override.path)
    for name, date in by_file.items():
        title = scenario.file_titles.get(name)
        if title is not None:
            add(date, short(title.zh), short(title.en), changed[name])
    return [
        Event(date, zh, en, tuple(sorted(pools)))
        for (date, zh, en), pools in sorted(found.items(), key=lambda item: item[0][0])
    ]


def to_json(found: list[Event]) -> str:
    rows = [[e.date.isoformat(), e.zh, e.en, list(e.pools)] for e in found]
    return json.dumps(rows, ensure_ascii=False)


def from_json(text: str) -> list[Event]:
    """The marks stored on results; none from text that is not a list of them."""
    try:
        rows = json.loads(text) if text else []
        return [
            Event(dt.date.fromisoformat(d), str(zh), str(en), tuple(map(str, pools)))
            for d, zh, en, pools in rows
        ]
    except (ValueError, TypeError):
        return []
