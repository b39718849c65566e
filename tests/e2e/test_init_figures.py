"""``fundsim init`` from figures as bureaus print them (issue 29 item 2, issue 28's rule): the
shapes of bulletins filled by stated rules, unit slips caught at their lines, the national wage
up to the data year only, the dozen rules a bureau knows, and today's figures files unchanged."""

from __future__ import annotations

import csv
import difflib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAIN = Path(__file__).parent / "init_main"  # what init wrote at c76414f, before this work

BULLETIN = """\
region: {zh: 公报县, en: Bulletin County}
data_year: 2022
source: "某县医疗保障局决算"
insured: {uebmi: 41000, urrbmi: 200000}
balances: {uebmi: 370000000, urrbmi_pool: 110000000}
history:
  2020:
    total: {income: 470000000, expenditure: 430000000}
    uebmi: {income: 280000000, expenditure: 240000000}
  2021:
    total: {income: 500000000, expenditure: 460000000}
    uebmi: {income: 300000000, expenditure: 260000000}
  2022:
    total: {income: 530000000, expenditure: 490000000}
"""


def run(
    tmp_path: Path, figures: str, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from fundsim.cli.main import main

    (tmp_path / "figures.yaml").write_text(figures, encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        code = main(list(args) or ["init", "town", "--figures", "figures.yaml"])
    finally:
        os.chdir(cwd)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def national(name: str, column: str) -> dict[int, float]:
    return {int(r["year"]): float(r[column]) for r in rows(ROOT / "data" / name)}


def baseline(town: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (town / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    )
    return loaded


# --- bulletin shapes ----------------------------------------------------------------------------


def test_a_bulletin_shaped_region_validates_and_says_every_assumption(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(tmp_path, BULLETIN, capsys)
    assert code == 0, err
    town = tmp_path / "town"
    # the UEBMI total split by the national ratio of 2022 (data/, the bulletin's 26604:9639)
    ratio = national("national_uebmi_active_retired.csv", "active_to_retired")[2022]
    assert ratio == pytest.approx(26604 / 9639, abs=1e-4)
    people = rows(town / "calibration" / "population.csv")
    by = {s: sum(float(r["persons"]) for r in people if r["scheme"] == s) for s in
          ("uebmi_active", "uebmi_retired", "urrbmi")}  # fmt: skip
    assert by["uebmi_active"] == pytest.approx(41000 * ratio / (1 + ratio), rel=1e-6)
    assert by["uebmi_active"] + by["uebmi_retired"] == pytest.approx(41000, rel=1e-6)
    assert by["urrbmi"] == pytest.approx(200000, rel=1e-6)
    head = (town / "calibration" / "population.csv").read_text(encoding="utf-8").splitlines()[1]
    assert (
        "ASSUMPTION: the UEBMI insured 41,000 split by the national active:retired ratio of "
        "2022, 2.76 (data/national_uebmi_active_retired.csv, 2022)" in head
    )
    # the UEBMI balance split by the national pool share of 2022 (quick report 21470.04/35003.83)
    share = national("national_uebmi_balances.csv", "pool_share")[2022]
    assert share == pytest.approx(21470.04 / 35003.83, abs=1e-4)
    opening = baseline(town)["parameters"]["finance"]["opening_balance"]
    assert opening["uebmi_pool"]["value"] == pytest.approx(370e6 * share, abs=1)
    assert opening["uebmi_pool"]["value"] + opening["uebmi_personal"]["value"] == 370e6
    for account in ("uebmi_pool", "uebmi_personal"):
        assert (
            "ASSUMPTION: the UEBMI balance 370,000,000 split by the national pool share of 2022"
            in opening[account]["source"]
        )
        assert "(data/national_uebmi_balances.csv, 2022)" in opening[account]["source"]
    assert opening["urrbmi_pool"] == 110e6  # given: as today
    # the inferred split is drawn (the sum is not), a tenth of the balance either way
    split = baseline(town)["uncertainty"]["finance.opening_split_shift"]
    assert (split["distribution"], split["low"], split["mode"], split["high"]) == (
        "triangular",
        -0.1,
        0.0,
        0.1,
    )
    assert split["source"].startswith("ASSUMPTION") and "national_uebmi_balances" in split["source"]
    # totals beside UEBMI: URRBMI is the difference, said; a total alone stays a total
    history = {
        (r["year"], r["fund"], r["indicator"]): r
        for r in rows(town / "calibration" / "history.csv")
    }
    derived = history[("2020", "urrbmi_pool", "income")]
    assert derived["value"] == "190000000"
    assert (
        "ASSUMPTION: history.2020.total.income 470,000,000 - uebmi 280,000,000" in derived["source"]
    )
    assert ("2020", "total", "income") not in history  # the same two figures, by scheme
    assert history[("2022", "total", "income")]["source"] == "figures.yaml: 某县医疗保障局决算"
    assert history[("2022", "uebmi", "insured")]["value"] == "41000"  # as printed, never the split
    assert ("2022", "uebmi", "insured_active") not in history
    # init.md lists them; init prints them, in Chinese and English
    report = (town / "init.md").read_text(encoding="utf-8")
    section = report.split("## ASSUMPTIONS / 假设")[1].split("\n## ")[0]
    for what in ("insured.uebmi_active", "insured.uebmi_retired", "balances.uebmi_pool",
                 "balances.uebmi_personal", "history.2020.urrbmi_pool.income",
                 "history.2021.urrbmi_pool.expenditure"):  # fmt: skip
        assert f"`{what}`" in section and f"{what} = " in out, what
    assert "data/national_uebmi_active_retired.csv, 2022" in section
    assert "按2022年全国在职退休比2.76拆分" in out and "按2022年全国统筹基金占比61.3%拆分" in out
    assert "values still Nanchuan's template defaults; see init.md" in out
    code, _, err = run(
        tmp_path, BULLETIN, capsys, "validate", "--strict", "town/scenarios/baseline.yaml"
    )
    assert code == 0, err


@pytest.mark.parametrize(
    ("insured", "balances", "expected"),
    [
        ("{total: 241000, urrbmi: 200000}", "{total: 480000000, urrbmi_pool: 110000000}",
         {"uebmi": 41000, "urrbmi": 200000, "uebmi_balance": 370e6, "urrbmi_pool": 110e6}),
        ("{total: 241000, uebmi: 41000}", "{total: 480000000, uebmi: 370000000}",
         {"uebmi": 41000, "urrbmi": 200000, "uebmi_balance": 370e6, "urrbmi_pool": 110e6}),
        ("{total: 241000, uebmi_active: 30000, uebmi_retired: 11000}",
         "{uebmi: 370000000, uebmi_personal: 140000000, urrbmi_pool: 110000000}",
         {"uebmi": 41000, "urrbmi": 200000, "uebmi_balance": 370e6, "urrbmi_pool": 110e6,
          "uebmi_pool": 230e6}),
    ],
)  # fmt: skip
def test_a_whole_beside_a_part_gives_the_other_part(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    insured: str,
    balances: str,
    expected: dict[str, float],
) -> None:
    figures = BULLETIN.replace(
        "insured: {uebmi: 41000, urrbmi: 200000}", f"insured: {insured}"
    ).replace("balances: {uebmi: 370000000, urrbmi_pool: 110000000}", f"balances: {balances}")
    code, out, err = run(tmp_path, figures, capsys)
    assert code == 0, err
    town = tmp_path / "town"
    people = rows(town / "calibration" / "population.csv")
    uebmi = sum(float(r["persons"]) for r in people if r["scheme"].startswith("uebmi"))
    urrbmi = sum(float(r["persons"]) for r in people if r["scheme"] == "urrbmi")
    assert (uebmi, urrbmi) == (pytest.approx(expected["uebmi"]), pytest.approx(expected["urrbmi"]))
    opening = baseline(town)["parameters"]["finance"]["opening_balance"]
    value = {
        k: v["value"] if isinstance(v, dict) else v for k, v in opening.items() if k != "source"
    }
    assert value["uebmi_pool"] + value["uebmi_personal"] == pytest.approx(expected["uebmi_balance"])
    assert value["urrbmi_pool"] == pytest.approx(expected["urrbmi_pool"])
    if "uebmi_pool" in expected:  # the region's own parts: no national share
        assert value["uebmi_pool"] == pytest.approx(expected["uebmi_pool"])
        assert "national pool share" not in opening["uebmi_pool"]["source"]
        assert (
            "balances.uebmi 370,000,000 - uebmi_personal 140,000,000"
            in opening["uebmi_pool"]["source"]
        )
    history = {
        (r["fund"], r["indicator"]): r
        for r in rows(town / "calibration" / "history.csv")
        if r["year"] == "2022"
    }
    for fund, key in (("uebmi", "uebmi"), ("urrbmi_pool", "urrbmi")):
        if (fund, "insured") in history:
            assert float(history[(fund, "insured")]["value"]) == expected[key]
    derived = [r for r in history.values() if "ASSUMPTION: insured.total 241,000 - " in r["source"]]
    assert len(derived) == 1  # the scheme the total gave, by difference, said
    scheme = "uebmi" if derived[0]["fund"] == "uebmi" else "urrbmi"
    assert float(derived[0]["value"]) == expected[scheme] and f"insured.{scheme} = " in out


@pytest.mark.parametrize(
    ("change", "line", "said"),
    [
        (("insured: {uebmi: 41000, urrbmi: 200000}", "insured: {total: 241000}"), 4,
         "the URRBMI insured are missing: add urrbmi, or the total together with uebmi"),
        (("insured: {uebmi: 41000, urrbmi: 200000}", "insured: {uebmi_active: 30000, urrbmi: 200000}"), 4,
         "only one of uebmi_active and uebmi_retired"),
        (("balances: {uebmi: 370000000, urrbmi_pool: 110000000}", "balances: {total: 480000000}"), 5,
         "the URRBMI balance is missing"),
        (("balances: {uebmi: 370000000, urrbmi_pool: 110000000}",
          "balances: {uebmi_pool: 300000000, urrbmi_pool: 110000000}"), 5,
         "only one of uebmi_pool and uebmi_personal"),
        (("insured: {uebmi: 41000, urrbmi: 200000}",
          "insured: {uebmi: 41000, uebmi_active: 30000, uebmi_retired: 20000, urrbmi: 200000}"), 4,
         "insured.uebmi: 41,000 is not uebmi_active + uebmi_retired = 50,000"),
        (("insured: {uebmi: 41000, urrbmi: 200000}", "insured: {total: 100000, urrbmi: 200000}"), 4,
         "uebmi would be negative"),
        (("insured: {uebmi: 41000, urrbmi: 200000}", "insured: {uebmi: 41000, urrbmi: -200000}"), 4,
         "insured.urrbmi: -200000 persons is negative (参保人数不能为负数)"),
        (("    uebmi: {income: 280000000,", "    uebmi: {income: 480000000,"), 8,
         "history.2020.total.income: the total 470,000,000 is less than uebmi's 480,000,000"),
    ],
)  # fmt: skip
def test_figures_that_cannot_be_split_are_refused_at_their_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    line: int,
    said: str,
) -> None:
    figures = BULLETIN.replace(*change)
    assert figures != BULLETIN
    code, _, err = run(tmp_path, figures, capsys)
    assert code == 2, err
    assert f"figures.yaml:{line}: error: " in err and said in err, err
    assert "Traceback" not in err and not (tmp_path / "town").exists()


# --- issue 28: history after the data year -------------------------------------------------------


def test_a_history_year_after_the_data_year_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = BULLETIN.replace("data_year: 2022", "data_year: 2021")
    code, _, err = run(tmp_path, figures, capsys)
    assert code == 2
    assert "figures.yaml:13: error: history.2022: 2022 is after the data year 2021" in err, err
    assert "历史数据的年份不能晚于数据年份2021" in err and "set data_year: 2022" in err
    later_wage = BULLETIN + "average_wage: {2021: 90000, 2023: 95000}\n"
    code, _, err = run(tmp_path, later_wage, capsys)
    assert (
        code == 2
        and "figures.yaml:15: error: average_wage.2023: 2023 is after the data year 2022" in err
    ), err


def test_a_wage_that_is_not_a_number_is_refused_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """.nan is not a finite number (red team F7: it was said to be above the 5,000,000 bound)."""
    code, _, err = run(tmp_path, BULLETIN + "average_wage: {2021: .nan, 2022: 95000}\n", capsys)
    assert code == 2 and "average_wage.2021: Input should be a finite number" in err, err
    assert "less than or equal" not in err and not (tmp_path / "town").exists()


# --- units ----------------------------------------------------------------------------------------

SMALL = """\
region: {zh: 小城, en: Small Town}
data_year: 2022
source: "test figures"
insured: {uebmi_active: 4000, uebmi_retired: 1500, urrbmi: 14500}
balances: {uebmi_pool: 30000000, uebmi_personal: 12000000, urrbmi_pool: 9000000}
history:
  2021:
    uebmi: {income: 27000000, expenditure: 23000000}
    urrbmi_pool: {income: 13500000, expenditure: 12500000}
  2022:
    uebmi: {income: 29000000, expenditure: 25000000}
    urrbmi_pool: {income: 14500000, expenditure: 13800000}
average_wage: {2020: 90000, 2021: 95000, 2022: 100000}
"""


@pytest.mark.parametrize(
    ("change", "line", "said"),
    [
        (("uebmi_pool: 30000000", "uebmi_pool: 3000"), 5,
         "balances.uebmi_pool: 3,000 yuan is 0.545 yuan per member (5,500 UEBMI members): looks like 万元 "
         "(看起来是以万元为单位) (fundsim takes yuan: write 30000000 for 3000万元"),
        (("urrbmi_pool: 9000000}", "urrbmi_pool: 0.09}"), 5,
         "balances.urrbmi_pool: 0.09 yuan is 6.21e-06 yuan per member (14,500 URRBMI members): looks like 亿元"),
        (("uebmi: {income: 27000000,", "uebmi: {income: 0.27,"), 8,
         "history.2021.uebmi.income: 0.27 yuan is 4.91e-05 yuan per member a year (5,500 UEBMI members): "
         "looks like 亿元 (看起来是以亿元为单位) (fundsim takes yuan: write 27000000 for 0.27亿元"),
        (("    urrbmi_pool: {income: 14500000, expenditure: 13800000}",
          "    urrbmi_pool: {income: 14500000, expenditure: 1380}"), 12,
         "history.2022.urrbmi_pool.expenditure: 1,380 yuan is 0.0952 yuan per member a year"),
        (("urrbmi: 14500}", "urrbmi: 1.45}"), 4,
         "insured.urrbmi: 1.45 persons: looks like 万人 (看起来是以万人为单位) (fundsim takes persons: "
         "write 14500 for 1.45万人"),
        (("2020: 90000,", "2020: 9,"), 13,
         "average_wage.2020: an average wage of 9 yuan a year: looks like 万元"),
    ],
)  # fmt: skip
def test_each_unit_slip_is_a_warning_at_its_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    line: int,
    said: str,
) -> None:
    figures = SMALL.replace(*change)
    assert figures != SMALL
    code, _, err = run(tmp_path, figures, capsys)
    assert code == (2 if "average_wage" in said else 0), err  # a wage of 9 yuan: also refused
    assert f"figures.yaml:{line}: warning: {said}" in err, err
    warned = [x for x in err.splitlines() if ": warning: " in x]
    assert len(warned) == 1, warned  # one slip, one warning (members in 万人: no money warnings)
    assert "Traceback" not in err


def test_figures_in_yuan_and_persons_raise_no_unit_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(tmp_path, SMALL, capsys)
    assert code == 0 and "warning" not in err, err


# --- the national wage up to the data year --------------------------------------------------------


def test_the_national_wage_enters_up_to_the_data_year_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wages = national("national_average_wage.csv", "average_wage")
    figures = (
        BULLETIN.replace("data_year: 2022", "data_year: 2016")
        .replace("  2020:", "  2014:")
        .replace("  2021:", "  2015:")
        .replace("  2022:", "  2016:")
    )
    code, _, err = run(tmp_path, figures, capsys)
    assert code == 0, err
    wage = baseline(tmp_path / "town")["parameters"]["economy"]["average_wage"]
    values = {int(k[:4]): v for k, v in wage["values"].items()}
    # the wage of the year before each year from the first history year, to the data year's
    assert values == {2014: wages[2013], 2015: wages[2014], 2016: wages[2015], 2017: wages[2016]}
    assert len(set(values.values())) == 4  # no longer flat before 2019 (one wage for 2017-2020)
    assert not set(values.values()) & {w for y, w in wages.items() if y > 2016}
    assert "years up to the data year 2016 only" in wage["source"]
    (tmp_path / "town").rename(tmp_path / "town-2016")
    code, _, err = run(tmp_path, BULLETIN.replace("data_year: 2022", "data_year: 2023")
                       .replace("  2022:", "  2023:"), capsys)  # fmt: skip
    assert code == 0, err
    later = baseline(tmp_path / "town")["parameters"]["economy"]["average_wage"]["values"]
    assert later["2024-01-01"] == wages[2023] == 120698 and "2025-01-01" not in later


def test_a_data_year_before_the_national_wage_asks_for_the_local_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = BULLETIN.replace("data_year: 2022", "data_year: 2008").split("history:")[0]
    code, _, err = run(tmp_path, figures, capsys)
    assert code == 2 and "figures.yaml:2: error: data_year: the national average wage" in err, err
    code, _, err = run(tmp_path, figures + "average_wage: {2007: 24000, 2008: 27000}\n", capsys)
    assert code == 0, err


# --- the dozen figures every bureau knows ----------------------------------------------------------

POLICY = """\
local_policy:
  uebmi_employer_rate: {2020: 0.08, 2023: 0.075}
  uebmi_employee_rate: 0.02
  urrbmi_premium: {2021: 320, 2022: 350}
  urrbmi_subsidy: 610
  account_reform_date: 2022-07-01
  uebmi_inpatient:
    deductible: {level1: 300, level2: 600, level3: 900}
    ratio: 0.85
    annual_cap: 250000
  urrbmi_inpatient:
    deductible: 400
    ratio: {level1: 0.88, level2: 0.78, level3: 0.6, out_of_area: 0.5}
    annual_cap: 150000
  critical_illness_premium: {2021: 60, 2022: 65}
"""


def test_the_dozen_figures_set_the_baseline_and_init_md_names_the_defaults_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(tmp_path, BULLETIN, capsys)
    assert code == 0, err
    before = (tmp_path / "town" / "init.md").read_text(encoding="utf-8")
    count_before = int(out.split(" values still Nanchuan")[0].rsplit(" ", 1)[1])
    # without the rules, init.md says which of Nanchuan's defaults stands for each
    dozen = before.split("## 医保局掌握的主要政策")[1].split("\n## ")[0]
    for key, default in (
        ("uebmi_employer_rate", "0.068 from 2016-01-01; 0.0594 from 2020-02-01"),
        ("account_reform_date", "True from 2023-01-01"),
        ("critical_illness_premium", "77; then index inpatient_cost"),
    ):
        row = next(r for r in dozen.splitlines() if f"`local_policy.{key}`" in r)
        assert default in row and "template default (Nanchuan's rules:" in row, row
    entry = next(r for r in before.splitlines() if r.startswith("| `population.uebmi_entry` |"))
    assert "template default (Nanchuan's rules:" in entry
    os.rename(tmp_path / "town", tmp_path / "town-before")
    code, out, err = run(tmp_path, BULLETIN + POLICY, capsys)
    assert code == 0, err
    town = tmp_path / "town"
    p = baseline(town)["parameters"]
    uebmi, urrbmi = p["contributions"]["uebmi"], p["contributions"]["urrbmi"]
    assert uebmi["employer_rate"]["values"] == {"2020-01-01": 0.08, "2023-01-01": 0.075}
    assert uebmi["employee_rate"]["value"] == 0.02
    assert uebmi["account_reform"]["values"] == {"2020-01-01": False, "2022-07-01": True}
    premium = urrbmi["individual_premium"]
    assert premium["values"] == {"2020-01-01": 280, "2021-01-01": 320, "2022-01-01": 350}
    assert (
        premium["then"] == {"grow": 0.064}
        and "before 2021 the template's (2020 280" in premium["source"]
    )
    assert urrbmi["fiscal_subsidy"]["values"]["2022-01-01"] == 610  # one number: the data year's
    inpatient = p["benefits"]["uebmi"]["inpatient"]
    assert inpatient["deductible"] | {"source": ""} == {
        "level1": 300,
        "level2": 600,
        "level3": 900,
        "source": "",
    }
    assert {
        k: v for k, v in inpatient["ratio"]["active"].items() if k != "source"
    } == dict.fromkeys(("community", "level1", "level2", "level3"), 0.85)
    retired = inpatient["ratio"]["retired"]
    assert retired["source"].startswith("ASSUMPTION: retirees at the active members' ratios")
    assert p["benefits"]["urrbmi"]["inpatient"]["ratio"]["out_of_area"] == 0.5
    assert p["benefits"]["urrbmi"]["critical_illness"]["premium"]["then"] == {
        "index": "inpatient_cost"
    }
    code, _, err = run(tmp_path, "", capsys, "validate", "--strict", "town/scenarios/baseline.yaml")
    assert code == 0, err
    report = (town / "init.md").read_text(encoding="utf-8")
    dozen = report.split("## 医保局掌握的主要政策")[1].split("\n## ")[0]
    given = [r for r in dozen.splitlines() if "| figures: line " in r]
    assert len(given) == 12, dozen
    count = int(out.split(" values still Nanchuan")[0].rsplit(" ", 1)[1])
    assert count < count_before
    # a level the figures leave out stays the template's, and is listed as such
    assert "| `benefits.uebmi.inpatient.deductible (community, out_of_area)` |" in report
    assert (
        "`parameters.benefits.uebmi.inpatient.ratio.retired`" in report.split("## ASSUMPTIONS")[1]
    )


@pytest.mark.parametrize(
    ("policy", "line", "said"),
    [
        ("local_policy:\n  uebmi_employer_rate: 8\n", 16, "local_policy.uebmi_employer_rate: 8 is not a share (比例应为小数) (write 0.08 for 8%)"),
        ("local_policy:\n  uebmi_emploer_rate: 0.08\n", 16, "local_policy.uebmi_emploer_rate: unknown figure 'uebmi_emploer_rate' (未知项目) (did you mean 'uebmi_employer_rate'?)"),
        ("local_policy:\n  urrbmi_inpatient: {ratio: {level4: 0.5}}\n", 16, "local_policy.urrbmi_inpatient.ratio.level4: unknown hospital level"),
        ("local_policy:\n  account_reform_date: 2023\n", 16, "local_policy.account_reform_date: 2023 is not a date"),
        ("local_policy:\n  urrbmi_premium: {2023: 380万}\n", 16, "local_policy.urrbmi_premium.2023: '380万' is not a number"),
        ("local_policy:\n  critical_illness_premium: 65\nrules:\n  benefits:\n    urrbmi:\n      critical_illness:\n"
         "        premium: {value: 70, source: x}\n", 21,
         "rules.benefits.urrbmi.critical_illness.premium: benefits.urrbmi.critical_illness.premium is also given by "
         "local_policy.critical_illness_premium on line 16"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_said_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: str, line: int, said: str
) -> None:
    code, _, err = run(tmp_path, BULLETIN + policy, capsys)
    assert code == 2, err
    assert f"figures.yaml:{line}: error: {said}" in err, err
    assert "Traceback" not in err and not (tmp_path / "town").exists()


def test_template_values_are_classed_by_their_sources() -> None:
    from fundsim.scenario.initreport import NANCHUAN, NATIONAL, template_values

    values, uncertain = template_values()
    kinds = {v.path: v.kind for v in values}
    for path in ("population.uebmi_entry", "contributions.uebmi.employer_rate",
                 "contributions.uebmi.account_reform", "benefits.urrbmi.critical_illness.premium",
                 "benefits.uebmi.inpatient.deductible"):  # fmt: skip
        assert kinds[path] == NANCHUAN, path
    for path in ("contributions.uebmi.employee_rate", "contributions.urrbmi.fiscal_subsidy",
                 "contributions.urrbmi.individual_premium", "care.length_of_stay"):  # fmt: skip
        assert kinds[path] == NATIONAL, path
    assert all(v.leaves for v in values)  # every template value holds parameters of the catalogue
    assert uncertain


# --- today's figures files still make today's region ------------------------------------------------


def test_todays_example_builds_the_region_main_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The EXAMPLE of c76414f, as written by main's init (tests/e2e/init_main/): the same
    history, population and figures; the baseline differs only by the national wage (the full
    NBS series up to the data year: 2024's base is 2023's published wage, where main grew
    2023's by wage_growth; the years start at the first history year, 2021), then the rules of
    issue 29: the wage goes on at its mean growth of the four years up to the data year (with
    its range), and the calibration fits the residents' cost level, the cost trend and the
    level of the flow into employment (no longer the under-25s' rate alone), and a region of
    more than 300,000 insured is simulated as a weighted sample of that many, and the nation's
    epidemic years up to the data year are written (ordinary use from 2023); init.md is new."""
    from fundsim.cli.history import EXAMPLE

    (tmp_path / "ex-figures.yaml").write_bytes((MAIN / "example-figures.yaml").read_bytes())
    code, _, err = run(tmp_path, "", capsys, "init", "ex", "--figures", "ex-figures.yaml")
    assert code == 0, err
    ex = tmp_path / "ex"
    assert (ex / "calibration" / "history.csv").read_bytes() == (MAIN / "history.csv").read_bytes()
    population = (ex / "calibration" / "population.csv").read_text(encoding="utf-8")
    assert population.startswith((MAIN / "population-head.csv").read_text(encoding="utf-8"))
    old = (MAIN / "baseline.yaml").read_text(encoding="utf-8").splitlines()[1:]  # after the date
    new = (ex / "scenarios" / "baseline.yaml").read_text(encoding="utf-8").splitlines()[1:]
    changed = [x for x in difflib.ndiff(old, new) if x[:2] in ("- ", "+ ")]
    assert changed == [
        "-         '2020-01-01': 90501.0",
        "+         '2024-01-01': 120698.0",
        "-         before (shared/data/average_wage_2018_2022.csv); give the local one in figures.yaml; then it grows",
        "-         by economy.wage_growth'",
        "+         before (data/national_average_wage.csv, NBS; years up to the data year 2023 only); give the local",
        "+         one in figures.yaml; then it grows by economy.wage_growth'",
        "+     wage_growth:",
        "+       value: 0.0742",
        "+       source: 'DERIVED (fundsim init): the average wage''s mean yearly growth 2020-2023 (DEFAULT (fundsim",
        "+         init): the national average wage of urban non-private units of the year before (data/national_average_wage.csv,",
        "+         NBS), held on after the data year'",
        "+   population:",
        "+     sample:",
        "+       value: 0.124",
        "+       source: 'fundsim init: a weighted sample of about 300,000 of the region''s 2,410,000 insured, so",
        "+         that calibrate and run take minutes (ASSUMPTION: the sampling error it adds is part of the runs''",
        "+         spread; rules.population.sample: 1 simulates everyone)'",
        "+   care:",
        "+     utilisation:",
        "+       values:",
        "+         '2020-01-01': 0.897",
        "+         '2021-01-01': 0.927",
        "+         '2022-01-01': 0.94",
        "+         '2023-01-01': 1.0",
        "+       source: 'DERIVED (fundsim init): the nation''s epidemic years 2020-2022 (data/national_epidemic_utilisation.csv,",
        "+         years up to the data year 2023 only; ASSUMPTION: the region''s epidemic years are the nation''s)'",
        "+ uncertainty:",
        "+   economy.wage_growth:",
        "+     distribution: triangular",
        "+     low: 0.0442",
        "+     mode: 0.0742",
        "+     high: 0.1042",
        "+     source: 'the average wage''s mean yearly growth 2020-2023, ±3.0%: the widest gap between a year''s",
        "+       national wage growth and its mean growth of the 4 years before, 2015-2023, was 2022''s -2.8% (data/national_average_wage.csv);",
        "+       at least ±3% (ASSUMPTION)'",
        "-     population.uebmi_entry.under_25:",
        "+     population.uebmi_entry_level:",
        "+       low: 0.2",
        "+       high: 3.0",
        "+       source: 'the flow into employment of every age band, from a fifth to three times the template''s",
        "+         (ASSUMPTION range; issue 29: fitting the under-25s alone left the employees'' membership 2-3%",
        "+         a year too low out of sample)'",
        "+     care.urrbmi_cost_level:",
        "+       low: 0.4",
        "+       high: 2.5",
        "+       source: 'the residents'' cost per case relative to the employees'', fitted apart: the template''s",
        "+         tables are Nanchuan''s and a region''s schemes differ (ASSUMPTION range)'",
        "+     care.cost_trend:",
        "-       low: 0.005",
        "+       low: -0.05",
        "-       high: 0.1",
        "+       high: 0.15",
        "-       source: from a seventh to twice and a half the template's rate (ASSUMPTION)",
        "+       source: the recent years' growth of spending per case, fitted over the window (2014-2025 national",
        "+         cost per case moved -3.7% to +6% a year, NHSA bulletins; ASSUMPTION range)",
    ], changed
    assert sorted(p.name for p in ex.rglob("*") if p.is_file()) == sorted(
        ["admission_rates.csv", "baseline.yaml", "defaults.yaml", "fertility.csv", "figures.yaml",
         "fundsim.toml", "history.csv", "init.md", "mortality.csv", "population.csv"]
    )  # fmt: skip
    # today's EXAMPLE only adds comments: it builds the same region
    (tmp_path / "now.yaml").write_text(EXAMPLE, encoding="utf-8")
    code, _, err = run(tmp_path, "", capsys, "init", "now", "--figures", "now.yaml")
    assert code == 0, err
    for name in (
        "calibration/history.csv",
        "calibration/population.csv",
        "scenarios/baseline.yaml",
    ):
        a = (ex / name).read_text(encoding="utf-8").replace("ex-figures.yaml", "F").split()
        b = (tmp_path / "now" / name).read_text(encoding="utf-8").replace("now.yaml", "F").split()
        assert a == b, name  # the same words (YAML wraps a longer file name elsewhere)


def test_the_national_series_shipped_are_the_data_folders() -> None:
    for name in ("national_uebmi_active_retired.csv", "national_uebmi_balances.csv",
                 "national_average_wage.csv", "national_epidemic_utilisation.csv"):  # fmt: skip
        shipped = ROOT / "src" / "fundsim" / "templates" / name
        assert shipped.read_bytes() == (ROOT / "data" / name).read_bytes(), name
        for row in rows(shipped):
            assert row["source"].strip(), (name, row["year"])


def test_the_examples_local_policy_uncommented_gives_the_dozen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The form documents the dozen as comments: uncommented, they are a valid local_policy."""
    from fundsim.cli.history import EXAMPLE

    lines = EXAMPLE.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("# local_policy:"))
    end = next(i for i, x in enumerate(lines) if x.startswith("# rules:"))
    block = [x[2:] for x in lines[start:end]]
    assert len(block) > 10
    code, out, err = run(tmp_path, EXAMPLE + "\n".join(block) + "\n", capsys)
    assert code == 0, err
    report = (tmp_path / "town" / "init.md").read_text(encoding="utf-8")
    dozen = report.split("## 医保局掌握的主要政策")[1].split("\n## ")[0]
    assert sum(1 for r in dozen.splitlines() if "| figures: line " in r) == 12, dozen
    assert not [a for a in out.splitlines() if "ratio_retired" in a]  # given: nothing assumed
