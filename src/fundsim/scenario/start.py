"""Where a run starts: the data year, the horizon start and how the gap between them is bridged.

The population file and the opening balances describe one year end, ``region.data_year``
(architecture §3). A horizon that starts on 1 January of the next year starts from them as they
are. A horizon that starts later has three ways on (``region.start_from``):

- ``data`` (the default): restart from the data year's figures at the horizon start; only
  right when the data year is the year before it, so it warns otherwise;
- ``roll_forward``: simulate from the data year onwards and report from the horizon start
  (the years between are simulated, with the scenario's own values for them, and left out
  of the results);
- ``history``: scale the population, scheme by scheme, to the insured counts of
  ``history.csv`` at the end of the year before the horizon, and open the funds with its
  year-end balances.

A horizon that starts before the data year (a calibration over earlier years) takes the
data year's population as the earlier year's: fundsim does not project backwards, and says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..source.diagnostics import Collector
from .regiondata import HISTORY_FUNDS, Table
from .schema import Horizon, Region

# the funds that are ledger accounts (not the sums uebmi and total), in the ledger's order
ACCOUNT_FUNDS = tuple(f for f in HISTORY_FUNDS if f not in ("uebmi", "total"))


@dataclass
class StartPlan:
    """What the loader does about the data year (see the module text).

    simulated : the horizon the model runs (earlier than the scenario's for roll_forward)
    reported_start : the first day kept in the results (None: all of them)
    population_scale : factor per scheme on the population file's persons (history)
    opening : opening balance per account from the history: (yuan, line in history.csv)
    note : what was done, in zh and en (None when the data year meets the horizon)
    """

    simulated: Horizon
    reported_start: dt.date | None = None
    population_scale: dict[str, float] = field(default_factory=dict)
    opening: dict[str, tuple[float, int]] = field(default_factory=dict)
    note: tuple[str, str] | None = None


def plan(
    region: Region, horizon: Horizon, file_name: str, line: int, problems: Collector
) -> StartPlan:
    """The horizon to simulate and what to say, from the scenario's region and horizon (the
    history scaling is filled in by :func:`from_history` once the region files are read)."""
    first = horizon.start.year
    data_year = region.data_year
    if data_year is None:
        problems.warning(
            file_name,
            line,
            "region.data_year",
            f"no data year: the population file and the opening balances are taken to "
            f"describe the end of {first - 1}, the year before the horizon",
            "set region.data_year to the year whose end they describe",
        )
        return StartPlan(horizon)
    mode = region.start_from
    if data_year + 1 == first:
        return StartPlan(horizon)
    if data_year + 1 > first:
        problems.warning(
            file_name,
            line,
            "region.data_year",
            f"the horizon starts in {first}, before the data year {data_year}: the population "
            f"of the end of {data_year} stands for the end of {first - 1} (fundsim does not "
            "project backwards)",
            "right for a calibration over earlier years when the insured changed little; "
            "otherwise start the horizon in the year after the data year",
        )
        return StartPlan(
            horizon,
            note=(
                f"人口与期初结余取{data_year}年末数据，用作{first - 1}年末（不向前回推）。",
                f"The population and balances of the end of {data_year} stand for the end "
                f"of {first - 1} (no backward projection).",
            ),
        )
    if mode == "data":
        problems.warning(
            file_name,
            line,
            "region.data_year",
            f"the horizon starts in {first} but the population and the opening balances "
            f"describe the end of {data_year}: the run restarts from {data_year}'s figures "
            f"in {first}",
            f"set region.start_from: roll_forward (simulate {data_year + 1}-{first - 1} "
            f"and report from {first}) or history (start from history.csv's insured and "
            f"balances at the end of {first - 1})",
        )
        return StartPlan(horizon)
    if mode == "roll_forward":
        simulated = Horizon(start=dt.date(data_year + 1, 1, 1), end=horizon.end)
        return StartPlan(
            simulated,
            reported_start=horizon.start,
            note=(
                f"由{data_year}年末的人口与结余向前滚动模拟{data_year + 1}—{first - 1}年，"
                f"结果自{first}年起报告。",
                f"Rolled forward from the end of {data_year}: {data_year + 1}-{first - 1} "
                f"simulated, results reported from {first}.",
            ),
        )
    return StartPlan(horizon)  # history: filled in by from_history


def from_history(
    start: StartPlan,
    region: Region,
    horizon: Horizon,
    tables: dict[str, Table],
    file_name: str,
    line: int,
    problems: Collector,
) -> StartPlan:
    """For ``start_from: history``: the scale of each scheme and the opening balances at the
    end of the year before the horizon, from ``history.csv``."""
    if region.start_from != "history" or region.data_year is None:
        return start
    if region.data_year + 1 >= horizon.start.year:
        return start
    year = horizon.start.year - 1
    where = "region.start_from"
    history = tables.get("history")
    if history is None:
        problems.error(
            file_name,
            line,
            where,
            "start_from: history needs region.data.history",
            "name the region's history.csv",
        )
        return start
    found: dict[tuple[str, str], tuple[float, int]] = {}
    for row_line, row in zip(history.lines, history.rows(), strict=True):
        if row["year"] == year:
            found[(row["fund"], row["indicator"])] = (float(row["value"]), row_line)
    population = tables.get("population")
    if population is None:
        return start
    counts: dict[str, float] = {}
    for scheme, persons in zip(
        population.columns["scheme"], population.columns["persons"], strict=True
    ):
        counts[scheme] = counts.get(scheme, 0.0) + float(persons)
    targets: dict[str, float] = {}
    for fund in ("uebmi", "uebmi_pool"):
        for scheme, indicator in (
            ("uebmi_active", "insured_active"),
            ("uebmi_retired", "insured_retired"),
        ):
            if (fund, indicator) in found:
                targets[scheme] = found[(fund, indicator)][0]
    # history has a figure, the population file nobody to scale to it: the population's fault
    figures = history.file.name
    empty = [
        f"{s} persons to scale to {figures}'s {targets[s]:,.0f}"
        for s in targets
        if counts.get(s, 0) <= 0
    ]
    if "uebmi_active" not in targets and ("uebmi", "insured") in found:
        employees = counts.get("uebmi_active", 0.0) + counts.get("uebmi_retired", 0.0)
        insured = found[("uebmi", "insured")][0]
        factor = insured / employees if employees > 0 else 0.0
        for scheme in ("uebmi_active", "uebmi_retired"):  # split by the population's shares
            if counts.get(scheme, 0) > 0:
                targets[scheme] = counts[scheme] * factor
            else:
                empty.append(
                    f"{scheme} persons to take a share of {figures}'s {insured:,.0f} uebmi insured"
                )
    if ("urrbmi_pool", "insured") in found:
        targets["urrbmi"] = found[("urrbmi_pool", "insured")][0]
        if counts.get("urrbmi", 0) <= 0:
            said = f"{targets['urrbmi']:,.0f}"
            empty.append(f"urrbmi persons to scale to {figures}'s {said}")
    if empty:
        problems.error(
            file_name,
            line,
            where,
            f"{population.display} has no {', '.join(empty)} at the end of {year}",
            "give the population file's rows of those schemes (age, sex, scheme, persons), "
            "or use start_from: roll_forward",
        )
        return start
    scale = {s: targets[s] / counts[s] for s in targets}
    opening = {a: found[(a, "balance")] for a in ACCOUNT_FUNDS if (a, "balance") in found}
    missing = [s for s in ("uebmi_active", "uebmi_retired", "urrbmi") if s not in scale]
    missing_balances = [a for a in ACCOUNT_FUNDS[:3] if a not in opening]
    if missing or missing_balances:
        what = [f"insured of {s}" for s in missing] + [f"balance of {a}" for a in missing_balances]
        problems.error(
            file_name,
            line,
            where,
            f"{history.display} has no {', '.join(what)} at the end of {year}",
            f"add the rows (year {year}; insured_active and insured_retired of uebmi, insured "
            "of urrbmi_pool, balance of uebmi_pool, uebmi_personal and urrbmi_pool), or use "
            "start_from: roll_forward",
        )
        return start
    text = ", ".join(f"{s} ×{f:.3f}" for s, f in scale.items())
    return dataclasses.replace(
        start,
        population_scale=scale,
        opening=opening,
        note=(
            f"自{year}年末的实际参保人数和累计结余起步（history.csv；人口按险种缩放：{text}）。",
            f"Started from the actual insured and balances at the end of {year} (history.csv; "
            f"population scaled by scheme: {text}).",
        ),
    )


def scaled_population(table: Table, scale: dict[str, float]) -> Table:
    """A copy of the population table with each scheme's persons times its factor."""
    persons: list[Any] = [
        float(p) * scale.get(s, 1.0)
        for s, p in zip(table.columns["scheme"], table.columns["persons"], strict=True)
    ]
    columns = dict(table.columns)
    columns["persons"] = persons
    return dataclasses.replace(table, columns=columns)
