"""The dated policy changes a scenario's charts mark: the catalogue's named policies where
their value first changes, each policy file at its first change, each with its pools."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from fundsim.plotting.history import series_chart
from fundsim.scenario import events
from fundsim.scenario.loader import load_scenario

NANCHUAN = Path(__file__).resolve().parents[2] / "scenarios" / "nanchuan"


def test_the_baseline_marks_the_account_reform_and_the_later_retirement() -> None:
    found = events.events(load_scenario(NANCHUAN / "baseline.yaml"))
    assert [(e.date, e.en, e.pools) for e in found] == [
        (dt.date(2023, 1, 1), "personal-account reform", ("uebmi",)),
        (dt.date(2025, 1, 1), "later retirement", ("uebmi", "urrbmi")),
    ]
    assert events.from_json(events.to_json(found)) == found


def test_a_policy_file_is_one_mark_named_by_its_title() -> None:
    scenario = load_scenario(NANCHUAN / "combined.yaml")
    found = events.events(scenario)
    in_2022 = [e.zh for e in found if e.date == dt.date(2022, 1, 1)]
    drg = load_scenario(NANCHUAN / "drg.yaml").title.zh.split("（")[0]
    assert drg in in_2022
    # the global budget the DRG file switches on is said by the file's mark, not again
    assert "总额预算点数法" not in in_2022
    assert len(in_2022) == len(set(in_2022)) == 2  # DRG and procurement, once each
    assert all(dt.date(2021, 1, 1) <= e.date <= dt.date(2035, 12, 31) for e in found)


def test_marks_from_text_that_is_not_a_list_of_them_are_none() -> None:
    assert events.from_json("") == [] and events.from_json("not json") == []
    assert events.from_json('[["2023-01-01", "a"]]') == []


def test_the_history_chart_puts_money_on_an_axis_from_zero() -> None:
    rows = [
        {"fund": "urrbmi_pool", "indicator": "income", "year": y, "p10": v * 0.95, "p25": v * 0.98,
         "p50": v, "p75": v * 1.02, "p90": v * 1.05, "actual": v * 1.01}
        for y, v in zip(range(2016, 2021), np.linspace(3e8, 4.5e8, 5), strict=True)
    ]  # fmt: skip
    fig, _ = series_chart(rows, "en")
    assert fig.axes[0].get_ylim()[0] == 0
    plt.close(fig)
