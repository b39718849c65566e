"""Why each fund does or does not run out, in words (zh and en), from a batch's own runs.

For the first scenario of a batch (the baseline), per fund: how likely it is depleted
within the horizon and when; for a pooled fund, how fast income and spending per member
grow over the last ten years and the year from which spending exceeds income for good
(medians of the runs); for the
critical-illness account, the loss ratio (claims ÷ premiums); for medical assistance, what
it paid against its budget; and the drivers: the drawn inputs whose values move the
fund's last balance most, by Spearman rank correlation over the runs (|ρ| ≥ 0.2 shown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.stats import spearmanr

from ..codes import ACCOUNTS, ALL_ACCOUNT_CODES, POOLS, labels
from ..parameters.catalogue import load_catalogue
from .areas import CITY, TOTAL, area_label, area_names, select_area, unified_at_end
from .summary import depletion_percentile

MEMBERS = {"uebmi_pool": ["uebmi_active", "uebmi_retired"], "urrbmi_pool": ["urrbmi"]}
MIN_RHO = 0.2  # below this a rank correlation over a few hundred runs says little
INPUT = "input__"


@dataclass(frozen=True)
class Driver:
    path: str
    rho: float


def drivers(ds: xr.Dataset, fund: str, top: int = 3) -> list[Driver]:
    """The drawn inputs most rank-correlated with the fund's balance in the last year."""
    outcome = ds["balance"].isel(year=-1).sel(fund=fund).values
    if np.ptp(outcome) == 0:
        return []
    found = []
    for name in ds.data_vars:
        if not str(name).startswith(INPUT):
            continue
        x = ds[name].values
        if np.ptp(x) == 0:
            continue
        rho = float(spearmanr(x, outcome).statistic)
        if np.isfinite(rho) and abs(rho) >= MIN_RHO:
            found.append(Driver(str(name).removeprefix(INPUT), rho))
    return sorted(found, key=lambda d: -abs(d.rho))[:top]


def input_name(path: str, lang: str) -> str:
    """An uncertain input's name in ``lang`` (its catalogue description; ``PATH.then``: the
    yearly rise of PATH's rule)."""
    catalogue = load_catalogue()
    base = path.removesuffix(".then")
    if base not in catalogue:
        return path
    entry = catalogue[base]
    name = entry.description_zh if lang == "zh" else entry.description
    if path.endswith(".then"):
        name += "（年增幅）" if lang == "zh" else " (yearly rise)"
    return name or path


def _growth(values: np.ndarray) -> float:
    n = len(values) - 1
    if n < 1 or values[0] <= 0 or values[-1] <= 0:
        return float("nan")
    return float((values[-1] / values[0]) ** (1 / n) - 1)


GROWTH_YEARS = 10  # growth over the last ten years: past the reforms dated near the start


def _pooled(d: xr.Dataset, fund: str, lang: str) -> str:
    members = d["insured"].sel(scheme=MEMBERS[fund]).sum("scheme")
    last = d.isel(year=slice(-GROWTH_YEARS, None))
    span = f"{int(last['year'].values[0])}–{int(last['year'].values[-1])}"
    per_member = members.isel(year=slice(-GROWTH_YEARS, None))
    income = (last["income"].sel(fund=fund) / per_member).median("run").values
    spend = (last["expenditure"].sel(fund=fund) / per_member).median("run").values
    gi, ge = _growth(income), _growth(spend)
    flow = (d["income"].sel(fund=fund) - d["expenditure"].sel(fund=fund)).median("run").values
    years = d["year"].values
    # the first year from which every year runs a current deficit
    surplus = np.flatnonzero(flow >= 0)
    start = 0 if len(surplus) == 0 else surplus[-1] + 1
    deficit = years[start:]
    if lang == "zh":
        text = f"{span}年人均收入年均增长{gi:.1%}，人均支出年均增长{ge:.1%}"
        text += (
            f"，自{int(deficit[0])}年起当期支出持续超过收入（中位数）"
            if len(deficit)
            else "，期末当期收入不低于支出（中位数）"
        )
        return text
    text = f"in {span} income per member grows {gi:.1%} a year and spending per member {ge:.1%}"
    text += (
        f"; spending exceeds income in every year from {int(deficit[0])} (median)"
        if len(deficit)
        else "; income covers spending at the end of the horizon (median)"
    )
    return text


