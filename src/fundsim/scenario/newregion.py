"""``fundsim init``: a new region from the headline figures a bureau has at hand.

The figures file (YAML, see :mod:`.figures` and ``docs/zh/``) gives the region's names, its
data year, insured and fund balances at that year's end (by scheme, or as bulletins print
them: UEBMI without the active/retired split, one UEBMI balance, totals), fund income and
spending of recent years and, if known, the local average wage, the dozen rules every bureau
knows (:mod:`.localpolicy`) and any other parameter (``rules:``). What the figures give as a
whole is split by the rules of :mod:`.filling` (national data, each value an ASSUMPTION with
its source). Everything else comes from the template shipped with fundsim
(``fundsim/templates/``): Nanchuan's rules and the national age structure, mortality,
fertility and admission rates, each marked as a default in its source; ``init.md`` lists
them (:mod:`.initreport`). ``init`` writes a folder that is a fundsim project:

    REGION_DIR/fundsim.toml              the project's marker
    REGION_DIR/figures.yaml              the figures given, as given
    REGION_DIR/init.md                   what came from them, what was filled, what is default
    REGION_DIR/scenarios/defaults.yaml   the template's parameters (to replace, not to edit)
    REGION_DIR/scenarios/baseline.yaml   the region's baseline: extends defaults.yaml
    REGION_DIR/calibration/*.csv         population, mortality, admission rates, fertility, history

The baseline validates, names its history and has a ``calibrate:`` section ready to run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import places
from ..source.diagnostics import Diagnostic, ScenarioError, sorted_diagnostics
from . import initreport
from .figures import read_figures
from .filling import Assumption
from .regionplan import CALIBRATE, Plan, plan_region, report

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass
class Made:
    """What ``init`` wrote and what it has to say: the files, the values filled, the warnings
    on the figures and the count of Nanchuan's template values still in use."""

    files: list[Path]
    filled: list[Assumption]
    warnings: list[Diagnostic]
    nanchuan_defaults: int
    national_defaults: int


def _one_line(text: str) -> str:
    """``text`` on one line, for a comment (a CSV's or a YAML file's)."""
    return " ".join(text.splitlines())


