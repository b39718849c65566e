"""Write calibration/china/history.csv from ../shared/data/national_fund_2018_2022.csv.

The national history of basic medical insurance 2018-2022 in fundsim's history format
(year,fund,indicator,value,source; yuan and persons), each row citing the shared row it
comes from. URRBMI of 2018 includes the NRCMS (新农合, reported apart that year), as the
national population file's URRBMI members do; the 2018 fund balances by scheme are those of
the NHSA 2018 quick report (not in shared/data; their sum is its 23,233.74亿).

    python scripts/derive_china_history.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "calibration" / "china" / "history.csv"
YI, WAN = 1e8, 1e4

# (shared scheme, shared indicator) -> (fund, indicator, unit factor); first match per year wins
MAP = [
    (("ALL", "income"), ("total", "income", YI)),
    (("ALL", "expenditure"), ("total", "expenditure", YI)),
    (("ALL", "cumulative_balance"), ("total", "balance", YI)),
    (("ALL", "insured"), ("total", "insured", WAN)),
    (("UEBMI", "income"), ("uebmi", "income", YI)),
    (("UEBMI", "expenditure"), ("uebmi", "expenditure", YI)),
    (("UEBMI", "insured"), ("uebmi", "insured", WAN)),
    (("UEBMI", "active"), ("uebmi", "insured_active", WAN)),
    (("UEBMI", "retirees"), ("uebmi", "insured_retired", WAN)),
    (("UEBMI", "personal_account_cumulative"), ("uebmi_personal", "balance", YI)),
    (("UEBMI", "pool_cumulative_quick"), ("uebmi_pool", "balance", YI)),
    (("URRBMI", "income"), ("urrbmi_pool", "income", YI)),
    (("URRBMI", "expenditure"), ("urrbmi_pool", "expenditure", YI)),
    (("URRBMI", "cumulative_balance"), ("urrbmi_pool", "balance", YI)),
    (("URRBMI", "cumulative_balance_quick"), ("urrbmi_pool", "balance", YI)),
    (("URRBMI", "insured"), ("urrbmi_pool", "insured", WAN)),
    (("URRBMI", "insured_incl_NRCMS"), ("urrbmi_pool", "insured", WAN)),
]
QUICK_2018 = "NHSA 2018 quick report (2018年全国基本医疗保障事业发展统计快报, via Xinhua; not in shared/data)"
EXTRA = [  # the 2018 year-end balances by scheme: the opening balances of a 2019 start
    (
        2018,
        "uebmi_pool",
        "balance",
        11465.79 * YI,
        f"{QUICK_2018}: 职工医保统筹基金累计结存11465.79亿元",
    ),
    (2018, "uebmi_personal", "balance", 7284.05 * YI, f"{QUICK_2018}: 个人账户累计结存7284.05亿元"),
    (
        2018,
        "urrbmi_pool",
        "balance",
        (4372.34 + 111.56) * YI,
        f"{QUICK_2018}: 城乡居民医保累计结存4372.34亿元 + 新农合111.56亿元",
    ),
]


def main(shared: Path) -> None:
    rows = list(
        csv.reader(
            line
            for line in (shared / "national_fund_2018_2022.csv").open(encoding="utf-8")
            if not line.startswith("#")
        )
    )
    header, body = rows[0], rows[1:]
    at = {name: i for i, name in enumerate(header)}
    found: dict[tuple[int, str, str], tuple[float, str]] = {}
    nrcms: dict[tuple[int, str], float] = {}
    for r in body:
        year, scheme, indicator = int(r[at["year"]]), r[at["scheme"]], r[at["indicator"]]
        if scheme == "NRCMS":
            nrcms[(year, indicator)] = float(r[at["value"]])
    for r in body:
        year, scheme, indicator = int(r[at["year"]]), r[at["scheme"]], r[at["indicator"]]
        for (s, i), (fund, ind, factor) in MAP:
            if (s, i) != (scheme, indicator):
                continue
            value = float(r[at["value"]])
            note = f"shared/data/national_fund_2018_2022.csv {year} {scheme} {indicator} {r[at['value']]} {r[at['unit']]} ({r[at['status']]})"
            if scheme == "URRBMI" and i in ("income", "expenditure") and (year, i) in nrcms:
                value += nrcms[(year, i)]
                note += f" + NRCMS {nrcms[(year, i)]:g} (DERIVED: the population's URRBMI includes the NRCMS)"
            key = (year, fund, ind)
            if key in found and ind == "insured" and "incl_NRCMS" not in indicator:
                continue
            found[key] = (value * factor, note)
    for year, fund, ind, value, note in EXTRA:
        found[(year, fund, ind)] = (value, note)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write(
            "# China's basic medical insurance 2018-2022 as fundsim history (issue 14), in yuan and persons.\n"
        )
        f.write(
            "# source: NHSA statistical bulletins and quick reports as collected in shared/data/national_fund_2018_2022.csv (each row cites its own); written by scripts/derive_china_history.py\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["year", "fund", "indicator", "value", "source"])
        for (year, fund, ind), (value, note) in sorted(found.items()):
            writer.writerow([year, fund, ind, f"{value:.0f}", note])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data")
