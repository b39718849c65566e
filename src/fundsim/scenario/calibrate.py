"""The ``calibrate:`` section: the free parameters a calibration may fit, with their bounds.

A scenario names each free parameter by its dotted path (a level such as
``care.admission_level``, a constant rate such as ``population.uebmi_entry.under_25``, or
``PATH.then``, the growth or step of PATH's ``then:`` rule) with ``low`` and ``high``.
The last file of the ``extends`` chain that has a ``calibrate:`` section gives the whole
section. Checked like every other part of a scenario: an unknown path, a parameter that is
not a continuous number, one that changes over the horizon, or bounds outside its valid
range are errors located at their line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..parameters.catalogue import Catalogue
from ..parameters.tree import ParameterTree
from ..source.diagnostics import Collector, did_you_mean
from ..source.document import SourceDocument


class ChainFile(Protocol):  # a file of the extends chain, as the loader reads it
    name: str
    source: SourceDocument
    document: Any


RULE_GROWTH = (-0.3, 0.3)


@dataclass(frozen=True)
class FreeParameter:
    """One parameter a calibration may move: ``start`` is its value in the scenario."""

    path: str
    low: float
    high: float
    start: float
    file: str
    line: int
    source: str | None = None
    anchor: tuple[str, str] | None = None  # (fund, indicator) of the base year it meets


ANCHOR_INDICATORS = ("income", "expenditure")


@dataclass(frozen=True)
class CalibrationPlan:
    parameters: tuple[FreeParameter, ...]
    first_year: int | None
    runs: int
    file: str
    line: int


def read(
    chain: Sequence[ChainFile], catalogue: Catalogue, tree: ParameterTree, problems: Collector
) -> CalibrationPlan | None:
    """The scenario's calibration plan (None when no file of the chain has one)."""
    owner = next((f for f in reversed(chain) if f.document.calibrate is not None), None)
    if owner is None:
        return None
    section: Any = owner.document.calibrate
    free = []
    anchored: dict[tuple[str, str], str] = {}  # series -> the parameter anchored to it
    for path, bound in section.parameters.items():
        line = owner.source.line_of(("calibrate", "parameters", path))
        where = f"calibrate.parameters.{path}"
        start = _start_value(path, bound, catalogue, tree, owner.name, line, where, problems)
        if start is None:
            continue
        if not bound.low <= start <= bound.high:
            problems.warning(
                owner.name,
                line,
                where,
                f"the scenario's value {start:g} lies outside [{bound.low:g}, {bound.high:g}]; "
                "the fit starts from the nearest bound",
                "widen the bounds if the scenario's value is plausible",
            )
            start = min(max(start, bound.low), bound.high)
        anchor = _anchor(bound.anchor, anchored, owner.name, line, f"{where}.anchor", problems)
        free.append(
            FreeParameter(
                path, bound.low, bound.high, start, owner.name, line, bound.source, anchor
            )
        )
    return CalibrationPlan(
        tuple(free),
        section.first_year,
        section.runs,
        owner.name,
        owner.source.line_of(("calibrate",)),
    )


def _anchor(
    text: str | None,
    anchored: dict[tuple[str, str], str],
    file: str,
    line: int,
    where: str,
    problems: Collector,
) -> tuple[str, str] | None:
    """A parameter's ``anchor:`` as (fund, indicator); a located error when it names no
    history series of money flowing, or one another parameter is anchored to already."""
    from .regiondata import HISTORY_FUNDS

    if text is None:
        return None
    parts = text.split()
    if len(parts) != 2 or parts[0] not in HISTORY_FUNDS or parts[1] not in ANCHOR_INDICATORS:
        problems.error(
            file,
            line,
            where,
            f"anchor '{text}' is not 'FUND INDICATOR' of the history",
            f"a fund ({', '.join(HISTORY_FUNDS)}) and an indicator "
            f"({', '.join(ANCHOR_INDICATORS)}), e.g. 'uebmi expenditure'",
        )
        return None
    series = (parts[0], parts[1])
    if series in anchored:
        problems.error(
            file,
            line,
            where,
            f"{text} anchors {anchored[series]} already: one figure cannot fix two parameters",
            "anchor each parameter to a figure of its own",
        )
        return None
    anchored[series] = where.removeprefix("calibrate.parameters.").removesuffix(".anchor")
    return series


def _start_value(
    path: str,
    bound: Any,
    catalogue: Catalogue,
    tree: ParameterTree,
    file: str,
    line: int,
    where: str,
    problems: Collector,
) -> float | None:
    if path.endswith(".then") and path.removesuffix(".then") in catalogue:
        base = path.removesuffix(".then")
        rule = tree.rules(base).last_rule()
        if rule is None or rule.kind == "index":
            problems.error(
                file,
                line,
                where,
                f"{base} has no then: rule with a growth or step to fit",
                "give it then: {grow: …} or then: {step: …} first",
            )
            return None
        if rule.kind == "grow" and not (
            RULE_GROWTH[0] <= bound.low and bound.high <= RULE_GROWTH[1]
        ):
            problems.error(
                file,
                line,
                where,
                f"bounds [{bound.low:g}, {bound.high:g}] lie outside the yearly growth a rule "
                f"may have [{RULE_GROWTH[0]:g}, {RULE_GROWTH[1]:g}]",
            )
            return None
        return float(rule.amount)
    if path not in catalogue:
        problems.error(
            file, line, where, f"unknown parameter '{path}'", did_you_mean(path, catalogue.paths)
        )
        return None
    entry = catalogue[path]
    if not entry.kind.numeric or entry.kind.name in {"count", "month"}:
        problems.error(
            file,
            line,
            where,
            f"{entry.kind.label_article} cannot be calibrated",
            "calibration fits continuous numeric parameters",
        )
        return None
    if not entry.contains(bound.low, bound.high):
        problems.error(
            file,
            line,
            where,
            f"bounds [{bound.low:g}, {bound.high:g}] lie outside the {entry.kind.label}'s "
            f"bounds {entry.bounds_text}",
            entry.kind.valid,
        )
        return None
    if tree.timeline(path).change_dates():
        problems.error(
            file,
            line,
            where,
            "a calibrated parameter must hold one value over the horizon, but this one "
            "changes over time",
            "calibrate a level that multiplies it (care.admission_level, care.cost_level) "
            "or the growth of its then: rule (PATH.then)",
        )
        return None
    return float(tree.timeline(path).steps[0].value)
