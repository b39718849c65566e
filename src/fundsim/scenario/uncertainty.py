"""The ``uncertainty`` section: distributions of uncertain parameters, checked against
the parameter's valid range at both ends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..parameters.catalogue import Catalogue, Entry
from ..parameters.timeline import Origin
from ..parameters.tree import ParameterTree
from ..source.diagnostics import Collector, did_you_mean
from ..source.document import PathKey
from .chain import ChainFile
from .values import RULE_GROWTH, check_rule_values

DRAWABLE = "uncertainty applies to continuous numeric parameters"


def not_drawable(entry: Entry) -> str | None:
    """Why parameter ``entry`` cannot be drawn from a distribution (a true/false value, a
    choice, a count, a month), or None when it can; the same rule for ``uncertainty:`` and
    ``fundsim sensitivity --range``."""
    if not entry.kind.numeric or entry.kind.name in {"count", "month"}:
        return f"{entry.kind.label_article} cannot be drawn from a distribution"
    return None


@dataclass(frozen=True)
class Uncertain:
    """An uncertain parameter: drawn once per run from ``distribution``."""

    path: str
    distribution: Any
    origin: Origin


def read_uncertainty(
    chain: list[ChainFile], catalogue: Catalogue, tree: ParameterTree, problems: Collector
) -> dict[str, Uncertain]:
    result: dict[str, Uncertain] = {}
    for file in chain:
        for path, distribution in (file.document.uncertainty or {}).items():
            key_path: PathKey = ("uncertainty", path)
            line = file.source.line_of(key_path)
            where = f"uncertainty.{path}"
            if distribution == "none":
                if result.pop(path, None) is None:
                    problems.warning(
                        file.name,
                        line,
                        where,
                        "none removes a draw inherited from an extended file, but no file "
                        "before this one draws this parameter",
                        "nothing to do if intended; else check the name",
                    )
                continue
            if path.endswith(".then") and path.removesuffix(".then") in catalogue:
                uncertain = _read_rule_uncertainty(
                    file,
                    path,
                    distribution,
                    line,
                    where,
                    catalogue,
                    tree,
                    problems,
                    inherited=file is not chain[-1],
                )
                if uncertain is not None:
                    result[path] = uncertain
                continue
            if path not in catalogue:
                problems.error(
                    file.name,
                    line,
                    where,
                    f"unknown parameter '{path}'",
                    did_you_mean(path, catalogue.paths),
                )
                continue
            entry = catalogue[path]
            refused = not_drawable(entry)
            if refused:
                problems.error(file.name, line, where, refused, DRAWABLE)
                continue
            low, high = distribution.support()
            if distribution.bounded and not entry.contains(low, high):
                problems.error(
                    file.name,
                    line,
                    where,
                    f"draws range over [{low:g}, {high:g}], outside the {entry.kind.label}'s bounds {entry.bounds_text}",
                    entry.kind.valid,
                )
                continue
            if not distribution.bounded:
                likely_low, likely_high = distribution.likely_range()
                if not entry.contains(max(low, likely_low), min(high, likely_high)):
                    problems.warning(
                        file.name,
                        line,
                        where,
                        f"{distribution.distribution} draws may fall outside {entry.bounds_text}; they will be clipped",
                        "a bounded distribution (triangular, uniform, beta) avoids clipping",
                    )
            if tree.timeline(path).change_dates():
                problems.error(
                    file.name,
                    line,
                    where,
                    "an uncertain parameter must hold one value over the horizon, but this one changes over time",
                    "drop its dated values, or model the uncertainty on a constant parameter",
                )
                continue
            result[path] = _uncertain(file, path, distribution, line, where, problems)
    _warn_values_replaced_by_draws(chain, tree, result, problems)
    return result


def _warn_values_replaced_by_draws(
    chain: list[ChainFile], tree: ParameterTree, drawn: Mapping[str, Uncertain], problems: Collector
) -> None:
    """A value given in a later file than the one that draws it is replaced by the draw in
    every run: said, with the way to hold the value."""
    order = {f.name: i for i, f in enumerate(chain)}
    for path, uncertain in drawn.items():
        drawn_in = order.get(uncertain.origin.file, -1)
        base = path.removesuffix(".then") if path not in tree else path
        for step in tree.rules(base).steps:
            origin = step.origin if base == path else (step.rule.origin if step.rule else None)
            if origin is not None and order.get(origin.file, -1) > drawn_in:
                problems.warning(
                    origin.file,
                    origin.line,
                    f"parameters.{base}",
                    f"this value is replaced in every run by the draw of "
                    f"{uncertain.origin.file}:{uncertain.origin.line}",
                    f"to hold it, add uncertainty: {{{path}: none}}; to draw around it, "
                    "give a distribution here",
                )
                break


def _uncertain(
    file: ChainFile, path: str, distribution: Any, line: int, where: str, problems: Collector
) -> Uncertain:
    """An uncertain input that has passed its checks (a warning when its range is unsourced)."""
    if distribution.source is None:
        problems.warning(
            file.name,
            line,
            where,
            "no source given for this range",
            "cite the evidence the range is taken from",
        )
    origin = Origin("draw", file.name, line, distribution.distribution, distribution.source or "")
    return Uncertain(path, distribution, origin)


def _read_rule_uncertainty(
    file: ChainFile,
    path: str,
    distribution: Any,
    line: int,
    where: str,
    catalogue: Catalogue,
    tree: ParameterTree,
    problems: Collector,
    inherited: bool = False,
) -> Uncertain | None:
    """``PATH.then``: the growth or step of PATH's last ``then:`` rule, drawn once per run.
    The draws must be bounded, and the rule at either end of their range must write only
    valid values, so every draw does. A draw inherited from an extended file whose rule this
    scenario stops (``then: none``) or replaces by an index is not drawn: that file's
    ``then:`` says so."""
    base = path.removesuffix(".then")
    rule = tree.rules(base).last_rule()
    if inherited and (rule is None or rule.kind == "index"):
        return None  # the scenario's own file says so (then: none, an index): as intended
    if rule is None or rule.kind == "index":
        problems.error(
            file.name,
            line,
            where,
            f"{base} has no then: rule with a growth or step to draw",
            "give it then: {grow: …} or then: {step: …} first",
        )
        return None
    if not distribution.bounded:
        problems.error(
            file.name,
            line,
            where,
            f"a rule's {rule.kind} is drawn from a bounded distribution only",
            "triangular, uniform or beta, with low and high",
        )
        return None
    low, high = distribution.support()
    if rule.kind == "grow" and not (RULE_GROWTH[0] <= low and high <= RULE_GROWTH[1]):
        problems.error(
            file.name,
            line,
            where,
            f"draws range over [{low:g}, {high:g}], outside the yearly growth a rule may have "
            f"[{RULE_GROWTH[0]:g}, {RULE_GROWTH[1]:g}]",
        )
        return None
    for end in (low, high):
        check_rule_values(tree.with_values({path: end}, Origin("draw", "", 0)), catalogue, problems)
    return _uncertain(file, path, distribution, line, where, problems)


@dataclass(frozen=True)
class Joint:
    """Drawn parameters drawn together (:class:`~.schema.Correlation`): their paths and the
    lower Cholesky factor of their normal scores' correlation."""

    paths: tuple[str, ...]
    factor: Any  # NDArray (n, n)
    origin: Origin

    def __eq__(self, other: object) -> bool:  # the factor is an array: compared as one
        if not isinstance(other, Joint):
            return NotImplemented
        return (
            self.paths == other.paths
            and self.origin == other.origin
            and np.array_equal(self.factor, other.factor)
        )

    def __hash__(self) -> int:
        return hash((self.paths, self.origin))


