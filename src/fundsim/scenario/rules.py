"""Rules that tie parameters together, checked on every breakpoint of the resolved tree.

Errors are rules the fund model cannot run with (a deductible above the annual cap, a
reimbursement ratio plus bonus above 100%, shares that do not add up). Warnings are legal but
suspicious (the seeds' rule tables pay a lower ratio and a higher deductible at higher hospital
levels; a level-3 ratio above level 1 is more likely a typo than a policy). Each finding is
located at the value that set it: the baseline line or the override line in force that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from ..codes import FILINGS, LEVELS, LOCAL_LEVELS, POOLS, names
from ..parameters.tree import ParameterTree, Snapshot
from ..source.diagnostics import Collector

TOLERANCE = 1e-9


ROLE_RANK = {"default": 0, "baseline": 1, "override": 2, "draw": 3}


class _Context:
    def __init__(self, tree: ParameterTree, files: Sequence[str], problems: Collector) -> None:
        self.tree = tree
        self.file_rank = {name: index for index, name in enumerate(files)}
        self.problems = problems
        self._seen: set[tuple[str, int, str, str]] = set()

    def report(
        self, severity: str, date: dt.date, paths: str | Sequence[str], message: str, hint: str = ""
    ) -> None:
        """Record a finding about ``paths`` on ``date``, located at the value among them that was
        set most recently (the latest step, an override before a baseline value, a later file of
        the extends chain before an earlier one): that is the change that broke the rule."""
        candidates = [paths] if isinstance(paths, str) else list(paths)

        def recency(path: str) -> tuple[dt.date, int, int]:
            step = self.tree.timeline(path).step_at(date)
            return (
                step.start,
                ROLE_RANK[step.origin.role],
                self.file_rank.get(step.origin.file, -1),
            )

        path = max(candidates, key=recency)
        origin = self.tree.timeline(path).step_at(date).origin
        shown = {"override": f"policy.{path}.{origin.label}", "baseline": f"parameters.{path}"}.get(
            origin.role, path
        )
        key = (origin.file, origin.line, shown, message)
        if key in self._seen:  # the same finding on a later breakpoint: reported once, first date
            return
        self._seen.add(key)
        text = f"{message} (from {date.isoformat()})" if date > self.tree.start else message
        if severity == "error":
            self.problems.error(origin.file, origin.line, shown, text, hint)
        else:
            self.problems.warning(origin.file, origin.line, shown, text, hint)


def _deductible_below_cap(ctx: _Context, s: Snapshot) -> None:
    pairs = [
        (
            f"benefits.{scheme}.inpatient.deductible.{level}",
            f"benefits.{scheme}.inpatient.annual_cap",
        )
        for scheme in names(POOLS)
        for level in LEVELS
    ] + [
        (f"benefits.uebmi.outpatient.deductible.{x}", f"benefits.uebmi.outpatient.annual_cap.{x}")
        for x in ("active", "retired")
    ]
    pairs.append(("benefits.urrbmi.outpatient.deductible", "benefits.urrbmi.outpatient.annual_cap"))
    for deductible, cap in pairs:
        if s[deductible] > s[cap]:
            ctx.report(
                "error",
                s.date,
                [deductible, cap],
                f"deductible {s[deductible]:g} yuan is above the annual cap {s[cap]:g} yuan ({cap})",
                "a deductible must not exceed the annual cap",
            )


def _ratio_plus_bonus(ctx: _Context, s: Snapshot) -> None:
    bonus = s["benefits.uebmi.inpatient.tcm_bonus"]
    for status in ("active", "retired"):
        for level in LEVELS:
            path = f"benefits.uebmi.inpatient.ratio.{status}.{level}"
            if s[path] + bonus > 1 + TOLERANCE:
                ctx.report(
                    "error",
                    s.date,
                    [path, "benefits.uebmi.inpatient.tcm_bonus"],
                    f"{status} ratio {s[path]:g} plus the TCM bonus {bonus:g} is above 1",
                    "the fund cannot pay more than the policy-range cost above the deductible",
                )
    for level in LEVELS:
        path = f"benefits.urrbmi.inpatient.ratio.{level}"
        extra = s[f"benefits.urrbmi.inpatient.tcm_bonus.{level}"]
        if s[path] + extra > 1 + TOLERANCE:
            ctx.report(
                "error",
                s.date,
                [path, f"benefits.urrbmi.inpatient.tcm_bonus.{level}"],
                f"ratio {s[path]:g} plus the TCM bonus {extra:g} is above 1",
                "the fund cannot pay more than the policy-range cost above the deductible",
            )


def _shares_sum_to_one(ctx: _Context, s: Snapshot) -> None:
    for scheme in names(POOLS):
        for prefix, levels, what in (
            (f"care.level_mix.{scheme}", LEVELS, "hospital-level shares"),
            (
                f"care.outpatient_visits.level_share.{scheme}",
                LOCAL_LEVELS,
                "outpatient spending shares",
            ),
        ):
            total = sum(s[f"{prefix}.{level}"] for level in levels)
            if abs(total - 1) > 1e-6:
                ctx.report(
                    "error",
                    s.date,
                    [f"{prefix}.{level}" for level in levels],
                    f"{what} of {scheme} by level sum to {total:.6g}, not 1",
                    f"{', '.join(levels)} must add up to 1",
                )
    c = "care.outpatient.urrbmi"
    two = s[f"{c}.two_diseases_prevalence"] * s[f"{c}.two_diseases_spend"]
    if two >= s[f"{c}.spend"]:
        ctx.report(
            "error",
            s.date,
            [f"{c}.two_diseases_prevalence", f"{c}.two_diseases_spend", f"{c}.spend"],
            f"the hypertension and diabetes drug spending per resident ({two:g} yuan) is not "
            f"below the general outpatient spending per resident ({s[f'{c}.spend']:g})",
            "两病 drugs are part of a resident's outpatient spending: their share must be less",
        )
    filing = [f"care.out_of_area_filing.{f}" for f in FILINGS]
    if abs(sum(s[p] for p in filing) - 1) > 1e-6:
        ctx.report(
            "error",
            s.date,
            filing,
            f"out-of-area filing shares sum to {sum(s[p] for p in filing):.6g}, not 1",
            f"{', '.join(FILINGS)} must add up to 1",
        )
    drugs, consumables = (
        s["payment.procurement.drug_share"],
        s["payment.procurement.consumable_share"],
    )
    if drugs + consumables > 1 + TOLERANCE:
        ctx.report(
            "error",
            s.date,
            ["payment.procurement.drug_share", "payment.procurement.consumable_share"],
            f"drug share {drugs:g} plus consumable share {consumables:g} is above 1",
            "they are shares of the same inpatient cost",
        )
    special = (
        s["population.special_groups.extreme_poverty"] + s["population.special_groups.low_income"]
    )
    if special > 1 + TOLERANCE:
        ctx.report(
            "error",
            s.date,
            ["population.special_groups.extreme_poverty", "population.special_groups.low_income"],
            f"special groups add up to {special:g} of URRBMI members, above 1",
        )


def _ordered_bounds(ctx: _Context, s: Snapshot) -> None:
    floor, cap = s["contributions.uebmi.wage_base_floor"], s["contributions.uebmi.wage_base_cap"]
    if floor > cap:
        ctx.report(
            "error",
            s.date,
            ["contributions.uebmi.wage_base_floor", "contributions.uebmi.wage_base_cap"],
            f"wage-base floor {floor:g} is above the cap {cap:g}",
        )
    zones = [
        s[f"reporting.reserve_zones.{z}"]
        for z in ("insufficient", "target_low", "target_high", "excessive")
    ]
    if zones != sorted(zones):
        ctx.report(
            "error",
            s.date,
            [
                f"reporting.reserve_zones.{z}"
                for z in ("insufficient", "target_low", "target_high", "excessive")
            ],
            f"reserve zones must increase: insufficient ≤ target_low ≤ target_high ≤ excessive, got {zones}",
        )
    for indicator, rising in (
        ("reserve_months", False),
        ("balance_rate", False),
        ("growth_gap", True),
    ):
        paths = [f"reporting.warning.{indicator}.{level}" for level in ("yellow", "orange", "red")]
        values = [s[p] for p in paths]
        if values != sorted(values, reverse=not rising):
            ctx.report(
                "error",
                s.date,
                paths,
                f"{indicator} warning thresholds must {'rise' if rising else 'fall'} from yellow "
                f"to orange to red, got {values}",
                "a red warning is the furthest from a sound fund",
            )
    tiers = s["benefits.urrbmi.critical_illness.tiers"]
    if tiers[0][0] <= 0:
        ctx.report(
            "error",
            s.date,
            "benefits.urrbmi.critical_illness.tiers",
            "the first critical-illness threshold must be above 0",
            "it is the annual self-pay at which critical illness starts",
        )


def _suspicious(ctx: _Context, s: Snapshot) -> None:
    for prefix in (
        "benefits.urrbmi.inpatient.ratio",
        "benefits.uebmi.inpatient.ratio.active",
        "benefits.uebmi.inpatient.ratio.retired",
    ):
        if s[f"{prefix}.level3"] > s[f"{prefix}.level1"] + TOLERANCE:
            ctx.report(
                "warning",
                s.date,
                f"{prefix}.level3",
                f"level-3 ratio {s[f'{prefix}.level3']:g} is above level-1 ratio {s[f'{prefix}.level1']:g}",
                "in the seeds' rule tables the ratio falls as the hospital level rises",
            )
    for scheme in names(POOLS):
        prefix = f"benefits.{scheme}.inpatient.deductible"
        if s[f"{prefix}.level3"] + TOLERANCE < s[f"{prefix}.level1"]:
            ctx.report(
                "warning",
                s.date,
                f"{prefix}.level3",
                f"level-3 deductible {s[f'{prefix}.level3']:g} is below level-1 deductible {s[f'{prefix}.level1']:g}",
                "in the seeds' rule tables the deductible rises with the hospital level",
            )
    for level in LEVELS:
        active, retired = (
            s[f"benefits.uebmi.inpatient.ratio.{x}.{level}"] for x in ("active", "retired")
        )
        if retired + TOLERANCE < active:
            ctx.report(
                "warning",
                s.date,
                f"benefits.uebmi.inpatient.ratio.retired.{level}",
                f"retiree ratio {retired:g} is below the active ratio {active:g}",
                "retirees usually get the higher ratio (seed 003)",
            )
    deposit = s["payment.global_budget.quality_deposit"]
    if deposit > 0.05 + TOLERANCE:
        ctx.report(
            "warning",
            s.date,
            "payment.global_budget.quality_deposit",
            f"quality deposit {deposit:g} is above the usual 5%",
            "practice under DRG/DIP point payment withholds at most 5%",
        )


def _class_b_within_the_range(ctx: _Context, s: Snapshot) -> None:
    """The class-B first self-pay leaves part of the policy range: never more than all of it."""
    for scheme in names(POOLS):
        share = f"benefits.policy_range_share.{scheme}"
        selfpay = f"benefits.{scheme}.inpatient.class_b_selfpay"
        taken = s["care.class_b_share"] * s[selfpay]
        if taken > s[share] + TOLERANCE:
            ctx.report(
                "error",
                s.date,
                [share, selfpay, "care.class_b_share"],
                f"the class-B first self-pay ({s['care.class_b_share']:g} × {s[selfpay]:g}) "
                f"takes more than the policy range share {s[share]:g}",
                "class-B items lie inside the policy range: their first self-pay cannot exceed it",
            )


RULES: tuple[Callable[[_Context, Snapshot], None], ...] = (
    _deductible_below_cap,
    _class_b_within_the_range,
    _ratio_plus_bonus,
    _shares_sum_to_one,
    _ordered_bounds,
    _suspicious,
)


def check(tree: ParameterTree, files: Sequence[str], problems: Collector) -> None:
    """Check every rule on the tree's snapshot at each breakpoint; record findings.

    Parameters
    ----------
    tree : the resolved parameter tree
    files : display names of the extends chain, root first (to locate findings)
    problems : where findings go
    """
    ctx = _Context(tree, files, problems)
    for date in tree.breakpoints():
        snapshot = tree.at(date)
        for rule in RULES:
            rule(ctx, snapshot)
