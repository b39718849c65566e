"""Derive data/national_epidemic_utilisation.csv (issue 29): how far below its ordinary path
the use of inpatient care fell in China's epidemic years, nationally.

The factor of a year is the inpatient spending per insured of both schemes together (UEBMI
and URRBMI, NHSA 医保数智库 series, data/nhsa_inpatient_series_2012_2022.csv) over 2019's,
the last ordinary year, grown by the template's admission trend (2% a year) and cost trend
(3.5% a year) — the path fundsim would simulate without the epidemic (templates/defaults.yaml,
care.admission_trend and care.cost_trend). fundsim applies it to the year's admissions
(care.utilisation), where a scenario states them. `fundsim init` does not write them: written
for every region built after 2020 they made the corpus's out-of-sample record worse
(docs/design-changes.md, issue 29).

    python scripts/derive_epidemic_utilisation.py   # rewrites data/national_epidemic_utilisation.csv
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERIES = ROOT / "data" / "nhsa_inpatient_series_2012_2022.csv"
OUT = ("data/national_epidemic_utilisation.csv",)
ORDINARY = 2019
TRENDS = (0.02, 0.035)  # templates/defaults.yaml: care.admission_trend, care.cost_trend
EPIDEMIC = (2020, 2021, 2022)  # the years of COVID-19 control measures
# the measures ended on 7 December 2022 (国务院联防联控机制综合组《关于进一步优化落实新冠肺炎疫情防控
# 措施的通知》, the "新十条"): in force at the end of 2020 and 2021, not at the end of 2022
ENDED = 2022


def main() -> None:
    lines = [x for x in SERIES.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    rows = {int(r["year"]): r for r in csv.DictReader(lines)}

    def per_insured(year: int) -> float:
        r = rows[year]
        cost = float(r["UEBMI_inpatient_cost_100mCNY"]) + float(r["URRBMI_inpatient_cost_100mCNY"])
        return cost / (float(r["UEBMI_insured_10k"]) + float(r["URRBMI_insured_10k"]))

    growth = (1 + TRENDS[0]) * (1 + TRENDS[1])
    base = per_insured(ORDINARY)
    out = [
        "# National inpatient use in China's epidemic years against its ordinary path (issue 29), written by scripts/derive_epidemic_utilisation.py.",
        "# factor = inpatient spending per insured of UEBMI and URRBMI together ÷ 2019's × (1.02 × 1.035)^(year − 2019): the template's admission and cost trends (DERIVED).",
        '# Series: NHSA 医保数智库 "2012-2025年医保待遇享受相关数据" (https://www.nhsa.gov.cn/art/2026/7/13/art_257_21405.html), data/nhsa_inpatient_series_2012_2022.csv.',
        "# A scenario may state care.utilisation from it for its epidemic years (ASSUMPTION: the region's epidemic years are the nation's); fundsim init writes it for a region built from a year's figures, the years up to that year only (src/fundsim/templates/ holds a copy; docs/design-changes.md, issue 29).",
        '# measures_at_year_end: the control measures still in force on 31 December (they ended on 2022-12-07, 国务院联防联控机制综合组 "新十条", 新华社北京12月7日电, repost https://www.boyouti.com/f/280189.html; 环球网 2022-12-07 https://cj.sina.com.cn/articles/view/1686546714/6486a91a02001swmk); what a forecast from a year\'s end could know.',
        "year,factor,measures_at_year_end,spending_per_insured_CNY,source",
    ]
    for year in EPIDEMIC:
        value = per_insured(year)
        factor = value / (base * growth ** (year - ORDINARY))
        out.append(
            f"{year},{factor:.3f},{'yes' if year < ENDED else 'no'},{value * 1e4:.1f},"
            f'"DERIVED from data/nhsa_inpatient_series_2012_2022.csv: (UEBMI + URRBMI inpatient cost) / insured = {value * 1e4:.1f} yuan against {base * 1e4:.1f} in 2019 grown {growth - 1:.2%} a year"'
        )
    for name in OUT:
        (ROOT / name).write_text("\n".join(out) + "\n", encoding="utf-8")
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
