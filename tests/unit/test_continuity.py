"""The first forecast year is checked against the last actual (issue 29): a jump beyond the
history's own yearly changes is a warning at the history's line, a forecast that goes on from
its history is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fundsim.calibration.observe import Point
from fundsim.evaluation.continuity import jumps

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "statistical" / "toy" / "toy.yaml"


def _forecast():  # type: ignore[no-untyped-def]
    from fundsim.ensemble.evaluate import simulate

    return simulate(str(TOY), run=0, seed=3)


def test_a_forecast_that_goes_on_from_its_history_is_not_warned() -> None:
    ds = _forecast()
    first = float(ds["expenditure"].isel(scenario=0, run=0).sel(fund="urrbmi_pool", year=2021))
    history = [
        Point(2019, "urrbmi_pool", "expenditure", first / 1.06, "t", 5),
        Point(2020, "urrbmi_pool", "expenditure", first / 1.03, "t", 6),
    ]
    assert jumps(ds, history, "history.csv") == []


def test_a_jump_beyond_the_historys_changes_is_warned_at_its_line() -> None:
    ds = _forecast()
    first = float(ds["expenditure"].isel(scenario=0, run=0).sel(fund="urrbmi_pool", year=2021))
    last = first / 0.72  # the forecast falls 28% from the last actual (the city)
    history = [
        Point(2018, "urrbmi_pool", "expenditure", last / 1.08, "t", 4),
        Point(2019, "urrbmi_pool", "expenditure", last / 1.04, "t", 5),
        Point(2020, "urrbmi_pool", "expenditure", last, "t", 6),
    ]
    (jump,) = jumps(ds, history, "history.csv")
    assert np.isclose(jump.change, -0.28)
    assert jump.message("en").startswith("history.csv:6: warning: ")
    assert "-28.0%" in jump.message("en") and "-28.0%" in jump.message("zh")
    assert jump.low == -0.10  # the history only rose: the floor of ±10% holds


def test_a_series_printed_once_takes_the_range_of_its_figure_in_the_other_funds() -> None:
    ds = _forecast()
    first = float(ds["expenditure"].isel(scenario=0, run=0).sel(fund="urrbmi_pool", year=2021))
    last = first / 1.18  # +18% from the last actual: beyond ±10%, within the other fund's moves
    once = [Point(2020, "urrbmi_pool", "expenditure", last, "t", 6)]
    assert len(jumps(ds, once, "history.csv")) == 1
    c = float(ds["expenditure"].isel(scenario=0, run=0).sel(fund="critical_illness", year=2021))
    other = [  # critical illness moved +25% and -4%, and goes on from its last actual
        Point(2018, "critical_illness", "expenditure", c / 1.2, "t", 2),
        Point(2019, "critical_illness", "expenditure", c / 1.2 * 1.25, "t", 3),
        Point(2020, "critical_illness", "expenditure", c, "t", 4),
    ]
    assert jumps(ds, once + other, "history.csv") == []
