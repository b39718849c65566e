"""The terms of :func:`fundsim.benefits.terms.claim_terms` as lookup arrays, for whole batches.

``claim_terms`` reads one claim's terms from a snapshot; the simulation needs the same terms
for a hundred thousand claims at once. :class:`TermTables` evaluates ``claim_terms`` once for
every combination of scheme status × level × TCM × special group and stores the answers in
arrays indexed by those codes, so the two can never disagree (a unit test checks every cell).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import LEVELS, SCHEMES, SPECIAL_GROUPS
from .rules import Claims
from .terms import claim_terms

# status codes: the population's scheme codes (0 UEBMI active, 1 UEBMI retired, 2 URRBMI)
STATUS = SCHEMES  # membership status, the first index of every table
GROUP_CODES = (None, *SPECIAL_GROUPS)  # 0 none, 1 extreme poverty, 2 low income


_CACHE: dict[tuple[tuple[str, str], ...], TermTables] = {}


@dataclass(frozen=True)
class TermTables:
    """Arrays of shape (status, level, tcm, group[, tier])."""

    deductible: NDArray[np.float64]
    ratio: NDArray[np.float64]
    pool_cap: NDArray[np.float64]
    layer_starts: NDArray[np.float64]
    layer_ratios: NDArray[np.float64]
    layer_cap: NDArray[np.float64]
    layer_net: NDArray[np.bool_]
    assistance_ratio: NDArray[np.float64]
    assistance_cap: NDArray[np.float64]
    assistance_outside: NDArray[np.bool_]

    @classmethod
    def cached(cls, snapshot: Mapping[str, Any]) -> TermTables:
        """:meth:`from_snapshot`, reused while the benefit rules (``benefits.*``) are the
        same: a run swaps snapshots at every dated change of any parameter, and a batch
        repeats the same rules in every run."""
        key = tuple(
            (path, repr(value)) for path, value in snapshot.items() if path.startswith("benefits.")
        )
        tables = _CACHE.get(key)
        if tables is None:
            if len(_CACHE) >= 64:
                _CACHE.pop(next(iter(_CACHE)))
            tables = _CACHE[key] = cls.from_snapshot(snapshot)
        return tables

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> TermTables:
        shape = (len(STATUS), len(LEVELS), 2, len(GROUP_CODES))
        cells: dict[tuple[int, int, int, int], dict[str, Any]] = {}
        for index in np.ndindex(*shape):
            status, level, tcm, group = index
            scheme = "urrbmi" if status == 2 else "uebmi"
            claim = {
                "scheme": scheme,
                "level": LEVELS[level],
                "retired": status == 1,
                "tcm": bool(tcm),
                # special groups are URRBMI members; employees get the plain terms
                "group": GROUP_CODES[group] if scheme == "urrbmi" else None,
            }
            cells[index] = claim_terms(snapshot, claim)
        width = max(len(t["layer_starts"]) for t in cells.values())
        starts = np.full((*shape, width), np.inf)
        ratios = np.zeros((*shape, width))
        for index, t in cells.items():
            starts[index][: len(t["layer_starts"])] = t["layer_starts"]
            ratios[index][: len(t["layer_ratios"])] = t["layer_ratios"]

        def table(name: str, dtype: type = float) -> NDArray[Any]:
            out: NDArray[Any] = np.empty(shape, dtype=dtype)
            for index, t in cells.items():
                out[index] = t[name]
            return out

        return cls(
            deductible=table("deductible"),
            ratio=table("ratio"),
            pool_cap=table("pool_cap"),
            layer_starts=starts,
            layer_ratios=ratios,
            layer_cap=table("layer_cap"),
            layer_net=table("layer_net_of_deductible", bool),
            assistance_ratio=table("assistance_ratio"),
            assistance_cap=table("assistance_cap"),
            assistance_outside=table("assistance_outside", bool),
        )

    def key(
        self,
        status: NDArray[np.integer[Any]],
        level: NDArray[np.integer[Any]],
        tcm: NDArray[np.integer[Any]],
        group: NDArray[np.integer[Any]],
    ) -> NDArray[np.intp]:
        """Index of each claim's terms in the flattened tables (groups count for URRBMI only)."""
        shape = self.deductible.shape
        group = np.where(status == 2, group, 0)
        key: NDArray[np.intp] = (
            (status.astype(np.intp) * shape[1] + level) * shape[2] + tcm
        ) * shape[3] + group
        return key

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

        def take(table: NDArray[Any]) -> NDArray[Any]:
            return np.take(table.reshape(-1), key)

        def take_rows(table: NDArray[Any]) -> NDArray[Any]:
            return np.take(table.reshape(-1, width), key, axis=0)

        return Claims(
            person=person,
            total=total,
            policy_range=policy_range,
            deductible=take(self.deductible),
            ratio=take(self.ratio),
            pool_cap=take(self.pool_cap),
            prior_fund=prior["fund"],
            prior_selfpay=prior["selfpay"],
            prior_selfpay_net=prior["selfpay_net"],
            prior_assistance=prior["assistance"],
            layer_starts=take_rows(self.layer_starts),
            layer_ratios=take_rows(self.layer_ratios),
            layer_cap=take(self.layer_cap),
            layer_net_of_deductible=take(self.layer_net),
            assistance_ratio=take(self.assistance_ratio),
            assistance_cap=take(self.assistance_cap),
            assistance_outside=take(self.assistance_outside),
        )