def _second_layer(d: xr.Dataset, fund: str, lang: str) -> str:
    flows = d["by_flow"].sel(fund=fund).median("run")
    if fund == "critical_illness":
        premium = float(flows.sel(flow="ci_premiums").sum("year"))
        claims = float(flows.sel(flow="critical_illness_claims").sum("year"))
        refund = (
            float(flows.sel(flow="ci_refund").sum("year")) if "ci_refund" in flows.flow else 0.0
        )
        ratio = claims / premium if premium > 0 else float("nan")
        back = refund / premium if premium > 0 else float("nan")
        if lang == "zh":
            return f"赔付率（赔付÷保费）{ratio:.0%}，超额结余返还居民医保基金占保费的{back:.0%}"
        return f"loss ratio (claims ÷ premiums) {ratio:.0%}; {back:.0%} of the premiums returned to the URRBMI fund"
    last = int(d["year"].values[-1])
    need = float(flows.sel(flow="assistance_budget").isel(year=-1))
    if lang == "zh":
        return f"{last}年财政需拨付约{need / 1e4:,.0f}万元（救助支出即需求）"
    return (
        f"the budget must pay about {need / 1e6:,.1f} million yuan in {last} "
        "(assistance spends what its members need)"
    )


def explain(ds: xr.Dataset, lang: str, scenario: int = 0) -> list[str]:
    """One sentence per fund of the scenario at position ``scenario``; for a city, the city
    total's, then one per area (its pooled funds and what it drew from the reserve) and the
    reserves'."""
    if "balance" not in ds or "by_flow" not in ds:
        return []
    if area_names(ds):
        return _explain_city(ds, lang, scenario)
    d = ds.isel(scenario=scenario)
    last = int(d["year"].values[-1])
    lines = []
    for fund in [str(f) for f in d["fund"].values]:
        first = d["depletion_year"].sel(fund=fund).values
        p = float(np.mean(first <= last))
        name = labels(ALL_ACCOUNT_CODES, lang)[fund]
        # the median depletion year when at least half the runs deplete (the summary's
        # percentile: a year of a run, never the mean of a year and "never")
        middle = depletion_percentile(first, 50)
        median = int(middle) if np.isfinite(middle) and middle <= last else None
        if lang == "zh":
            head = f"{name}：{p:.0%}的模拟在{last}年末前穿底"
            head += f"（穿底年份中位数{median}年）" if median else ""
        else:
            head = f"{name}: depleted by the end of {last} in {p:.0%} of runs"
            head += f" (median year {median})" if median else ""
        body = _pooled(d, fund, lang) if fund in MEMBERS else None
        if fund in ("critical_illness", "medical_assistance"):
            body = _second_layer(d, fund, lang)
        parts = [head] + ([body] if body else [])
        found = drivers(d, fund)
        if found:
            named = [
                f"{input_name(x.path, lang)}（ρ={x.rho:+.2f}）"
                if lang == "zh"
                else f"{input_name(x.path, lang)} (ρ = {x.rho:+.2f})"
                for x in found
            ]
            parts.append(
                "期末结余受以下输入影响最大：" + "、".join(named)
                if lang == "zh"
                else "the inputs that move its last balance most: " + "; ".join(named)
            )
        lines.append(("；" if lang == "zh" else "; ").join(parts) + ("。" if lang == "zh" else "."))
    return lines


