"""Benefit rule cases in YAML: claims on a date under a scenario's rules -> expected payments."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from fundsim.benefits import build_claims, settle
from fundsim.benefits.calculator import check_claims, settle_claims
from fundsim.scenario import Scenario, load_scenario
from fundsim.source.diagnostics import Collector

CASES_DIR = Path(__file__).parent / "benefits"


def collect() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(file.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            merged = {"scenario": spec["scenario"], "date": spec["date"], **case}
            merged["scenario"] = (file.parent / merged["scenario"]).resolve()
            found.append((f"{file.stem}: {case['name']}", merged))
    return found


CASES = collect()


@functools.cache
def scenario(path: Path) -> Scenario:
    return load_scenario(path)


def test_there_are_at_least_89_cases() -> None:
    assert len(CASES) >= 89  # 29 before issue 16, at least 60 new


def day(case: dict[str, Any]) -> dt.date:
    written = case["date"]
    return written if isinstance(written, dt.date) else dt.date.fromisoformat(written)


def calculator(case: dict[str, Any]) -> dict[str, np.ndarray]:
    """The case's claims settled by the claim calculator (``fundsim benefit``), all on the
    case's date in the order given, as the rules' names: fund, layer, assistance, patient,
    deductible_applied."""
    rows = []
    for claim in case["claims"]:
        total = float(claim["total"])
        away = claim["level"] == "out_of_area"
        rows.append(
            {
                "person": str(claim["person"]),
                "date": claim.get("date", day(case).isoformat()),
                "scheme": claim["scheme"],
                "retired": int(bool(claim.get("retired", False))),
                "level": claim["level"],
                "total": total,
                "non_insured": total - float(claim.get("policy_range", total)),
                "tcm": int(bool(claim.get("tcm", False))),
                "special_group": claim.get("group") or "none",
                "filing": claim.get("filing", "local") if away else "local",
                "kind": claim.get("kind", "inpatient"),
                "days": int(claim.get("days", 0)),
                "transfer": int(bool(claim.get("transfer", False))),
            }
        )
    problems = Collector()
    table = check_claims(pd.DataFrame(rows).astype(str), "case", problems)
    problems.raise_if_errors()
    out = settle_claims(scenario(case["scenario"]).tree, table)
    return {
        "fund": out["fund"].to_numpy(),
        "layer": (out["high_cost"] + out["critical_illness"]).to_numpy(),
        "assistance": out["assistance"].to_numpy(),
        "patient": out["patient"].to_numpy(),
        "deductible_applied": out["deductible"].to_numpy(),
        "total": out["total"].to_numpy(dtype=float),
    }


def visits(case: dict[str, Any]) -> bool:
    return any(c.get("kind", "inpatient") != "inpatient" or "date" in c for c in case["claims"])


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[n for n, _ in CASES])
def test_benefit_case(case: dict[str, Any]) -> None:
    if visits(case):  # outpatient visits or claims on several dates: the calculator alone
        result = calculator(case)
        for index, expected in enumerate(case["expect"]):
            got = {name: float(result[name][index]) for name in expected}
            assert got == pytest.approx(expected, abs=0.006), case["why"]
        paid = result["fund"] + result["layer"] + result["assistance"] + result["patient"]
        np.testing.assert_allclose(paid, result["total"], rtol=0, atol=0.02)
        return
    snapshot = scenario(case["scenario"]).tree.at(day(case))
    claims = build_claims(snapshot, case["claims"])
    result = settle(claims)
    for index, expected in enumerate(case["expect"]):
        got = {name: float(getattr(result, name)[index]) for name in expected}
        assert got == pytest.approx(expected, abs=1e-6), case["why"]
    # the money of every claim adds up
    paid = result.fund + result.layer + result.assistance + result.patient
    np.testing.assert_allclose(paid, claims.total, rtol=0, atol=1e-6)
    # the claim calculator (on the model's compiled kernel) pays what the rules pay, where the
    # case gives no earlier totals (the calculator counts a year's claims from its file)
    if not any(k.startswith("prior_") for c in case["claims"] for k in c):
        by_calculator = calculator(case)
        for name in ("fund", "layer", "assistance", "patient", "deductible_applied"):
            np.testing.assert_allclose(
                by_calculator[name], getattr(result, name), rtol=0, atol=0.006, err_msg=name
            )
