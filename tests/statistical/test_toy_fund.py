"""Monte Carlo mean of the toy fund's yearly expenditure against its closed form.

The toy fund (toy/toy.yaml): N members all year, admissions Poisson with rate λ per
member-year, each admission's cost X lognormal (mean m, sigma σ), the fund paying
Y = r·(X − d)⁺ per admission within an annual cap c per person. A member's yearly payment is
min(Y₁ + … + Y_K, c) with K ~ Poisson(λ). Its expectation is computed here with scipy,
independently of fundsim's code: the K = 1 and K = 2 terms by numerical integration, the
K ≥ 3 term bounded by P(K ≥ 3)·c and taken at half that bound (its whole width goes into the
tolerance). Every simulated year is an independent replication (annual totals reset), so
the runs × years yearly totals give the Monte Carlo mean and its standard error.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from fundsim.ensemble.evaluate import simulate
from fundsim.scenario.loader import load_scenario

TOY = Path(__file__).parent / "toy" / "toy.yaml"
N, RATE, MEAN, SIGMA, DEDUCTIBLE, RATIO, CAP = 20_000, 0.05, 10_000.0, 0.9, 700.0, 0.6, 20_000.0


def closed_form() -> tuple[float, float]:
    """(expected yearly fund payment per member, width of the K ≥ 3 bound)."""
    cost = stats.lognorm(s=SIGMA, scale=MEAN * math.exp(-(SIGMA**2) / 2))

    def survival_y(s: float) -> float:  # P(Y > s) for s ≥ 0
        return float(cost.sf(DEDUCTIBLE + s / RATIO))

    def limited(t: float) -> float:  # E[min(Y, t)] = ∫₀ᵗ P(Y > s) ds
        return integrate.quad(survival_y, 0.0, t, limit=200)[0] if t > 0 else 0.0

    one = limited(CAP)

    # E[min(Y1 + Y2, c)] = P(Y1 = 0)·E[min(Y2, c)] + ∫ over x > d of (y + E[min(Y2, c − y)]) or c
    def given(x: float) -> float:
        y = RATIO * (x - DEDUCTIBLE)
        return (y + limited(CAP - y) if y < CAP else CAP) * float(cost.pdf(x))

    x_cap = DEDUCTIBLE + CAP / RATIO
    two = float(cost.cdf(DEDUCTIBLE)) * one
    two += integrate.quad(given, DEDUCTIBLE, x_cap, limit=100)[0]
    two += CAP * float(cost.sf(x_cap))
    k = stats.poisson(RATE)
    tail = float(k.sf(2)) * CAP
    return float(k.pmf(1)) * one + float(k.pmf(2)) * two + tail / 2, tail


@pytest.mark.slow
@pytest.mark.parametrize("tick_days", [None, 7.0], ids=["yearly-batches", "weekly-ticks"])
def test_monte_carlo_mean_matches_closed_form(tick_days: float | None) -> None:
    """Both ways of drawing the same process: one batch per year, and weekly ticks whose
    claims carry each person's annual totals from tick to tick (caps reached mid-year)."""
    scenario = load_scenario(TOY)
    yearly = []
    for run in range(8):
        ds = simulate(scenario, run=run, seed=7, tick_days=tick_days)
        assert float(ds.insured.sel(scheme="urrbmi").min()) == N  # the population stays fixed
        spent = ds.expenditure_incurred.sel(fund="urrbmi_pool").values.ravel()
        yearly.extend(spent)
    yearly = np.asarray(yearly)
    expected, tail = closed_form()
    expected *= N
    mean = yearly.mean()
    se = yearly.std(ddof=1) / math.sqrt(len(yearly))
    assert abs(mean - expected) <= 3 * se + tail * N / 2, (
        f"MC mean {mean:,.0f} vs closed form {expected:,.0f} (3 SE = {3 * se:,.0f})"
    )
    # the test has power: a 5% error in the cost level would be caught
    assert 3 * se + tail * N / 2 < 0.05 * expected


