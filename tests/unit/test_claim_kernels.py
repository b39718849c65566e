"""The simulation's fast paths against their specifications: the compiled settlement against
the numpy ``settle``, the level lookup against ``searchsorted``, the carried totals against
one batch, and the admission draw's order and dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fundsim.benefits.fields import PRIOR_FIELDS
from fundsim.benefits.kernel import settle_grouped
from fundsim.benefits.rules import RunningTotals, settle
from fundsim.benefits.tables import TermTables
from fundsim.claims.inpatient import Candidates, CellIndex, draw_admissions, draw_care, trend_factor
from fundsim.claims.kernels import TICKS, TIME_BITS, admission_keys, level_bounds, pick_level
from fundsim.codes import LEVELS
from fundsim.parameters.tree import Snapshot
from fundsim.population.arrays import IDLE, Population
from fundsim.random.hashing import (
    hashed_exponential,
    hashed_normal,
    hashed_open_uniform,
    hashed_uniform,
)
from fundsim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ZERO = PRIOR_FIELDS


def random_batch(terms: TermTables, n: int, people: int, rng: np.random.Generator) -> dict:
    """Claims grouped by person, each person with one status and group, heavy-tailed costs."""
    person = np.sort(rng.integers(0, people, n))
    status_of = rng.integers(0, 3, people)
    group_of = rng.integers(0, 3, people)
    total = rng.lognormal(np.log(20_000), 1.2, n)
    level = rng.integers(0, terms.deductible.shape[1], n)
    tcm = rng.random(n) < 0.2
    first = np.ones(n, dtype=bool)
    first[1:] = person[1:] != person[:-1]
    return {
        "person": person,
        "first": first,
        "total": total,
        "policy_range": total * rng.uniform(0.6, 1.0, n),
        "status": status_of[person],
        "level": level,
        "tcm": tcm.astype(np.intp),
        "group": group_of[person],
        "prior": {
            k: (rng.integers(0, 4, n) if k == "admissions" else rng.uniform(0, 30_000, n))
            * (rng.random(n) < 0.3)
            for k in ZERO
        },
        # a few long stays and transfers (the rules of issue 16 that read them)
        "stay": {
            "days": np.where(rng.random(n) < 0.1, rng.integers(1, 300, n), 8).astype(float),
            "transfer": (rng.random(n) < 0.2).astype(float),
        },
    }


def kernel_against_rules(terms: TermTables, b: dict) -> tuple:  # type: ignore[type-arg]
    """The batch ``b`` settled by the compiled kernel and by the numpy rules: the same
    payments (the claims and the rules' settlement returned for further checks)."""
    # a person's prior totals are the same on all their claims
    prior = {k: v[np.searchsorted(b["person"], b["person"])] for k, v in b["prior"].items()}
    claims = terms.claims(
        b["person"],
        b["total"],
        b["policy_range"],
        b["status"],
        b["level"],
        b["tcm"],
        b["group"],
        prior,
    )
    claims = dataclasses.replace(claims, stay=b["stay"])
    want = settle(claims)
    key = terms.key(b["status"], b["level"], b["tcm"], b["group"])
    got = settle_grouped(terms, b["first"], b["total"], b["policy_range"], key, prior, b["stay"])
    for name in ("fund", "layer", "assistance", "patient", "deductible_applied", "standard"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=1e-9, atol=1e-6)
    return claims, want


@pytest.mark.parametrize("region", ["nanchuan", "yangjiang"])
def test_compiled_settlement_pays_what_the_rules_pay(region: str) -> None:
    rng = np.random.default_rng(7)
    snapshot = load(region)
    terms = TermTables.from_snapshot(snapshot)
    for people in (50, 2_000, 40_000):  # few people: long runs of claims that reach the caps
        b = random_batch(terms, 20_000, people, rng)
        claims, want = kernel_against_rules(terms, b)
        assert (want.layer > 0).any() and (want.assistance > 0).any()  # the layers were exercised
        assert (
            np.minimum.reduceat(claims.pool_cap - want.fund, np.flatnonzero(b["first"])) >= -1e-6
        ).all()


def test_carried_totals_make_two_batches_one() -> None:
    rng = np.random.default_rng(11)
    terms = TermTables.from_snapshot(load("yangjiang"))
    b = random_batch(terms, 5_000, 300, rng)
    key = terms.key(b["status"], b["level"], b["tcm"], b["group"])
    zeros = {k: np.zeros(len(key)) for k in ZERO}
    whole = settle_grouped(terms, b["first"], b["total"], b["policy_range"], key, zeros)
    # split each person's claims in time: the earlier half first, then the rest
    rank = np.arange(len(key)) - np.maximum.accumulate(np.where(b["first"], np.arange(len(key)), 0))
    early = rank < 2
    totals = RunningTotals.empty()
    paid = {}
    for part in (early, ~early):
        idx = np.flatnonzero(part)
        person = b["person"][idx]
        first = np.ones(len(idx), dtype=bool)
        first[1:] = person[1:] != person[:-1]
        result = settle_grouped(
            terms, first, b["total"][idx], b["policy_range"][idx], key[idx], totals.prior(person)
        )
        totals = totals.add(person, b["policy_range"][idx], result)
        paid[part.tobytes()] = (idx, result)
    fund = np.empty(len(key))
    for idx, result in paid.values():
        fund[idx] = result.fund
    np.testing.assert_allclose(fund, whole.fund, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(
        np.bincount(b["person"], weights=whole.fund)[totals.person], totals.fund, rtol=1e-9
    )


def test_level_lookup_is_exactly_a_search() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        mix = rng.random((2, 5)) * (rng.random((2, 5)) > 0.2) + np.array([1e-3, 0, 0, 0, 0])
        cumulative = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
        u = rng.random(5_000)
        u[:10] = cumulative[0, :].repeat(2)[:10] % 1.0  # draws exactly on a boundary
        urrbmi = rng.random(len(u)) < 0.5
        want = np.where(
            urrbmi,
            np.minimum(np.searchsorted(cumulative[1], u, side="right"), 4),
            np.minimum(np.searchsorted(cumulative[0], u, side="right"), 4),
        )
        got = [
            pick_level(level_bounds(cumulative)[int(p)], x)
            for x, p in zip(u[:5000], urrbmi[:5000], strict=True)
        ]
        np.testing.assert_array_equal(got, want[:5000])


def small_population(rng: np.random.Generator, n: int = 20_000) -> tuple[Population, CellIndex]:
    pop = Population(weight=1.0)
    cell = rng.integers(0, 30, n).astype(np.int16)
    cell[:1000] = IDLE
    pop.append(
        birth=-rng.random(n) * 30 * 365.25,
        sex=(cell // 3 % 2).astype(np.int8),
        scheme=(cell % 3).astype(np.int8),
        cell=cell,
    )
    return pop, CellIndex.from_cells(pop.cell, np.empty(0, dtype=np.intp))


def test_admissions_come_grouped_by_person_in_time_order_with_the_trend() -> None:
    rng = np.random.default_rng(5)
    pop, index = small_population(rng)
    rate = np.zeros(IDLE + 1)
    rate[:30] = 1.5  # admissions per member-year
    growth = 0.5  # a steep trend, to see it within the year
    candidates = Candidates.draw(index, rate, 1.0, 0.0, 365.25, growth, rng)
    person, first, when, _cells, _status, _keys = draw_admissions(
        pop, index, candidates, 0.0, 365.25, 1.0
    )
    assert (pop.cell[person] != IDLE).all()
    same = ~first[1:]
    assert (person[1:][same] == person[:-1][same]).all()
    assert (when[1:][same] >= when[:-1][same]).all()  # time order within a person
    assert len(np.unique(person[first])) == first.sum()  # each person one run
    # count: Poisson with mean rate × members × mean trend factor; 4 standard deviations
    expected = 1.5 * 19_000 * trend_factor(growth, 365.25)
    assert abs(len(person) - expected) < 4 * np.sqrt(expected)
    # dates follow the density ∝ 1.5^t: the share in the second half of the year
    share = np.mean(when >= 365.25 / 2)
    want = (1.5 - 1.5**0.5) / (1.5 - 1.0)
    assert abs(share - want) < 4 * np.sqrt(want * (1 - want) / len(when))


@pytest.mark.parametrize("growth", [0.03, -0.1, 0.2, 0.5])
def test_admission_days_are_the_trend_inverse_cdf_of_each_key(growth: float) -> None:
    """Each admission's day is day + length × log1p(q × expm1(beta)) / beta of its key's time
    quantile q, to a microsecond, whether the log comes from the table (trends up to ±25%)
    or from log1p (steeper)."""
    rng = np.random.default_rng(12)
    pop, index = small_population(rng)
    rate = np.zeros(IDLE + 1)
    rate[:30] = 0.5
    candidates = Candidates.draw(index, rate, 1.0, 10.0, 365.0, growth, rng)
    _person, _first, when, _cells, _status, keys = draw_admissions(
        pop, index, candidates, 10.0, 375.0, 1.0
    )
    q = (keys & (TICKS - 1)) / TICKS
    beta = candidates.beta  # log1p(growth) over the 365 of 365.25 days
    assert beta == pytest.approx(np.log1p(growth) * 365.0 / 365.25)
    exact = 10.0 + 365.0 * np.log1p(q * np.expm1(beta)) / beta
    assert len(when) > 5_000
    np.testing.assert_allclose(when, exact, rtol=0, atol=1e-6 / 86_400)


def test_volume_effects_thin_shared_candidates_and_batches_split_the_year() -> None:
    """Common random numbers: a scenario with fewer admissions keeps a subset of another's,
    with the same people, days and cost draws; cutting the year into batches changes
    nothing."""
    rng = np.random.default_rng(8)
    pop, index = small_population(rng)
    rate = np.zeros(IDLE + 1)
    rate[:30] = 0.4
    candidates = Candidates.draw(index, rate, 1.0, 0.0, 365.0, 0.03, rng)
    low = draw_admissions(pop, index, candidates, 0.0, 365.0, 0.9)
    high = draw_admissions(pop, index, candidates, 0.0, 365.0, 1.1)
    assert set(low[5].tolist()) < set(high[5].tolist())
    assert abs(len(high[5]) / len(low[5]) - 1.1 / 0.9) < 0.05
    _shared, in_low, in_high = np.intersect1d(low[5], high[5], return_indices=True)
    np.testing.assert_array_equal(low[0][in_low], high[0][in_high])
    np.testing.assert_array_equal(low[2][in_low], high[2][in_high])
    mix = np.array([[0.2, 0.2, 0.2, 0.2, 0.2]] * 2).cumsum(axis=1)

    def price(result: tuple) -> np.ndarray:
        person, first, when, cell, status, keys = result
        adm = draw_care(
            pop,
            person,
            first,
            when,
            cell,
            status,
            keys,
            candidates.base,
            0.0,
            mix,
            np.full(5, 8000.0),
            0.1,
            np.ones(IDLE + 1),
            0.9,
            0.0,
            np.ones(5),
            np.ones(3),
            (3, 5, 2, 3),
        )
        return adm.total

    np.testing.assert_array_equal(price(low)[in_low], price(high)[in_high])
    whole = draw_admissions(pop, index, candidates, 0.0, 365.0, 1.0)
    parts = [
        draw_admissions(pop, index, candidates, a, b, 1.0)
        for a, b in ((0.0, 100.0), (100.0, 365.0))
    ]
    assert sorted(np.concatenate([p[5] for p in parts]).tolist()) == sorted(whole[5].tolist())
    assert (parts[0][2] < 100.0).all() and (parts[1][2] >= 100.0).all()


def test_admission_keys_come_sorted_with_uniform_positions_and_times() -> None:
    """Order statistics drawn directly: sorted keys, each cell's count kept, positions
    uniform over the cell's people and time quantiles uniform, independent of position."""
    rng = np.random.default_rng(4)
    size = np.array([0, 3, 50, 1, 400, 7], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    counts = np.array([0, 2_000, 30_000, 500, 40_000, 0], dtype=np.int64)
    keys, cells = admission_keys(counts, start, size, np.uint64(rng.integers(2**63)))
    assert (np.diff(keys) >= 0).all()
    np.testing.assert_array_equal(np.bincount(cells, minlength=len(counts)), counts)
    position = keys >> TIME_BITS
    assert ((position >= start[cells]) & (position < (start + size)[cells])).all()
    for c in (1, 2, 4):
        mine = cells == c
        seen = np.bincount(position[mine] - start[c], minlength=size[c])
        assert stats.chisquare(seen).pvalue > 1e-3
    ticks = (keys & (TICKS - 1)) / TICKS
    assert stats.kstest(ticks, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(ticks, position % 2)[0, 1]) < 4 / np.sqrt(len(keys))


def test_hashed_draws_are_uniform_independent_and_give_normals() -> None:
    keys = np.arange(50_000, dtype=np.int64) * 7919 + 13
    u = np.array([hashed_uniform(np.uint64(12345), k, 2) for k in keys])
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    v = np.array([hashed_uniform(np.uint64(12345), k, 3) for k in keys])
    assert abs(np.corrcoef(u, v)[0, 1]) < 4 / np.sqrt(len(u))  # streams independent
    w = np.array([hashed_uniform(np.uint64(54321), k, 2) for k in keys])
    assert abs(np.corrcoef(u, w)[0, 1]) < 4 / np.sqrt(len(u))  # years independent
    open_u = np.array([hashed_open_uniform(np.uint64(7), k, 3) for k in keys])
    assert (open_u > 0).all() and (open_u < 1).all()


def test_hashed_normals_are_standard_normal_tails_included() -> None:
    """The ziggurat (as price_admissions draws each cost's normal): 400,000 keys against the
    normal CDF, and the tail shares beyond 2, 3 and 3.5 within 4 binomial standard errors;
    the same key gives the same normal."""
    draw = np.vectorize(lambda k: hashed_normal(np.uint64(11), k, 3))
    keys = np.arange(400_000, dtype=np.int64) * 104_729 + 7
    z = draw(keys)
    assert stats.kstest(z, "norm").pvalue > 1e-3
    for cut in (2.0, 3.0, 3.5):
        p = 2 * stats.norm.sf(cut)
        assert abs(np.mean(np.abs(z) > cut) - p) < 4 * np.sqrt(p * (1 - p) / len(z))
    assert abs(z.mean()) < 4 / np.sqrt(len(z)) and abs(z.std() - 1) < 0.005
    np.testing.assert_array_equal(draw(keys[:100]), z[:100])


def test_hashed_exponentials_are_standard_exponential_tail_included() -> None:
    """The exponential ziggurat (as admission_keys draws the spacings): 400,000 keys against
    the exponential CDF; the shares beyond 3, 7.7 (the ziggurat's tail start R) and 9 within
    4 binomial standard errors; mean and variance 1; the same key gives the same draw."""
    draw = np.vectorize(lambda k: hashed_exponential(np.uint64(23), k, 4))
    keys = np.arange(400_000, dtype=np.int64) * 104_729 + 3
    e = draw(keys)
    assert (e >= 0).all()
    assert stats.kstest(e, "expon").pvalue > 1e-3
    for cut in (3.0, 7.7, 9.0):
        p = np.exp(-cut)
        assert abs(np.mean(e > cut) - p) < 4 * np.sqrt(p * (1 - p) / len(e))
    # standard errors of the mean and of the variance of Exp(1): 1/sqrt(n) and sqrt(8/n)
    assert abs(e.mean() - 1) < 4 / np.sqrt(len(e))
    assert abs(e.var() - 1) < 4 * np.sqrt(8 / len(e))
    np.testing.assert_array_equal(draw(keys[:100]), e[:100])


def load(region: str) -> Snapshot:
    return load_scenario(SCENARIOS / region / "baseline.yaml").tree.at(dt.date(2024, 6, 1))


def test_pricing_draws_the_level_mix_tcm_share_and_mean_cost() -> None:
    """One uniform gives both the level and, independently, TCM; the cost has its mean."""
    rng = np.random.default_rng(9)
    n = 200_000
    mix = np.array([[0.1, 0.2, 0.3, 0.3, 0.1], [0.3, 0.3, 0.2, 0.15, 0.05]])
    cumulative = np.cumsum(mix, axis=1)
    status = rng.integers(0, 3, n).astype(np.int8)
    mean_cost = np.array([1000.0, 3000.0, 6000.0, 12000.0, 20000.0])
    keys = np.sort(rng.integers(0, 2**62, n))
    pop = Population(weight=1.0)
    pop.append(birth=np.zeros(1), sex=np.zeros(1, dtype=np.int8), scheme=np.zeros(1, dtype=np.int8))
    adm = draw_care(
        pop,
        np.zeros(n, dtype=np.intp),
        np.ones(n, dtype=bool),
        np.zeros(n),
        np.zeros(n, dtype=np.int64),
        status,
        keys,
        np.uint64(99),
        0.0,
        cumulative,
        mean_cost,
        0.0,
        np.ones(1),
        0.8,
        0.25,
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        np.array([0.9, 0.9, 0.8]),
        (3, 5, 2, 3),
    )
    total, in_range, key, by_status = adm.total, adm.policy_range, adm.key, adm.by_status
    level = key // 6 % 5
    tcm = key // 3 % 2
    for pool, rows in ((0, status < 2), (1, status == 2)):
        shares = np.bincount(level[rows], minlength=5) / rows.sum()
        se = np.sqrt(mix[pool] * (1 - mix[pool]) / rows.sum())
        assert (np.abs(shares - mix[pool]) < 4 * se).all()
    for lv in range(5):  # TCM at its share within every level: independent of the level
        pick = level == lv
        assert abs(tcm[pick].mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / pick.sum())
    ratio = total / mean_cost[level]
    assert abs(ratio.mean() - 1.0) < 4 * ratio.std() / np.sqrt(n)
    assert abs(np.log(ratio).std() - 0.8) < 0.01
    np.testing.assert_allclose(in_range, total * np.array([0.9, 0.9, 0.8])[status])
    np.testing.assert_allclose(by_status[:, 0], np.bincount(status, minlength=3))
    np.testing.assert_allclose(by_status[:, 1], np.bincount(status, weights=total, minlength=3))


@pytest.mark.parametrize(
    "rule",
    [
        "half-from-second",
        "free-from-third",
        "step-100-floor-200",
        "uebmi-three-tiers",
        "uebmi-above-cap",
        "once-a-year",
        "transfer-difference",
        "long-stay-90",
    ],
)
def test_compiled_settlement_follows_the_rules_of_issue_16(rule: str) -> None:
    rules = Path(__file__).resolve().parents[1] / "cases" / "benefits" / "rules"
    snapshot = load_scenario(rules / f"{rule}.yaml").tree.at(dt.date(2023, 6, 1))
    terms = TermTables.from_snapshot(snapshot)
    rng = np.random.default_rng(3)
    b = random_batch(terms, 20_000, 500, rng)  # many admissions a person
    claims, want = kernel_against_rules(terms, b)
    if rule.startswith("uebmi"):  # the employees' high-cost layer was used
        assert (want.layer[b["status"] < 2] > 0).any()
    elif rule == "long-stay-90":  # some long stays paid their deductible more than once
        assert (want.standard > claims.deductible + 1e-9).any()
    else:  # the ladder was used: some URRBMI deductibles fall below their level's own
        lowered = want.deductible_applied < np.minimum(claims.deductible, b["policy_range"]) - 1e-9
        assert lowered[b["status"] == 2].any()


def test_out_of_area_stays_draw_their_filing_status_at_its_shares() -> None:
    rng = np.random.default_rng(4)
    n = 200_000
    mix = np.full((2, len(LEVELS)), 1 / len(LEVELS))
    status = rng.integers(0, 3, n).astype(np.int8)
    keys = np.sort(rng.integers(0, 2**62, n))
    pop = Population(weight=1.0)
    pop.append(birth=np.zeros(1), sex=np.zeros(1, dtype=np.int8), scheme=np.zeros(1, dtype=np.int8))
    shares = np.array([0.5, 0.3, 0.15, 0.05])

    def priced(filing: np.ndarray | None) -> np.ndarray:
        adm = draw_care(
            pop, np.zeros(n, dtype=np.intp), np.ones(n, dtype=bool), np.zeros(n),
            np.zeros(n, dtype=np.int64), status, keys, np.uint64(7), 0.0, np.cumsum(mix, axis=1),
            np.full(len(LEVELS), 5000.0), 0.0, np.ones(1), 0.8, 0.0, np.ones(len(LEVELS)),
            np.ones(3), (12, len(LEVELS), 2, 3),
            filing,
        )  # fmt: skip
        return adm.key

    key = priced(shares)
    block, level = key // (len(LEVELS) * 2 * 3), key // 6 % len(LEVELS)
    away = level == LEVELS.index("out_of_area")
    assert (block[~away] < 3).all()  # every local stay in the filed block
    got = np.bincount(block[away] // 3, minlength=4) / away.sum()
    assert (np.abs(got - shares) < 4 * np.sqrt(shares * (1 - shares) / away.sum())).all()
    # the same stays with everyone filed: the same levels, costs and keys in the filed block
    plain = priced(None)
    np.testing.assert_array_equal(plain, key % (3 * len(LEVELS) * 2 * 3))
