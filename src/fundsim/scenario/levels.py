"""The hospital levels a region declares (``region.levels``).

fundsim knows the local levels of ``codes.LOCAL_LEVELS`` (community, level 1-3 and a fifth
class, provincial or 三级特等, that some areas have) and the out-of-area place. A region lists
the local levels its rules distinguish; the parameters of the others are not written in its
files (a value given for one is a located error) but filled here, so that every table of the
model keeps one shape: a level's shares of admissions and of outpatient spending are 0 (it has
no care), and its terms are those of the nearest declared level (never used by the model; the
claim calculator refuses claims at a level the region does not declare).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from ..codes import LEVELS, LOCAL_LEVELS
from ..parameters.catalogue import Catalogue
from ..parameters.timeline import Origin, Timeline
from ..parameters.tree import Override
from ..source.diagnostics import Collector
from .values import EARLIEST

# the parameters that say how much care a level has: 0 at a level the region does not declare
SHARES = ("care.level_mix.", "care.outpatient_visits.level_share.")


def places(declared: Sequence[str]) -> tuple[str, ...]:
    """Where a member of the region is treated: its declared local levels and out of area."""
    return (*declared, LEVELS[-1])


def level_of(path: str) -> str | None:
    """The local level a parameter path is about (None for a path of no level)."""
    return next((part for part in path.split(".") if part in LOCAL_LEVELS), None)


def stand_in(level: str, declared: Sequence[str]) -> str:
    """The declared level nearest to ``level`` in the order of levels (the lower on a tie)."""
    at = LOCAL_LEVELS.index(level)
    return min(declared, key=lambda d: (abs(LOCAL_LEVELS.index(d) - at), LOCAL_LEVELS.index(d)))


def undeclared(catalogue: Catalogue, declared: Sequence[str]) -> list[str]:
    """The parameters of the local levels the region does not declare."""
    return [p for p in catalogue.paths if (lv := level_of(p)) is not None and lv not in declared]


def refuse_given(
    paths: Iterable[str],
    timelines: dict[str, Timeline],
    declared: Sequence[str],
    where: str,
    problems: Collector,
) -> None:
    """A value written for a level the region does not declare is an error at its line."""
    for path in paths:
        level = level_of(path)
        if level is None or level in declared:
            continue
        origin = timelines[path].steps[0].origin
        problems.error(
            origin.file,
            origin.line,
            f"{where}.{path}",
            f"'{level}' is not one of the region's hospital levels ({', '.join(declared)})",
            f"add {level} to region.levels to give its terms, or leave its parameters out",
        )


def refuse_overrides(
    overrides: Iterable[Override], declared: Sequence[str], spread: set[str], problems: Collector
) -> list[Override]:
    """The overrides of the declared levels: a policy change written for a level the region
    does not declare is an error at its line; one made by an entry for a whole group
    (``spread``) is left out there."""
    kept = []
    for override in overrides:
        level = level_of(override.path)
        if level is None or level in declared:
            kept.append(override)
        elif override.path not in spread:
            problems.error(
                override.origin.file,
                override.origin.line,
                f"policy.{override.path}",
                f"'{level}' is not one of the region's hospital levels ({', '.join(declared)})",
                f"add {level} to region.levels to give its terms",
            )
    return kept


def fill(timelines: dict[str, Timeline], catalogue: Catalogue, declared: Sequence[str]) -> set[str]:
    """Fill the parameters of the undeclared levels (shares 0, terms the nearest declared
    level's); the paths filled."""
    filled = set()
    for path in undeclared(catalogue, declared):
        level = level_of(path)
        assert level is not None
        substitute = stand_in(level, declared)
        note = (
            f"region.levels: {level} is not a level of this region "
            f"({'no care there' if path.startswith(SHARES) else f'{substitute} stands in'})"
        )
        origin = Origin("default", catalogue.file, 0, "", note)
        filled.add(path)
        if path.startswith(SHARES):
            timelines[path] = Timeline.constant(EARLIEST, 0.0, origin)
        else:
            parts = [substitute if part == level else part for part in path.split(".")]
            source = timelines.get(".".join(parts))
            if source is None:  # not given either: the file's missing values are reported
                continue
            timelines[path] = Timeline(
                tuple(dataclasses.replace(step, origin=origin) for step in source.steps)
            )
    return filled
