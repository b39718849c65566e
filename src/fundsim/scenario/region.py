"""The ``region`` section: its data files read and checked, and the size of a run."""

from __future__ import annotations

from pathlib import Path

from ..codes import LEVELS
from ..parameters.catalogue import Catalogue
from ..parameters.timeline import Origin
from ..parameters.tree import ParameterTree
from ..source.diagnostics import Collector
from ..source.pathnames import file_problem, name_problem, real_path, shown_path
from .chain import ChainFile
from .paths import REGION_SUFFIXES, Roots, display_path, outside_hint, suffix_problem
from .regiondata import OPTIONAL, SPECS, Table, read_table
from .schema import Area, Horizon
from .uncertainty import Uncertain


def read_region(
    region_file: ChainFile, roots: Roots, problems: Collector
) -> tuple[dict[str, Path], dict[str, Table]]:
    region = region_file.document.region
    assert region is not None
    paths: dict[str, Path] = {}
    tables: dict[str, Table] = {}
    for kind in SPECS:
        relative = getattr(region.data, kind)
        if relative is None and kind in OPTIONAL:
            continue
        _read_file(
            region_file, ("region", "data", kind), kind, relative, roots, paths, tables, problems
        )
    return paths, tables


def read_area_data(
    file: ChainFile,
    key: str,
    area: Area,
    city: dict[str, Table],
    roots: Roots,
    problems: Collector,
) -> tuple[dict[str, Path], dict[str, Table]]:
    """An area's own data files, and the city's tables for those it leaves out."""
    paths: dict[str, Path] = {}
    tables = {kind: table for kind, table in city.items() if kind != "history"}
    for kind, relative in area.data.model_dump(exclude_none=True).items():
        tables.pop(kind, None)
        where = ("areas", key, "data", kind)
        _read_file(file, where, kind, relative, roots, paths, tables, problems)
    return paths, tables


def _read_file(
    file: ChainFile,
    key_path: tuple[str, ...],
    kind: str,
    relative: str,
    roots: Roots,
    paths: dict[str, Path],
    tables: dict[str, Table],
    problems: Collector,
) -> None:
    named = file.path.parent / relative
    where = file.source.line_of(key_path)
    dotted_path = ".".join(key_path)
    problem = name_problem(relative) or name_problem(named.absolute())
    if problem:
        problems.error(file.name, where, dotted_path, f"{shown_path(relative)}: {problem}")
        return
    path = real_path(named)
    paths[kind] = path
    if not roots.contain(path):
        problems.error(
            file.name,
            where,
            dotted_path,
            f"region data file outside the scenario's project: {shown_path(relative)}",
            outside_hint(roots),
        )
        return
    wrong = suffix_problem(path, REGION_SUFFIXES, "a region data file")
    if wrong:
        problems.error(file.name, where, dotted_path, wrong)
        return
    problem = file_problem(named)
    if problem or not path.is_file():
        problems.error(
            file.name,
            where,
            dotted_path,
            f"region data file {shown_path(relative)} {problem}"
            if problem
            else f"region data file not found: {shown_path(relative)}",
            "region.data names CSV files"
            if problem
            else "paths are relative to the scenario file; looked for "
            f"{shown_path(display_path(path))}",
        )
        return
    table = read_table(kind, path, problems, display=display_path(path))
    if table is not None:
        tables[kind] = table


MAX_SIMULATED = 40_000_000  # persons in memory per run (about 150 bytes each: 6 GB)
MIN_SIMULATED = 100  # fewer, and a run's results are noise (and its quantiles NaN)
# ASSUMPTION, beyond any region: inpatient spending per member-year, the largest admission
# rate × cost factor of the region data times the dearest level's cost per case. China's is
# about 1,700 yuan (0.17 admissions a member-year at about 10,000 yuan: shared/data).
MAX_INPATIENT_PER_MEMBER = 500_000
MAX_ADMISSION_RATE = 5.0  # admissions a member-year, as the region data's column bound


def _highest(
    path: str, tree: ParameterTree, uncertainty: dict[str, Uncertain], catalogue: Catalogue
) -> tuple[float, Origin]:
    """The highest value ``path`` takes over the horizon (a draw's too), and where it is set."""
    steps = tree.timeline(path).steps
    step = max(steps, key=lambda s: float(s.value))
    value, origin = float(step.value), step.origin
    if path in uncertainty:
        high = uncertainty[path].distribution.support()[1]
        upper = catalogue[path].upper
        high = min(high, upper) if upper is not None else high
        if high > value:
            value, origin = high, uncertainty[path].origin
    return value, origin


