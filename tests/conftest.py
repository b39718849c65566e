from __future__ import annotations

import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def pytest_configure(config: pytest.Config) -> None:
    """A test run started in the background of a non-interactive shell (``pytest &``) has
    SIGINT ignored, and every process it starts inherits that: the interrupt tests' commands
    would never see their Ctrl-C. Take it back as a terminal gives it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root, as a user does, so messages show relative paths."""
    monkeypatch.chdir(ROOT)
    return ROOT


def variant(scenario, values):  # type: ignore[no-untyped-def]
    """``scenario`` with ``values`` (path -> value) held over the whole horizon.

    Paths set here are no longer drawn as uncertain, so the variant differs from the
    scenario in exactly these values.
    """
    import dataclasses

    from fundsim.parameters.timeline import Origin

    origin = Origin("override", "test", 0)
    uncertainty = {p: u for p, u in scenario.uncertainty.items() if p not in values}
    return dataclasses.replace(
        scenario, tree=scenario.tree.with_values(values, origin), uncertainty=uncertainty
    )


@pytest.fixture(scope="session")
def nanchuan_small():  # type: ignore[no-untyped-def]
    """The Nanchuan baseline simulated as a 5% weighted sample (fast)."""
    from fundsim.scenario.loader import load_scenario

    return variant(
        load_scenario(SCENARIOS / "nanchuan" / "baseline.yaml"), {"population.sample": 0.05}
    )


@pytest.fixture(scope="session")
def make_variant():  # type: ignore[no-untyped-def]
    return variant


def write_bench_baseline(folder: Path) -> Path:
    """A workbench folder's one scenario: the 2% Nanchuan sample of the batch tests, over
    2021-2025 (it extends the repository's file: serve it with FUNDSIM_ALLOW_OUTSIDE)."""
    small = ROOT / "tests" / "e2e" / "batch" / "small.yaml"
    path = folder / "baseline.yaml"
    path.write_text(
        f"extends: {small}\nname: baseline\ntitle: {{zh: 基准（测试）, en: baseline (test)}}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def bench_baseline():  # type: ignore[no-untyped-def]
    return write_bench_baseline
