from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from fundsim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "nanchuan" / "baseline.yaml"


@pytest.fixture(autouse=True)
def allow_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """These scenarios live in a temporary folder and extend the repository's baseline:
    allowed explicitly, as a user would with --allow-outside."""
    monkeypatch.setenv("FUNDSIM_ALLOW_OUTSIDE", str(ROOT))


def write(tmp_path: Path, name: str, text: str) -> Path:
    file = tmp_path / name
    file.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return file


def head(name: str = "t") -> str:
    return f"extends: {BASELINE}\nname: {name}\ntitle: {{zh: 测试, en: test}}\n"


def test_baseline_resolves_every_parameter() -> None:
    scenario = load_scenario(BASELINE)
    at_start = scenario.tree.at(scenario.horizon.start)
    assert at_start["benefits.urrbmi.inpatient.ratio.level3"] == 0.65
    assert at_start["contributions.urrbmi.individual_premium"] == 320  # 2021 value
    assert at_start["reporting.reserve_zones.target_low"] == 6.0  # catalogue default
    assert scenario.tree.at(dt.date(2030, 6, 1))["population.retirement_age.male"] == pytest.approx(
        61.1
    )
    assert scenario.warnings == []


def test_bounded_range_is_an_exception_on_top_of_open_changes(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + textwrap.dedent("""
        policy:
          payment.drg.share:
            2023-01-01.2023-12-31: 0.5
            2022-01-01: 0.3
            2025-01-01: 0.7
        """),
    )
    tree = load_scenario(file).tree
    share = lambda y, m=6: tree.at(dt.date(y, m, 1))["payment.drg.share"]  # noqa: E731
    assert [share(2021), share(2022), share(2023), share(2024), share(2025)] == [
        0.0,
        0.3,
        0.5,
        0.3,
        0.7,
    ]
    assert tree.at(dt.date(2024, 1, 1))["payment.drg.share"] == 0.3


def test_extends_list_applies_files_in_order_each_once(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", head("a") + "policy:\n  payment.drg.share: {2022-01-01: 0.3}\n")
    write(tmp_path, "b.yaml", head("b") + "policy:\n  payment.drg.share: {2022-01-01: 0.6}\n")
    both = write(
        tmp_path, "ab.yaml", "extends: [a.yaml, b.yaml]\nname: ab\ntitle: {zh: 甲乙, en: ab}\n"
    )
    scenario = load_scenario(both)
    assert [p.name for p in scenario.files] == ["baseline.yaml", "a.yaml", "b.yaml", "ab.yaml"]
    assert scenario.tree.at(dt.date(2023, 1, 1))["payment.drg.share"] == 0.6  # the later file wins
    reverse = write(
        tmp_path, "ba.yaml", "extends: [b.yaml, a.yaml]\nname: ba\ntitle: {zh: 乙甲, en: ba}\n"
    )
    assert load_scenario(reverse).tree.at(dt.date(2023, 1, 1))["payment.drg.share"] == 0.3


def test_child_parameters_replace_baseline_values_with_their_origin(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head() + "parameters:\n  finance:\n    interest_rate: {value: 0.02, source: test}\n",
    )
    scenario = load_scenario(file)
    step = scenario.tree.timeline("finance.interest_rate").step_at(dt.date(2021, 1, 1))
    assert step.value == 0.02 and step.origin.file.endswith("s.yaml") and step.origin.line == 6


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head()
        + textwrap.dedent("""
        policy:
          payment.drg.share: {2022-01-01: 2}
          payment.drg.shares: {2022-01-01: 0.2}
          settlement.lag_days: {2040-01-01: 20}
        """),
    )
    with pytest.raises(ScenarioError) as raised:
        load_scenario(file)
    messages = [d.message for d in raised.value.errors]
    assert len(messages) == 3
    assert any("outside [0, 1]" in m for m in messages)
    assert any("unknown parameter" in m for m in messages)
    assert any("outside the horizon" in m for m in messages)


def test_suspicious_values_are_warnings_not_errors(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        head() + "policy:\n  benefits.uebmi.inpatient.ratio.active.level3: {2023-01-01: 0.95}\n",
    )
    scenario = load_scenario(file)
    [warning] = [w for w in scenario.warnings if "level-3 ratio" in w.message]
    assert warning.line == 5 and "(from 2023-01-01)" in warning.message


def test_unsourced_baseline_value_is_warned(tmp_path: Path) -> None:
    file = write(tmp_path, "s.yaml", head() + "parameters:\n  finance:\n    interest_rate: 0.02\n")
    [warning] = load_scenario(file).warnings
    assert "no source" in warning.message and warning.path == "parameters.finance.interest_rate"


def test_scenario_hash_covers_chain_and_region_data() -> None:
    one = load_scenario(ROOT / "scenarios" / "nanchuan" / "drg.yaml")
    two = load_scenario(ROOT / "scenarios" / "nanchuan" / "procurement.yaml")
    assert len(one.sha256) == 64 and one.sha256 != two.sha256
    assert set(one.region_files) == {"population", "mortality", "admission_rates", "fertility"}