def _csv(comments: Sequence[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A region data file: its comment lines (each on one line), then the table, written by
    the csv library (a cell with a comma, a quote or a line break quoted as CSV quotes it)."""
    out = io.StringIO()
    for comment in comments:
        out.write(f"# {_one_line(comment)}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _template_rows(name: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a template CSV (its comment lines left out)."""
    lines = (TEMPLATES / f"{name}.csv").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    header, *rows = csv.reader(body)
    return header, rows


def _population(plan: Plan) -> str:
    figures, cite, insured = plan.figures, plan.cite, plan.stocks.insured
    header, rows = _template_rows("population")
    at = {name: i for i, name in enumerate(header)}
    totals: dict[str, float] = {}
    for r in rows:
        totals[r[at["scheme"]]] = totals.get(r[at["scheme"]], 0.0) + float(r[at["persons"]])
    assumed = plan.stocks.assumed("insured")
    if not assumed:
        said = f"UEBMI active {insured['uebmi_active']:,.0f}, retired {insured['uebmi_retired']:,.0f}, URRBMI {insured['urrbmi']:,.0f}"
    else:
        given = {k: v for k, v in figures.insured.model_dump().items() if v is not None}
        said = ", ".join(f"{k} {v:,.0f}" for k, v in given.items()) + "".join(
            f"; {key} {a.value:,.0f}: {a.source}"
            for key, a in assumed.items()
            if key in ("uebmi_active", "uebmi_retired", "urrbmi") and isinstance(a.value, float)
        )
    comments = [
        f"Insured persons of {figures.region.en} by single age, sex and scheme at the end of {figures.data_year}.",
        f"source: totals by scheme - {cite}: {said}",
        "source: age and sex structure within each scheme - DEFAULT (fundsim init): the national insured population at the end of 2018 (fundsim/templates/population.csv, from UN WPP2019 and NHSA figures); replace with the region's register",
    ]
    scaled = []
    for r in rows:
        scheme = r[at["scheme"]]
        share = float(r[at["persons"]]) / totals[scheme] if totals.get(scheme) else 0.0
        r = list(r)
        r[at["persons"]] = f"{share * insured[scheme]:.3f}"
        scaled.append(r)
    return _csv(comments, header, scaled)


def _national_copy(name: str) -> str:
    text = (TEMPLATES / f"{name}.csv").read_text(encoding="utf-8")
    return (
        f"# source: DEFAULT (fundsim init): the national {name.replace('_', ' ')} "
        "(fundsim/templates/, see its own sources below); replace with the region's own\n" + text
    )


def _history(plan: Plan) -> str:
    comments = [
        f"{plan.figures.region.en}'s actual fund figures by year, in yuan and persons (fundsim init).",
        f"source: {plan.cite}",
    ]
    return _csv(comments, ["year", "fund", "indicator", "value", "source"], plan.history)


FIT_YEARS = 5  # the years calibrate fits at most, the data year the last


def first_fitted(plan: Plan) -> int:
    """calibrate's first year: a fit over the history starts from the insured and balances of
    the year before it (scenario/start.py), so the first year fitted follows a year whose
    insured of both schemes the history gives, at most :data:`FIT_YEARS` years to the data
    year. Without such a year the history's first year (its stocks are then the data year's,
    and calibrate says so: the history cannot tell them)."""
    y = plan.figures.data_year
    counted: dict[int, set[str]] = {}
    for year, fund, indicator, *_ in plan.history:
        if indicator in ("insured", "insured_active"):
            counted.setdefault(year, set()).add("urrbmi" if fund == "urrbmi_pool" else fund)
    stocked = sorted(
        year + 1
        for year, funds in counted.items()
        if {"uebmi", "urrbmi"} <= funds and y - FIT_YEARS < year + 1 <= y
    )
    return stocked[0] if stocked else max(plan.first, y - FIT_YEARS + 1)


def _baseline(plan: Plan, figures_name: str) -> str:
    figures = plan.figures
    y = figures.data_year
    document: dict[str, Any] = {
        "extends": "defaults.yaml",
        "name": "baseline",
        "title": {
            "zh": f"{figures.region.zh}基本医疗保险基金基准情景"[:200],
            "en": f"{figures.region.en} basic medical insurance funds - baseline"[:200],
        },
        "horizon": {
            "start": dt.date(y + 1, 1, 1),
            "end": dt.date(y + figures.horizon_years, 12, 31),
        },
        "region": {
            "name": figures.region.model_dump(),
            **({"code": figures.code} if figures.code else {}),
            "data_year": y,
            "data": {
                name: f"../calibration/{name}.csv"
                for name in ("population", "mortality", "admission_rates", "fertility", "history")
            },
        },
        "parameters": plan.parameters,
        **({"uncertainty": plan.uncertainty} if plan.uncertainty else {}),
        "calibrate": {
            "first_year": first_fitted(plan),
            "runs": 16,
            "parameters": {
                path: {"low": low, "high": high, "source": why}
                for path, (low, high, why) in CALIBRATE.items()
            },
        },
    }
    header = (
        f"{places.YAML_MARK} init on {dt.date.today().isoformat()} from {_one_line(figures_name)} "
        "(its source is cited in every value taken from it).\n"
        "# What the figures did not give comes from defaults.yaml (Nanchuan's rules and national\n"
        "# data, each source saying DEFAULT): replace what the region knows here, then calibrate:\n"
        "#   fundsim calibrate scenarios/baseline.yaml --out scenarios/calibrated.yaml\n"
    )
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def init_region(target: Path, figures_file: Path) -> Made:
    """Write a new region into ``target`` (which must not exist or be empty); returns what was
    written and said. All or nothing, by the output rule (:mod:`fundsim.places`): built under
    a temporary name beside it, checked, renamed; its folders and files take the umask's modes."""
    output = places.check_output(
        target, places.NEW_FOLDER, False, option="REGION_DIR", inputs=[figures_file]
    )
    read = read_figures(figures_file)
    try:
        plan = plan_region(read, figures_file)
        with places.Writing() as writing:
            staging = writing.stage(output)
            _write_region(staging, plan, figures_file)
            _check_baseline(staging, output.target, figures_file, plan)
    except ScenarioError as error:  # the warnings on the figures say what may have caused it
        raise ScenarioError(sorted_diagnostics([*read.warnings, *error.diagnostics])) from None
    return Made(
        sorted(p for p in output.target.rglob("*") if p.is_file()),
        plan.filled,
        read.warnings,
        plan.defaults.count(initreport.NANCHUAN),
        plan.defaults.count(initreport.NATIONAL),
    )


def _write_region(folder: Path, plan: Plan, figures_file: Path) -> None:
    (folder / "scenarios").mkdir()
    (folder / "calibration").mkdir()
    files = {
        "fundsim.toml": "# A fundsim region (made by fundsim init): the project root of its scenarios.\n",
        "scenarios/defaults.yaml": f"{places.YAML_MARK} init: the region template (fundsim/"
        "templates/defaults.yaml); replace its values in baseline.yaml, do not edit it.\n"
        + (TEMPLATES / "defaults.yaml").read_text(encoding="utf-8"),
        "calibration/population.csv": _population(plan),
        "calibration/history.csv": _history(plan),
        "scenarios/baseline.yaml": _baseline(plan, figures_file.name),
        "init.md": report(plan, figures_file.name),
        **{f"calibration/{name}.csv": _national_copy(name) for name in NATIONAL},
    }
    for name, text in files.items():
        with open(folder / name, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    shutil.copyfile(figures_file, folder / "figures.yaml")  # as given, byte for byte


NATIONAL = ("mortality", "admission_rates", "fertility")
# where in the figures file each part of the region written comes from (a problem found in
# the written region is said at the figures' line)
FROM_FIGURES = {
    "calibration/population.csv": ("insured",),
    "calibration/history.csv": ("history",),
    "parameters.finance.opening_balance": ("balances",),
    "parameters.economy.average_wage": ("average_wage",),
    "region.data_year": ("data_year",),
    "region.name": ("region",),
    "region.code": ("code",),
    "title": ("region",),
    "horizon": ("horizon_years",),
    "calibrate": ("history",),
}


def _check_baseline(staging: Path, target: Path, figures_file: Path, plan: Plan) -> None:
    """Load the baseline written in ``staging``: a problem the figures caused is said at the
    figures file's line (exit 2); any other is a bug of fundsim (exit 1), said with the
    region's own paths, never the temporary folder's."""
    from .loader import load_scenario

    try:
        load_scenario(staging / "scenarios" / "baseline.yaml")
    except ScenarioError as error:
        located, other = [], []
        for d in error.diagnostics:
            where = _figures_path(d, staging, plan)
            if where is None:
                other.append(_rerooted(d, staging, target))
                continue
            shown = ".".join(where)
            written = f"{d.path} in the baseline" if d.path else _written_name(d, staging)
            located.append(
                Diagnostic(
                    d.severity,
                    str(figures_file),
                    plan.read.source.line_of(where),
                    0,
                    shown,
                    d.message,
                    "; ".join(x for x in (d.hint, f"fundsim init wrote it as {written}") if x),
                )
            )
        if other:
            shown = "\n".join(d.format() for d in other)
            raise RuntimeError(
                f"fundsim init wrote a region from {figures_file} whose baseline does not load "
                f"(a bug of fundsim: please report it with {figures_file}):\n{shown}"
            ) from error
        raise ScenarioError(located) from None


def _written_name(d: Diagnostic, staging: Path) -> str:
    """The name inside the region of the file ``d`` is about (``d.file`` when outside it)."""
    try:
        return Path(os.path.realpath(d.file)).relative_to(os.path.realpath(staging)).as_posix()
    except ValueError:
        return d.file


def _figures_path(d: Diagnostic, staging: Path, plan: Plan) -> tuple[str, ...] | None:
    """The place in the figures file a problem of the written region comes from, or None."""
    figures = plan.figures
    name = _written_name(d, staging)
    if name in FROM_FIGURES:
        return FROM_FIGURES[name]
    if name != "scenarios/baseline.yaml":
        return None
    parts = tuple(d.path.split(".")) if d.path else ()
    under_rules: tuple[str, ...] = ()  # the longest part of the path the figures' rules give
    tree: Any = figures.rules or {}
    if parts[:1] == ("parameters",):
        for key in parts[1:]:
            if not isinstance(tree, dict) or key not in tree:
                break
            tree = tree[key]
            under_rules = (*under_rules, key)
    if under_rules and len(under_rules) == len(parts) - 1:
        return ("rules", *under_rules)
    for path, where in plan.policy.origin.items():
        if d.path == f"parameters.{path}" or d.path.startswith(f"parameters.{path}."):
            return where
    for prefix, where in FROM_FIGURES.items():
        if d.path == prefix or d.path.startswith(prefix + "."):
            return where
    return ("rules", *under_rules) if under_rules else None


def _rerooted(d: Diagnostic, staging: Path, target: Path) -> Diagnostic:
    """``d`` naming the region's place instead of the temporary folder it was found in."""
    name = _written_name(d, staging)
    if name == d.file:
        return d
    shown = os.path.relpath(target / name) if not Path(d.file).is_absolute() else str(target / name)
    return Diagnostic(d.severity, shown, d.line, d.column, d.path, d.message, d.hint)
