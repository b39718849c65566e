"""Load a scenario: read its ``extends`` chain, validate everything, build the parameter tree.

Order of work (DESIGN §3): every file of the chain is read strictly and checked against the
schema; then the ``parameters`` of the chain are merged over the catalogue's national
defaults into the baseline tree; then every ``policy`` override is checked and applied to a
copy; then the cross-parameter rules are checked on every breakpoint, the uncertainty
distributions against their parameters, and the region data files. All problems are collected
and raised together; nothing is applied before everything has been validated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..codes import LEVELS
from ..parameters.catalogue import Catalogue, Entry, load_catalogue
from ..parameters.timeline import INDEX_SERIES, Origin, Rule, Step, Timeline
from ..parameters.tree import Override, ParameterTree
from ..source.diagnostics import (
    Collector,
    Diagnostic,
    ScenarioError,
    did_you_mean,
    valid_names_hint,
)
from ..source.document import PathKey, SourceDocument, dotted, read_yaml
from . import calibrate as calibration_section
from . import rules
from . import start as starting
from .paths import REGION_SUFFIXES, SCENARIO_SUFFIXES, Roots, outside_hint, suffix_problem
from .regiondata import OPTIONAL, SPECS, Table, read_table
from .schema import (
    DISTRIBUTIONS,
    Description,
    Document,
    Horizon,
    MonteCarlo,
    Outputs,
    Region,
    Title,
)

EARLIEST = dt.date(1900, 1, 1)
LEAF_KEYS = {"value", "values", "source", "note", "then"}
POLICY_META = {"source", "note", "then"}
RULE_GROWTH = (-0.3, 0.3)  # a yearly growth rule, as the catalogue's limits of 1/year
RULE_KINDS = ("grow", "step", "index")
DATE_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.(\d{4}-\d{2}-\d{2}))?$")


@dataclass(frozen=True)
class Uncertain:
    """An uncertain parameter: drawn once per run from ``distribution``."""

    path: str
    distribution: Any
    origin: Origin


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
    uncertainty : uncertain parameters by path
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
    region_tables: dict[str, Table] = field(default_factory=dict)
    calibrate: calibration_section.CalibrationPlan | None = None
    # results are kept from this day (a roll-forward from the data year), None: all
    reported_start: dt.date | None = None
    start_note: tuple[str, str] | None = None  # how the start was bridged (zh, en)

    @property
    def sha256(self) -> str:
        """SHA-256 over every file the scenario depends on (the chain and the region data)."""
        digest = hashlib.sha256()
        for path in [*self.files, *self.region_files.values()]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@dataclass
class _File:
    path: Path
    name: str
    source: SourceDocument
    document: Document


def load_scenario(
    path: str | Path, allow_outside: Sequence[str | Path] = (), horizon: Horizon | None = None
) -> Scenario:
    """Read, validate and resolve a scenario file.

    Parameters
    ----------
    path : the scenario YAML file
    allow_outside : folders outside the scenario's project that its ``extends`` and
        ``region.data`` paths may name (:mod:`fundsim.scenario.paths`)
    horizon : simulate this horizon instead of the scenario's (a calibration over the
        history's years); every check is made against it

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
    chain = _read_chain(Path(path), roots, problems)
    problems.raise_if_errors()
    scenario = _resolve(chain, catalogue, roots, problems, horizon)
    problems.raise_if_errors()
    assert scenario is not None
    scenario.warnings = [d for d in problems.items if d.severity == "warning"]
    return scenario


# --- reading the extends chain -------------------------------------------------------------


