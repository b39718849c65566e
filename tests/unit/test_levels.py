"""Hospital levels as a list the region declares (region.levels): a fifth class where a region
has one; the parameters of an undeclared level are refused where written and filled (no care
there); the model draws admissions at a declared fifth class; the claim calculator refuses
a level the region does not declare."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fundsim.benefits import calculate
from fundsim.benefits.tables import TermTables
from fundsim.claims.batch import care_terms
from fundsim.claims.inpatient import draw_care
from fundsim.codes import LEVELS
from fundsim.population.arrays import Population
from fundsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
YANGJIANG = ROOT / "scenarios" / "yangjiang" / "baseline.yaml"
PROVINCIAL = ROOT / "tests" / "cases" / "benefits" / "rules" / "provincial.yaml"
DAY = dt.date(2023, 6, 1)


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def child(tmp_path: Path, body: str) -> Path:
    file = tmp_path / "s.yaml"
    head = f"extends: {YANGJIANG}\nname: t\ntitle: {{zh: 测试, en: test}}\n"
    file.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return file


def test_a_region_without_a_fifth_class_has_no_care_there() -> None:
    scenario = load_scenario(YANGJIANG)
    s = scenario.tree.at(DAY)
    assert scenario.levels == ("community", "level1", "level2", "level3", "out_of_area")
    assert s["care.level_mix.urrbmi.provincial"] == 0.0
    assert s["care.outpatient_visits.level_share.uebmi.provincial"] == 0.0
    # its terms are level 3's (never used: no admissions there)
    assert (
        s["benefits.urrbmi.inpatient.ratio.provincial"]
        == s["benefits.urrbmi.inpatient.ratio.level3"]
    )


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            "parameters:\n  benefits:\n    urrbmi:\n      inpatient:\n"
            "        deductible: {provincial: {value: 1200, source: t}}\n",
            "parameters.benefits.urrbmi.inpatient.deductible.provincial",
        ),
        (
            "policy:\n  benefits.urrbmi.inpatient.ratio.provincial:\n    2024-01-01: 0.5\n",
            "policy.benefits.urrbmi.inpatient.ratio.provincial",
        ),
    ],
)
def test_a_value_for_an_undeclared_level_is_a_located_error(
    tmp_path: Path, body: str, where: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child(tmp_path, body))
    text = str(caught.value)
    assert where in text and "s.yaml:" in text
    assert "not one of the region's hospital levels" in text and "region.levels" in text


def test_a_group_value_sets_the_declared_levels_only(tmp_path: Path) -> None:
    body = "policy:\n  benefits.urrbmi.inpatient.ratio:\n    2024-01-01: 0.7\n"
    s = load_scenario(child(tmp_path, body)).tree.at(dt.date(2024, 6, 1))
    assert s["benefits.urrbmi.inpatient.ratio.level2"] == 0.7


def test_levels_must_be_known_and_in_order(tmp_path: Path) -> None:
    text = PROVINCIAL.read_text(encoding="utf-8").replace(
        "levels: [community, level1, level2, level3, provincial]",
        "levels: [community, level2, level1, level3]",
    )
    text = text.replace("../../../../", f"{ROOT}/")
    file = tmp_path / "disorder.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    assert "lowest first" in str(caught.value) and "disorder.yaml" in str(caught.value)


def test_the_model_draws_admissions_at_a_declared_fifth_class() -> None:
    s = load_scenario(PROVINCIAL).tree.at(DAY)
    care = care_terms(s, s)
    tables = TermTables.stacked_cached(s)
    n = 100_000
    rng = np.random.default_rng(3)
    pop = Population(weight=1.0)
    pop.append(birth=np.zeros(1), sex=np.zeros(1, dtype=np.int8), scheme=np.full(1, 2, np.int8))
    adm = draw_care(
        pop, np.zeros(n, dtype=np.intp), np.ones(n, dtype=bool), np.zeros(n),
        np.zeros(n, dtype=np.int64), np.full(n, 2, np.int8), np.sort(rng.integers(0, 2**62, n)),
        np.uint64(9), 0.0, care["level_cumulative"], care["cost_per_case"], 0.0, np.ones(1), 0.8,
        0.0, care["stay"], care["policy_range_share"], tables.shape, care["filing_shares"],
    )  # fmt: skip
    _, levels, tcms, groups = tables.shape
    level = adm.key // (groups * tcms) % levels
    share = np.mean(level == LEVELS.index("provincial"))
    assert abs(share - 0.03) < 4 * np.sqrt(0.03 * 0.97 / n)


def test_the_calculator_refuses_a_level_the_region_does_not_declare() -> None:
    claims = pd.DataFrame(
        [{"person": "a", "date": "2023-06-01", "scheme": "urrbmi", "retired": 0,
          "level": "provincial", "total": 20000}]
    )  # fmt: skip
    with pytest.raises(ScenarioError) as caught:
        calculate(load_scenario(YANGJIANG), claims, name="claims.csv")
    assert "claims.csv:2" in str(caught.value) and "'provincial' is not one of" in str(caught.value)
    paid = calculate(load_scenario(PROVINCIAL), claims)
    assert paid["fund"].iloc[0] == pytest.approx(9400)
