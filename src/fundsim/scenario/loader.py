"""Load a scenario: read its ``extends`` chain, validate everything, build the parameter tree.

Order of work (architecture §3): every file of the chain is read strictly and checked against the
schema; then the ``parameters`` of the chain are merged over the catalogue's national
defaults into the baseline tree; then every ``policy`` override is checked and applied to a
copy; then the cross-parameter rules are checked on every breakpoint, the uncertainty
distributions against their parameters, and the region data files. All problems are collected
and raised together; nothing is applied before everything has been validated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..parameters.catalogue import Catalogue, load_catalogue
from ..parameters.timeline import Origin, Timeline
from ..parameters.tree import Override, ParameterTree
from ..source.diagnostics import Collector, Diagnostic, ScenarioError
from . import calibrate as calibration_section
from . import levels, rules
from . import start as starting
from .areas import AreaPlan, read_areas
from .chain import ChainFile, read_chain
from .paths import Roots, display_path
from .policy import read_policy
from .region import check_size, read_region
from .regiondata import Table
from .schema import Description, Horizon, MonteCarlo, Outputs, Region, Title
from .uncertainty import Joint, Uncertain, read_correlation, read_uncertainty
from .values import (
    EARLIEST,
    check_complete,
    check_first_dates,
    check_rule_values,
    defaults,
    read_parameters,
)


@dataclass
class Scenario:
    """A validated scenario, ready to simulate.

    Attributes
    ----------
    name, title : identifier and zh/en titles; ``description`` the file's own paragraph (not
        inherited: a child scenario describes itself)
    file : the scenario file; ``files`` the whole ``extends`` chain, root first
    horizon : first and last day simulated
    region : the region's names and data files (resolved paths)
    baseline : the parameter tree before ``policy`` overrides
    tree : the parameter tree with every override applied
    overrides : the overrides, in the order applied
    uncertainty : uncertain parameters by path; ``joint`` those drawn together
    monte_carlo, outputs : batch settings
    warnings : suspicious but legal findings
    """

    name: str
    title: Title
    description: Description | None
    file: Path
    files: list[Path]
    horizon: Horizon
    region: Region
    region_files: dict[str, Path]
    baseline: ParameterTree
    tree: ParameterTree
    overrides: list[Override]
    uncertainty: dict[str, Uncertain]
    monte_carlo: MonteCarlo
    outputs: Outputs
    warnings: list[Diagnostic] = field(default_factory=list)
    joint: Joint | None = None  # drawn parameters drawn together (correlation:)
    region_tables: dict[str, Table] = field(default_factory=dict)
    calibrate: calibration_section.CalibrationPlan | None = None
    # results are kept from this day (a roll-forward from the data year), None: all
    reported_start: dt.date | None = None
    start_note: tuple[str, str] | None = None  # how the start was bridged (zh, en)
    rebased: tuple[str, ...] = ()  # accounts opening with the history's balance (a window)
    # the areas of a city scenario, each over the city's rules and data (none: one area)
    areas: list[AreaPlan] = field(default_factory=list)
    # each file of the chain's title, by its name as origins show it (the policy marks on charts)
    file_titles: dict[str, Title] = field(default_factory=dict)

    @property
    def levels(self) -> tuple[str, ...]:
        """Where the region's members are treated: its local hospital levels, lowest first,
        and out of area."""
        return levels.places(self.region.levels)

    @property
    def sha256(self) -> str:
        """SHA-256 over every file the scenario depends on (the chain and the region data)."""
        digest = hashlib.sha256()
        area_files = [p for a in self.areas for p in a.region_files.values()]
        for path in [*self.files, *self.region_files.values(), *area_files]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def load_scenario(
    path: str | Path,
    allow_outside: Sequence[str | Path] = (),
    horizon: Horizon | None = None,
    start_from: str | None = None,
) -> Scenario:
    """Read, validate and resolve a scenario file.

    Parameters
    ----------
    path : the scenario YAML file
    allow_outside : folders outside the scenario's project that its ``extends`` and
        ``region.data`` paths may name (:mod:`fundsim.scenario.paths`)
    horizon : simulate this horizon instead of the scenario's (a calibration over the
        history's years); every check is made against it
    start_from : instead of the scenario's ``region.start_from`` (a backtest's forecast
        starts from the history's stocks of the year before it: ``"history"``)

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        with every problem found (file, line, dotted path, what would be valid).
    """
    problems = Collector()
    catalogue = load_catalogue()
    roots = Roots.of(Path(path), allow_outside)
    chain = read_chain(Path(path), roots, problems)
    problems.raise_if_errors()
    scenario = _resolve(chain, catalogue, roots, problems, horizon, start_from)
    problems.raise_if_errors()
    assert scenario is not None
    scenario.warnings = [d for d in problems.items if d.severity == "warning"]
    return scenario


# --- resolving the chain into a scenario ---------------------------------------------------


def _resolve(
    chain: list[ChainFile],
    catalogue: Catalogue,
    roots: Roots,
    problems: Collector,
    horizon_given: Horizon | None = None,
    start_from: str | None = None,
) -> Scenario | None:
    root, leaf = chain[0], chain[-1]
    horizon = horizon_given or next(
        (f.document.horizon for f in reversed(chain) if f.document.horizon), None
    )
    region = next((f for f in reversed(chain) if f.document.region), None)
    if horizon is None:
        problems.error(
            root.name,
            1,
            "horizon",
            "no horizon",
            "the region's baseline sets horizon: {start: YYYY-MM-DD, end: YYYY-MM-DD}",
        )
    if region is None:
        problems.error(
            root.name,
            1,
            "region",
            "no region",
            "the region's baseline names its region and its data files",
        )
    if root.document.parameters is None:
        problems.error(
            root.name,
            1,
            "parameters",
            "the root scenario has no parameters",
            "a region baseline gives every parameter; policy scenarios extend it",
        )
    if horizon is None or region is None:
        return None
    assert region.document.region is not None
    region_doc = region.document.region
    if start_from is not None:  # the caller's, instead of the scenario's (a backtest's forecast)
        region_doc = region_doc.model_copy(update={"start_from": start_from})
    region_line = region.source.line_of(("region",))
    start = starting.plan(region_doc, horizon, region.name, region_line, problems)
    horizon = start.simulated

    timelines = defaults(catalogue, horizon)
    given: set[str] = set()
    spread: set[str] = set()  # set by a value for a whole group (every level)
    for file in chain:
        if file.document.parameters is not None:
            read_parameters(file, catalogue, horizon, timelines, given, problems, spread=spread)
    declared = region_doc.levels
    levels.refuse_given(given - spread, timelines, declared, "parameters", problems)
    filled = levels.fill(timelines, catalogue, declared)
    check_complete(root, catalogue, given, problems, filled=filled)
    check_first_dates(timelines, horizon, problems)

    overrides: list[Override] = []
    changed: set[str] = set()  # by an entry for a whole group (every level)
    for file in chain:
        if file.document.policy:
            overrides.extend(read_policy(file, catalogue, horizon, problems, spread=changed))
    overrides = levels.refuse_overrides(overrides, declared, changed, problems)

    region_files, tables = read_region(region, roots, problems)
    if problems.has_errors:
        return None
    opening_now = {
        a: float(timelines[f"finance.opening_balance.{a}"].step_at(horizon.start).value)
        for a in starting.ACCOUNT_FUNDS
        if f"finance.opening_balance.{a}" in timelines
    }
    start = starting.from_history(
        start,
        region_doc,
        horizon,
        tables,
        region.name,
        region_line,
        problems,
        opening_now,
    )
    if problems.has_errors:
        return None
    if start.population_scale:
        tables["population"] = starting.scaled_population(
            tables["population"], start.population_scale
        )
    history_name = display_path(region_files["history"]) if "history" in region_files else ""
    for account, (value, line) in start.opening.items():
        path = f"finance.opening_balance.{account}"
        how = start.derived.get(account, "balance at year end")
        timelines[path] = Timeline.constant(
            EARLIEST,
            value,
            Origin("history", history_name, line, source=f"{history_name}: {how}"),
        )

    baseline = ParameterTree(timelines, horizon.start, horizon.end)
    tree = baseline.with_overrides(overrides)
    check_rule_values(tree, catalogue, problems)
    if problems.has_errors:
        return None
    rules.check(tree, [f.name for f in chain], problems)
    areas = read_areas(chain, catalogue, horizon, timelines, overrides, tables, roots, problems)
    if areas and region_doc.start_from == "history":
        problems.error(
            region.name,
            region.source.line_of(("region", "start_from")),
            "region.start_from",
            "a city scenario cannot start from the history yet (its areas have no history)",
            "start from the data year (start_from: data) or roll forward (roll_forward)",
        )
    if problems.has_errors:
        return None
    uncertainty = read_uncertainty(chain, catalogue, tree, problems)
    joint = read_correlation(chain, uncertainty, problems)
    calibrate = calibration_section.read(chain, catalogue, tree, problems)
    if areas:
        for area in areas:
            check_size(
                region, area.region_tables, area.tree, horizon, uncertainty, catalogue, problems
            )
    else:
        check_size(region, tables, tree, horizon, uncertainty, catalogue, problems)
    monte_carlo = MonteCarlo()
    for file in chain:
        if file.document.monte_carlo is not None:
            monte_carlo = monte_carlo.model_copy(
                update=file.document.monte_carlo.model_dump(exclude_unset=True)
            )
    outputs = next((f.document.outputs for f in reversed(chain) if f.document.outputs), Outputs())
    return Scenario(
        name=leaf.document.name,
        title=leaf.document.title,
        description=leaf.document.description,
        file=leaf.path,
        files=[f.path for f in chain],
        horizon=horizon,
        region=region_doc,
        region_files=region_files,
        baseline=baseline,
        tree=tree,
        overrides=overrides,
        uncertainty=uncertainty,
        joint=joint,
        monte_carlo=monte_carlo,
        outputs=outputs,
        region_tables=tables,
        calibrate=calibrate,
        reported_start=start.reported_start,
        start_note=start.note,
        rebased=start.rebased,
        areas=areas,
        file_titles={f.name: f.document.title for f in chain},
    )


def validate_file(path: str | Path, allow_outside: Sequence[str | Path] = ()) -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for one scenario file; never raises ScenarioError."""
    try:
        scenario = load_scenario(path, allow_outside)
    except ScenarioError as exc:
        return exc.diagnostics
    return scenario.warnings
