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

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from ..source.diagnostics import Collector, InputError
from ..source.document import read_yaml
from .regiondata import HISTORY_FUNDS, HISTORY_INDICATORS
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


def read_figures(path: Path) -> tuple[Figures, Any]:
    """The figures file, checked (ScenarioError with file and line when it is not right)."""
    problems = Collector()
    source = read_yaml(path, problems, display=str(path))
    problems.raise_if_errors()
    assert source is not None
    try:
        return Figures.model_validate(source.data), source
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


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _population(figures: Figures, cite: str) -> str:
    lines = (TEMPLATES / "population.csv").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if line and not line.startswith("#")]
    header, rows = body[0], [r.split(",") for r in body[1:]]
    at = {name: i for i, name in enumerate(header.split(","))}
    totals: dict[str, float] = {}
    for r in rows:
        totals[r[at["scheme"]]] = totals.get(r[at["scheme"]], 0.0) + float(r[at["persons"]])
    wanted = figures.insured.model_dump()
    out = [
        f"# Insured persons of {figures.region.en} by single age, sex and scheme at the end of {figures.data_year}.",
        f"# source: totals by scheme - {cite}: UEBMI active {figures.insured.uebmi_active:,.0f}, retired {figures.insured.uebmi_retired:,.0f}, URRBMI {figures.insured.urrbmi:,.0f}",
        "# source: age and sex structure within each scheme - DEFAULT (fundsim init): the national insured population at the end of 2018 (fundsim/templates/population.csv, from UN WPP2019 and NHSA figures); replace with the region's register",
        header,
    ]
    for r in rows:
        scheme = r[at["scheme"]]
        share = float(r[at["persons"]]) / totals[scheme] if totals.get(scheme) else 0.0
        r = list(r)
        r[at["persons"]] = f"{share * wanted[scheme]:.3f}"
        out.append(",".join(r))
    return "\n".join(out) + "\n"


def _national_copy(name: str) -> str:
    text = (TEMPLATES / f"{name}.csv").read_text(encoding="utf-8")
    return (
        f"# source: DEFAULT (fundsim init): the national {name.replace('_', ' ')} "
        "(fundsim/templates/, see its own sources below); replace with the region's own\n" + text
    )


def _history(figures: Figures, cite: str) -> str:
    rows = [
        f"# {figures.region.en}'s actual fund figures by year, in yuan and persons (fundsim init).",
        f"# source: {cite}",
        "year,fund,indicator,value,source",
    ]
    seen = set()
    for year, funds in sorted(figures.history.items()):
        for fund, indicators in funds.items():
            for indicator, value in indicators.items():
                rows.append(f'{year},{fund},{indicator},{value:.0f},"{cite}"')
                seen.add((year, fund, indicator))
    y = figures.data_year
    given = [
        (y, "uebmi", "insured_active", figures.insured.uebmi_active),
        (y, "uebmi", "insured_retired", figures.insured.uebmi_retired),
        (y, "urrbmi_pool", "insured", figures.insured.urrbmi),
    ]  # the balances of the data year are the opening balances, not a figure to fit
    for year, fund, indicator, value in given:
        if (year, fund, indicator) not in seen:
            rows.append(f'{year},{fund},{indicator},{value:.0f},"{cite}"')
    return "\n".join(rows) + "\n"


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
        f"# Made by fundsim init on {dt.date.today().isoformat()} from {figures_name} ({cite}).\n"
        "# What the figures did not give comes from defaults.yaml (Nanchuan's rules and national\n"
        "# data, each source saying DEFAULT): replace what the region knows here, then calibrate:\n"
        "#   fundsim calibrate scenarios/baseline.yaml --out scenarios/calibrated.yaml\n"
    )
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def init_region(target: Path, figures_file: Path) -> list[Path]:
    """Write a new region into ``target`` (which must not exist or be empty); returns the
    files written. All or nothing: built in a temporary folder beside it, checked, renamed."""
    from .loader import load_scenario

    figures, _ = read_figures(figures_file)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(
            f"{target} exists and is not empty; fundsim init writes a new region into a new "
            "folder (your region's files are never replaced): choose another REGION_DIR"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        cite = f"{figures_file.name}: {figures.source}"
        _write(
            staging / "fundsim.toml",
            "# A fundsim region (made by fundsim init): the project root of its scenarios.\n",
        )
        shutil.copyfile(figures_file, staging / "figures.yaml")
        (staging / "scenarios").mkdir()
        shutil.copyfile(TEMPLATES / "defaults.yaml", staging / "scenarios" / "defaults.yaml")
        _write(staging / "calibration" / "population.csv", _population(figures, cite))
        for name in ("mortality", "admission_rates", "fertility"):
            _write(staging / "calibration" / f"{name}.csv", _national_copy(name))
        _write(staging / "calibration" / "history.csv", _history(figures, cite))
        _write(staging / "scenarios" / "baseline.yaml", _baseline(figures, cite, figures_file.name))
        load_scenario(
            staging / "scenarios" / "baseline.yaml"
        )  # ScenarioError (exit 2) if not valid
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(p for p in target.rglob("*") if p.is_file())