def test_a_known_year_of_low_use_scales_its_admissions(tmp_path: Path) -> None:
    """care.utilisation (an epidemic year, issue 29) multiplies that year's admissions and no
    other's: with the toy's fixed N members and Poisson rate λ, the year's admissions over the
    runs are Poisson of mean runs·N·λ·u (the test: within 4 standard deviations, u = 0.6 in
    2023 and 1 before and after)."""
    child = tmp_path / "epidemic.yaml"
    child.write_text(
        f"extends: {TOY}\nname: epidemic\ntitle: {{zh: 疫情年, en: epidemic year}}\n"
        "parameters:\n  care:\n    utilisation:\n"
        "      values: {2021-01-01: 1.0, 2023-01-01: 0.6, 2024-01-01: 1.0}\n"
        "      source: synthetic test values\n",
        encoding="utf-8",
    )
    scenario = load_scenario(child, allow_outside=[TOY.parents[3]])
    runs = 6
    by_year = sum(
        simulate(scenario, run=run, seed=11).admissions.sum("scheme").values.ravel()
        for run in range(runs)
    )
    for year, count in zip(range(2021, 2026), by_year, strict=True):
        expected = runs * N * RATE * (0.6 if year == 2023 else 1.0)
        assert abs(count - expected) <= 4 * math.sqrt(expected), (year, count, expected)
    # power: a year left at 1 would be 25 standard deviations off
    assert runs * N * RATE * 0.4 > 10 * math.sqrt(runs * N * RATE)


def test_drawn_epidemic_episodes_come_at_their_rate_and_size(tmp_path: Path) -> None:
    """care.epidemic_rate (issue 29, item 4): after the data year an episode begins with that
    chance in a year outside one and lasts care.epidemic_years years at care.epidemic_factor.
    The toy's 1,000 admissions a year (Poisson) halve in an episode, so each run-year is told
    apart (under 750); over 120 runs the count of episode years is within 4 standard
    deviations of its exact mean (one-year episodes: each year independent; two-year ones:
    the exact law of a run's count by enumeration)."""
    expected_admissions = N * RATE
    runs = 120
    for years in (1, 2):
        child = tmp_path / f"episodes{years}.yaml"
        child.write_text(
            f"extends: {TOY}\nname: episodes\ntitle: {{zh: 疫情, en: episodes}}\n"
            "parameters:\n  care:\n    source: synthetic test values\n"
            f"    epidemic_rate: 0.3\n    epidemic_factor: 0.5\n    epidemic_years: {years}\n",
            encoding="utf-8",
        )
        scenario = load_scenario(child, allow_outside=[TOY.parents[3]])
        counts, in_episodes = [], []
        for run in range(runs):
            by_year = simulate(scenario, run=run, seed=5).admissions.sum("scheme").values.ravel()
            low = by_year < 0.75 * expected_admissions
            in_episodes.extend(by_year[low])
            if years == 2:  # an episode's years come together, never one alone inside
                starts = np.flatnonzero(low[1:] & ~low[:-1]) + 1
                assert all(s + 1 >= len(low) or low[s + 1] for s in starts)
            counts.append(int(low.sum()))
        # an episode year holds half the admissions: Poisson of mean 500, within 4 sd
        half = 0.5 * expected_admissions
        assert abs(np.mean(in_episodes) - half) <= 4 * math.sqrt(half / len(in_episodes))
        mean, var = exact_episode_law(0.3, years, len(by_year))
        total = sum(counts)
        assert abs(total - runs * mean) <= 4 * math.sqrt(runs * var), (years, total, runs * mean)


def exact_episode_law(rate: float, years: int, horizon: int) -> tuple[float, float]:
    """Mean and variance of a run's episode years: a Markov chain on the years left in an
    episode, carried with the count (state: left, count → probability)."""
    law: dict[tuple[int, int], float] = {(0, 0): 1.0}
    for _ in range(horizon):
        nxt: dict[tuple[int, int], float] = {}
        for (left, count), p in law.items():
            if left:
                key = (left - 1, count + 1)
                nxt[key] = nxt.get(key, 0.0) + p
                continue
            for begins, q in ((True, rate), (False, 1 - rate)):
                key = (years - 1, count + 1) if begins else (0, count)
                nxt[key] = nxt.get(key, 0.0) + p * q
        law = nxt
    mean = sum(p * c for (_, c), p in law.items())
    return mean, sum(p * c * c for (_, c), p in law.items()) - mean * mean