def _explain_city(ds: xr.Dataset, lang: str, scenario: int) -> list[str]:
    zh = lang == "zh"
    whole = select_area(ds, TOTAL)
    total = explain(
        whole.sel(fund=[f for f in whole["fund"].values if str(f) in ACCOUNTS]), lang, scenario
    )
    lines = [("全市合计（含调剂金）：" if zh else "City total (reserves included): ") + total[0]]
    lines += total[1:]
    d = ds.isel(scenario=scenario)
    last = int(d["year"].values[-1])
    pools = [p.account for p in POOLS]
    one_fund = unified_at_end(ds, str(ds["scenario"].values[scenario]))
    for area in area_names(ds):
        if area == TOTAL:
            continue
        one = d.sel(area=area)
        name = area_label(ds, area, lang)
        if area == CITY:
            flows = one["by_flow"].sel(fund=[p.reserve for p in POOLS])
            if not bool(flows.any()) and not bool(
                one["balance"].sel(fund=[p.reserve for p in POOLS]).any()
            ):
                continue  # no reserve in this scenario
            funds = [p.reserve for p in POOLS]
            uncovered = d["deficit_uncovered"].sel(area=TOTAL).sum("year")
            short = float((uncovered > 0).any("fund").mean("run"))
            parts = []
            for fund in funds:
                balance = float(one["balance"].sel(fund=fund).isel(year=-1).median("run"))
                peak = one["balance"].sel(fund=fund).median("run")
                top = int(peak["year"].values[int(np.argmax(peak.values))])
                fname = labels(ALL_ACCOUNT_CODES, lang)[fund]
                parts.append(
                    f"{fname}{last}年末中位数{balance / 1e8:.2f}亿元（{top}年最高）"
                    if zh
                    else f"{fname} {balance / 1e9:.3f} bn yuan at the end of {last} (median; highest in {top})"
                )
            tail = (
                f"；{short:.0%}的模拟出现调剂金不足以弥补的缺口"
                if zh
                else f"; in {short:.0%} of runs the reserves fall short of a deficit"
            )
            lines.append(
                f"{name}：" + "，".join(parts) + tail + "。"
                if zh
                else f"{name}: " + "; ".join(parts) + tail + "."
            )
            continue
        parts = []
        for fund in pools:
            if one_fund:  # one city fund: the area is accounted apart, never depleted itself
                balance = float(one["balance"].sel(fund=fund).isel(year=-1).median("run"))
                fname = labels(ALL_ACCOUNT_CODES, lang)[fund]
                parts.append(
                    f"{fname}单独核算结余{last}年末中位数{balance / 1e8:.2f}亿元（统收统支）"
                    if zh
                    else f"{fname} accounted apart: {balance / 1e9:.3f} bn yuan at the end of "
                    f"{last} (median; one city fund)"
                )
                continue
            p = float((one["depletion_year"].sel(fund=fund) <= last).mean())
            drawn = float(
                one["by_flow"].sel(fund=fund, flow="reserve_draws_in").sum("year").median("run")
            )
            fname = labels(ALL_ACCOUNT_CODES, lang)[fund]
            text = f"{fname}{p:.0%}的模拟穿底" if zh else f"{fname} depleted in {p:.0%} of runs"
            if drawn > 0:
                text += (
                    f"，自调剂金获得{drawn / 1e8:.2f}亿元（中位数）"
                    if zh
                    else f", {drawn / 1e9:.3f} bn yuan drawn from the reserve (median)"
                )
            parts.append(text)
        lines.append(
            f"{name}：" + "；".join(parts) + "。" if zh else f"{name}: " + "; ".join(parts) + "."
        )
    return lines


def warning_lines(ds: xr.Dataset, lang: str, threshold: float, scenario: int = 0) -> list[str]:
    """Per pooled fund, the first year whose probability of a red warning is above
    ``threshold`` (and the probability then), or that none is."""
    from .early_warning import first_year_above, probabilities

    if "warning_level" not in ds:
        return []
    d = ds.isel(scenario=scenario)
    if area_names(ds):
        d = select_area(d, "total")
    p = probabilities(d["warning_level"])
    years = [int(y) for y in d["year"].values]
    lines = []
    for fund in MEMBERS:
        red = p.sel(level="red", fund=fund).values
        year = first_year_above(red, years, threshold)
        name = labels(ALL_ACCOUNT_CODES, lang)[fund]
        if year is None:
            lines.append(
                f"{name}：各年红色预警概率均不超过{threshold:.0%}"
                if lang == "zh"
                else f"{name}: the chance of a red warning stays at or below {threshold:.0%} in every year"
            )
        else:
            share = float(red[years.index(year)])
            # one decimal where a whole per cent would read as the threshold itself
            shown = f"{share:.1%}" if f"{share:.0%}" == f"{threshold:.0%}" else f"{share:.0%}"
            lines.append(
                f"{name}：{year}年起红色预警概率超过{threshold:.0%}（{year}年为{shown}）"
                if lang == "zh"
                else f"{name}: red warning more likely than {threshold:.0%} from {year} ({shown} that year)"
            )
    return lines
