"""A region ``fundsim init`` builds carries the model error the evaluation corpus measured
(issue 29): the yearly shocks' sigmas of templates/model_error.yaml as parameters, the
membership term drawn; the evaluation's own first pass builds without them."""

from __future__ import annotations

from pathlib import Path

import yaml

from fundsim.scenario.newregion import init_region
from fundsim.scenario.regionplan import MODEL_ERROR

FIGURES = """\
region: {zh: 小城, en: Small Town}
data_year: 2022
source: "test figures"
insured: {uebmi: 5500, urrbmi: 14500}
balances: {uebmi: 42000000, urrbmi_pool: 9000000}
history:
  2022:
    uebmi: {income: 29000000, expenditure: 25000000}
    urrbmi_pool: {income: 14500000, expenditure: 13800000}
"""


def _baseline(tmp_path: Path, name: str, model_error: bool) -> dict:  # type: ignore[type-arg]
    figures = tmp_path / "figures.yaml"
    figures.write_text(FIGURES, encoding="utf-8")
    init_region(tmp_path / name, figures, model_error)
    text = (tmp_path / name / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def test_a_new_region_carries_the_corpus_model_error_and_the_first_pass_does_not(
    tmp_path: Path,
) -> None:
    template = yaml.safe_load(MODEL_ERROR.read_text(encoding="utf-8"))
    with_error = _baseline(tmp_path, "a", True)
    cost = with_error["parameters"]["care"]["cost_shock_sigma"]
    assert cost["value"] == template["shocks"]["care.cost_shock_sigma"]
    assert "evaluation corpus" in cost["source"]
    wage = with_error["parameters"]["economy"]["wage_shock_sigma"]
    assert wage["value"] == template["shocks"]["economy.wage_shock_sigma"]
    drawn = with_error["uncertainty"]["population.migration_error"]
    assert drawn["distribution"] == "normal" and drawn["sd"] == template["members_sd"] > 0
    bare = _baseline(tmp_path, "b", False)
    assert "cost_shock_sigma" not in bare["parameters"].get("care", {})
    assert "population.migration_error" not in (bare.get("uncertainty") or {})
