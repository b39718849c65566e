"""The insured population as a struct of numpy arrays (architecture §2: people are arrays).

Time is counted in days from the horizon start (the SimPy clock). A person's membership is
the interval ``[entry, exit)``; their scheme is ``scheme`` until ``switch_day`` and
``switch_to`` from then on. The demography of a whole year is drawn at its start as event
days (deaths, lapses, moves, retirements, joins, births), so the state of anyone at any day
of the year is a pure function of these arrays: nothing is updated per tick.

Scheme codes follow ``SCHEMES``; sex codes ``SEXES``; special groups ``GROUPS`` (0 = none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..codes import SCHEMES, SEXES
from ..scenario.regiondata import MAX_AGE, Table
from .kernels import advance_cells

ACTIVE, RETIRED, URRBMI = 0, 1, 2
MALE, FEMALE = 0, 1
GROUPS = ("none", "extreme_poverty", "low_income")
DAYS_PER_YEAR = 365.25
NO_SWITCH = -1

# Columns of the struct of arrays and their dtypes. Days fit float64 exactly; a float32 day
# would round births 100 years back to a quarter of a day, harmless, but float64 keeps the
# event order of a person exact.
_COLUMNS: dict[str, type] = {
    "birth": np.float64,  # day of birth (negative before the horizon)
    "sex": np.int8,
    "scheme": np.int8,  # scheme at the start of the current year
    "switch_to": np.int8,  # NO_SWITCH, or the scheme taken at switch_day
    "switch_day": np.float64,  # inf when no switch this year
    "entry": np.float64,  # first day of membership (-inf for the initial population)
    "exit": np.float64,  # first day no longer a member (inf while a member)
    "exit_reason": np.int8,  # 0 member, 1 death, 2 lapse, 3 moved away
    "group": np.int8,  # index in GROUPS
    "cadre": np.bool_,  # women who retire at the cadre age
    "cell": np.int16,  # age × sex × scheme cell at the current year's start; IDLE: not a member
}
EXIT_REASONS = ("member", "death", "lapse", "moved")
CELLS_PER_AGE = 2 * len(SCHEMES)
N_CELLS = (MAX_AGE + 1) * CELLS_PER_AGE
IDLE = N_CELLS  # the cell of rows that are no longer members


# the cell a year older (the oldest age stays; IDLE stays IDLE)
_NEXT_CELL = np.append(
    np.minimum(
        np.arange(N_CELLS) + CELLS_PER_AGE,
        np.arange(N_CELLS) % CELLS_PER_AGE + MAX_AGE * CELLS_PER_AGE,
    ),
    IDLE,
).astype(np.int16)


def cell_codes(
    age: NDArray[np.integer], sex: NDArray[np.int8], scheme: NDArray[np.int8]
) -> NDArray[np.int16]:
    """Cell of each person: (age × 2 + sex) × 3 + scheme, age clipped to 0..MAX_AGE."""
    age = np.clip(age, 0, MAX_AGE).astype(np.int16)
    cell: NDArray[np.int16] = (age * 2 + sex) * len(SCHEMES) + scheme
    return cell.astype(np.int16)


@dataclass
class Population:
    """Person arrays with spare capacity for the year's newcomers.

    ``weight`` is how many insured people one simulated person stands for
    (1 / ``population.sample``).
    """

    weight: float
    n: int = 0
    arrays: dict[str, NDArray[Any]] = field(default_factory=dict)
    switched: NDArray[np.intp] = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    # rows that left during the current year, and the year's newborns (for the next ageing)
    left: NDArray[np.intp] = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    newborns: NDArray[np.intp] = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    departed: int = 0  # rows of earlier years' leavers still in the arrays

    def __post_init__(self) -> None:
        if not self.arrays:
            self.arrays = {name: np.empty(0, dtype=dtype) for name, dtype in _COLUMNS.items()}

    def __getattr__(self, name: str) -> NDArray[Any]:
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in arrays:
            column: NDArray[Any] = arrays[name][: self.n]
            return column
        raise AttributeError(name)

    def append(self, **columns: NDArray[Any]) -> None:
        """Add people; columns left out take their empty value (no switch, member, no group)."""
        count = len(next(iter(columns.values())))
        if self.n + count > len(self.arrays["birth"]):
            # room for several years of newcomers, so a year's births rarely copy everyone
            capacity = max(int(1.5 * len(self.arrays["birth"])), int(1.08 * (self.n + count)), 1024)
            for name, array in self.arrays.items():
                grown = np.empty(capacity, dtype=array.dtype)
                grown[: self.n] = array[: self.n]
                self.arrays[name] = grown
        defaults = {
            "switch_to": NO_SWITCH,
            "switch_day": np.inf,
            "entry": -np.inf,
            "exit": np.inf,
            "exit_reason": 0,
            "group": 0,
            "cadre": False,
            "cell": IDLE,
        }
        for name, array in self.arrays.items():
            value = columns[name] if name in columns else defaults[name]
            array[self.n : self.n + count] = value
        self.n += count

    def compact(self, day: float) -> None:
        """Drop people who left before ``day``; the rest are sorted by cell (stably), so the
        cells come in long runs again for the yearly passes."""
        keep = self.exit >= day
        if keep.all():
            return
        rows = np.flatnonzero(keep)  # one pass over the mask, then a take per column
        rows = rows[np.argsort(self.cell[rows], kind="stable")]
        kept = len(rows)
        for _name, array in self.arrays.items():
            array[:kept] = array[: self.n].take(rows)
        self.departed -= self.n - kept
        self.n = kept

    def age_one_year(self) -> None:
        """Move every member one year of age up, at a year start (ages stop at MAX_AGE).

        A person's age at each year start is their age at the horizon start (or on arrival)
        plus the years since; the year's newborns are still 0 at the next year start.
        """
        cell = self.arrays["cell"][: self.n]
        advance_cells(cell, _NEXT_CELL)
        cell[self.newborns] -= CELLS_PER_AGE
        cell[self.left] = IDLE
        self.departed += len(self.left)
        self.newborns = self.left = np.empty(0, dtype=np.intp)

    def members_by_scheme(self, day: float) -> NDArray[np.int64]:
        """Simulated members of each scheme on ``day`` (unweighted)."""
        member = (self.entry <= day) & (day < self.exit)
        scheme = np.where(self.switch_day <= day, self.switch_to, self.scheme)
        counts: NDArray[np.int64] = np.bincount(scheme[member], minlength=len(SCHEMES))
        return counts


def initial_population(
    table: Table,
    sample: float,
    special_shares: tuple[float, float],
    cadre_share: float,
    rng: np.random.Generator,
    need_by_cell: NDArray[np.float64] | None = None,
) -> Population:
    """Draw the insured population at the horizon start (day 0) from the region's table.

    Each row's persons × ``sample`` is rounded stochastically (floor, plus one with the
    fractional part's probability), so the expected sample is exact. Birthdays are spread
    uniformly within the year of age. Special groups are URRBMI members flagged by share;
    with ``need_by_cell`` (a value per cell, e.g. the admission rate) a member's chance is
    in proportion to their cell's value, the overall shares unchanged: the extremely poor
    and low-income are older and sicker than residents at large (ASSUMPTION; seed 003:
    22,575 assisted admissions of 113,980 aided members, 0.20 a member, against about 0.16
    for all residents).
    """
    columns = table.columns
    ages = np.asarray(columns["age"], dtype=np.int64)
    sexes = np.array([SEXES.index(s) for s in columns["sex"]], dtype=np.int8)
    schemes = np.array([SCHEMES.index(s) for s in columns["scheme"]], dtype=np.int8)
    expected = np.asarray(columns["persons"], dtype=float) * sample
    whole = np.floor(expected)
    counts = (whole + (rng.random(len(expected)) < expected - whole)).astype(np.int64)
    total = int(counts.sum())
    age = np.repeat(ages, counts)
    birth = -(age + rng.random(total)) * DAYS_PER_YEAR
    sex = np.repeat(sexes, counts)
    scheme = np.repeat(schemes, counts)
    cell = cell_codes(age, sex, scheme)
    population = Population(weight=1.0 / sample)
    population.append(
        birth=birth,
        sex=sex,
        scheme=scheme,
        group=draw_groups(scheme, special_shares, rng, _need_factor(need_by_cell, cell, scheme)),
        cadre=(sex == FEMALE) & (rng.random(total) < cadre_share),
        cell=cell,
    )
    return population


def _need_factor(
    need_by_cell: NDArray[np.float64] | None, cell: NDArray[np.int16], scheme: NDArray[np.int8]
) -> NDArray[np.float64] | None:
    """Each person's 1 / (need ÷ the URRBMI members' mean need), from a value per cell
    (computed per cell, then gathered: one pass over the people)."""
    if need_by_cell is None:
        return None
    counts = np.bincount(cell[scheme == URRBMI], minlength=len(need_by_cell))
    if counts.sum() == 0:
        return None
    mean = float(counts @ need_by_cell / counts.sum())
    factor = np.full(len(need_by_cell), np.inf)  # a cell of no need is in no group
    factor[need_by_cell > 0] = mean / need_by_cell[need_by_cell > 0]
    return factor[cell]


def draw_groups(
    scheme: NDArray[np.int8],
    shares: tuple[float, float],
    rng: np.random.Generator,
    need_factor: NDArray[np.float64] | None = None,
) -> NDArray[np.int8]:
    """Special group of each person: URRBMI members only, by share (0 none, 1, 2); with
    ``need_factor`` (1 / relative need) per person, in proportion to the need."""
    u = rng.random(len(scheme))
    if need_factor is not None:
        u *= need_factor  # u < share × need / mean need
    u[scheme != URRBMI] = np.inf  # in no group
    group = (u < shares[0] + shares[1]).view(np.int8) * np.int8(2)
    group[u < shares[0]] = 1
    return group
