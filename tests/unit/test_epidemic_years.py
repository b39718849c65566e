"""The national epidemic years (issue 29, item 4): data/national_epidemic_utilisation.csv is
what its derivation gives from the NHSA inpatient series, and a scenario may state them."""

from __future__ import annotations

import csv
import runpy
from pathlib import Path

import pytest

from fundsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SERIES = ROOT / "data" / "national_epidemic_utilisation.csv"


def rows() -> list[dict[str, str]]:
    text = SERIES.read_text(encoding="utf-8")
    return list(csv.DictReader(x for x in text.splitlines() if not x.startswith("#")))


def test_the_series_is_its_derivation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "derive_epidemic_utilisation.py"))
    monkeypatch.setitem(script["main"].__globals__, "ROOT", tmp_path)
    (tmp_path / "data").mkdir()
    source = ROOT / "data" / "nhsa_inpatient_series_2012_2022.csv"
    (tmp_path / "data" / source.name).write_bytes(source.read_bytes())
    monkeypatch.setitem(script["main"].__globals__, "SERIES", tmp_path / "data" / source.name)
    script["main"]()
    assert (tmp_path / "data" / SERIES.name).read_bytes() == SERIES.read_bytes()
    # use fell below its ordinary path in every epidemic year, by less than a fifth; the
    # measures were in force at the end of every year but the last
    found = rows()
    assert all(0.8 < float(r["factor"]) < 1.0 and r["source"] for r in found)
    assert [r["measures_at_year_end"] for r in found] == ["yes"] * (len(found) - 1) + ["no"]


def test_a_scenario_states_its_epidemic_years(tmp_path: Path) -> None:
    """The years as dated values of care.utilisation: each year's value in force in it."""
    import datetime as dt

    base = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"
    values = ", ".join(f"{r['year']}-01-01: {r['factor']}" for r in rows())
    child = tmp_path / "s.yaml"
    child.write_text(
        f"extends: {base}\nname: t\ntitle: {{zh: 测试, en: test}}\nparameters:\n  care:\n"
        f"    utilisation:\n      values: {{2016-01-01: 1.0, {values}, 2023-01-01: 1.0}}\n"
        f"      source: 'ASSUMPTION: the nation''s epidemic years ({SERIES.name})'\n",
        encoding="utf-8",
    )
    scenario = load_scenario(child, allow_outside=[ROOT])
    for r in rows():
        at = scenario.tree.at(dt.date(int(r["year"]), 7, 1))
        assert at["care.utilisation"] == float(r["factor"])
    assert scenario.tree.at(dt.date(2019, 7, 1))["care.utilisation"] == 1.0
    assert scenario.tree.at(dt.date(2024, 7, 1))["care.utilisation"] == 1.0


def test_init_writes_the_epidemic_years_known_at_the_data_year() -> None:
    """A region built from a year's figures reads the epidemic years up to that year only;
    the forecast returns to ordinary use once the measures had ended by the data year's end,
    and holds the data year's factor while they were in force."""
    from fundsim.scenario.regionplan import epidemic_utilisation

    factor = {int(r["year"]): float(r["factor"]) for r in rows()}
    in_force = {int(r["year"]): r["measures_at_year_end"] == "yes" for r in rows()}
    first_epidemic = min(factor)
    assert epidemic_utilisation(first_epidemic - 5, first_epidemic - 1) is None
    for data_year in range(first_epidemic, max(factor) + 3):
        values = epidemic_utilisation(data_year - 4, data_year)
        assert values is not None
        dated = {int(d[:4]): v for d, v in values["values"].items()}
        assert all(year <= data_year + 1 for year in dated)  # nothing after the data year's
        for year in range(first_epidemic, min(data_year, max(factor)) + 1):
            assert dated[year] == factor[year]
        last = min(data_year, max(factor))
        if last == data_year and in_force[last]:
            assert max(dated) == last and "held" in values["source"]  # its factor goes on
        else:
            assert dated[last + 1] == 1.0  # ordinary use after the last epidemic year
        if data_year - 4 < first_epidemic:
            assert dated[data_year - 4] == 1.0  # ordinary before the first
