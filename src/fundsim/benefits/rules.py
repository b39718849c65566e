"""Benefit rules of one inpatient claim, as pure vectorised functions (DOMAIN "Mechanics").

Order of payment for a claim, each layer on what the previous left to the patient:

1. pooled fund: (policy-range cost − deductible)⁺ × ratio, within the annual pooled cap; the
   deductible is the level's, times the factor of the admission's place in the person's year
   (``repeat.factors``), less ``repeat.step`` per earlier admission down to ``repeat.floor``,
   once more for each further ``repeat.long_stay_days`` of a long stay; a stay entered on
   transfer pays only what it exceeds the previous stay's (``repeat.transfer_difference``),
   and where it is paid once a year (``repeat.once_a_year``) a stay pays only what it exceeds
   the deductibles already paid that year;
2. UEBMI supplementary high-cost cover, in tiers: on the annual policy-range self-pay above
   each threshold, deductibles excluded (seed 003: "个人自付累计超过12000元(不含起付线)"), or on
   the policy-range cost above the pooled fund's annual cap (``basis: above_cap``: it starts
   where the pool stops), within its cap;
3. URRBMI critical illness: tiers on the annual cumulative policy-range self-pay (seed 003: 60%
   for 15,000–65,000, 70% above), within its cap; special groups have a lower threshold, a
   higher ratio and may be uncapped;
4. medical assistance: a share of the policy-range cost still left to special-group members
   (and of the cost outside the policy range where the region's assistance pays on it),
   within its annual cap;
5. the patient pays the rest, including the cost outside the policy range assistance leaves.

Annual caps and tiers depend on a person's running total (architecture §5): claims are ordered by
person (stable, so time order is kept within a person), the running totals are segmented
cumulative sums, and each claim gets F(total after) − F(total before). For every claim
fund + supplementary + critical illness + assistance + patient = total cost, to rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .fields import PRIOR_FIELDS, STAY_FIELDS

Array = NDArray[np.float64]


def tiered(total: Array, starts: Array, ratios: Array) -> Array:
    """Cumulative payment of a tier table at annual amounts ``total``.

    Parameters
    ----------
    total : annual cumulative amount [yuan], any shape
    starts : increasing tier thresholds [yuan], shape (k,) or broadcastable to total + (k,)
    ratios : share paid within each tier [1], same shape as ``starts``

    Returns
    -------
    Σₖ ratioₖ × clip(total − startₖ, 0, startₖ₊₁ − startₖ) [yuan]
    """
    total = np.asarray(total, dtype=float)[..., None]
    starts = np.asarray(starts, dtype=float)
    ratios = np.asarray(ratios, dtype=float)
    ends = np.concatenate([starts[..., 1:], np.full((*starts.shape[:-1], 1), np.inf)], axis=-1)
    paid: Array = np.sum(ratios * np.clip(np.minimum(total, ends) - starts, 0.0, None), axis=-1)
    return paid


def group_order(person: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Stable order of claims by person, and where each person's run of claims starts."""
    order = np.argsort(person, kind="stable")
    sorted_person = person[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_person[1:] != sorted_person[:-1]
    return order, first


def group_starts(first: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Index of each claim's group's first claim (claims grouped by person)."""
    index = np.where(first, np.arange(len(first)), 0)
    np.maximum.accumulate(index, out=index)
    return index


def running_before(amount: Array, starts: NDArray[np.intp], carry: float = 0.0) -> Array:
    """Per-person cumulative sum of ``amount`` *before* each claim (claims grouped by person;
    ``starts`` from :func:`group_starts`). ``carry``: see :func:`running_sums`."""
    before = running_sums(amount, carry)
    before -= amount
    result: Array = before - before[starts]
    return result


def running_sums(amount: Array, carry: float = 0.0) -> Array:
    """The cumulative sums of ``amount``, added in order from ``carry``: the running sum of
    the claims of an earlier batch of the same array (its last sum), so that an array cut
    into batches at persons gets the sums of the whole array, float for float."""
    if not carry:
        return np.cumsum(amount)
    sums: Array = np.cumsum(np.concatenate(([carry], amount)))[1:]
    return sums


@dataclass(frozen=True)
class Claims:
    """A batch of inpatient claims of one benefit year, in time order.

    All arrays have one entry per claim. Money in yuan, ratios as fractions. ``terms`` holds
    every field of :mod:`fundsim.benefits.fields` (``TERM_FIELDS`` and the tier tables, the
    second layer per claim: UEBMI supplementary, URRBMI critical illness, a zero ratio for
    none); ``prior`` the person's totals from earlier batches of the same year
    (``PRIOR_FIELDS``: pooled fund paid, policy-range self-pay after the fund, the same with
    deductibles excluded, assistance paid). Fields read as attributes too:
    ``claims.deductible``, ``claims.prior_fund``.
    """

    person: NDArray[np.int64]
    total: Array  # total cost of the admission
    policy_range: Array  # part of ``total`` inside the policy range
    terms: Mapping[str, NDArray[Any]]
    prior: Mapping[str, Array]
    stay: Mapping[str, Array] = field(default_factory=dict)  # STAY_FIELDS (none: 0)

    def __getattr__(self, name: str) -> NDArray[Any]:
        terms, prior = self.__dict__.get("terms", {}), self.__dict__.get("prior", {})
        if name in terms:
            column: NDArray[Any] = terms[name]
            return column
        if name.startswith("prior_") and name[6:] in prior:
            value: NDArray[Any] = prior[name[6:]]
            return value
        raise AttributeError(name)

    def columns(self) -> dict[str, NDArray[Any]]:
        """Every per-claim array by name (``prior_*`` for the priors)."""
        return {
            "person": self.person,
            "total": self.total,
            "policy_range": self.policy_range,
            **self.terms,
            **{f"prior_{k}": v for k, v in self.prior.items()},
            **{
                f"stay_{k}": np.asarray(self.stay.get(k, np.zeros(len(self.person))))
                for k in STAY_FIELDS
            },
        }


@dataclass(frozen=True)
class Settlement:
    """What each layer pays for each claim [yuan], in the order of the input claims."""

    fund: Array
    layer: Array
    assistance: Array
    patient: Array
    deductible_applied: Array
    above_cap: Array  # the policy-range cost above the pooled fund's annual cap
    standard: Array  # the stay's deductible standard (before transfers and once-a-year)


def settle(claims: Claims) -> Settlement:
    """Apply deductible, ratio, annual cap, the second layer and medical assistance to a batch.

    Claims of one person are paid in their order in the batch; annual caps and tiers count
    the person's earlier claims in the batch and the ``prior_*`` totals. This is the
    specification; the simulation runs :func:`fundsim.benefits.kernel.settle_grouped`, held
    to it by a test.
    """
    order, first = group_order(claims.person)
    c = {name: np.asarray(column)[order] for name, column in claims.columns().items()}
    n = len(first)
    # running totals within the batch matter only for people with several claims in it
    last = np.append(first[1:], True)
    several = np.flatnonzero(~(first & last))
    several_starts = group_starts(first[several])

    def earlier(amount: Array) -> Array:
        """The person's amounts on their earlier claims of the batch (0 for single claims)."""
        out = np.zeros(n)
        if len(several):
            out[several] = running_before(amount[several], several_starts)
        return out

    # 1. the deductible of the admission's place in the person's year (a ladder of factors,
    # a step less per earlier admission down to a floor never above the level's own)
    place = c["prior_admissions"] + earlier(np.ones(n))
    ladder = np.asarray(c["repeat_factors"])
    factor = ladder[np.arange(n), np.minimum(place, ladder.shape[1] - 1).astype(np.intp)]
    standard = c["deductible"] * factor - c["repeat_step"] * place
    standard = np.maximum(standard, np.minimum(c["repeat_floor"], c["deductible"]))
    # a long stay pays it again for each further period (Guangzhou: every 90 days)
    period = c["long_stay_days"]
    periods = np.ceil(c["stay_days"] / np.where(period > 0, period, 1.0))
    standard *= np.where((period > 0) & (c["stay_days"] > period), periods, 1.0)
    # a transfer pays only what its standard exceeds the previous stay's
    previous = np.where(first, c["prior_last_standard"], np.roll(standard, 1))
    transfer = c["transfer_difference"] & (c["stay_transfer"] > 0)
    owed = np.where(transfer, np.maximum(standard - previous, 0.0), standard)
    # once a year (Ningbo): only what the standard exceeds the deductibles already paid; a
    # person's k-th claims of the batch in turn, each after the one before
    rank = np.arange(n) - group_starts(first)
    deducted_before = np.zeros(n)
    deductible_applied = np.zeros(n)
    for k in range(int(rank.max()) + 1 if n else 0):
        at = np.flatnonzero(rank == k)
        deducted_before[at] = (
            c["prior_deducted"][at]
            if k == 0
            else deducted_before[at - 1] + deductible_applied[at - 1]
        )
        left = np.where(
            c["once_a_year"][at], np.maximum(owed[at] - deducted_before[at], 0.0), owed[at]
        )
        deductible_applied[at] = np.minimum(left, c["policy_range"][at])
    # pooled fund: F(x) = min(x, cap) on the running uncapped amount
    uncapped = (c["policy_range"] - deductible_applied) * c["ratio"]
    before = c["prior_fund"] + earlier(uncapped)
    cap = c["pool_cap"]
    fund = np.minimum(before + uncapped, cap) - np.minimum(before, cap)
    selfpay = c["policy_range"] - fund
    # the cost the pool would have paid on beyond its cap, grossed up by its ratio
    excess = np.maximum(before + uncapped - np.maximum(before, cap), 0.0)
    above = np.divide(excess, c["ratio"], out=np.zeros(n), where=c["ratio"] > 0)

    # 2./3. second layer on the annual policy-range self-pay; only claims whose annual basis
    # passes the first threshold can be paid, so the tiers are evaluated for those alone
    net = c["layer_net"]
    over = c["layer_above_cap"]
    basis = np.where(over, above, selfpay - deductible_applied * net)
    basis_before = np.where(
        over, c["prior_above_cap"], np.where(net, c["prior_selfpay_net"], c["prior_selfpay"])
    )
    basis_before += earlier(basis)
    basis_after = basis_before + basis
    reach = np.flatnonzero(
        np.maximum(basis_before, basis_after) > np.asarray(c["layer_starts"])[:, 0]
    )
    layer = np.zeros(n)
    if len(reach):
        table = np.asarray(c["layer_starts"])[reach], np.asarray(c["layer_ratios"])[reach]
        layer_cap = c["layer_cap"][reach]
        paid_after = np.minimum(tiered(basis_after[reach], *table), layer_cap)
        paid_before = np.minimum(tiered(basis_before[reach], *table), layer_cap)
        # the layer never pays more than the self-pay of this claim (tiers ≤ 100%)
        layer[reach] = np.clip(paid_after - paid_before, 0.0, selfpay[reach])

    # 4. medical assistance on what is still left inside the policy range (and outside it,
    # where the region's assistance pays on that too), for the claims with an assistance
    # ratio (special-group members')
    assistance = np.zeros(n)
    helped = np.flatnonzero(c["assistance_ratio"] > 0)
    if len(helped):
        person = np.asarray(c["person"])[helped]
        helped_first = np.ones(len(helped), dtype=bool)
        helped_first[1:] = person[1:] != person[:-1]
        outside = (c["total"] - c["policy_range"])[helped] * c["assistance_outside"][helped]
        wanted = (selfpay[helped] - layer[helped] + outside) * c["assistance_ratio"][helped]
        assist_before = c["prior_assistance"][helped] + running_before(
            wanted, group_starts(helped_first)
        )
        assist_cap = c["assistance_cap"][helped]
        assistance[helped] = np.minimum(assist_before + wanted, assist_cap) - np.minimum(
            assist_before, assist_cap
        )

    patient = c["total"] - fund - layer - assistance
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return Settlement(
        fund=fund[inverse],
        layer=layer[inverse],
        assistance=assistance[inverse],
        patient=patient[inverse],
        deductible_applied=deductible_applied[inverse],
        above_cap=above[inverse],
        standard=standard[inverse],
    )


@dataclass(frozen=True)
class RunningTotals:
    """People's annual totals carried from one batch of a benefit year to the next.

    Kept only for people with claims (sorted by person), so carrying them costs the claims,
    not the population.
    """

    person: NDArray[np.int64]
    fund: Array
    selfpay: Array
    selfpay_net: Array
    above_cap: Array
    assistance: Array
    admissions: Array  # the person's admissions of the year so far
    deducted: Array  # deductibles paid so far
    last_standard: Array  # the deductible standard of the person's latest stay

    @classmethod
    def empty(cls) -> RunningTotals:
        none = np.empty(0)
        return cls(np.empty(0, dtype=np.int64), *([none] * len(PRIOR_FIELDS)))

    def prior(self, person: NDArray[np.int64]) -> dict[str, Array] | None:
        """Each claim's person's totals so far (0 for people without earlier claims); None
        when nobody has any yet."""
        if len(self.person) == 0:
            return None
        at = np.minimum(np.searchsorted(self.person, person), len(self.person) - 1)
        found = self.person[at] == person
        return {k: np.where(found, getattr(self, k)[at], 0.0) for k in PRIOR_FIELDS}

    def add(
        self, person: NDArray[np.int64], policy_range: Array, paid: Settlement
    ) -> RunningTotals:
        """These totals plus what a settled batch (claims of ``person``) paid."""
        selfpay = np.asarray(policy_range) - paid.fund
        people, inverse = np.unique(np.concatenate([self.person, person]), return_inverse=True)

        def total(before: Array, amount: Array) -> Array:
            summed: Array = np.asarray(
                np.bincount(
                    inverse, weights=np.concatenate([before, amount]), minlength=len(people)
                ),
                dtype=np.float64,
            )
            return summed

        # the latest stay's standard: the batch's last claim of a person, else the earlier
        latest = np.full(len(people), -1)
        np.maximum.at(latest, inverse, np.arange(len(inverse)))
        return RunningTotals(
            person=people,
            fund=total(self.fund, paid.fund),
            selfpay=total(self.selfpay, selfpay),
            selfpay_net=total(self.selfpay_net, selfpay - paid.deductible_applied),
            above_cap=total(self.above_cap, paid.above_cap),
            assistance=total(self.assistance, paid.assistance),
            admissions=total(self.admissions, np.ones(len(person))),
            deducted=total(self.deducted, paid.deductible_applied),
            last_standard=np.concatenate([self.last_standard, paid.standard])[latest],
        )
