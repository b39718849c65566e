"""Parameters drawn together (``correlation:``, issue 29 item 3): a Gaussian copula keeps each
parameter's own distribution and gives the pair the rank correlation of its normal scores.

Statistics (2,000 runs): Spearman's ρ of a copula of normal correlation r is
(6/π)·arcsin(r/2) (-0.786 for r = -0.8); its sampling sd at n = 2,000 is about 0.01, the
tolerance 0.04. Each marginal passes a Kolmogorov-Smirnov test against its triangle (p > 0.001).
A scenario without the section draws exactly as before, bit for bit."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fundsim.ensemble.sampling import draw_inputs, draw_one
from fundsim.random.streams import parameter_stream
from fundsim.scenario.loader import load_scenario
from fundsim.source.diagnostics import ScenarioError

TOY = Path(__file__).parent / "toy" / "toy.yaml"
RUNS = 2000


def _scenario(tmp: Path, correlation: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(TOY.parents[3]))
    path = tmp / "joint.yaml"
    path.write_text(
        f"extends: {os.path.relpath(TOY, tmp)}\nname: joint\ntitle: {{zh: 相关, en: joint}}\n"
        "uncertainty:\n"
        "  care.admission_level: {distribution: triangular, low: 0.8, mode: 1.0, high: 1.3, source: test}\n"
        "  care.cost_level: {distribution: triangular, low: 0.7, mode: 0.9, high: 1.0, source: test}\n"
        + correlation,
        encoding="utf-8",
    )
    return load_scenario(path)


def test_joint_draws_keep_their_marginals_and_take_the_rank_correlation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _scenario(
        tmp_path,
        "correlation:\n  paths: [care.admission_level, care.cost_level]\n"
        "  matrix: [[1, -0.8], [-0.8, 1]]\n  source: test\n",
        monkeypatch,
    )
    draws = np.array(
        [[d["care.admission_level"], d["care.cost_level"]] for d in
         (draw_inputs(scenario, 11, r) for r in range(RUNS))]
    )  # fmt: skip
    rho = stats.spearmanr(draws[:, 0], draws[:, 1]).statistic
    assert abs(rho - 6 / math.pi * math.asin(-0.4)) < 0.04, rho
    for k, (low, mode, high) in enumerate(((0.8, 1.0, 1.3), (0.7, 0.9, 1.0))):
        c = (mode - low) / (high - low)
        p = stats.kstest(draws[:, k], stats.triang(c, loc=low, scale=high - low).cdf).pvalue
        assert p > 0.001, (k, p)
    # the same seed and run give the same draws (a stream per path, as every draw)
    assert draw_inputs(scenario, 11, 7) == draw_inputs(scenario, 11, 7)


def test_without_the_section_the_draws_are_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _scenario(tmp_path, "", monkeypatch)
    assert scenario.joint is None
    for run in range(5):
        drawn = draw_inputs(scenario, 11, run)
        for path, uncertain in scenario.uncertainty.items():
            alone = draw_one(uncertain.distribution, parameter_stream(11, run, path))
            assert drawn[path] == alone, path  # every draw here lies within its bounds


@pytest.mark.parametrize(
    ("section", "said"),
    [
        ("  paths: [care.admission_level, care.cost_level]\n  matrix: [[1, -1.0], [-1.0, 1]]\n",
         "positive definite"),
        ("  paths: [care.admission_level, care.cost_level]\n  matrix: [[1, 0.5], [0.3, 1]]\n",
         "symmetric"),
        ("  paths: [care.admission_level, care.cost_trend2]\n  matrix: [[1, 0.5], [0.5, 1]]\n",
         "is not drawn"),
        ("  paths: [care.admission_level, care.cost_level]\n  matrix: [[1, 0.5]]\n", "2 x 2"),
    ],
)  # fmt: skip
def test_a_correlation_that_cannot_hold_is_refused_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, section: str, said: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        _scenario(tmp_path, "correlation:\n" + section, monkeypatch)
    text = str(caught.value)
    assert said in text and "joint.yaml:" in text and "correlation" in text
