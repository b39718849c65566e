"""The critical-illness contract's book is back at its opening balance, to the fen, after
every yearly settlement, in surplus and in loss years alike (a fen short of it read as a
depleted account in 70% of the calibrated Nanchuan runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fundsim.ensemble.evaluate import simulate

ROOT = Path(__file__).resolve().parents[2]
CALIBRATED = ROOT / "scenarios" / "nanchuan" / "calibrated.yaml"


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def test_the_contract_book_closes_at_its_opening_every_year(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(
        f"extends: {CALIBRATED}\nname: small\ntitle: {{zh: 小样本, en: small sample}}\n"
        "parameters:\n  population:\n    sample: {value: 0.1, source: a 10% sample (test)}\n",
        encoding="utf-8",
    )
    losses = surpluses = 0
    for run in range(3):
        ds = simulate(scenario, run=run)
        book = ds["balance"].sel(fund="critical_illness").values.ravel()
        assert np.all(np.round(book * 100) == 0), book  # the opening balance is 0, in fen
        assert np.isnan(ds["depletion_year"].sel(fund="critical_illness").values).all()
        flows = ds["by_flow"].sel(fund="critical_illness").isel(scenario=0, run=0)
        losses += int((flows.sel(flow="ci_insurer_loss") > 0).sum())
        surpluses += int((flows.sel(flow="ci_insurer_margin") > 0).sum())
    assert losses > 0 and surpluses > 0  # both ways of settling were met
