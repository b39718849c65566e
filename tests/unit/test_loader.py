from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from fundsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """These scenarios live in a temporary folder and extend the repository's baseline:
    allowed explicitly, as a user would with --allow-outside."""
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def write(tmp_path: Path, name: str, text: str) -> Path:
    file = tmp_path / name
    file.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return file


def head(name: str = "t") -> str:
    return f"extends: {BASELINE}\nname: {name}\ntitle: {{zh: 测试, en: test}}\n"


def test_baseline_resolves_every_parameter() -> None:
    scenario = load_scenario(BASELINE)
    at_start = scenario.tree.at(scenario.horizon.start)
    assert at_start["benefits.urrbmi.inpatient.ratio.level3"] == 0.65
    assert at_start["contributions.urrbmi.individual_premium"] == 320  # 2021 value
    assert at_start["reporting.reserve_zones.target_low"] == 6.0  # catalogue default
    assert scenario.tree.at(dt.date(2030, 6, 1))["population.retirement_age.male"] == pytest.approx(
        61.1
    )
    assert scenario.warnings == []


def test_bounded_range_is_an_exception_on_top_of_open_changes(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + textwrap.dedent("""
        policy:
          payment.drg.share:
            2023-01-01.2023-12-31: 0.5
            2022-01-01: 0.3
            2025-01-01: 0.7
        """),
    )
    tree = load_scenario(file).tree
    share = lambda y, m=6: tree.at(dt.date(y, m, 1))["payment.drg.share"]  # noqa: E731
    assert [share(2021), share(2022), share(2023), share(2024), share(2025)] == [
        0.0,
        0.3,
        0.5,
        0.3,
        0.7,
    ]
    assert tree.at(dt.date(2024, 1, 1))["payment.drg.share"] == 0.3


def test_extends_list_applies_files_in_order_each_once(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", head("a") + "policy:\n  payment.drg.share: {2022-01-01: 0.3}\n")
    write(tmp_path, "b.yaml", head("b") + "policy:\n  payment.drg.share: {2022-01-01: 0.6}\n")
    both = write(
        tmp_path, "ab.yaml", "extends: [a.yaml, b.yaml]\nname: ab\ntitle: {zh: 甲乙, en: ab}\n"
    )
    scenario = load_scenario(both)
    assert [p.name for p in scenario.files] == ["baseline.yaml", "a.yaml", "b.yaml", "ab.yaml"]
    assert scenario.tree.at(dt.date(2023, 1, 1))["payment.drg.share"] == 0.6  # the later file wins
    reverse = write(
        tmp_path, "ba.yaml", "extends: [b.yaml, a.yaml]\nname: ba\ntitle: {zh: 乙甲, en: ba}\n"
    )
    assert load_scenario(reverse).tree.at(dt.date(2023, 1, 1))["payment.drg.share"] == 0.3


def test_child_parameters_replace_baseline_values_with_their_origin(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head() + "parameters:\n  finance:\n    interest_rate: {value: 0.02, source: test}\n",
    )
    scenario = load_scenario(file)
    step = scenario.tree.timeline("finance.interest_rate").step_at(dt.date(2021, 1, 1))
    assert step.value == 0.02 and step.origin.file.endswith("s.yaml") and step.origin.line == 6


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + textwrap.dedent("""
        policy:
          payment.drg.share: {2022-01-01: 2}
          payment.drg.shares: {2022-01-01: 0.2}
          settlement.lag_days: {2040-01-01: 20}
        """),
    )
    with pytest.raises(ScenarioError) as raised:
        load_scenario(file)
    messages = [d.message for d in raised.value.errors]
    assert len(messages) == 3
    assert any("outside [0, 1]" in m for m in messages)
    assert any("unknown parameter" in m for m in messages)
    assert any("outside the horizon" in m for m in messages)


def test_suspicious_values_are_warnings_not_errors(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head() + "policy:\n  benefits.uebmi.inpatient.ratio.active.level3: {2023-01-01: 0.95}\n",
    )
    scenario = load_scenario(file)
    [warning] = [w for w in scenario.warnings if "level-3 ratio" in w.message]
    assert warning.line == 5 and "(from 2023-01-01)" in warning.message


