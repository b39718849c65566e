"""Fund supervision and out-of-area care (issue 18): the seed's recoveries reproduced, and
under common random numbers more detection never raises spending net of recoveries, and more
direct settlement pays earlier without changing what is incurred. The ledger identity with
the new flows is held by the ledger's own tests (every flow, every account and period)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from fundsim.ensemble.evaluate import simulate
from fundsim.scenario.loader import load_scenario
from fundsim.scenario.schema import Horizon

ROOT = Path(__file__).resolve().parents[2]
NANCHUAN = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"
SMALL = ROOT / "tests" / "e2e" / "batch" / "small.yaml"  # Nanchuan, 2% sample, 2021-2025
POOLS = ["uebmi_pool", "urrbmi_pool"]


def flows(ds: xr.Dataset) -> xr.DataArray:
    by_flow = ds["by_flow"].isel(run=0)
    return by_flow.isel(scenario=0) if "scenario" in by_flow.dims else by_flow


def test_the_baseline_recovers_what_nanchuan_recovered_in_2019_2020() -> None:
    """Seed 000: 356.1万 recovered and 771.5万 of penalties from the bureau's start (2019) to
    2020. The baseline's supervision run over those two years: each figure inside the 5-95%
    band of 12 runs (the band is the runs' spread: admissions and costs drawn)."""
    scenario = load_scenario(
        NANCHUAN, horizon=Horizon(start=dt.date(2019, 1, 1), end=dt.date(2020, 12, 31))
    )
    recovered, penalties = [], []
    for run in range(12):
        f = flows(simulate(scenario, run=run))
        recovered.append(float(f.sel(flow="recoveries", fund=POOLS).sum()) / 1e4)
        penalties.append(float(f.sel(flow="penalties", fund=POOLS).sum()) / 1e4)
    for seed_figure, runs in ((356.1, recovered), (771.5, penalties)):
        low, high = np.percentile(runs, [5, 95])
        assert low <= seed_figure <= high, (seed_figure, low, high)


@pytest.fixture(scope="module")
def small() -> object:
    return load_scenario(SMALL, allow_outside=[ROOT])


def test_more_detection_never_raises_spending_net_of_recoveries(small: object) -> None:
    runs = []
    for detection in (0.05, 0.15, 0.4):
        f = flows(simulate(small, run=3, fixed={"supervision.detection": detection}))
        spent = f.sel(flow="inpatient", fund=POOLS)
        back = f.sel(flow="recoveries", fund=POOLS)
        runs.append((spent, spent - back))
    for (spent_low, net_low), (spent_high, net_high) in itertools.pairwise(runs):
        xr.testing.assert_equal(spent_low, spent_high)  # the same claims: common random numbers
        assert bool((net_high <= net_low).all()) and bool((net_high < net_low).any())


def test_more_direct_settlement_pays_earlier_and_incurs_the_same(small: object) -> None:
    low = simulate(small, run=2, fixed={"settlement.out_of_area.direct_share": 0.3})
    high = simulate(small, run=2, fixed={"settlement.out_of_area.direct_share": 0.9})
    incurred = [d["expenditure_incurred"].sel(fund=POOLS) for d in (low, high)]
    # the claims incurred are the same; the one incurred cost that follows the payments is the
    # critical-illness contract's loss sharing, settled on the claims paid in its year
    shared = [flows(d).sel(flow="ci_loss_shared", fund=POOLS) for d in (low, high)]
    np.testing.assert_allclose(
        (incurred[0] - shared[0]).values, (incurred[1] - shared[1]).values, rtol=1e-12
    )
    # the money leaves earlier: the funds' cash is never higher with more direct settlement,
    # and lower in some months (the reimbursements months after the stays)
    cash = [d["cash_balance"].sel(fund=POOLS).values for d in (low, high)]
    assert (cash[1] <= cash[0] + 1.0).all() and (cash[1] < cash[0] - 1e4).any()
    paid = [float(flows(d).sel(flow="inpatient", fund=POOLS).sum()) for d in (low, high)]
    assert paid[1] > paid[0]  # within the horizon more is paid: less waits past its end


def test_out_of_area_drg_changes_only_the_cost_of_stays_away(small: object, tmp_path: Path) -> None:
    """From 2023 every out-of-area stay paid under the treating place's DRG at -20%: the same
    stays, a lower cost from 2023 only (effects count from the share at the horizon start)."""
    reform = tmp_path / "away-drg.yaml"
    reform.write_text(
        f"extends: {SMALL}\nname: away-drg\ntitle: {{zh: 异地DRG, en: away DRG}}\n"
        "parameters:\n  payment:\n    out_of_area:\n      cost_effect: {value: -0.2, source: test}\n"
        "policy:\n  payment.out_of_area.drg_share:\n    source: test\n    2023-01-01: 1.0\n",
        encoding="utf-8",
    )
    base = simulate(small, run=1)
    under = simulate(load_scenario(reform, allow_outside=[ROOT]), run=1)
    np.testing.assert_array_equal(base["admissions"].values, under["admissions"].values)
    cost = [d["expenditure_incurred"].sel(fund=POOLS).isel(run=0) for d in (base, under)]
    before = cost[0].sel(year=[2021, 2022]).values, cost[1].sel(year=[2021, 2022]).values
    np.testing.assert_allclose(*before, rtol=1e-9)
    assert bool((cost[1].sel(year=2024) < cost[0].sel(year=2024)).all())


def test_drg_moves_each_improper_kind_by_its_own_uplift() -> None:
    from fundsim.payment.effects import IMPROPER_KINDS, improper_share

    shares = dict(zip(IMPROPER_KINDS, (0.01, 0.005, 0.005, 0.01), strict=True))
    uplift = dict(zip(IMPROPER_KINDS, (0.2, 0.5, 0.5, -0.5), strict=True))

    def snapshot(drg: float) -> dict[str, float]:
        values = {"payment.drg.share": drg}
        values |= {f"supervision.improper.{k}": v for k, v in shares.items()}
        values |= {f"supervision.drg_uplift.{k}": v for k, v in uplift.items()}
        return values

    start = snapshot(0.0)
    assert improper_share(start, start) == pytest.approx(0.03)
    # at 70% DRG: 0.01×1.14 + 0.005×1.35 + 0.005×1.35 + 0.01×0.65 = 0.0314
    assert improper_share(snapshot(0.7), start) == pytest.approx(0.0314)
    # measured from the share at the start: a region already at 30% counts only the rise
    assert improper_share(snapshot(0.3), snapshot(0.3)) == pytest.approx(0.03)
