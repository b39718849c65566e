"""The claim calculator: the same payments as the benefit rules' specification, the money of
every claim adding up, annual totals across a year's claims, and located errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundsim.benefits import build_claims, settle
from fundsim.benefits.calculator import check_claims, settle_claims
from fundsim.cli import main
from fundsim.codes import LEVELS
from fundsim.scenario.loader import load_scenario
from fundsim.source.diagnostics import Collector

ROOT = Path(__file__).resolve().parents[2]
YANGJIANG = load_scenario(ROOT / "scenarios" / "yangjiang" / "baseline.yaml")
DAY = dt.date(2023, 1, 1)  # a year whose rules do not change within it
assert not [d for d in YANGJIANG.tree.breakpoints() if d.year == 2023 and d != DAY]

claim = st.fixed_dictionaries(
    {
        "person": st.sampled_from(["a", "b", "c"]),
        "day": st.integers(0, 364),
        "scheme": st.sampled_from(["uebmi", "urrbmi"]),
        "retired": st.booleans(),
        "level": st.sampled_from(LEVELS),
        "total": st.floats(0, 400_000).map(lambda x: round(x, 2)),
        "outside": st.floats(0, 0.3),
        "tcm": st.booleans(),
        "group": st.sampled_from(["none", "extreme_poverty", "low_income"]),
        "filing": st.sampled_from(["filed", "unfiled", "emergency", "transfer"]),
    }
)


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    out = []
    for r in rows:
        employee = r["scheme"] == "uebmi"
        away = r["level"] == "out_of_area"
        out.append(
            {
                "person": r["person"],
                "date": (DAY + dt.timedelta(days=int(r["day"]))).isoformat(),
                "scheme": r["scheme"],
                "retired": "1" if employee and r["retired"] else "0",
                "level": r["level"],
                "total": str(r["total"]),
                "non_insured": str(round(float(r["total"]) * float(r["outside"]), 2)),
                "tcm": "1" if r["tcm"] else "0",
                "special_group": "none" if employee else r["group"],
                "filing": r["filing"] if away else "local",
            }
        )
    return pd.DataFrame(out)


def calculated(raw: pd.DataFrame) -> pd.DataFrame:
    problems = Collector()
    claims = check_claims(raw, "claims.csv", problems)
    assert not problems.items
    return settle_claims(YANGJIANG.tree, claims)


@settings(max_examples=60, deadline=None)
@given(st.lists(claim, min_size=1, max_size=12))
def test_the_calculator_pays_what_the_rules_specification_pays(
    rows: list[dict[str, object]],
) -> None:
    raw = frame(rows)
    got = calculated(raw)
    # the specification: numpy rules on every claim's own terms, a person's claims in date
    # order (stable within a day), as the calculator settles them
    ordered = got.assign(_i=range(len(got))).sort_values(["person", "date", "_i"], kind="stable")
    records = [
        {
            "person": ord(str(r.person)),
            "total": float(r.total),
            "policy_range": float(r.total) - float(r.non_insured),
            "scheme": r.scheme,
            "level": r.level,
            "retired": bool(r.retired),
            "tcm": bool(r.tcm),
            "group": None if r.special_group == "none" else r.special_group,
            "filing": None if r.filing == "local" else r.filing,
        }
        for r in ordered.itertuples()
    ]
    snapshot = YANGJIANG.tree.at(DAY)
    paid = settle(build_claims(snapshot, records))
    layer = np.where(
        ordered["scheme"] == "uebmi", ordered["high_cost"], ordered["critical_illness"]
    )
    np.testing.assert_allclose(ordered["fund"], np.round(paid.fund, 2), atol=0.011)
    np.testing.assert_allclose(layer, np.round(paid.layer, 2), atol=0.011)
    np.testing.assert_allclose(ordered["assistance"], np.round(paid.assistance, 2), atol=0.011)
    # every claim's money adds up to its bill (to the rounding of five two-decimal figures)
    parts = got[["fund", "high_cost", "critical_illness", "assistance", "patient"]].sum(axis=1)
    np.testing.assert_allclose(parts, got["total"].astype(float), atol=0.03)


def test_a_year_of_four_admissions_reaches_the_pooled_cap_then_critical_illness() -> None:
    rows = [
        {"person": "a", "day": d, "scheme": "urrbmi", "retired": False, "level": lv,
         "total": t, "outside": 0.0, "tcm": False, "group": "none", "filing": f}
        for d, lv, t, f in (
            (30, "level3", 80_000.0, "filed"),
            (120, "level2", 60_000.0, "filed"),
            (180, "out_of_area", 90_000.0, "unfiled"),
            (300, "level3", 120_000.0, "filed"),
        )
    ]  # fmt: skip
    got = calculated(frame(rows))
    cap = float(YANGJIANG.tree.value("benefits.urrbmi.inpatient.annual_cap", DAY))
    assert got["fund"].sum() == pytest.approx(cap)  # the pooled cap, reached on the third
    assert got["fund"].iloc[3] == 0.0 and got["critical_illness"].iloc[3] > 0
    # each deductible is the claim's level's, paid per admission
    for i, level in enumerate(["level3", "level2", "out_of_area", "level3"]):
        path = f"benefits.urrbmi.inpatient.deductible.{level}"
        assert got["deductible"].iloc[i] == pytest.approx(float(YANGJIANG.tree.value(path, DAY)))


def test_an_unfiled_out_of_area_stay_pays_its_factor_of_the_ratio(tmp_path: Path) -> None:
    path = tmp_path / "unfiled.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'yangjiang' / 'baseline.yaml'}\nname: u\n"
        "title: {zh: 未备案, en: unfiled}\nparameters:\n  benefits:\n    urrbmi:\n"
        "      inpatient:\n        filing_factor:\n          unfiled: {value: 0.7, source: test}\n",
        encoding="utf-8",
    )
    tree = load_scenario(path, [ROOT]).tree
    rows = [
        {"person": p, "day": 10, "scheme": "urrbmi", "retired": False, "level": "out_of_area",
         "total": 20_000.0, "outside": 0.0, "tcm": False, "group": "none", "filing": f}
        for p, f in (("a", "filed"), ("b", "unfiled"))
    ]  # fmt: skip
    problems = Collector()
    got = settle_claims(tree, check_claims(frame(rows), "c.csv", problems))
    ratio = float(tree.value("benefits.urrbmi.inpatient.ratio.out_of_area", DAY))
    deductible = float(tree.value("benefits.urrbmi.inpatient.deductible.out_of_area", DAY))
    assert got["fund"].iloc[0] == pytest.approx((20_000 - deductible) * ratio, abs=0.01)
    assert got["fund"].iloc[1] == pytest.approx((20_000 - deductible) * ratio * 0.7, abs=0.01)


def test_the_class_b_first_self_pay_leaves_the_policy_range(tmp_path: Path) -> None:
    path = tmp_path / "classb.yaml"
    path.write_text(
        f"extends: {ROOT / 'scenarios' / 'yangjiang' / 'baseline.yaml'}\nname: b\n"
        "title: {zh: 乙类, en: class B}\nparameters:\n  benefits:\n    uebmi:\n"
        "      inpatient:\n        class_b_selfpay: {value: 0.1, source: test}\n",
        encoding="utf-8",
    )
    tree = load_scenario(path, [ROOT]).tree
    raw = frame(
        [{"person": "a", "day": 5, "scheme": "uebmi", "retired": False, "level": "level2",
          "total": 10_000.0, "outside": 0.05, "tcm": False, "group": "none", "filing": "filed"}]
    )  # fmt: skip
    raw["class_b"] = "3000"
    problems = Collector()
    got = settle_claims(tree, check_claims(raw, "c.csv", problems))
    assert got["policy_range"].iloc[0] == pytest.approx(10_000 - 500 - 0.1 * 3000)


def test_bad_claims_exit_2_with_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "person,date,scheme,retired,level,total,filing\n"
        "a,2023-01-05,urrbmi,0,level1,1000,local\n"
        "\n"
        "b,2023-02-30,uebmi,0,level2,500,local\n"
        "c,2023-03-01,urrbmi,1,level5,-3,unfiled\n",
        encoding="utf-8",
    )
    scenario = str(ROOT / "scenarios" / "yangjiang" / "baseline.yaml")
    assert main(["benefit", scenario, "--claims", str(claims)]) == 2
    err = capsys.readouterr().err
    assert "claims.csv:4: error: date: '2023-02-30' is not a date" in err  # the blank line counts
    assert "claims.csv:5: error: level: 'level5'" in err
    assert "claims.csv:5: error: total: '-3'" in err
    assert "claims.csv:5: error: retired:" not in err or "only an employee" in err


def test_the_command_writes_every_claim_and_replaces_a_file_only_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.csv"
    frame(
        [{"person": "a", "day": 40, "scheme": "urrbmi", "retired": False, "level": "level2",
          "total": 12_000.0, "outside": 0.1, "tcm": True, "group": "low_income", "filing": "filed"}]
    ).to_csv(claims, index=False)  # fmt: skip
    out = tmp_path / "paid.csv"
    scenario = str(ROOT / "scenarios" / "yangjiang" / "baseline.yaml")
    args = ["benefit", scenario, "--claims", str(claims), "--out", str(out)]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "1 claims (1 stays, 0 outpatient) of 1 persons" in said and "统筹基金支付" in said
    paid = pd.read_csv(out, encoding="utf-8-sig")
    assert list(paid.columns[-7:]) == [
        "policy_range", "deductible", "fund", "high_cost", "critical_illness", "assistance", "patient",
    ]  # fmt: skip
    assert paid["assistance"].iloc[0] > 0  # a low-income member's assistance
    assert main(args) == 2 and "exists" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


def test_the_calculator_lowers_a_years_later_deductibles_as_the_rule_says() -> None:
    rules = ROOT / "tests" / "cases" / "benefits" / "rules" / "half-from-second.yaml"
    tree = load_scenario(rules).tree
    rows = [
        {"person": "a", "day": d, "scheme": "urrbmi", "retired": False, "level": "level3",
         "total": 10_000.0, "outside": 0.0, "tcm": False, "group": "none", "filing": "filed"}
        for d in (200, 20, 100)  # out of date order in the file
    ]  # fmt: skip
    problems = Collector()
    got = settle_claims(tree, check_claims(frame(rows), "c.csv", problems))
    full = float(tree.value("benefits.urrbmi.inpatient.deductible.level3", DAY))
    # the earliest admission pays the whole deductible, the later ones half, whatever the order
    assert got["deductible"].tolist() == [full / 2, full, full / 2]


def test_a_claim_outside_the_scenarios_horizon_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "early.csv"
    claims.write_text(
        "person,date,scheme,retired,level,total\na,2012-03-01,urrbmi,0,level1,1000\n",
        encoding="utf-8",
    )
    scenario = str(ROOT / "scenarios" / "yangjiang" / "baseline.yaml")
    assert main(["benefit", scenario, "--claims", str(claims)]) == 2
    assert "early.csv:2: error: date: '2012-03-01' lies outside" in capsys.readouterr().err
    assert main(["benefit", scenario, "--claims", str(claims), "--date", "2040-01-01"]) == 2
    assert "--date 2040-01-01 lies outside" in capsys.readouterr().err


def test_the_calculator_pays_what_the_model_pays_for_the_models_own_admissions() -> None:
    """Admissions drawn by the model's own pricing (levels, TCM, filing status, special groups,
    costs and policy ranges) and settled as the model settles them, then given to the claim
    calculator as a claims file would give them: the same payments, claim by claim."""
    from fundsim.benefits.kernel import settle_grouped
    from fundsim.benefits.tables import TermTables
    from fundsim.claims.inpatient import draw_care
    from fundsim.codes import FILINGS, SCHEMES, SPECIAL_GROUPS, URRBMI
    from fundsim.population.arrays import Population

    s = YANGJIANG.tree.at(DAY)
    tables = TermTables.stacked_cached(s)
    rng = np.random.default_rng(5)
    n, people = 4000, 300  # many stays a person: the annual caps and tiers are reached
    person = np.sort(rng.integers(0, people, n)).astype(np.intp)
    first = np.ones(n, dtype=bool)
    first[1:] = person[1:] != person[:-1]
    scheme_of = rng.integers(0, 3, people).astype(np.int8)
    pop = Population(weight=1.0)
    pop.append(
        birth=np.zeros(people),
        sex=np.zeros(people, dtype=np.int8),
        scheme=scheme_of,
        group=np.where(scheme_of == URRBMI, rng.integers(0, 3, people), 0).astype(np.int8),
    )
    mix = np.array(
        [[float(s[f"care.level_mix.{p}.{lv}"]) for lv in LEVELS] for p in ("uebmi", "urrbmi")]
    )
    adm = draw_care(
        pop, person, first, np.zeros(n), np.zeros(n, dtype=np.int64), scheme_of[person],
        np.sort(rng.integers(0, 2**62, n)), np.uint64(7), 0.0, np.cumsum(mix, axis=1),
        np.array([float(s[f"care.cost_per_case.{lv}"]) for lv in LEVELS]) * 3, 0.0,
        np.ones(1), 1.0, 0.3, np.full(len(LEVELS), 8.0), np.array([0.9, 0.9, 0.8]),
        tables.shape, np.array([0.4, 0.3, 0.2, 0.1]),
    )  # fmt: skip
    model = settle_grouped(tables, adm.first, adm.total, adm.policy_range, adm.key, None)
    _, levels, tcms, groups = tables.shape
    group, tcm = adm.key % groups, adm.key // groups % tcms
    level, block = adm.key // (groups * tcms) % levels, adm.key // (groups * tcms * levels)
    filing, status = block // len(SCHEMES), block % len(SCHEMES)
    assert (np.bincount(filing, minlength=4) > 0).all()  # every filing status drawn
    raw = pd.DataFrame(
        {
            "person": [f"p{p}" for p in adm.person],
            "date": DAY.isoformat(),
            "scheme": np.where(status == URRBMI, "urrbmi", "uebmi"),
            "retired": (status == 1).astype(int).astype(str),
            "level": np.array(LEVELS)[level],
            "total": [repr(float(x)) for x in adm.total],
            "non_insured": [repr(float(x)) for x in adm.total - adm.policy_range],
            "tcm": tcm.astype(str),
            "special_group": np.array(["none", *SPECIAL_GROUPS])[group],
            "filing": np.where(
                np.array(LEVELS)[level] == "out_of_area", np.array(FILINGS)[filing], "local"
            ),
        }
    )
    got = calculated(raw)
    employee = status != URRBMI
    np.testing.assert_allclose(got["fund"], model.fund, atol=0.006)
    np.testing.assert_allclose(
        np.where(employee, got["high_cost"], got["critical_illness"]), model.layer, atol=0.006
    )
    np.testing.assert_allclose(got["assistance"], model.assistance, atol=0.006)
    np.testing.assert_allclose(got["patient"], model.patient, atol=0.006)
    assert (model.layer > 0).any() and (model.assistance > 0).any()
