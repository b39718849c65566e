"""The areas of a city in a report: who runs short, who draws on the reserve, how much."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..codes import POOLS
from ..plotting.style import Lang, fund_name, scenario_titles
from ..results.areas import CITY, TOTAL, area_label, area_names, unified_at_end

HEADERS = {
    "scenario": ("情景", "scenario"),
    "area": ("地区", "area"),
    "fund": ("基金", "fund"),
    "p_depleted": ("{year}年末前穿底概率", "P(depleted by {year})"),
    "paid": ("上解调剂金累计（中位数，万元）", "paid to the reserve (median, 10k yuan)"),
    "drawn": ("调剂金补助累计（中位数，万元）", "drawn from the reserve (median, 10k yuan)"),
    "fiscal": (
        "地方财政补缺口累计（中位数，万元）",
        "deficits paid by the local budget (median, 10k yuan)",
    ),
    "uncovered": ("未弥补缺口概率", "P(a deficit left uncovered)"),
    "balance": ("{year}年末结余中位数（万元）", "balance at the end of {year} (median, 10k yuan)"),
}
SHEET = ("分地区", "areas")
NOT_APPLICABLE = "—"


def area_table(ds: xr.Dataset, lang: Lang) -> pd.DataFrame | None:
    """One row per scenario, area and pooled fund (and the city's reserves); None for the
    results of one area."""
    if not area_names(ds):
        return None
    i = 0 if lang == "zh" else 1
    last = int(ds["year"].values[-1])

    def head(key: str) -> str:
        return HEADERS[key][i].format(year=last)

    titles = scenario_titles(ds, lang, short=False)
    rows = []
    for s in [str(x) for x in ds["scenario"].values]:
        # under one city fund an area is accounted apart (单独核算), never depleted
        one_fund = unified_at_end(ds, s)
        for area in area_names(ds):
            if area == TOTAL:
                continue
            one = ds.sel(scenario=s, area=area)
            funds = [p.reserve for p in POOLS] if area == CITY else [p.account for p in POOLS]
            for fund in funds:
                d = one.sel(fund=fund)
                flows = d["by_flow"].sum("year")

                def median(flow: str, flows: xr.DataArray = flows) -> float:
                    return round(float(flows.sel(flow=flow).median("run")) / 1e4, 1)

                first = d["depletion_year"].values
                row: dict[str, object] = {
                    head("scenario"): titles[s],
                    head("area"): area_label(ds, area, lang),
                    head("fund"): fund_name(fund, lang),
                    head("p_depleted"): NOT_APPLICABLE
                    if one_fund and area != CITY
                    else round(float(np.mean(first <= last)), 3),
                    head("balance"): round(
                        float(d["balance"].isel(year=-1).median("run")) / 1e4, 1
                    ),
                }
                if area == CITY:
                    row[head("paid")] = median("reserve_contributions_in")
                    row[head("drawn")] = median("reserve_draws")
                    short = ds["deficit_uncovered"].sel(scenario=s, area=TOTAL)
                    pool = next(p.account for p in POOLS if p.reserve == fund)
                    row[head("uncovered")] = round(
                        float((short.sel(fund=pool).sum("year") > 0).mean("run")), 3
                    )
                else:
                    row[head("paid")] = median("reserve_contributions")
                    row[head("drawn")] = median("reserve_draws_in")
                    row[head("fiscal")] = median("fiscal_deficit_cover")
                rows.append(row)
    return pd.DataFrame(rows).fillna(NOT_APPLICABLE)