def test_unsourced_baseline_value_is_warned(tmp_path: Path) -> None:
    file = write(tmp_path, "s.yaml", head() + "parameters:\n  finance:\n    interest_rate: 0.02\n")
    [warning] = load_scenario(file).warnings
    assert "no source" in warning.message and warning.path == "parameters.finance.interest_rate"


def test_scenario_hash_covers_chain_and_region_data() -> None:
    one = load_scenario(ROOT / "scenarios" / "nanchuan" / "drg.yaml")
    two = load_scenario(ROOT / "scenarios" / "nanchuan" / "procurement.yaml")
    assert len(one.sha256) == 64 and one.sha256 != two.sha256
    assert set(one.region_files) == {
        "population",
        "mortality",
        "admission_rates",
        "fertility",
        "history",
    }


# --- then: rules (issue 13, item 1) --------------------------------------------------------

SUBSIDY = "contributions.urrbmi.fiscal_subsidy"
PREMIUM = "contributions.urrbmi.individual_premium"


def test_a_baseline_value_continues_by_its_rule(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + "parameters:\n  contributions:\n    source: test\n    urrbmi:\n      fiscal_subsidy:\n"
        + "        values: {2021-01-01: 580, 2025-01-01: 700}\n        then: {grow: 0.05}\n",
    )
    tree = load_scenario(file).tree
    assert tree.value(SUBSIDY, dt.date(2025, 6, 1)) == 700
    assert tree.value(SUBSIDY, dt.date(2027, 3, 1)) == pytest.approx(700 * 1.05**2)
    step = tree.timeline(SUBSIDY).step_at(dt.date(2030, 1, 1))
    assert (
        step.origin.role == "rule" and step.origin.line == 10 and "grow 0.05" in step.origin.label
    )


def test_a_policy_rule_steps_and_then_none_stops_an_inherited_one(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + f"policy:\n  {PREMIUM}:\n    source: test\n    2026-01-01: 420\n    then: {{step: 30}}\n",
    )
    tree = load_scenario(file).tree
    assert [tree.value(PREMIUM, dt.date(y, 1, 1)) for y in (2026, 2027, 2030)] == [420, 450, 540]
    child = write(
        tmp_path,
        "c.yaml",
        f"extends: s.yaml\nname: c\ntitle: {{zh: 子, en: child}}\n"
        f"policy:\n  {PREMIUM}:\n    source: test\n    2028-01-01: 500\n",
    )
    carried = load_scenario(child).tree  # the rule carries on from the new value
    assert carried.value(PREMIUM, dt.date(2030, 1, 1)) == 560
    frozen = write(
        tmp_path,
        "f.yaml",
        f"extends: s.yaml\nname: f\ntitle: {{zh: 冻结, en: frozen}}\n"
        f"policy:\n  {PREMIUM}:\n    source: test\n    2028-01-01: 500\n    then: none\n",
    )
    assert load_scenario(frozen).tree.value(PREMIUM, dt.date(2035, 1, 1)) == 500