def _read_chain(path: Path, roots: Roots, problems: Collector) -> list[_File]:
    """The files of the ``extends`` graph, each once, parents before children (root first).

    ``extends`` names one file or a list; a list is combined depth-first in the order written,
    so ``extends: [drg.yaml, procurement.yaml]`` applies the DRG file's changes, then
    procurement's. All files must share one root (the region baseline).
    """
    order: list[_File] = []
    done: set[Path] = set()
    baselines: list[_File] = []

    def visit(current: Path, display: str, stack: list[tuple[Path, _File | None, int]]) -> None:
        resolved = current.resolve()
        if any(resolved == p for p, _, _ in stack):
            names = [
                display_path(p) for p, _, _ in stack[[p for p, _, _ in stack].index(resolved) :]
            ]
            cycle = " -> ".join([*names, display_path(resolved)])
            _, child, line = stack[-1]
            assert child is not None
            problems.error(
                child.name,
                line,
                "extends",
                f"circular extends: {cycle}",
                "a scenario may not extend itself, directly or through others",
            )
            return
        if resolved in done:
            return
        source = read_yaml(current, problems, display=display)
        if source is None:
            return
        document = _check_schema(source, display, problems)
        if document is None:
            return
        file = _File(current, display, source, document)
        parents = document.extends
        targets = [parents] if isinstance(parents, str) else list(parents or [])
        for index, target_name in enumerate(targets):
            key: PathKey = ("extends",) if isinstance(parents, str) else ("extends", index)
            line = source.line_of(key)
            target = (current.parent / target_name).resolve()
            if not roots.contain(target):
                problems.error(
                    display,
                    line,
                    dotted(key),
                    f"extends a file outside the scenario's project: {target_name}",
                    outside_hint(roots),
                )
                continue
            wrong = suffix_problem(target, SCENARIO_SUFFIXES, "an extended scenario")
            if wrong:
                problems.error(display, line, dotted(key), wrong)
                continue
            if not target.is_file():
                problems.error(
                    display,
                    line,
                    dotted(key),
                    f"extends a file that does not exist: {target_name}",
                    f"the path is relative to {display_path(current.parent)}; looked for {display_path(target)}",
                )
                continue
            visit(target, display_path(target), [*stack, (resolved, file, line)])
        if not targets:
            baselines.append(file)
        done.add(resolved)
        order.append(file)

    wrong = suffix_problem(path, SCENARIO_SUFFIXES, "a scenario")
    if wrong:  # judged by its name, so no other kind of file is read and quoted back
        problems.error(display_path(path), 0, "", wrong, "a scenario is a YAML file")
        return order
    visit(path, display_path(path), [])
    if len(baselines) > 1:
        problems.error(
            order[-1].name,
            order[-1].source.line_of(("extends",)),
            "extends",
            "the extended files come from different baselines: "
            + ", ".join(r.name for r in baselines),
            "combine only scenarios of one region baseline",
        )
    return order