def check_size(
    region: ChainFile,
    tables: dict[str, Table],
    tree: ParameterTree,
    horizon: Horizon,
    uncertainty: dict[str, Uncertain],
    catalogue: Catalogue,
    problems: Collector,
) -> None:
    """A region's simulated persons (its insured × ``population.sample``) must fit in memory,
    and its inpatient spending per member stay within what any region could spend (the
    bounds of each value alone allow products far beyond it)."""
    admissions = tables.get("admission_rates")
    if admissions is not None:
        products = [
            r * f
            for r, f in zip(
                admissions.columns["rate"], admissions.columns["cost_factor"], strict=True
            )
        ]
        worst = max(range(len(products)), key=products.__getitem__)
        dearest = max(
            float(step.value)
            for level in LEVELS
            for step in tree.timeline(f"care.cost_per_case.{level}").steps
        )
        if products[worst] * dearest > MAX_INPATIENT_PER_MEMBER:
            problems.error(
                admissions.display,
                admissions.lines[worst],
                "rate",
                f"rate × cost_factor {products[worst]:g} with the dearest cost per case "
                f"({dearest:,.0f} yuan) spends {products[worst] * dearest:,.0f} yuan a "
                f"member-year on inpatient care, beyond any region (at most "
                f"{MAX_INPATIENT_PER_MEMBER:,}; China's is about 1,700)",
                "admission rates are a fraction of an admission a member-year; cost factors are near 1",
            )
    years = horizon.end.year - horizon.start.year + 1
    if admissions is not None:  # admissions compound with their trend: claims in memory
        trend, origin = _highest("care.admission_trend", tree, uncertainty, catalogue)
        rate = max(admissions.columns["rate"]) * (1 + max(trend, 0.0)) ** years
        if rate > MAX_ADMISSION_RATE:
            problems.error(
                origin.file,
                origin.line,
                "care.admission_trend",
                f"an admission trend of {trend:g} a year for {years} years takes the highest "
                f"admission rate from {max(admissions.columns['rate']):g} to {rate:,.3g} "
                f"admissions a member-year, beyond any region (at most {MAX_ADMISSION_RATE:g})",
                "a trend of a few percent a year, or a shorter horizon",
            )
    table = tables.get("population")
    if table is None:
        return
    sample = float(tree.value("population.sample", horizon.start))
    migration, origin = _highest("population.net_migration_rate", tree, uncertainty, catalogue)
    fertility, _ = _highest("population.fertility_rate", tree, uncertainty, catalogue)
    # births a person-year at most about TFR × 0.007 (a quarter of people are women of
    # childbearing age, births spread over 35 years); deaths ignored: an upper bound
    growth = (1 + max(migration, 0.0) + 0.007 * fertility) ** years
    simulated = sum(table.columns["persons"]) * sample
    if simulated <= MAX_SIMULATED < simulated * growth:
        problems.error(
            origin.file,
            origin.line,
            "population.net_migration_rate",
            f"{simulated:,.0f} persons to simulate could grow to {simulated * growth:,.0f} in "
            f"{years} years (net migration {migration:g} and fertility {fertility:g} a year), "
            f"more than {MAX_SIMULATED:,} in memory",
            "set parameters.population.sample to simulate a weighted sample, or check the rates",
        )
    if simulated < MIN_SIMULATED:
        problems.error(
            region.name,
            region.source.line_of(("region", "data", "population")),
            "region.data.population",
            f"{simulated:,.1f} persons to simulate ({sum(table.columns['persons']):,.0f} insured "
            f"× population.sample {sample:g}) is fewer than {MIN_SIMULATED}: the results "
            "would be noise",
            "raise parameters.population.sample",
        )
    if simulated > MAX_SIMULATED:
        problems.error(
            region.name,
            region.source.line_of(("region", "data", "population")),
            "region.data.population",
            f"{simulated:,.0f} persons to simulate ({sum(table.columns['persons']):,.0f} "
            f"insured × population.sample {sample:g}) is more than {MAX_SIMULATED:,}",
            "set parameters.population.sample to simulate a weighted sample, e.g. "
            f"{max(0.01, round(MAX_SIMULATED / simulated / 2, 2)):g}",
        )