def test_a_bounded_range_restores_the_rule(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "s.yaml",
        head() + f"policy:\n  {PREMIUM}: {{source: test, 2026-01-01: 420, then: {{step: 30}}}}\n",
    )
    pause = write(
        tmp_path,
        "p.yaml",
        f"extends: s.yaml\nname: p\ntitle: {{zh: 暂停, en: pause}}\n"
        f"policy:\n  {PREMIUM}: {{source: test, 2028-01-01.2029-12-31: 400}}\n",
    )
    before, after = load_scenario(base).tree, load_scenario(pause).tree
    assert after.value(PREMIUM, dt.date(2029, 6, 1)) == 400
    for year in (2030, 2033, 2035):
        assert after.value(PREMIUM, dt.date(year, 1, 1)) == before.value(
            PREMIUM, dt.date(year, 1, 1)
        )


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            f"{PREMIUM}: {{source: t, 2026-01-01: 420, then: {{grow: 0.5}}}}",
            "a yearly growth of 0.5 is outside [-0.3, 0.3]",
        ),
        (
            f"{PREMIUM}: {{source: t, 2026-01-01: 420, then: {{rise: 3}}}}",
            "a rule is one of grow or step",
        ),
        (f"{PREMIUM}: {{source: t, 2026-01-01: 420, then: {{step: '30'}}}}", "step takes a number"),
        (
            f"{PREMIUM}: {{source: t, 2026-01-01.2027-12-31: 420, then: {{step: 30}}}}",
            "this entry has none",
        ),
        (
            "settlement.lag_days: {source: t, 2026-01-01: 20, then: {step: 1}}",
            "a count cannot continue by a rule",
        ),
        (
            "benefits.urrbmi.inpatient.ratio.level3: {source: t, 2026-01-01: 0.7, then: {step: 0.05}}",
            "the rule takes benefits.urrbmi.inpatient.ratio.level3 to 1.05 by 2033",
        ),
        (
            "benefits.medical_assistance.budget: {source: t, 2026-01-01: 1.0e+7, then: {index: wages}}",
            "no series 'wages' to index to",
        ),
        (
            "benefits.urrbmi.inpatient.ratio.level3: {source: t, 2026-01-01: 0.7, then: {index: wage}}",
            "only an amount of money can be indexed",
        ),
    ],
)
def test_a_bad_rule_is_a_located_error(tmp_path: Path, policy: str, message: str) -> None:
    file = write(tmp_path, "s.yaml", head() + f"policy:\n  {policy}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert any(message in d.message and d.line == 5 for d in caught.value.errors), caught.value


BUDGET = "benefits.medical_assistance.budget"


def test_an_indexed_value_follows_its_series_in_every_run(tmp_path: Path) -> None:
    from fundsim.parameters import Origin

    file = write(
        tmp_path,
        "s.yaml",
        head()
        + f"policy:\n  {BUDGET}: {{source: t, 2022-01-01: 18000000, then: {{index: wage}}}}\n"
        + f"  {SUBSIDY}: {{source: t, 2025-01-01: 700, then: {{index: inpatient_cost}}}}\n",
    )
    scenario = load_scenario(file)
    tree = scenario.tree
    wage = tree.value("economy.wage_growth", dt.date(2025, 1, 1))
    assert tree.value(BUDGET, dt.date(2025, 1, 1)) == pytest.approx(18e6 * (1 + wage) ** 3)
    cost = (1 + tree.value("care.cost_trend", dt.date(2026, 1, 1))) * (
        1 + tree.value("care.admission_trend", dt.date(2026, 1, 1))
    )
    assert tree.value(SUBSIDY, dt.date(2027, 1, 1)) == pytest.approx(700 * cost**2)
    # a run's draw of the series moves the indexed value with it
    drawn = tree.with_values({"economy.wage_growth": 0.10}, Origin("draw", "t", 0))
    assert drawn.value(BUDGET, dt.date(2025, 1, 1)) == pytest.approx(18e6 * 1.1**3)
    assert tree.value(BUDGET, dt.date(2025, 1, 1)) == pytest.approx(18e6 * (1 + wage) ** 3)


def test_an_unknown_series_suggests_the_nearest(tmp_path: Path) -> None:
    policy = f"{BUDGET}: {{source: t, 2026-01-01: 1.0e+7, then: {{index: wages}}}}"
    file = write(tmp_path, "s.yaml", head() + f"policy:\n  {policy}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert any("did you mean 'wage'" in d.hint for d in caught.value.errors), caught.value


def test_a_rules_growth_is_drawn_once_per_run(tmp_path: Path) -> None:
    from fundsim.ensemble.sampling import draw_inputs
    from fundsim.parameters import Origin

    file = write(
        tmp_path,
        "s.yaml",
        head()
        + f"policy:\n  {SUBSIDY}: {{source: t, 2025-01-01: 700, then: {{grow: 0.05}}}}\n"
        + f"uncertainty:\n  {SUBSIDY}.then: {{distribution: uniform, low: 0.03, high: 0.07, source: t}}\n",
    )
    scenario = load_scenario(file)
    draws = [draw_inputs(scenario, 1, run)[f"{SUBSIDY}.then"] for run in range(20)]
    assert all(0.03 <= d <= 0.07 for d in draws) and len(set(draws)) == 20
    tree = scenario.tree.with_values({f"{SUBSIDY}.then": draws[0]}, Origin("draw", "t", 0))
    assert tree.value(SUBSIDY, dt.date(2030, 1, 1)) == pytest.approx(700 * (1 + draws[0]) ** 5)
    assert scenario.tree.value(SUBSIDY, dt.date(2030, 1, 1)) == pytest.approx(700 * 1.05**5)


@pytest.mark.parametrize(
    ("then", "draw", "message"),
    [
        (
            ", then: none",
            "{distribution: uniform, low: 0.03, high: 0.07}",
            "has no then: rule with a growth or step to draw",
        ),
        (
            ", then: {grow: 0.05}",
            "{distribution: normal, mean: 0.05, sd: 0.01}",
            "drawn from a bounded distribution only",
        ),
        (
            ", then: {grow: 0.05}",
            "{distribution: uniform, low: 0.0, high: 0.5}",
            "outside the yearly growth a rule may have",
        ),
    ],
)
def test_a_bad_rule_draw_is_a_located_error(
    tmp_path: Path, then: str, draw: str, message: str
) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + f"policy:\n  {SUBSIDY}: {{source: t, 2025-01-01: 700{then}}}\n"
        + f"uncertainty:\n  {SUBSIDY}.then: {draw}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert any(message in d.message and d.line == 7 for d in caught.value.errors), caught.value


def test_an_inherited_rule_draw_is_not_drawn_where_the_scenario_stops_the_rule(
    tmp_path: Path,
) -> None:
    """The baseline draws the subsidy's growth; a stress scenario that stops the rule
    (then: none) is valid and has no such draw; every other draw is unchanged."""
    from fundsim.ensemble.sampling import draw_inputs

    file = write(
        tmp_path,
        "s.yaml",
        head() + f"policy:\n  {SUBSIDY}: {{source: t, 2025-01-01: 700, then: none}}\n",
    )
    frozen, baseline = load_scenario(file), load_scenario(BASELINE)
    assert f"{SUBSIDY}.then" in baseline.uncertainty
    assert f"{SUBSIDY}.then" not in frozen.uncertainty
    a, b = draw_inputs(frozen, 3, 1), draw_inputs(baseline, 3, 1)
    assert {k: v for k, v in b.items() if k != f"{SUBSIDY}.then"} == a


# --- a value on the horizon's first day, checked on the values in the end -----------------


def test_a_first_value_after_the_horizon_starts_is_refused_where_it_is_written(
    tmp_path: Path,
) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + "parameters:\n  contributions:\n    source: test\n    urrbmi:\n      fiscal_subsidy:\n"
        + "        values: {2022-01-01: 610}\n",
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(file)
    (d,) = [d for d in error.value.diagnostics if "after the horizon starts" in d.message]
    assert d.file.endswith("s.yaml") and d.line == 9  # the first date written
    assert d.path == f"parameters.{SUBSIDY}"


def test_a_longer_horizon_is_valid_when_the_extending_file_dates_the_earlier_years(
    tmp_path: Path,
) -> None:
    dated = "values: {2015-01-01: 380, 2016-01-01: 420}"
    text = (
        head()
        + "horizon: {start: 2015-01-01, end: 2024-12-31}\n"
        + "parameters:\n  economy:\n    average_wage: {values: {2015-01-01: 56360}, source: test}\n"
        + "  contributions:\n    source: test\n"
        + "    uebmi:\n      account_reform: {values: {2015-01-01: false}}\n"
        + "      employer_rate: {values: {2015-01-01: 0.068}}\n"
        + f"    urrbmi:\n      fiscal_subsidy: {{{dated}}}\n"
        + "      individual_premium: {values: {2015-01-01: 120}}\n"
    )
    scenario = load_scenario(write(tmp_path, "s.yaml", text))
    assert scenario.tree.value(SUBSIDY, dt.date(2015, 6, 1)) == 380
    # the baseline's 2016 start is not an error once this file gives 2015
    partial = text.replace("      individual_premium: {values: {2015-01-01: 120}}\n", "")
    with pytest.raises(ScenarioError) as error:
        load_scenario(write(tmp_path, "p.yaml", partial))
    (d,) = [d for d in error.value.diagnostics if d.severity == "error"]
    assert PREMIUM in d.path and d.file.endswith("baseline.yaml")


# --- a value given over an inherited draw --------------------------------------------------


def test_a_value_over_an_inherited_draw_is_warned_and_none_holds_it(tmp_path: Path) -> None:
    """The baseline draws care.cost_level; a file that sets it is told its value is replaced
    by the draw in every run, and `uncertainty: {PATH: none}` holds the value."""
    given = head() + "parameters:\n  care:\n    cost_level: {value: 1.2, source: test}\n"
    scenario = load_scenario(write(tmp_path, "s.yaml", given))
    (warning,) = [w for w in scenario.warnings if "replaced in every run" in w.message]
    assert warning.file.endswith("s.yaml") and warning.line == 6
    assert "uncertainty: {care.cost_level: none}" in warning.hint
    assert "care.cost_level" in scenario.uncertainty
    held = load_scenario(
        write(tmp_path, "h.yaml", given + "uncertainty:\n  care.cost_level: none\n")
    )
    assert "care.cost_level" not in held.uncertainty and held.warnings == []
    assert held.tree.value("care.cost_level", held.horizon.start) == 1.2
    stray = load_scenario(
        write(tmp_path, "n.yaml", head() + "uncertainty:\n  care.tcm_share: none\n")
    )
    assert any("no file before this one draws" in w.message for w in stray.warnings)


def test_one_value_sets_a_group_by_level_or_status_in_parameters_and_policy(
    tmp_path: Path,
) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + textwrap.dedent("""
        parameters:
          benefits:
            uebmi:
              outpatient:
                ratio:
                  active: {value: 0.6, source: test}
                  retired: {community: 0.9, level1: 0.8, level2: 0.7, level3: 0.65, source: test}
        policy:
          benefits.urrbmi.outpatient.ratio:
            2024-01-01: 0.55
        """),
    )
    tree = load_scenario(file).tree
    before, after = tree.at(dt.date(2023, 6, 1)), tree.at(dt.date(2024, 6, 1))
    levels = ("community", "level1", "level2", "level3")
    assert [before[f"benefits.uebmi.outpatient.ratio.active.{lv}"] for lv in levels] == [0.6] * 4
    assert before["benefits.uebmi.outpatient.ratio.retired.level3"] == 0.65
    assert [after[f"benefits.urrbmi.outpatient.ratio.{lv}"] for lv in levels] == [0.55] * 4
    assert before["benefits.urrbmi.outpatient.ratio.level1"] != 0.55


def test_one_value_for_a_group_of_different_quantities_is_an_error(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head() + "policy:\n  benefits.urrbmi.outpatient:\n    2024-01-01: 0.5\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    text = str(caught.value)
    assert "is a group of parameters, not one parameter" in text
    assert "by level or status" in text


def test_a_policy_change_without_a_source_is_warned_like_a_parameter(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head() + "policy:\n"
        "  payment.drg.share: {2022-01-01: 0.3, 2023-01-01: {value: 0.4, source: notice}}\n"
        "  settlement.lag_days: {source: notice 2, 2022-01-01: 30}\n",
    )
    scenario = load_scenario(file)
    (warning,) = scenario.warnings
    assert (warning.line, warning.path) == (5, "policy.payment.drg.share.2022-01-01")
    assert warning.message == "no source given for this value"


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ("{source: '', 2022-01-01: 0.3}", "policy.payment.drg.share.source", "source is empty"),
        ("{source: '  ', 2022-01-01: 0.3}", "policy.payment.drg.share.source", "source is empty"),
        ("{source: 5, 2022-01-01: 0.3}", "policy.payment.drg.share.source", "must be text"),
        (
            "{2022-01-01: {value: 0.3, source: [a]}}",
            "policy.payment.drg.share.2022-01-01.source",
            "must be text",
        ),
    ],
)
def test_a_policy_source_that_says_nothing_is_refused(
    tmp_path: Path, entry: str, path: str, message: str
) -> None:
    file = write(tmp_path, "s.yaml", head() + f"policy:\n  payment.drg.share: {entry}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    (error,) = caught.value.errors
    assert (error.line, error.path) == (5, path) and message in error.message, error


@pytest.mark.parametrize(
    ("entry", "path", "message", "hint"),
    [
        (
            "{distribution: uniform, low: 0.05, high: 0.01}",
            "uncertainty.care.cost_trend",
            "low (0.05) must be below high (0.01)",
            "",
        ),
        (
            "{distribution: uniform, low: .nan, high: 0.05}",
            "uncertainty.care.cost_trend.low",
            "nan is not a finite number",
            "",
        ),
        (
            "{distribution: uniform, low: 0.01, high: 0.05, mode: 0.02}",
            "uncertainty.care.cost_trend.mode",
            "unknown key 'mode'",
            "valid: distribution, high, low, source",
        ),
        (
            "{distribution: normal, mean: 0.03, sd: 0}",
            "uncertainty.care.cost_trend.sd",
            "0 should be greater than 0",
            "",
        ),
        ("~", "uncertainty.care.cost_trend", "None is not a distribution", "uniform"),
        ("uniform", "uncertainty.care.cost_trend", "'uniform' is not a distribution", "none"),
        (
            "{distribution: cauchy, low: 0, high: 1}",
            "uncertainty.care.cost_trend.distribution",
            "unknown distribution 'cauchy'",
            "valid: beta, discrete",
        ),
    ],
)
def test_a_malformed_uncertainty_is_one_clear_error(
    tmp_path: Path, entry: str, path: str, message: str, hint: str
) -> None:
    file = write(tmp_path, "s.yaml", head() + f"uncertainty:\n  care.cost_trend: {entry}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    (error,) = caught.value.errors  # never a second "Input should be 'none'"
    assert (error.line, error.path) == (5, path) and message in error.message, error
    assert hint in error.hint, error


# --- paths a scenario names that no file system could hold, or that lead nowhere (issue 28) ---

REGION = """
region:
  name: {{zh: 测试, en: test}}
  data:
    population: {population}
    mortality: {calibration}/mortality.csv
    admission_rates: {calibration}/admission_rates.csv
    fertility: {calibration}/fertility.csv
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scenario's folder as the working folder: messages name its files as s.yaml."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _one_error(file: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    errors = caught.value.errors
    assert len(errors) == 1, caught.value
    return errors[0].format()


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ('"a\\0.yaml"', "holds a control character U+0000 (NUL)"),  # the YAML text rule first
        ("b" * 5000 + ".yaml", "file name too long: a name in the path is 5,005 bytes"),
        ("/".join(["c" * 200] * 30) + ".yaml", "path too long: 6,034 bytes"),
        ('"a\\nb.yaml"', "holds a control character U+000A (LF)"),
    ],
    ids=["nul", "long-name", "long-path", "newline"],
)
def test_an_extends_path_no_file_system_could_hold_is_a_located_error(
    here: Path, target: str, said: str
) -> None:
    file = write(here, "s.yaml", f"name: t\ntitle: {{zh: 测试, en: test}}\nextends: {target}\n")
    text = _one_error(file)
    assert re.match(
        r"s\.yaml:3(:\d+)?: error: extends: ", text
    )  # a column where the reader has one
    assert said in text
    assert len(text) < 400 and "\n" not in text  # shortened, one line


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.symlink_to(p.name), "l.yaml is a symbolic link loop"),
        (lambda p: p.mkdir(), "l.yaml is a folder, not a file"),
        (lambda p: os.mkfifo(p), "l.yaml is a named pipe (FIFO), not a file"),
        (lambda p: p.symlink_to("gone.yaml"), "l.yaml is a broken link (to gone.yaml"),
    ],
    ids=["loop", "folder", "fifo", "broken-link"],
)
def test_an_extends_path_that_is_not_a_file_says_what_it_is(
    here: Path, make: Any, said: str
) -> None:
    make(here / "l.yaml")
    file = write(here, "s.yaml", "extends: l.yaml\nname: t\ntitle: {zh: 测试, en: test}\n")
    assert said in _one_error(file)


def test_a_scenario_on_the_command_line_that_loops_says_so(here: Path) -> None:
    (here / "loop.yaml").symlink_to("loop.yaml")
    assert "loop.yaml: error: is a symbolic link loop" in _one_error(here / "loop.yaml")


@pytest.mark.parametrize(
    ("population", "said"),
    [
        ('"a\\0b.csv"', "region.data.population: holds a control character U+0000 (NUL)"),
        ("p" * 5000 + ".csv", "region.data.population: ppp"),
        ("dir.csv", "region data file dir.csv is a folder, not a file"),
        ("loop.csv", "region data file loop.csv is a symbolic link loop"),
    ],
    ids=["nul", "long-name", "folder", "loop"],
)
def test_a_region_data_path_that_cannot_be_read_is_a_located_error(
    here: Path, population: str, said: str
) -> None:
    (here / "dir.csv").mkdir()
    (here / "loop.csv").symlink_to("loop.csv")
    calibration = ROOT / "calibration" / "nanchuan"
    text = head() + REGION.format(population=population, calibration=calibration)
    file = write(here, "s.yaml", text)
    error = _one_error(file)
    assert re.match(r"s\.yaml:8(:\d+)?: error: ", error) and said in error
    assert len(error) < 400
