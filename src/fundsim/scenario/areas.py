"""The ``areas`` section of a city scenario: each area's data and parameters over the city's.

City-wide rules are written once (the scenario's ``parameters`` and ``policy``); an area
gives its own population file (and any other region data file that differs) and the
parameters where it differs (opening balances, wages, premiums, a rule of its own, dated
like any parameter). Pooling between the areas (``pooling.*``) is the city's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..parameters.catalogue import Catalogue
from ..parameters.timeline import Timeline
from ..parameters.tree import Override, ParameterTree
from ..source.diagnostics import Collector
from . import levels, rules
from .chain import ChainFile
from .paths import Roots
from .region import read_area_data
from .regiondata import Table
from .schema import Horizon, Title
from .values import check_rule_values, read_parameters

CITY_ONLY = ("pooling.",)  # parameter paths an area may not set
CITY_MISMATCH = 0.01  # the areas' insured may differ from the city's population file by 1%


@dataclass
class AreaPlan:
    """One area, resolved: its parameter trees and its region data."""

    key: str
    name: Title
    baseline: ParameterTree
    tree: ParameterTree
    region_tables: dict[str, Table]
    region_files: dict[str, Path]


def read_areas(
    chain: list[ChainFile],
    catalogue: Catalogue,
    horizon: Horizon,
    timelines: dict[str, Timeline],
    overrides: list[Override],
    city_tables: dict[str, Table],
    roots: Roots,
    problems: Collector,
) -> list[AreaPlan]:
    """The areas of the nearest file of the chain that lists them (none: a one-area
    scenario), each over the city's ``timelines`` and ``city_tables``."""
    file = next((f for f in reversed(chain) if f.document.areas), None)
    if file is None or file.document.areas is None:
        return []
    plans = []
    for key, area in file.document.areas.items():
        own = dict(timelines)
        given: set[str] = set()
        spread: set[str] = set()
        root = ("areas", key, "parameters")
        if area.parameters:
            read_parameters(
                file,
                catalogue,
                horizon,
                own,
                given,
                problems,
                root=root,
                node=area.parameters,
                spread=spread,
            )
        region = next(f for f in reversed(chain) if f.document.region).document.region
        assert region is not None
        levels.refuse_given(given - spread, own, region.levels, f"areas.{key}.parameters", problems)
        levels.fill(own, catalogue, region.levels)
        for path in sorted(given):
            if path.startswith(CITY_ONLY):
                problems.error(
                    file.name,
                    file.source.line_of((*root, *path.split("."))),
                    f"areas.{key}.parameters.{path}",
                    "pooling between the areas is the city's rule, not an area's",
                    "set pooling.* in the scenario's parameters (or policy)",
                )
        files, tables = read_area_data(file, key, area, city_tables, roots, problems)
        if problems.has_errors:
            continue
        baseline = ParameterTree(own, horizon.start, horizon.end)
        tree = baseline.with_overrides(overrides)
        check_rule_values(tree, catalogue, problems)
        rules.check(tree, [f.name for f in chain], problems)
        plans.append(AreaPlan(key, area.name, baseline, tree, tables, files))
    if not problems.has_errors:
        _check_city_population(file, plans, city_tables, problems)
    return plans


def _check_city_population(
    file: ChainFile, plans: list[AreaPlan], city: dict[str, Table], problems: Collector
) -> None:
    """The region's population file is the city's: its insured should be the areas' sum."""
    if "population" not in city:
        return
    whole = sum(city["population"].columns["persons"])
    parts = sum(sum(p.region_tables["population"].columns["persons"]) for p in plans)
    if whole > 0 and abs(parts - whole) > CITY_MISMATCH * whole:
        problems.warning(
            file.name,
            file.source.line_of(("areas",)),
            "areas",
            f"the areas' population files hold {parts:,.0f} insured, the region's "
            f"{whole:,.0f} ({parts / whole - 1:+.1%})",
            "the region's population file is the whole city's: make it the sum of the areas'",
        )
