from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


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
