"""The wage growth's range a new region draws (issue 29, item 4: ranges that cover what
happened): as wide as the widest gap the national series showed between a year's growth and
its mean growth of the four years before, up to the data year, and never wider for knowing
later years."""

from __future__ import annotations

import pytest

from fundsim.scenario import regionplan
from fundsim.scenario.filling import national_wages
from fundsim.scenario.regionplan import WAGE_SPREAD, WAGE_YEARS, wage_spread


def gap(wages: dict[int, float], year: int) -> float:
    mean = (wages[year - 1] / wages[year - 1 - WAGE_YEARS]) ** (1 / WAGE_YEARS)
    return wages[year] / wages[year - 1] - mean


def test_every_year_up_to_the_data_year_lies_within_the_range() -> None:
    wages = national_wages()
    years = [y for y in sorted(wages) if y - 1 - WAGE_YEARS in wages]
    assert len(years) >= 5
    for data_year in years:
        spread, said = wage_spread(data_year)
        assert spread >= WAGE_SPREAD
        for y in years:
            if y <= data_year:
                assert abs(gap(wages, y)) <= spread + 0.0005, (data_year, y)
        assert "data/national_average_wage.csv" in said and "ASSUMPTION" in said
    # the last year's slowdown widens the range of a region built from it
    last = years[-1]
    assert wage_spread(last)[0] > WAGE_SPREAD or abs(gap(wages, last)) <= WAGE_SPREAD


def test_a_later_year_is_not_known(monkeypatch: pytest.MonkeyPatch) -> None:
    wages = national_wages()
    last = max(wages)
    before = wage_spread(last - 1)
    monkeypatch.setattr(
        regionplan, "national_wages", lambda: {y: w for y, w in wages.items() if y < last}
    )
    assert wage_spread(last - 1) == before
