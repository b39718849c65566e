"""``fundsim init``: a new region from the headline figures a bureau has at hand.

The figures file (YAML, see :class:`Figures` and ``docs/zh/``) gives the region's names,
its data year, insured by scheme at that year's end, fund balances then, fund income and
spending of recent years and, if known, the local average wage and rule table. Everything
else comes from the template shipped with fundsim (``fundsim/templates/``): Nanchuan's rules
and the national age structure, mortality, fertility and admission rates, each marked as a
default in its source. ``init`` writes a folder that is a fundsim project:

    REGION_DIR/fundsim.toml              the project's marker
    REGION_DIR/figures.yaml              the figures given, as given
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
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from .. import places
from ..source.diagnostics import Collector, Diagnostic, ScenarioError
from ..source.document import read_yaml
from .regiondata import HISTORY_FUNDS, HISTORY_INDICATORS, HISTORY_WHAT
from .schema import Strict, Text, Title

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
Count = Annotated[float, Field(ge=0, le=2e9, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=-1e14, le=1e14, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1990, le=2100)]
Fund = Literal[HISTORY_FUNDS]  # type: ignore[valid-type]
Indicator = Literal[HISTORY_INDICATORS]  # type: ignore[valid-type]
# national average wage of urban non-private units by year (shared/data/average_wage_2018_2022.csv)
NATIONAL_WAGE = {2019: 90501, 2020: 97379, 2021: 106837, 2022: 114029}
CALIBRATE = {
    "contributions.uebmi.base_to_average_wage": (
        0.3,
        1.0,
        "the mean collected base lies within the 60%-300% floor and cap of the average wage (DOMAIN.md)",
    ),
    "care.admission_level": (
        0.6,
        1.6,
        "national admission rates by age; a region's may differ by a half (ASSUMPTION)",
    ),
    "care.cost_level": (
        0.6,
        1.6,
        "the costs per case are Nanchuan's; a region's may differ by a half (ASSUMPTION)",
    ),
    "population.net_migration_rate": (
        -0.02,
        0.02,
        "net migration of the insured within ±2% a year (ASSUMPTION)",
    ),
    "population.uebmi_entry.under_25": (
        0.005,
        0.1,
        "from a seventh to twice and a half the template's rate (ASSUMPTION)",
    ),
}


class Insured(Strict):
    uebmi_active: Count
    uebmi_retired: Count
    urrbmi: Count


class Balances(Strict):
    uebmi_pool: Money
    uebmi_personal: Money
    urrbmi_pool: Money


class Figures(Strict):
    """The headline figures of a new region (yuan and persons)."""

    region: Title
    code: Text | None = None
    data_year: Year
    source: Text  # where the figures come from: cited on every value taken from them
    insured: Insured  # members at the end of data_year
    balances: Balances  # fund balances at the end of data_year
    history: Annotated[dict[Year, dict[Fund, dict[Indicator, Money]]], Field(default_factory=dict)]
    average_wage: dict[Year, Annotated[float, Field(gt=0, le=5e6)]] | None = None
    horizon_years: Annotated[int, Field(ge=1, le=30)] = 10
    rules: dict[str, Any] | None = None  # parameters, as in a scenario's parameters:

    @field_validator("history", "average_wage", mode="before")
    @classmethod
    def _years(cls, value: Any) -> Any:
        """Years as keys: the strict reader keeps every key as text."""
        if isinstance(value, dict):
            return {
                int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in value.items()
            }
        return value


def read_figures(path: Path, today: dt.date | None = None) -> tuple[Figures, Any]:
    """The figures file, checked (ScenarioError with file and line when it is not right)."""
    problems = Collector()
    source = read_yaml(path, problems, display=str(path))
    problems.raise_if_errors()
    assert source is not None
    try:
        figures = Figures.model_validate(source.data)
    except ValidationError as error:
        for e in error.errors(include_url=False):
            loc = tuple(e["loc"])
            where = ".".join(str(k) for k in loc if k != "[key]")
            # the source's keys are text (years too); a bad key is found at its own line
            in_file = tuple(str(k) if isinstance(k, int) else k for k in loc if k != "[key]")
            line = source.line_of(in_file)
            problems.error(str(path), line, where, e["msg"], _hint(loc, e.get("input")))
        problems.raise_if_errors()
        raise AssertionError("unreachable") from error
    _check_history(figures, source, str(path), problems, today or dt.date.today())
    problems.raise_if_errors()
    return figures, source


def _check_history(
    figures: Figures, source: Any, shown: str, problems: Collector, today: dt.date
) -> None:
    """What history.csv would refuse, said at the figures' own lines: a year not yet ended, a
    negative figure other than a balance, or one of 0 (a fund with members has income,
    spending, members and admissions)."""
    for year, funds in figures.history.items():
        if year > today.year:
            problems.error(
                shown,
                source.line_of(("history", str(year))),
                f"history.{year}",
                f"{year} is after this year ({today.year}): history holds figures observed "
                f"(历史数据的年份不能晚于今年)",
                "correct the year, or leave it out until its figures are published",
            )
        for fund, indicators in funds.items():
            for indicator, value in indicators.items():
                if indicator != "balance" and value < 0:
                    problems.error(
                        shown,
                        source.line_of(("history", str(year), fund, indicator)),
                        f"history.{year}.{fund}.{indicator}",
                        f"{indicator} of {value:g} is negative",
                        "only a year-end balance may be negative",
                    )
                elif indicator != "balance" and value == 0:
                    problems.error(
                        shown,
                        source.line_of(("history", str(year), fund, indicator)),
                        f"history.{year}.{fund}.{indicator}",
                        f"{indicator} of 0: a fund with members has "
                        f"{HISTORY_WHAT[indicator]} (历史数据不能为0)",
                        "give the figure reported, or leave it out when it is not known; only "
                        "a year-end balance may be 0",
                    )


def _hint(loc: tuple[Any, ...], given: Any = None) -> str:
    if (
        isinstance(given, str)
        and given.replace(".", "", 1).replace("e", "", 1).replace("-", "").isdigit()
    ):
        return f"YAML reads {given} as text: write the number whole (2500000000) or as 2.5e+9"
    if loc and loc[0] == "history":
        return (
            f"history: {{YEAR: {{FUND: {{INDICATOR: VALUE}}}}}}; funds {', '.join(HISTORY_FUNDS)}; "
            f"indicators {', '.join(HISTORY_INDICATORS)}"
        )
    return "see the example in docs/zh/ (or README, A new region)"


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


def _population(figures: Figures, cite: str) -> str:
    header, rows = _template_rows("population")
    at = {name: i for i, name in enumerate(header)}
    totals: dict[str, float] = {}
    for r in rows:
        totals[r[at["scheme"]]] = totals.get(r[at["scheme"]], 0.0) + float(r[at["persons"]])
    wanted = figures.insured.model_dump()
    comments = [
        f"Insured persons of {figures.region.en} by single age, sex and scheme at the end of {figures.data_year}.",
        f"source: totals by scheme - {cite}: UEBMI active {figures.insured.uebmi_active:,.0f}, retired {figures.insured.uebmi_retired:,.0f}, URRBMI {figures.insured.urrbmi:,.0f}",
        "source: age and sex structure within each scheme - DEFAULT (fundsim init): the national insured population at the end of 2018 (fundsim/templates/population.csv, from UN WPP2019 and NHSA figures); replace with the region's register",
    ]
    scaled = []
    for r in rows:
        scheme = r[at["scheme"]]
        share = float(r[at["persons"]]) / totals[scheme] if totals.get(scheme) else 0.0
        r = list(r)
        r[at["persons"]] = f"{share * wanted[scheme]:.3f}"
        scaled.append(r)
    return _csv(comments, header, scaled)


def _national_copy(name: str) -> str:
    text = (TEMPLATES / f"{name}.csv").read_text(encoding="utf-8")
    return (
        f"# source: DEFAULT (fundsim init): the national {name.replace('_', ' ')} "
        "(fundsim/templates/, see its own sources below); replace with the region's own\n" + text
    )


def _history(figures: Figures, cite: str) -> str:
    rows = []
    seen = set()
    for year, funds in sorted(figures.history.items()):
        for fund, indicators in funds.items():
            for indicator, value in indicators.items():
                rows.append((year, fund, indicator, f"{value:.0f}", cite))
                seen.add((year, fund, indicator))
    y = figures.data_year
    given = [
        (y, "uebmi", "insured_active", figures.insured.uebmi_active),
        (y, "uebmi", "insured_retired", figures.insured.uebmi_retired),
        (y, "urrbmi_pool", "insured", figures.insured.urrbmi),
    ]  # the balances of the data year are the opening balances, not a figure to fit
    for year, fund, indicator, value in given:
        if (year, fund, indicator) not in seen:
            rows.append((year, fund, indicator, f"{value:.0f}", cite))
    comments = [
        f"{figures.region.en}'s actual fund figures by year, in yuan and persons (fundsim init).",
        f"source: {cite}",
    ]
    return _csv(comments, ["year", "fund", "indicator", "value", "source"], rows)


def _wages(figures: Figures, cite: str, first: int) -> dict[str, Any]:
    """The average wage of the year before each year, the base of its contributions."""
    if figures.average_wage:
        given = figures.average_wage
        source = f"{cite}: the local average wage of the year before, the base of the year's contributions"
    else:
        given = {y: w for y, w in NATIONAL_WAGE.items()}
        source = (
            "DEFAULT (fundsim init): the national average wage of urban non-private units of the year "
            "before (shared/data/average_wage_2018_2022.csv); give the local one in figures.yaml"
        )
    values: dict[str, float] = {}
    years = sorted(given)
    start = min(first, years[0] + 1)
    for year in range(start, max(years) + 2):
        known = [y for y in years if y <= year - 1]
        wage = given[known[-1]] if known else given[years[0]]
        values[f"{year}-01-01"] = float(wage)
    return {"values": values, "source": source + "; then it grows by economy.wage_growth"}


def merge_tree(into: dict[str, Any], more: dict[str, Any]) -> None:
    """Merge the nested mapping ``more`` into ``into`` (a scenario's ``parameters:`` tree)."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_tree(into[key], value)
        else:
            into[key] = value


def _baseline(figures: Figures, cite: str, figures_name: str) -> str:
    y = figures.data_year
    history_years = sorted(figures.history) or [y]
    first = min(min(history_years), y)
    parameters: dict[str, Any] = {
        "economy": {"average_wage": _wages(figures, cite, first)},
        "finance": {
            "opening_balance": {
                "source": f"{cite}: balances at the end of {y}; critical illness and assistance keep no reserve (DEFAULT)",
                **figures.balances.model_dump(),
                "critical_illness": 0,
                "medical_assistance": 0,
            }
        },
    }
    if figures.rules:
        merge_tree(parameters, figures.rules)
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
        "parameters": parameters,
        "calibrate": {
            "first_year": max(first, y - 4),
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


def init_region(target: Path, figures_file: Path) -> list[Path]:
    """Write a new region into ``target`` (which must not exist or be empty); returns the
    files written. All or nothing, by the output rule (:mod:`fundsim.places`): built under a
    temporary name beside it, checked, renamed; its folders and files take the umask's modes."""
    output = places.check_output(
        target, places.NEW_FOLDER, False, option="REGION_DIR", inputs=[figures_file]
    )
    figures, source = read_figures(figures_file)
    with places.Writing() as writing:
        staging = writing.stage(output)
        _write_region(staging, figures, figures_file)
        _check_baseline(staging, output.target, figures_file, figures, source)
    return sorted(p for p in output.target.rglob("*") if p.is_file())


def _write_region(folder: Path, figures: Figures, figures_file: Path) -> None:
    cite = f"{figures_file.name}: {figures.source}"
    (folder / "scenarios").mkdir()
    (folder / "calibration").mkdir()
    files = {
        "fundsim.toml": "# A fundsim region (made by fundsim init): the project root of its scenarios.\n",
        "scenarios/defaults.yaml": f"{places.YAML_MARK} init: the region template (fundsim/"
        "templates/defaults.yaml); replace its values in baseline.yaml, do not edit it.\n"
        + (TEMPLATES / "defaults.yaml").read_text(encoding="utf-8"),
        "calibration/population.csv": _population(figures, cite),
        "calibration/history.csv": _history(figures, cite),
        "scenarios/baseline.yaml": _baseline(figures, cite, figures_file.name),
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


def _check_baseline(
    staging: Path, target: Path, figures_file: Path, figures: Figures, source: Any
) -> None:
    """Load the baseline written in ``staging``: a problem the figures caused is said at the
    figures file's line (exit 2); any other is a bug of fundsim (exit 1), said with the
    region's own paths, never the temporary folder's."""
    from .loader import load_scenario

    try:
        load_scenario(staging / "scenarios" / "baseline.yaml")
    except ScenarioError as error:
        located, other = [], []
        for d in error.diagnostics:
            where = _figures_path(d, staging, figures)
            if where is None:
                other.append(_rerooted(d, staging, target))
                continue
            shown = ".".join(where)
            written = f"{d.path} in the baseline" if d.path else _written_name(d, staging)
            located.append(
                Diagnostic(
                    d.severity,
                    str(figures_file),
                    source.line_of(where),
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


def _figures_path(d: Diagnostic, staging: Path, figures: Figures) -> tuple[str, ...] | None:
    """The place in the figures file a problem of the written region comes from, or None."""
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