def read_correlation(
    chain: list[ChainFile], drawn: Mapping[str, Uncertain], problems: Collector
) -> Joint | None:
    """The ``correlation:`` section of the last file that gives one, checked: every path
    drawn, once; the matrix square, symmetric, of unit diagonal and positive definite."""
    import numpy as np

    file = next((f for f in reversed(chain) if f.document.correlation is not None), None)
    if file is None:
        return None
    section = file.document.correlation
    assert section is not None
    line = file.source.line_of(("correlation",))
    paths = list(section.paths)
    ok = True
    for k, path in enumerate(paths):
        if path not in drawn:
            problems.error(
                file.name,
                file.source.line_of(("correlation", "paths", k)),
                f"correlation.paths[{k}]",
                f"'{path}' is not drawn: only a parameter of uncertainty: can be drawn together "
                "(只有 uncertainty 中抽样的参数才能设定相关)",
                did_you_mean(path, list(drawn)) or "draw it under uncertainty: first",
            )
            ok = False
    if len(set(paths)) != len(paths):
        problems.error(
            file.name, line, "correlation.paths", "a path is named twice", "name each once"
        )
        ok = False
    n = len(paths)
    matrix = section.matrix
    if len(matrix) != n or any(len(row) != n for row in matrix):
        problems.error(
            file.name,
            file.source.line_of(("correlation", "matrix")),
            "correlation.matrix",
            f"{len(matrix)} rows for {n} paths: the matrix must be {n} x {n}",
            "one row and one column per path, in the order of paths",
        )
        return None
    m = np.asarray(matrix, dtype=float)
    where = file.source.line_of(("correlation", "matrix"))
    if not np.allclose(m, m.T, atol=1e-9) or not np.allclose(np.diag(m), 1.0):
        problems.error(
            file.name,
            where,
            "correlation.matrix",
            "not a correlation matrix: it must be symmetric with 1 on its diagonal",
            "row i, column j equal to row j, column i; 1 where a path meets itself",
        )
        return None
    try:
        factor = np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        problems.error(
            file.name,
            where,
            "correlation.matrix",
            "these correlations cannot hold together (the matrix is not positive definite)",
            "weaken the largest correlations",
        )
        return None
    if not ok:
        return None
    return Joint(
        tuple(paths), factor, Origin("draw", file.name, line, "correlation", section.source or "")
    )