def _check_schema(source: SourceDocument, name: str, problems: Collector) -> Document | None:
    if not isinstance(source.data, dict):
        problems.error(
            name, 1, "", f"a scenario must be a mapping of keys, not a {type(source.data).__name__}"
        )
        return None
    try:
        return Document.model_validate(source.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            _report_schema_error(error, source, name, problems)
        return None


def _report_schema_error(
    error: Any, source: SourceDocument, name: str, problems: Collector
) -> None:
    loc = tuple(error["loc"])
    data_path = _data_path(source.data, loc)
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    hint = ""
    where = data_path
    if kind == "missing":
        where = (*data_path, loc[-1]) if data_path[-1:] != loc[-1:] else data_path
        message = f"missing required key '{loc[-1]}'"
        fields = _fields_at(loc[:-1])
        if loc[:-1] == () and loc[-1] in ("name", "title"):
            hint = "every scenario names itself and carries zh and en titles"
        elif fields:
            hint = valid_names_hint(fields)
    elif kind == "extra_forbidden":
        message = f"unknown key '{loc[-1]}'"
        fields = _fields_at(loc[:-1])
        hint = did_you_mean(str(loc[-1]), fields) or valid_names_hint(fields)
    elif kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", "")
        message = f"unknown distribution '{tag}'"
        hint = valid_names_hint(list(DISTRIBUTIONS))
        where = (*data_path, "distribution")
    elif kind == "union_tag_not_found":
        message = "missing 'distribution'"
        hint = valid_names_hint(list(DISTRIBUTIONS))
    elif kind in {"date_type", "date_parsing", "date_from_datetime_inexact"}:
        message = f"{error.get('input')!r} is not a date"
        hint = "dates are ISO: YYYY-MM-DD"
    elif kind == "string_pattern_mismatch" and loc == ("name",):
        message = f"name {error.get('input')!r} is not a valid identifier"
        hint = "lower-case letters, digits, '-' and '_', e.g. drg-2025"
    elif kind.endswith("_type"):
        message = f"{_short(error.get('input'))} is not valid here: {message}"
    dotted_path = dotted(tuple(str(p) for p in where))
    line, column = source.position_of(where)
    problems.error(name, line, dotted_path, message, hint, column=column)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """The longest prefix of ``loc`` that exists in the data (skipping union tags)."""
    found: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and part < len(current)
        ):
            found.append(part)
            current = current[part]
        elif isinstance(part, str) and part in DISTRIBUTIONS:
            continue
        else:
            break
    return tuple(found)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Names of the keys allowed at ``loc`` of a scenario document."""
    current: Any = Document
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if part in current.model_fields:
                current = current.model_fields[part].annotation
            elif part in DISTRIBUTIONS:
                current = DISTRIBUTIONS[part]
            else:
                return []
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list:
            current = get_args(current)[0]
        elif get_origin(current) is Union and part in DISTRIBUTIONS:
            current = DISTRIBUTIONS[part]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


# --- resolving the chain into a scenario ---------------------------------------------------


def _resolve(
    chain: list[_File],
    catalogue: Catalogue,
    roots: Roots,
    problems: Collector,
    horizon_given: Horizon | None = None,
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
    region_line = region.source.line_of(("region",))
    start = starting.plan(region.document.region, horizon, region.name, region_line, problems)
    horizon = start.simulated

    timelines = _defaults(catalogue, horizon)
    given: set[str] = set()
    for file in chain:
        if file.document.parameters is not None:
            _read_parameters(file, catalogue, horizon, timelines, given, problems)
    _check_complete(root, catalogue, given, problems)
    _check_first_dates(timelines, horizon, problems)

    overrides: list[Override] = []
    for file in chain:
        if file.document.policy:
            overrides.extend(_read_policy(file, catalogue, horizon, problems))

    region_files, tables = _read_region(region, roots, problems)
    if problems.has_errors:
        return None
    start = starting.from_history(
        start, region.document.region, horizon, tables, region.name, region_line, problems
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
        timelines[path] = Timeline.constant(
            EARLIEST,
            value,
            Origin("history", history_name, line, source=f"{history_name}: balance at year end"),
        )

    baseline = ParameterTree(timelines, horizon.start, horizon.end)
    tree = baseline.with_overrides(overrides)
    _check_rule_values(tree, catalogue, problems)
    if problems.has_errors:
        return None
    rules.check(tree, [f.name for f in chain], problems)
    uncertainty = _read_uncertainty(chain, catalogue, tree, problems)
    calibrate = calibration_section.read(chain, catalogue, tree, problems)
    _check_size(region, tables, tree, horizon, uncertainty, catalogue, problems)
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
        region=region.document.region,
        region_files=region_files,
        baseline=baseline,
        tree=tree,
        overrides=overrides,
        uncertainty=uncertainty,
        monte_carlo=monte_carlo,
        outputs=outputs,
        region_tables=tables,
        calibrate=calibrate,
        reported_start=start.reported_start,
        start_note=start.note,
    )


def _defaults(catalogue: Catalogue, horizon: Horizon) -> dict[str, Timeline]:
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


def _check_first_dates(
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


def _read_parameters(
    file: _File,
    catalogue: Catalogue,
    horizon: Horizon,
    timelines: dict[str, Timeline],
    given: set[str],
    problems: Collector,
) -> None:
    assert file.document.parameters is not None

    def walk(node: Mapping[str, Any], prefix: tuple[str, ...], inherited_source: str) -> None:
        written = node.get("source")
        source_here = written if isinstance(written, str) else inherited_source
        for key, value in node.items():
            if key in ("source", "note") and prefix:
                continue
            path = (*prefix, key)
            dotted_path = ".".join(path)
            key_path: PathKey = ("parameters", *path)
            line = file.source.line_of(key_path)
            if dotted_path in catalogue:
                leaf = _read_leaf(
                    file, catalogue[dotted_path], key_path, value, horizon, source_here, problems
                )
                if leaf is not None:
                    timelines[dotted_path] = leaf
                    given.add(dotted_path)
            elif dotted_path in catalogue.groups:
                if not isinstance(value, dict):
                    problems.error(
                        file.name,
                        line,
                        f"parameters.{dotted_path}",
                        "is a group of parameters, not a value",
                        valid_names_hint(catalogue.children(dotted_path)),
                    )
                    continue
                walk(value, path, source_here)
            else:
                siblings = catalogue.children(".".join(prefix))
                hint = did_you_mean(key, siblings) or did_you_mean(dotted_path, catalogue.paths)
                problems.error(
                    file.name,
                    line,
                    f"parameters.{dotted_path}",
                    f"unknown parameter '{key}'",
                    hint or valid_names_hint(siblings),
                )

    walk(file.document.parameters, (), "")


def _read_leaf(
    file: _File,
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
                checked = _check_value(
                    entry, value, name, date_line, f"{where}.values.{date_key}", problems
                )
                if checked is not _INVALID:
                    steps.append(
                        Step(date, checked, Origin("baseline", name, date_line, date_key, source))
                    )
            if len(steps) != len(values):
                return None
            steps.sort(key=lambda s: s.start)
            if "then" in raw:
                rule = _read_rule(
                    file, entry, (*key_path, "then"), raw["then"], steps[-1].start, source, problems
                )
                if rule is _INVALID:
                    return None
                steps[-1] = dataclasses.replace(steps[-1], rule=rule)
            _warn_unsourced(entry, source, name, line, where, problems)
            return Timeline(tuple(steps))
        rule = None
        if "then" in raw:
            rule = _read_rule(
                file, entry, (*key_path, "then"), raw["then"], horizon.start, source, problems
            )
            if rule is _INVALID:
                return None
        raw = raw["value"]
        line = file.source.line_of((*key_path, "value"))
    else:
        rule = None
    checked = _check_value(entry, raw, name, line, where, problems)
    if checked is _INVALID:
        return None
    _warn_unsourced(entry, source, name, line, where, problems)
    origin = Origin("baseline", name, line, "", source)
    return Timeline((Step(EARLIEST, checked, origin, rule),))


_INVALID: Any = object()


def _read_rule(
    file: _File,
    entry: Entry,
    key_path: PathKey,
    raw: Any,
    anchor: dt.date,
    source: str,
    problems: Collector,
) -> Any:
    """The ``then:`` rule at ``key_path``: a :class:`Rule` anchored at ``anchor``, None for
    ``then: none`` (hold the value flat), or ``_INVALID`` after saying why."""
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
        return _INVALID
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in RULE_KINDS:
        problems.error(name, line, where, "a rule is one of grow or step", shape)
        return _INVALID
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
            return _INVALID
        if entry.kind.name not in {"money", "signed_money"}:
            problems.error(
                name,
                line,
                where,
                f"only an amount of money can be indexed to a series, not {entry.kind.label_article}",
                "index premiums, subsidies, budgets and caps; grow or step a rate",
            )
            return _INVALID
        origin = Origin("rule", name, line, "then", source)
        return Rule("index", 0.0, anchor, origin, str(amount))
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount != amount:
        problems.error(name, line, where, f"{kind} takes a number, not {amount!r}", shape)
        return _INVALID
    if kind == "grow" and not RULE_GROWTH[0] <= amount <= RULE_GROWTH[1]:
        problems.error(
            name,
            line,
            where,
            f"a yearly growth of {amount:g} is outside [{RULE_GROWTH[0]:g}, {RULE_GROWTH[1]:g}]",
            "growth is a fraction a year: 0.05 means 5% a year",
        )
        return _INVALID
    return Rule(kind, float(amount), anchor, Origin("rule", name, line, "then", source))


def _check_rule_values(tree: ParameterTree, catalogue: Catalogue, problems: Collector) -> None:
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


def _check_value(
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
        return _INVALID
    return checked


def _warn_unsourced(
    entry: Entry, source: str, name: str, line: int, where: str, problems: Collector
) -> None:
    if not source.strip():
        problems.warning(
            name,
            line,
            where,
            "no source given for this value",
            "add source: … naming the document, table or derivation",
        )


def _check_complete(
    root: _File, catalogue: Catalogue, given: set[str], problems: Collector
) -> None:
    missing = [p for p, e in catalogue.entries.items() if e.required and p not in given]
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
            if all(p in missing or not catalogue[p].required for p in under):
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
            count = sum(1 for p in catalogue.under(group) if catalogue[p].required)
            problems.error(
                root.name,
                line,
                f"parameters.{group}",
                f"missing parameter group ({count} parameters)",
                valid_names_hint(catalogue.children(group)),
            )


def _read_policy(
    file: _File, catalogue: Catalogue, horizon: Horizon, problems: Collector
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
            checked = _check_value(entry, raw, name, value_line, key_where, problems)
            if checked is _INVALID:
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
            rule = _read_rule(
                file, entry, then_path, entries["then"], last.start, path_source, problems
            )
            if rule is not _INVALID:
                open_ended[open_ended.index(last)] = dataclasses.replace(last, rule=rule)
    # Open-ended changes in date order, then bounded ranges on top: a range is a temporary
    # exception after which the value that would otherwise hold returns.
    open_ended.sort(key=lambda o: o.start)
    bounded.sort(key=lambda o: o.start)
    return [*open_ended, *bounded]


def _read_region(
    region_file: _File, roots: Roots, problems: Collector
) -> tuple[dict[str, Path], dict[str, Table]]:
    region = region_file.document.region
    assert region is not None
    paths: dict[str, Path] = {}
    tables: dict[str, Table] = {}
    for kind in SPECS:
        relative = getattr(region.data, kind)
        if relative is None and kind in OPTIONAL:
            continue
        path = (region_file.path.parent / relative).resolve()
        paths[kind] = path
        where = region_file.source.line_of(("region", "data", kind))
        if not roots.contain(path):
            problems.error(
                region_file.name,
                where,
                f"region.data.{kind}",
                f"region data file outside the scenario's project: {relative}",
                outside_hint(roots),
            )
            continue
        wrong = suffix_problem(path, REGION_SUFFIXES, "a region data file")
        if wrong:
            problems.error(region_file.name, where, f"region.data.{kind}", wrong)
            continue
        if not path.is_file():
            problems.error(
                region_file.name,
                where,
                f"region.data.{kind}",
                f"region data file not found: {relative}",
                f"paths are relative to the scenario file; looked for {display_path(path)}",
            )
            continue
        table = read_table(kind, path, problems, display=display_path(path))
        if table is not None:
            tables[kind] = table
    return paths, tables


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


def _check_size(
    region: _File,
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


def _read_uncertainty(
    chain: list[_File], catalogue: Catalogue, tree: ParameterTree, problems: Collector
) -> dict[str, Uncertain]:
    result: dict[str, Uncertain] = {}
    for file in chain:
        for path, distribution in (file.document.uncertainty or {}).items():
            key_path: PathKey = ("uncertainty", path)
            line = file.source.line_of(key_path)
            where = f"uncertainty.{path}"
            if distribution == "none":
                if result.pop(path, None) is None:
                    problems.warning(
                        file.name,
                        line,
                        where,
                        "none removes a draw inherited from an extended file, but no file "
                        "before this one draws this parameter",
                        "nothing to do if intended; else check the name",
                    )
                continue
            if path.endswith(".then") and path.removesuffix(".then") in catalogue:
                uncertain = _read_rule_uncertainty(
                    file,
                    path,
                    distribution,
                    line,
                    where,
                    catalogue,
                    tree,
                    problems,
                    inherited=file is not chain[-1],
                )
                if uncertain is not None:
                    result[path] = uncertain
                continue
            if path not in catalogue:
                problems.error(
                    file.name,
                    line,
                    where,
                    f"unknown parameter '{path}'",
                    did_you_mean(path, catalogue.paths),
                )
                continue
            entry = catalogue[path]
            if not entry.kind.numeric or entry.kind.name in {"count", "month"}:
                problems.error(
                    file.name,
                    line,
                    where,
                    f"{entry.kind.label_article} cannot be drawn from a distribution",
                    "uncertainty applies to continuous numeric parameters",
                )
                continue
            low, high = distribution.support()
            if distribution.bounded and not entry.contains(low, high):
                problems.error(
                    file.name,
                    line,
                    where,
                    f"draws range over [{low:g}, {high:g}], outside the {entry.kind.label}'s bounds {entry.bounds_text}",
                    entry.kind.valid,
                )
                continue
            if not distribution.bounded:
                likely_low, likely_high = distribution.likely_range()
                if not entry.contains(max(low, likely_low), min(high, likely_high)):
                    problems.warning(
                        file.name,
                        line,
                        where,
                        f"{distribution.distribution} draws may fall outside {entry.bounds_text}; they will be clipped",
                        "a bounded distribution (triangular, uniform, beta) avoids clipping",
                    )
            if tree.timeline(path).change_dates():
                problems.error(
                    file.name,
                    line,
                    where,
                    "an uncertain parameter must hold one value over the horizon, but this one changes over time",
                    "drop its dated values, or model the uncertainty on a constant parameter",
                )
                continue
            result[path] = _uncertain(file, path, distribution, line, where, problems)
    _warn_values_replaced_by_draws(chain, tree, result, problems)
    return result


def _warn_values_replaced_by_draws(
    chain: list[_File], tree: ParameterTree, drawn: Mapping[str, Uncertain], problems: Collector
) -> None:
    """A value given in a later file than the one that draws it is replaced by the draw in
    every run: said, with the way to hold the value."""
    order = {f.name: i for i, f in enumerate(chain)}
    for path, uncertain in drawn.items():
        drawn_in = order.get(uncertain.origin.file, -1)
        base = path.removesuffix(".then") if path not in tree else path
        for step in tree.rules(base).steps:
            origin = step.origin if base == path else (step.rule.origin if step.rule else None)
            if origin is not None and order.get(origin.file, -1) > drawn_in:
                problems.warning(
                    origin.file,
                    origin.line,
                    f"parameters.{base}",
                    f"this value is replaced in every run by the draw of "
                    f"{uncertain.origin.file}:{uncertain.origin.line}",
                    f"to hold it, add uncertainty: {{{path}: none}}; to draw around it, "
                    "give a distribution here",
                )
                break


def _uncertain(
    file: _File, path: str, distribution: Any, line: int, where: str, problems: Collector
) -> Uncertain:
    """An uncertain input that has passed its checks (a warning when its range is unsourced)."""
    if distribution.source is None:
        problems.warning(
            file.name,
            line,
            where,
            "no source given for this range",
            "cite the evidence the range is taken from",
        )
    origin = Origin("draw", file.name, line, distribution.distribution, distribution.source or "")
    return Uncertain(path, distribution, origin)


def _read_rule_uncertainty(
    file: _File,
    path: str,
    distribution: Any,
    line: int,
    where: str,
    catalogue: Catalogue,
    tree: ParameterTree,
    problems: Collector,
    inherited: bool = False,
) -> Uncertain | None:
    """``PATH.then``: the growth or step of PATH's last ``then:`` rule, drawn once per run.
    The draws must be bounded, and the rule at either end of their range must write only
    valid values, so every draw does. A draw inherited from an extended file whose rule this
    scenario stops (``then: none``) or replaces by an index is not drawn: that file's
    ``then:`` says so."""
    base = path.removesuffix(".then")
    rule = tree.rules(base).last_rule()
    if inherited and (rule is None or rule.kind == "index"):
        return None  # the scenario's own file says so (then: none, an index): as intended
    if rule is None or rule.kind == "index":
        problems.error(
            file.name,
            line,
            where,
            f"{base} has no then: rule with a growth or step to draw",
            "give it then: {grow: …} or then: {step: …} first",
        )
        return None
    if not distribution.bounded:
        problems.error(
            file.name,
            line,
            where,
            f"a rule's {rule.kind} is drawn from a bounded distribution only",
            "triangular, uniform or beta, with low and high",
        )
        return None
    low, high = distribution.support()
    if rule.kind == "grow" and not (RULE_GROWTH[0] <= low and high <= RULE_GROWTH[1]):
        problems.error(
            file.name,
            line,
            where,
            f"draws range over [{low:g}, {high:g}], outside the yearly growth a rule may have "
            f"[{RULE_GROWTH[0]:g}, {RULE_GROWTH[1]:g}]",
        )
        return None
    for end in (low, high):
        _check_rule_values(
            tree.with_values({path: end}, Origin("draw", "", 0)), catalogue, problems
        )
    return _uncertain(file, path, distribution, line, where, problems)


def validate_file(path: str | Path, allow_outside: Sequence[str | Path] = ()) -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for one scenario file; never raises ScenarioError."""
    try:
        scenario = load_scenario(path, allow_outside)
    except ScenarioError as exc:
        return exc.diagnostics
    return scenario.warnings
