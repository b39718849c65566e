"""Benefit rule cases in YAML: claims on a date under a scenario's rules -> expected payments."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from fundsim.benefits import build_claims, settle
from fundsim.scenario import Scenario, load_scenario

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


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[n for n, _ in CASES])
def test_benefit_case(case: dict[str, Any]) -> None:
    date = (
        case["date"] if isinstance(case["date"], dt.date) else dt.date.fromisoformat(case["date"])
    )
    snapshot = scenario(case["scenario"]).tree.at(date)
    claims = build_claims(snapshot, case["claims"])
    result = settle(claims)
    for index, expected in enumerate(case["expect"]):
        got = {name: float(getattr(result, name)[index]) for name in expected}
        assert got == pytest.approx(expected, abs=1e-6), case["why"]
    # the money of every claim adds up
    paid = result.fund + result.layer + result.assistance + result.patient
    np.testing.assert_allclose(paid, claims.total, rtol=0, atol=1e-6)
