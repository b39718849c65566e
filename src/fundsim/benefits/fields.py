"""The fields of a claim's benefit terms, declared once.

A claim's terms (what :func:`fundsim.benefits.terms.claim_terms` reads from the parameters)
are these fields; :class:`~fundsim.benefits.tables.TermTables` holds them for every cell,
:class:`~fundsim.benefits.rules.Claims` carries them per claim, and the compiled kernel
reads them from one table by the column given here. A new rule is a row below, the lookup
that gives its value in ``claim_terms`` and the arithmetic that uses it in the rules (and the
kernel held to them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class TermField:
    name: str
    kind: Literal["amount", "ratio", "flag", "days"]  # yuan, a fraction, yes/no (1/0), days
    meaning: str


# Scalar terms of a claim, in their column order of the term table.
TERM_FIELDS = (
    TermField("deductible", "amount", "the deductible of the claim's level (起付线)"),
    TermField("ratio", "ratio", "the pooled fund's ratio, any TCM bonus included"),
    TermField("pool_cap", "amount", "the pooled fund's annual cap of the person's scheme"),
    TermField("layer_cap", "amount", "the second layer's annual cap (inf: uncapped)"),
    TermField(
        "layer_net", "flag", "the second layer's basis excludes deductibles (UEBMI supplementary)"
    ),
    TermField(
        "layer_above_cap",
        "flag",
        "the second layer's basis is the policy-range cost above the pooled fund's annual cap",
    ),
    TermField("assistance_ratio", "ratio", "medical assistance's share (0 outside special groups)"),
    TermField("assistance_cap", "amount", "medical assistance's annual cap"),
    TermField(
        "assistance_outside", "flag", "assistance also pays on cost outside the policy range"
    ),
    TermField("repeat_step", "amount", "yuan less on the deductible per earlier admission"),
    TermField("repeat_floor", "amount", "the lowest the step takes the deductible"),
    TermField(
        "once_a_year", "flag", "the deductible is paid once a year, at the highest level used"
    ),
    TermField(
        "transfer_difference",
        "flag",
        "a stay entered on transfer pays only its deductible's difference over the previous",
    ),
    TermField("long_stay_days", "days", "a stay pays its deductible again every so many days"),
)
TERM_NAMES = tuple(f.name for f in TERM_FIELDS)
COLUMN = {name: j for j, name in enumerate(TERM_NAMES)}
FLAGS = tuple(f.name for f in TERM_FIELDS if f.kind == "flag")
# Tier tables of the second layer, (claims, tiers): thresholds and the share paid in each,
# padded with zero-ratio tiers at infinity to the widest table.
TIER_FIELDS = ("layer_starts", "layer_ratios")
# The deductible's factor by the admission's place in the person's year (first, second, ...),
# padded with its last factor to the longest ladder.
LADDER_FIELDS = ("repeat_factors",)
# A person's totals of the benefit year carried from one batch to the next.
# ``deducted``: deductibles paid so far; ``last_standard``: the deductible standard of the
# person's latest stay (not a sum: carried as the latest value).
PRIOR_FIELDS = (
    "fund",
    "selfpay",
    "selfpay_net",
    "above_cap",
    "assistance",
    "admissions",
    "deducted",
    "last_standard",
)
# Facts of a stay beyond its cost: its length [days] and whether it was entered on transfer
# from another local hospital (both 0 in the model: see docs/architecture.md §5).
STAY_FIELDS = ("days", "transfer")
