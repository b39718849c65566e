"""The data year and the start of a run, and the calibrate: section (issue 14)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fundsim.ensemble.evaluate import simulate
from fundsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"
DATA = ROOT / "calibration" / "nanchuan"


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    file = tmp_path / name
    file.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return file


def later(tmp_path: Path, region_extra: str = "", history: Path | None = None) -> Path:
    lines = [
        f"extends: {BASELINE}",
        "name: later",
        "title: {zh: 测试, en: test}",
        "horizon: {start: 2026-01-01, end: 2030-12-31}",
        "region:",
        "  name: {zh: 南川, en: Nanchuan}",
        "  data_year: 2020" + region_extra,
        "  data:",
        *(
            f"    {k}: {DATA / (k + '.csv')}"
            for k in ("population", "mortality", "admission_rates", "fertility")
        ),
        f"    history: {history or DATA / 'history.csv'}",
    ]
    return write(tmp_path, "\n".join(lines) + "\n")


def messages(found: object) -> str:
    items = found.warnings if hasattr(found, "warnings") else found.diagnostics  # type: ignore[attr-defined]
    return "\n".join(d.format() for d in items)


def test_a_horizon_after_the_data_year_warns_without_a_way_across(tmp_path: Path) -> None:
    text = messages(load_scenario(later(tmp_path)))
    assert "region.data_year" in text and "restarts from 2020's figures in 2026" in text
    assert "roll_forward" in text and "history" in text


def test_a_missing_data_year_warns(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        BASELINE.read_text(encoding="utf-8").replace("  data_year: 2020", "  # no data year"),
        "baseline.yaml",
    )
    for name in ("population", "mortality", "admission_rates", "fertility", "history"):
        text = file.read_text(encoding="utf-8")
        file.write_text(
            text.replace(f"../../calibration/nanchuan/{name}.csv", str(DATA / f"{name}.csv")),
            encoding="utf-8",
        )
    assert "no data year" in messages(load_scenario(file))
    assert load_scenario(BASELINE).warnings == []  # the data year meets the horizon


def test_roll_forward_simulates_from_the_data_year_and_reports_the_horizon(tmp_path: Path) -> None:
    scenario = load_scenario(later(tmp_path, "\n  start_from: roll_forward"))
    assert scenario.warnings == []
    assert scenario.horizon.start.year == 2021 and scenario.reported_start.year == 2026
    ds = simulate(scenario, run=1)
    assert ds.year.values.tolist() == [2026, 2027, 2028, 2029, 2030]
    whole = simulate(BASELINE, run=1)  # the same years of a run from 2021: the same money
    assert (ds.balance.sel(year=2028).values == whole.balance.sel(year=2028).values).all()
    assert "Rolled forward from the end of 2020" in scenario.start_note[1]


def test_start_from_history_scales_the_population_and_opens_with_its_balances(
    tmp_path: Path,
) -> None:
    history = tmp_path / "history.csv"
    history.write_text(
        "# source: test figures\nyear,fund,indicator,value,source\n"
        "2025,uebmi,insured_active,66000,t\n2025,uebmi,insured_retired,24000,t\n"
        "2025,urrbmi_pool,insured,500000,t\n2025,uebmi_pool,balance,300000000,t\n"
        "2025,uebmi_personal,balance,100000000,t\n2025,urrbmi_pool,balance,250000000,t\n",
        encoding="utf-8",
    )
    scenario = load_scenario(later(tmp_path, "\n  start_from: history", history))
    assert scenario.warnings == []
    assert (
        scenario.tree.at(scenario.horizon.start)["finance.opening_balance.urrbmi_pool"]
        == 250_000_000
    )
    persons = scenario.region_tables["population"].columns
    urrbmi = sum(
        p for s, p in zip(persons["scheme"], persons["persons"], strict=True) if s == "urrbmi"
    )
    assert urrbmi == pytest.approx(500_000)
    ds = simulate(scenario, run=0)
    assert ds.insured.sel(scheme="urrbmi", year=2026).item() == pytest.approx(500_000, rel=0.03)


def test_start_from_history_without_the_figures_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(later(tmp_path, "\n  start_from: history"))
    text = messages(caught.value)
    assert "region.start_from" in text and "no insured of uebmi_active" in text and "2025" in text


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            "2025,uebmi,insured_active,66000,t\n2025,uebmi,insured_retired,24000,t\n",
            "has no uebmi_active persons to scale to history.csv's 66,000, uebmi_retired "
            "persons to scale to history.csv's 24,000 at the end of 2025",
        ),
        (
            "2025,uebmi,insured,90000,t\n",
            "has no uebmi_active persons to take a share of history.csv's 90,000 uebmi insured",
        ),
    ],
)
def test_start_from_history_blames_the_population_for_a_scheme_it_lacks(
    tmp_path: Path, rows: str, said: str
) -> None:
    population = tmp_path / "population.csv"
    lines = (DATA / "population.csv").read_text(encoding="utf-8").splitlines()
    population.write_text(
        "".join(f"{line}\n" for line in lines if ",uebmi_" not in line), encoding="utf-8"
    )
    history = tmp_path / "history.csv"
    history.write_text(
        "# source: test figures\nyear,fund,indicator,value,source\n"
        + rows
        + "2025,urrbmi_pool,insured,500000,t\n2025,uebmi_pool,balance,300000000,t\n"
        "2025,uebmi_personal,balance,100000000,t\n2025,urrbmi_pool,balance,250000000,t\n",
        encoding="utf-8",
    )
    scenario = later(tmp_path, "\n  start_from: history", history)
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace(str(DATA / "population.csv"), str(population)), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)
    (error,) = caught.value.errors
    assert error.path == "region.start_from" and f"population.csv {said}" in error.message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("care.admision_level: {low: 0.5, high: 1.5}", "unknown parameter 'care.admision_level'"),
        ("contributions.urrbmi.individual_premium: {low: 100, high: 500}", "changes over time"),
        ("benefits.urrbmi.inpatient.ratio.level3: {low: 0.5, high: 1.5}", "outside"),
        ("care.admission_level: {low: 1.5, high: 0.5}", "must be below"),
        ("population.uebmi_exit.under_35.then: {low: 0.0, high: 0.1}", "no then: rule"),
        (
            "care.cost_level: {low: 0.6, high: 1.6, anchor: uebmi spending}",
            "anchor 'uebmi spending' is not 'FUND INDICATOR'",
        ),
        (
            "care.cost_level: {low: 0.6, high: 1.6, anchor: uebmi balance}",
            "(income, expenditure)",
        ),
        (
            "care.cost_level: {low: 0.6, high: 1.6, anchor: uebmi expenditure}\n"
            "    care.admission_level: {low: 0.6, high: 1.6, anchor: uebmi expenditure}",
            "anchors care.cost_level already",
        ),
    ],
)
def test_a_bad_calibrate_entry_is_a_located_error(tmp_path: Path, entry: str, message: str) -> None:
    file = write(
        tmp_path,
        f"extends: {BASELINE}\nname: t\ntitle: {{zh: 测试, en: test}}\ncalibrate:\n  parameters:\n    {entry}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    text = messages(caught.value)
    assert "s.yaml:" in text and message in text, text


def test_the_calibrate_section_reads_bounds_and_start_values() -> None:
    plan = load_scenario(BASELINE).calibrate
    assert plan is not None and plan.first_year == 2019
    by_path = {p.path: p for p in plan.parameters}
    assert by_path["care.admission_level"].start == 1.0
    assert by_path["contributions.uebmi.base_to_average_wage"].low == 0.35
    assert by_path["care.admission_level"].anchor is None
