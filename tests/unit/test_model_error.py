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
    assert "evaluation corpus" in template.source and template.members_sd > 0
    assert all(v >= 0 for v in template.extra.values())

