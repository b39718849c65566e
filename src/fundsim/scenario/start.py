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

A horizon that starts at or before the data year (a calibration or a backtest over the
history's years) starts from the actual stocks of the year before it, never from a later
year's: the population is scaled, scheme by scheme, to the history's insured of that year end,
and each account opens with the history's balance of that year end. A balance the history
does not give is projected back from the data year's: the data year's balance less the
history's income and plus its spending of the years between (the fund's own identity,
closing = opening + income − expenditure); a UEBMI balance given whole (pool and personal
accounts together, as bulletins print it) is split by the data year's pool share. Members the
history does not give stay the data year's, and the note says so.
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
    back : the horizon starts at or before the data year (a window over the history): its
        stocks are the history's of the year before it
    rebased : the accounts whose opening balance is the history's (or projected back from it)
    """

    simulated: Horizon
    reported_start: dt.date | None = None
    population_scale: dict[str, float] = field(default_factory=dict)
    opening: dict[str, tuple[float, int]] = field(default_factory=dict)
    note: tuple[str, str] | None = None
    back: bool = False
    rebased: tuple[str, ...] = ()
    derived: dict[str, str] = field(default_factory=dict)  # how a balance not printed was found


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
    if data_year + 1 > first:  # a window over the history: its own stocks (from_history)
        return StartPlan(horizon, back=True)
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
    opening_now: dict[str, float] | None = None,
) -> StartPlan:
    """The scale of each scheme and the opening balances at the end of the year before the
    horizon, from ``history.csv``: for ``start_from: history`` (a horizon after the data
    year; every stock must be found) and for a window over the history (``start.back``: what
    is missing stays the data year's, and the note says so). ``opening_now``: the data year's
    opening balance per account (to project a balance from)."""
    if region.data_year is None:
        return start
    forward = region.start_from == "history" and region.data_year + 1 < horizon.start.year
    if not (forward or start.back):
        return start
    year = horizon.start.year - 1
    where = "region.start_from"
    history = tables.get("history")
    population = tables.get("population")
    if history is None or population is None:
        if forward and history is None:
            problems.error(
                file_name,
                line,
                where,
                "start_from: history needs region.data.history",
                "name the region's history.csv",
            )
            return start
        return _unchanged(start, region.data_year, year)
    stocks = Stocks.find(history, population, year, region.data_year, opening_now or {})
    if forward and stocks.empty:
        problems.error(
            file_name,
            line,
            where,
            f"{population.display} has no {', '.join(stocks.empty)} at the end of {year}",
            "give the population file's rows of those schemes (age, sex, scheme, persons), "
            "or use start_from: roll_forward",
        )
        return start
    if forward and (stocks.missing_members or stocks.missing_balances):
        what = [f"insured of {s}" for s in stocks.missing_members] + [
            f"balance of {a}" for a in stocks.missing_balances
        ]
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
    if not stocks.scale and not stocks.opening:
        return _unchanged(start, region.data_year, year)
    text = ", ".join(f"{s} ×{f:.3f}" for s, f in stocks.scale.items()) or "—"
    zh = [f"自{year}年末的实际参保人数和累计结余起步（history.csv；人口按险种缩放：{text}）。"]
    en = [
        f"Started from the actual insured and balances at the end of {year} (history.csv; "
        f"population scaled by scheme: {text})."
    ]
    for account, (how_zh, how_en) in stocks.derived.items():
        zh.append(f"{account}：{how_zh}。")
        en.append(f"{account}: {how_en}.")
    if stocks.missing_members:
        listed = ", ".join(stocks.missing_members)
        zh.append(f"历史数据无{year}年末{listed}参保人数，沿用{region.data_year}年末数据。")
        en.append(
            f"No insured of {listed} at the end of {year} in the history: the end of "
            f"{region.data_year}'s stand for them."
        )
    if stocks.missing_balances:
        listed = ", ".join(stocks.missing_balances)
        zh.append(f"历史数据无法给出{year}年末{listed}结余，沿用{region.data_year}年末数据。")
        en.append(
            f"The history gives no balance of {listed} at the end of {year}: the end of "
            f"{region.data_year}'s stands for it."
        )
    return dataclasses.replace(
        start,
        population_scale=stocks.scale,
        opening=stocks.opening,
        note=("".join(zh), " ".join(en)),
        rebased=tuple(stocks.opening),
        derived={a: how[1] for a, how in stocks.derived.items()},
    )


def _unchanged(start: StartPlan, data_year: int, year: int) -> StartPlan:
    return dataclasses.replace(
        start,
        note=(
            f"历史数据无{year}年末的参保人数和结余：人口与期初结余取{data_year}年末数据（不向前回推）。",
            f"The history holds no stocks of the end of {year}: the population and balances of "
            f"the end of {data_year} stand for them (no backward projection).",
        ),
    )


@dataclass
class Stocks:
    """The insured and the balances at one year end, from a history table.

    scale : factor per scheme on the population file's persons
    opening : balance per account: (yuan, the history line it rests on)
    derived : per account whose balance is not printed for that year, how it was found (zh, en)
    missing_members, missing_balances : what the history cannot give
    empty : schemes the history counts and the population file has nobody of (its fault)
    """

    scale: dict[str, float]
    opening: dict[str, tuple[float, int]]
    derived: dict[str, tuple[str, str]]
    missing_members: list[str]
    missing_balances: list[str]
    empty: list[str] = field(default_factory=list)

    @classmethod
    def find(
        cls,
        history: Table,
        population: Table,
        year: int,
        data_year: int,
        opening_now: dict[str, float],
    ) -> Stocks:
        rows: dict[tuple[int, str, str], tuple[float, int]] = {}
        for row_line, row in zip(history.lines, history.rows(), strict=True):
            rows[(int(row["year"]), row["fund"], row["indicator"])] = (
                float(row["value"]),
                row_line,
            )
        found = {(f, i): v for (y, f, i), v in rows.items() if y == year}
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
        lacking: list[str] = []  # schemes a UEBMI total cannot be shared among
        if "uebmi_active" not in targets and ("uebmi", "insured") in found:
            members = found[("uebmi", "insured")][0]
            employees = counts.get("uebmi_active", 0.0) + counts.get("uebmi_retired", 0.0)
            for scheme in ("uebmi_active", "uebmi_retired"):  # by the population's shares
                if counts.get(scheme, 0.0) > 0:
                    targets[scheme] = counts[scheme] * members / employees
                elif members:
                    lacking.append(
                        f"{scheme} persons to take a share of {history.file.name}'s "
                        f"{members:,.0f} uebmi insured"
                    )
        if ("urrbmi_pool", "insured") in found:
            targets["urrbmi"] = found[("urrbmi_pool", "insured")][0]
        scale = {s: targets[s] / counts[s] for s in targets if counts.get(s, 0) > 0}
        # a scheme the population file has nobody of and the history reports nobody of
        scale |= {
            s: 1.0
            for s in ("uebmi_active", "uebmi_retired", "urrbmi")
            if not counts.get(s) and not targets.get(s)
        }
        # a figure of the history and nobody in the population file to scale to it: the
        # population file's fault, not the history's
        empty = [
            f"{s} persons to scale to {history.file.name}'s {targets[s]:,.0f}"
            for s in targets
            if not counts.get(s) and targets[s]
        ] + lacking
        opening = {a: found[(a, "balance")] for a in ACCOUNT_FUNDS if (a, "balance") in found}
        derived: dict[str, tuple[str, str]] = {}
        pool, personal = opening_now.get("uebmi_pool"), opening_now.get("uebmi_personal")
        share = (
            pool / (pool + personal) if pool is not None and personal and pool + personal else None
        )

        def projected(funds: tuple[str, ...]) -> tuple[float, int] | None:
            """The balance of ``funds`` together at the end of ``year``, from the data year's
            and the history's income and spending of the years between (None if any is missing)."""
            now = [opening_now.get(f) for f in funds]
            if any(v is None for v in now) or year == data_year:
                return None
            total = sum(v for v in now if v is not None)
            flows = funds if len(funds) == 1 else ("uebmi",)
            years = (
                range(year + 1, data_year + 1)
                if year < data_year
                else range(data_year + 1, year + 1)
            )
            sign = -1.0 if year < data_year else 1.0
            last = 0
            for y in years:
                for fund in flows:
                    income, spending = (
                        rows.get((y, fund, "income")),
                        rows.get((y, fund, "expenditure")),
                    )
                    if income is None or spending is None:
                        return None
                    total += sign * (income[0] - spending[0])
                    last = max(last, income[1], spending[1])
            return total, last

        span = f"{min(year, data_year) + 1}-{max(year, data_year)}"
        for account in ("urrbmi_pool",):
            if account not in opening and (got := projected((account,))) is not None:
                opening[account] = got
                derived[account] = (
                    f"{year}年末结余由{data_year}年末结余和{span}年收支推算",
                    f"the balance of the end of {year} projected from {data_year}'s with the "
                    f"history's income and spending of {span}",
                )
        uebmi = ("uebmi_pool", "uebmi_personal")
        if not all(a in opening for a in uebmi) and share is not None:
            whole = found.get(("uebmi", "balance"))
            how_zh, how_en = (
                f"职工医保{year}年末结余（统筹与个人账户合计）",
                f"the UEBMI balance of the end of {year} (pool and personal accounts together)",
            )
            if whole is None and (whole := projected(uebmi)) is not None:
                how_zh = f"职工医保{year}年末结余由{data_year}年末结余和{span}年收支推算"
                how_en = f"the UEBMI balance of the end of {year} projected from {data_year}'s with the history's income and spending of {span}"
            if whole is not None:
                for account, part in (("uebmi_pool", share), ("uebmi_personal", 1 - share)):
                    opening[account] = (whole[0] * part, whole[1])
                    derived[account] = (
                        f"{how_zh}，按{data_year}年末统筹基金占比{share:.1%}拆分（ASSUMPTION）",
                        f"{how_en}, split by the pool's share of the end of {data_year}, "
                        f"{share:.1%} (ASSUMPTION)",
                    )
        missing = [s for s in ("uebmi_active", "uebmi_retired", "urrbmi") if s not in scale]
        missing_balances = [a for a in ACCOUNT_FUNDS[:3] if a not in opening]
        return cls(scale, opening, derived, missing, missing_balances, empty)


def scaled_population(table: Table, scale: dict[str, float]) -> Table:
    """A copy of the population table with each scheme's persons times its factor."""
    persons: list[Any] = [
        float(p) * scale.get(s, 1.0)
        for s, p in zip(table.columns["scheme"], table.columns["persons"], strict=True)
    ]
    columns = dict(table.columns)
    columns["persons"] = persons
    return dataclasses.replace(table, columns=columns)
