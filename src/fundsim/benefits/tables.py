"""The terms of :func:`fundsim.benefits.terms.claim_terms` as lookup arrays, for whole batches.

``claim_terms`` reads one claim's terms from a snapshot; the simulation needs the same terms
for a hundred thousand claims at once. :class:`TermTables` evaluates ``claim_terms`` once for
every combination of scheme status × level × TCM × special group and stores the answers in
arrays indexed by those codes, so the two can never disagree (a unit test checks every cell).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import (
    FILINGS,
    LEVELS,
    POOLS,
    RETIRED,
    SCHEME_POOL,
    SCHEMES,
    SPECIAL_GROUPS,
    URRBMI,
)
from .fields import COLUMN, FLAGS, LADDER_FIELDS, TERM_NAMES, TIER_FIELDS
from .rules import Claims
from .terms import claim_terms, ladder

# status codes: the population's scheme codes (0 UEBMI active, 1 UEBMI retired, 2 URRBMI)
STATUS = SCHEMES  # membership status, the first index of every table
GROUP_CODES = (None, *SPECIAL_GROUPS)  # 0 none, 1 extreme poverty, 2 low income


_CACHE: dict[tuple[object, ...], TermTables] = {}


@dataclass(frozen=True)
class TermTables:
    """The terms of every cell, (status, level, tcm, group): ``scalars`` with one column per
    field of ``TERM_FIELDS`` (flags as 1/0), and the tier tables (…, tier). Each field also
    reads as an attribute of the cell shape (``tables.deductible``)."""

    scalars: NDArray[np.float64]  # (status, level, tcm, group, field)
    layer_starts: NDArray[np.float64]  # (status, level, tcm, group, tier)
    layer_ratios: NDArray[np.float64]
    repeat_factors: NDArray[np.float64]  # (status, level, tcm, group, place in the year)

    def __getattr__(self, name: str) -> NDArray[Any]:
        scalars = self.__dict__.get("scalars")
        if scalars is None or name not in COLUMN:
            raise AttributeError(name)
        column: NDArray[Any] = scalars[..., COLUMN[name]]
        return column.astype(bool) if name in FLAGS else column

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """The cell shape: (status, level, tcm, group)."""
        status, level, tcm, group = self.scalars.shape[:-1]
        return status, level, tcm, group

    @classmethod
    def cached(cls, snapshot: Mapping[str, Any], filing: str = "filed") -> TermTables:
        """:meth:`from_snapshot`, reused while the benefit rules (``benefits.*``) are the
        same: a run swaps snapshots at every dated change of any parameter, and a batch
        repeats the same rules in every run."""
        return _cached(snapshot, filing, lambda: cls.from_snapshot(snapshot, filing))

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], filing: str = "filed") -> TermTables:
        """Every cell's terms, out-of-area stays of filing status ``filing`` (the model's
        are filed)."""
        shape = (len(STATUS), len(LEVELS), 2, len(GROUP_CODES))
        cells: dict[tuple[int, ...], dict[str, Any]] = {}
        for index in np.ndindex(*shape):
            status, level, tcm, group = index
            cells[index] = claim_terms(snapshot, _cell_claim(status, level, tcm, group, filing))
        width = max(len(t["layer_starts"]) for t in cells.values())
        starts = np.full((*shape, width), np.inf)
        ratios = np.zeros((*shape, width))
        scalars = np.empty((*shape, len(TERM_NAMES)))
        for index, t in cells.items():
            starts[index][: len(t["layer_starts"])] = t["layer_starts"]
            ratios[index][: len(t["layer_ratios"])] = t["layer_ratios"]
            scalars[index] = [float(t[name]) for name in TERM_NAMES]
        ladders = ladder([t["repeat_factors"] for t in cells.values()])
        repeat = ladders.reshape(*shape, ladders.shape[-1])
        return cls(scalars=scalars, layer_starts=starts, layer_ratios=ratios, repeat_factors=repeat)

    @classmethod
    def stacked_cached(cls, snapshot: Mapping[str, Any]) -> TermTables:
        """The tables of every filing status (FILINGS, filed first) stacked, cached as
        :meth:`cached` is."""

        def build() -> TermTables:
            filed = cls.cached(snapshot, FILINGS[0])
            return cls.stacked([filed, *(filed.refiled(snapshot, f) for f in FILINGS[1:])])

        return _cached(snapshot, "stacked", build)

    def refiled(self, snapshot: Mapping[str, Any], filing: str) -> TermTables:
        """These (filed) tables for out-of-area stays of status ``filing``: only the
        out-of-area cells' terms differ, so only they are looked up again."""
        factors = [
            snapshot[f"benefits.{pool.name}.inpatient.filing_factor.{name}"]
            for pool in POOLS
            for name in (FILINGS[0], filing)
        ]
        if len(set(factors)) == 1:  # the same factor as the filed: the same terms
            return self
        scalars = self.scalars.copy()
        away = LEVELS.index("out_of_area")
        for status, tcm, group in np.ndindex(len(STATUS), 2, len(GROUP_CODES)):
            t = claim_terms(snapshot, _cell_claim(status, away, tcm, group, filing))
            scalars[status, away, tcm, group] = [float(t[name]) for name in TERM_NAMES]
        return TermTables(scalars, self.layer_starts, self.layer_ratios, self.repeat_factors)

    @classmethod
    def stacked(cls, tables: Sequence[TermTables]) -> TermTables:
        """Several tables as one, the k-th's statuses after the first k's (index a claim of
        table k with status ``k × len(STATUS) + status``)."""
        return cls(
            scalars=np.concatenate([t.scalars for t in tables]),
            layer_starts=np.concatenate([t.layer_starts for t in tables]),
            layer_ratios=np.concatenate([t.layer_ratios for t in tables]),
            repeat_factors=np.concatenate([t.repeat_factors for t in tables]),
        )

    def key(
        self,
        status: NDArray[np.integer[Any]],
        level: NDArray[np.integer[Any]],
        tcm: NDArray[np.integer[Any]],
        group: NDArray[np.integer[Any]],
    ) -> NDArray[np.intp]:
        """Index of each claim's terms in the flattened tables (groups count for URRBMI only)."""
        shape = self.shape
        group = np.where(status == URRBMI, group, 0)
        key: NDArray[np.intp] = (
            (status.astype(np.intp) * shape[1] + level) * shape[2] + tcm
        ) * shape[3] + group
        return key

    def flat(self) -> NDArray[np.float64]:
        """The scalar terms as one (cell, field) table, cells in :meth:`key` order."""
        return np.ascontiguousarray(self.scalars.reshape(-1, len(TERM_NAMES)))

    def claims(
        self,
        person: NDArray[np.int64],
        total: NDArray[np.float64],
        policy_range: NDArray[np.float64],
        status: NDArray[np.integer[Any]],
        level: NDArray[np.integer[Any]],
        tcm: NDArray[np.integer[Any]],
        group: NDArray[np.integer[Any]],
        prior: Mapping[str, NDArray[np.float64]],
    ) -> Claims:
        """A :class:`Claims` batch with each claim's terms looked up by its codes."""
        key = self.key(status, level, tcm, group)
        width = self.layer_starts.shape[-1]
        rows = np.take(self.flat(), key, axis=0)
        terms: dict[str, NDArray[Any]] = {
            name: rows[:, j].astype(bool) if name in FLAGS else rows[:, j]
            for name, j in COLUMN.items()
        }
        for name in TIER_FIELDS:
            terms[name] = np.take(getattr(self, name).reshape(-1, width), key, axis=0)
        for name in LADDER_FIELDS:
            table = getattr(self, name)
            terms[name] = np.take(table.reshape(-1, table.shape[-1]), key, axis=0)
        return Claims(person, total, policy_range, terms, dict(prior))


def _cell_claim(status: int, level: int, tcm: int, group: int, filing: str) -> dict[str, Any]:
    """The claim whose terms fill one cell of the tables."""
    return {
        "scheme": SCHEME_POOL[status],
        "level": LEVELS[level],
        "retired": status == RETIRED,
        "tcm": bool(tcm),
        # special groups are URRBMI members; employees get the plain terms
        "group": GROUP_CODES[group] if status == URRBMI else None,
        "filing": filing,
    }


def _cached(snapshot: Mapping[str, Any], kind: str, build: Callable[[], TermTables]) -> TermTables:
    """The tables ``build`` makes, reused while the benefit rules (``benefits.*``) are the
    same (at most 64 rule sets kept, the oldest dropped first)."""
    rules = [(p, repr(v)) for p, v in snapshot.items() if p.startswith("benefits.")]
    key = (kind, *rules)
    tables = _CACHE.get(key)
    if tables is None:
        if len(_CACHE) >= 64:
            _CACHE.pop(next(iter(_CACHE)))
        tables = _CACHE[key] = build()
    return tables
