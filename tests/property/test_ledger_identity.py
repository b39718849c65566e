"""The money adds up: for every account and period, closing = opening + income − expenditure."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fundsim.codes import ACCOUNTS, FLOW_CODES, FLOW_NAMES, INCOME
from fundsim.finance.ledger import Ledger
from fundsim.sim.model import FundModel

posting = st.tuples(
    st.floats(0, 365, allow_nan=False),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(FLOW_NAMES),
    st.floats(-1e9, 1e9, allow_nan=False),
)


@given(
    st.lists(posting, max_size=60),
    st.lists(st.floats(1, 364, allow_nan=False), max_size=6),
    st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=5, max_size=5),
)
def test_identity_holds_exactly_for_any_postings(postings, cuts, opening) -> None:
    ledger = Ledger.open(dict(zip(ACCOUNTS, opening, strict=True)))
    for day, account, flow, amount in sorted(postings, key=lambda p: p[0]):
        ledger.post(day, account, flow, amount)
    bounds = np.array(sorted({0.0, *cuts, 366.0}))
    income, expenditure, closing = ledger.totals(bounds)
    previous = ledger.opening
    for p in range(len(bounds) - 1):
        assert np.array_equal(closing[p], previous + income[p] - expenditure[p])
        previous = closing[p]
    assert np.array_equal(closing[-1], ledger.running)  # every posting is inside the bounds
    # every entry is dated and has the sign of its flow's direction
    e = ledger.entries()
    assert np.all(np.isfinite(e["day"]))
    directions = [FLOW_CODES[f].direction for f in e["flow"]]
    assert list(e["direction"]) == directions


def test_identity_of_a_real_run_for_years_and_months(nanchuan_small) -> None:
    scenario = nanchuan_small
    model = FundModel(scenario, scenario.tree, seed=3, run=0)
    model.run()
    for bounds in (model.year_bounds, model.month_bounds):
        income, expenditure, closing = model.ledger.totals(bounds)
        opening = np.vstack([model.ledger.opening, closing[:-1]])
        assert closing.dtype == np.int64
        assert np.array_equal(closing, opening + income - expenditure)
    # the year-end balance is the balance at the end of December
    _, _, yearly = model.ledger.totals(model.year_bounds)
    _, _, monthly = model.ledger.totals(model.month_bounds)
    assert np.array_equal(yearly, monthly[11::12])
    # income flows carry income, expenditure flows expenditure, in every account that has them
    e = model.ledger.entries()
    assert set(np.unique(e["direction"][np.isin(e["flow"], [FLOW_NAMES.index("interest")])])) <= {
        INCOME
    }
    # the identity covers supervision's flows: recoveries and penalties are dated income
    for flow in ("recoveries", "penalties"):
        mine = e["flow"] == FLOW_NAMES.index(flow)
        assert mine.any() and set(np.unique(e["direction"][mine])) == {INCOME}


def test_dataset_balance_is_cumulative(nanchuan_small) -> None:
    from fundsim.ensemble.evaluate import simulate

    ds = simulate(nanchuan_small, run=1, seed=5).squeeze()
    opening = np.array(
        [
            float(
                nanchuan_small.tree.at(nanchuan_small.horizon.start)[f"finance.opening_balance.{a}"]
            )
            for a in ACCOUNTS
        ]
    )
    previous = np.concatenate([[opening], ds.balance.values[:-1]])
    np.testing.assert_allclose(
        ds.balance.values, previous + ds.income.values - ds.expenditure.values, rtol=0, atol=0.01
    )
    december = ds.cash_balance.values[11::12]
    np.testing.assert_array_equal(december, ds.balance.values)
