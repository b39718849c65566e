"""The yearly shocks on admissions, costs and wages (architecture §2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

# each (sigma, persistence), in the order their normals are drawn
SHOCKS = (
    ("care.shock_sigma", "care.shock_persistence"),
    ("care.cost_shock_sigma", "care.cost_shock_persistence"),
    ("economy.wage_shock_sigma", "economy.wage_shock_persistence"),
)


def next_shocks(
    s: Mapping[str, Any], eps: NDArray[np.float64], state: NDArray[np.float64], first: bool
) -> tuple[list[float], NDArray[np.float64]]:
    """The year's multipliers and the new state: each log an AR(1) with stationary spread σ,
    z = ρ·z₋₁ + √(1−ρ²)·σ·ε (z₀ = σ·ε), the multiplier exp(z − σ²/2) of mean 1. ``eps``:
    the year's three standard normals, drawn whatever the scenario's policy."""
    new = state.copy()
    multipliers = []
    for k, (sigma_path, rho_path) in enumerate(SHOCKS):
        sigma, rho = float(s[sigma_path]), float(s[rho_path])
        z = sigma * eps[k] if first else rho * state[k] + np.sqrt(1 - rho * rho) * sigma * eps[k]
        new[k] = z
        multipliers.append(float(np.exp(z - 0.5 * sigma * sigma)))
    return multipliers, new
