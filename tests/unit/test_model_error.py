"""The model error a calibrated scenario carries (issue 29): the corpus's template read, each
shock's own sigma widened by the variance the template says it lacks, the membership error
drawn unless the scenario draws it; the shipped template is readable and sourced."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fundsim.calibration.modelerror import MEMBERS, TEMPLATE, additions, read_template


def test_each_shock_is_widened_from_the_scenarios_own_sigma(tmp_path: Path) -> None:
    path = tmp_path / "model_error.yaml"
    path.write_text(
        "source: test corpus\nextra_variance: {care.cost_shock_sigma: 0.01, "
        "economy.wage_shock_sigma: 0.0}\nmembers_sd: 0.012\n",
        encoding="utf-8",
    )
    template = read_template(path)
    assert template is not None
    own = {"care.cost_shock_sigma": 0.03, "economy.wage_shock_sigma": 0.015}
    parameters, drawn = additions(own, set(), template)
    assert math.isclose(
        parameters["care.cost_shock_sigma"]["value"], math.sqrt(0.03**2 + 0.01), abs_tol=1e-4
    )
    assert "economy.wage_shock_sigma" not in parameters  # nothing lacking: left as it is
    assert drawn[MEMBERS] == {
        "distribution": "normal",
        "mean": 0.0,
        "sd": 0.012,
        "source": "test corpus",
    }
    _, none = additions(own, {MEMBERS}, template)
    assert none == {}  # a scenario that draws it already keeps its own draw
    assert additions(own, set(), None) == ({}, {})


def test_a_template_naming_an_unknown_shock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model_error.yaml"
    path.write_text("extra_variance: {care.typo_sigma: 0.01}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown shocks"):
        read_template(path)


def test_the_shipped_template_is_readable_and_sourced() -> None:
    template = read_template(TEMPLATE)
    assert template is not None, "scripts/evaluate_corpus.py writes it"
    assert "evaluation corpus" in template.source and template.members_sd >= 0
    assert all(v >= 0 for v in template.extra.values())
    # what the corpus measured: the funds' spending lacks spread the runs do not give (the
    # members' term may be 0 once the regions draw their own drift)
    assert template.extra["care.cost_shock_sigma"] > 0


def test_a_regions_own_membership_drift_is_widened_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "model_error.yaml"
    path.write_text(
        "source: test corpus\nextra_variance: {}\nmembers_sd: 0.012\n", encoding="utf-8"
    )
    template = read_template(path)
    _, drawn = additions({}, {MEMBERS}, template, members_sd=0.005)
    assert drawn[MEMBERS]["sd"] == pytest.approx(math.hypot(0.005, 0.012), abs=1e-5)
    assert drawn[MEMBERS]["source"].startswith("the scenario's 0.005 widened by the model error")


def test_the_membership_drift_is_the_spread_of_the_insureds_yearly_growth() -> None:
    """init's draw of population.migration_error: the sd of each scheme's yearly log growth
    over its last five years to the data year (employees' total before their parts), pooled
    as the root mean of the variances; none with fewer than three growth rates."""
    import numpy as np

    from fundsim.scenario.regionplan import members_drift

    employees = {2016: 100.0, 2017: 103.0, 2018: 104.0, 2019: 108.0, 2020: 108.5, 2021: 112.0}
    residents = {2017: 500.0, 2018: 495.0, 2019: 497.0, 2020: 480.0, 2021: 482.0}
    rows = [(y, "uebmi", "insured", str(v), "s") for y, v in employees.items()]
    rows += [(y, "urrbmi_pool", "insured", str(v), "s") for y, v in residents.items()]
    rows += [(2021, "uebmi", "insured_active", "80", "s")]  # the parts beside the total: unused
    drift = members_drift(rows, 2021)
    assert drift is not None and drift["mean"] == 0.0
    var = [
        np.var(np.diff(np.log([s[y] for y in sorted(s)][-6:])), ddof=1)
        for s in (employees, residents)
    ]
    assert drift["sd"] == pytest.approx(math.sqrt(np.mean(var)), abs=1e-5)
    assert "uebmi 2016-2021" in drift["source"] and "urrbmi 2017-2021" in drift["source"]
    assert members_drift(rows[:3], 2021) is None  # three years: two growth rates


def test_the_employees_parts_count_only_in_years_that_give_both() -> None:
    from fundsim.scenario.regionplan import members_drift

    rows = [
        (y, "uebmi", "insured_active", str(100 + 3 * (y - 2017)), "s") for y in range(2017, 2022)
    ]
    rows += [(y, "uebmi", "insured_retired", "40", "s") for y in range(2019, 2022)]  # 3 years
    assert members_drift(rows, 2021) is None  # 2019-2021: two growth rates, not three
    rows += [(y, "uebmi", "insured_retired", "40", "s") for y in (2017, 2018)]
    drift = members_drift(rows, 2021)
    assert drift is not None and "uebmi 2017-2021" in drift["source"]


def test_the_cost_shock_is_the_spread_of_the_spendings_yearly_growth() -> None:
    """init's care.cost_shock_sigma: the sd of each scheme's spending's yearly log growth over
    its last five years, pooled as the root mean of the variances, over √2 (a yearly level
    multiplier moves the growth by √2 of its sigma), never below the catalogue's; the basic
    total where no scheme gives four years running; none with fewer."""
    import numpy as np

    from fundsim.scenario.regionplan import spending_shock

    employees = {2016: 100.0, 2017: 112.0, 2018: 115.0, 2019: 131.0, 2020: 129.0, 2021: 140.0}
    residents = {2018: 300.0, 2019: 330.0, 2020: 320.0, 2021: 360.0}
    rows = [(y, "uebmi", "expenditure", str(v), "s") for y, v in employees.items()]
    rows += [(y, "urrbmi_pool", "expenditure", str(v), "s") for y, v in residents.items()]
    rows += [(y, "total", "expenditure", str(v * 9), "s") for y, v in employees.items()]
    shock = spending_shock(rows, 2021, 0.015)
    assert shock is not None
    var = [np.var(np.diff(np.log(list(s.values()))), ddof=1) for s in (employees, residents)]
    assert shock["value"] == pytest.approx(math.sqrt(np.mean(var) / 2), abs=1e-4)
    assert "uebmi 2016-2021" in shock["source"] and "urrbmi_pool 2018-2021" in shock["source"]
    # the schemes with gaps: the basic total's
    gappy = [r for r in rows if r[1] != "uebmi" or r[0] in (2016, 2018, 2021)]
    gappy = [r for r in gappy if r[1] != "urrbmi_pool" or r[0] != 2019]
    shock = spending_shock(gappy, 2021, 0.015)
    assert shock is not None and "total 2016-2021" in shock["source"]
    # a steady history: the catalogue's floor; three years: none
    steady = [
        (y, "uebmi", "expenditure", str(100 * 1.05 ** (y - 2016)), "s") for y in range(2016, 2022)
    ]
    assert spending_shock(steady, 2021, 0.015)["value"] == 0.015  # type: ignore[index]
    assert spending_shock(rows[:3], 2021, 0.015) is None


def test_init_md_says_the_spreads_sized_from_the_history(tmp_path: Path) -> None:
    """A region with five years of history: init.md names the cost shock, the members' drift
    and the wage range it sized from them, with the values the baseline holds."""
    import yaml

    from fundsim.evaluation.rolling import CorpusRegion, figures_at
    from fundsim.scenario.newregion import init_region

    root = Path(__file__).resolve().parents[2]
    region = CorpusRegion.read(root / "calibration" / "corpus" / "tianjin")
    figures = tmp_path / "figures.yaml"
    figures.write_text(
        yaml.safe_dump(figures_at(region, 2021), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    init_region(tmp_path / "tj", figures)
    baseline = yaml.safe_load(
        (tmp_path / "tj" / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    )
    sigma = baseline["parameters"]["care"]["cost_shock_sigma"]["value"]
    drift = baseline["uncertainty"]["population.migration_error"]["sd"]
    line = next(
        x
        for x in (tmp_path / "tj" / "init.md").read_text(encoding="utf-8").splitlines()
        if x.startswith("- uncertainty sized from the history")
    )
    assert f"care.cost_shock_sigma {sigma:.1%}" in line and sigma > 0.015
    assert f"population.migration_error sd {drift:.2%}" in line
    assert "wage growth 工资增长率" in line
    # the epidemic years known at the end of 2021, as the baseline holds them: 2021's held
    epidemic = baseline["parameters"]["care"]["utilisation"]
    line = next(
        x
        for x in (tmp_path / "tj" / "init.md").read_text(encoding="utf-8").splitlines()
        if x.startswith("- epidemic years 疫情年份")
    )
    for date, value in epidemic["values"].items():
        assert f"{str(date)[:4]} {value:g}" in line
    assert max(str(d)[:4] for d in epidemic["values"]) == "2021" and "(held 延续)" in line
