"""The shape of a scenario file (architecture §3), as pydantic v2 models.

Unknown keys are forbidden and types are strict (``"0.5"`` is not a number, ``2021`` is not
a date). The contents of ``parameters`` and ``policy`` are checked against the parameter
catalogue by :mod:`fundsim.scenario.loader`; here they are only required to be mappings.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal, Union, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ..codes import DEFAULT_LEVELS, LOCAL_LEVELS

Text = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


TitleText = Annotated[str, Field(min_length=1, max_length=200)]  # drawn in chart legends


class Title(Strict):
    zh: TitleText
    en: TitleText


DescriptionText = Annotated[str, Field(min_length=1, max_length=2000)]  # a paragraph of the report


class Description(Strict):
    zh: DescriptionText
    en: DescriptionText


MAX_HORIZON_YEARS = 50  # a planning horizon is 5 to 15 years; 50 is beyond any plan
FIRST_YEAR, LAST_YEAR = 1990, 2100  # the schemes began in the 1990s


class Horizon(Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end <= self.start:
            raise ValueError(
                f"end {self.end.isoformat()} must come after start {self.start.isoformat()}"
            )
        if not (self.start.year >= FIRST_YEAR and self.end.year <= LAST_YEAR):
            raise ValueError(
                f"the horizon must lie within {FIRST_YEAR}–{LAST_YEAR} "
                f"({self.start.isoformat()} to {self.end.isoformat()})"
            )
        if self.end.year - self.start.year >= MAX_HORIZON_YEARS:
            raise ValueError(
                f"the horizon spans {self.end.year - self.start.year + 1} years, more than "
                f"{MAX_HORIZON_YEARS} (a planning horizon is 5 to 15 years)"
            )
        return self


LocalLevel = Literal["community", "level1", "level2", "level3", "provincial"]
assert LocalLevel.__args__ == LOCAL_LEVELS  # type: ignore[attr-defined]  # the codes' levels


class RegionData(Strict):
    """Region data files, relative to the scenario file."""

    population: Text
    mortality: Text
    admission_rates: Text
    fertility: Text
    history: Text | None = None  # the region's actual fund figures by year (optional)


class Region(Strict):
    name: Title
    code: Text | None = None
    data: RegionData
    # the year whose end the population file and the opening balances describe (architecture §3)
    data_year: Annotated[int, Field(ge=FIRST_YEAR - 1, le=LAST_YEAR)] | None = None
    # a horizon that starts after data_year + 1: simulate the years between and report from
    # the horizon start (roll_forward), or scale the population and set the balances to the
    # history's year-end figures before the horizon start (history)
    start_from: Literal["data", "roll_forward", "history"] = "data"
    # the local hospital levels the region's rules distinguish, lowest first (out of area is
    # always a place of care); a fifth class (provincial, 三级特等) where the region has one
    levels: list[LocalLevel] = Field(
        default_factory=lambda: cast(list[LocalLevel], list(DEFAULT_LEVELS)), min_length=1
    )

    @model_validator(mode="after")
    def _levels_in_order(self) -> Region:
        order = [lv for lv in LOCAL_LEVELS if lv in self.levels]
        if len(set(self.levels)) != len(self.levels) or order != self.levels:
            raise ValueError(
                f"levels {', '.join(self.levels)}: each once, lowest first "
                f"(in the order {', '.join(LOCAL_LEVELS)})"
            )
        return self


class AreaData(Strict):
    """An area's own region data files (relative to the scenario file); the region's files
    stand for those left out."""

    population: Text
    mortality: Text | None = None
    admission_rates: Text | None = None
    fertility: Text | None = None


RESERVED_AREAS = ("total", "city")  # the city total and the city's own accounts


def _not_reserved(key: str) -> str:
    if key in RESERVED_AREAS:
        raise ValueError(
            f"'{key}' names the city's own rows of the results; call the area otherwise"
        )
    return key


AreaKey = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32), AfterValidator(_not_reserved)
]
MAX_AREAS = 30  # a prefecture-level city has 3 to 20 counties and districts


class Area(Strict):
    """One area of a city scenario (a county or district): its population, and the
    parameters where its rules or figures differ from the city's (opening balances, wages,
    premiums…); everything else is the city's."""

    name: Title
    data: AreaData
    parameters: dict[str, Any] | None = None


class CalibrationBound(Strict):
    """Where a calibration may move one parameter."""

    low: Number
    high: Number
    source: Text | None = None  # why these bounds
    # "FUND INDICATOR" (e.g. "uebmi expenditure"): after the fit, the parameter is re-levelled
    # so that the model meets that figure of the last year fitted (the base year)
    anchor: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CalibrationBound:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self


class Calibrate(Strict):
    """The free parameters of a calibration to the region's history (``fundsim calibrate``)."""

    parameters: Annotated[dict[str, CalibrationBound], Field(min_length=1, max_length=12)]
    first_year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)] | None = None  # of the fit
    runs: Annotated[int, Field(ge=2, le=1000)] = 16  # Monte Carlo runs a trial (the same each)


class _Distribution(Strict):
    source: Text | None = None

    def support(self) -> tuple[float, float]:
        """The interval every draw lies in."""
        raise NotImplementedError

    def likely_range(self) -> tuple[float, float]:
        """Where nearly all draws fall (the support for bounded distributions)."""
        return self.support()

    @property
    def bounded(self) -> bool:
        low, high = self.support()
        return math.isfinite(low) and math.isfinite(high)


class Normal(_Distribution):
    distribution: Literal["normal"]
    mean: Number
    sd: Positive

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def likely_range(self) -> tuple[float, float]:
        return (self.mean - 4 * self.sd, self.mean + 4 * self.sd)


class Lognormal(_Distribution):
    """exp(N(mu, sigma)): positive values with median exp(mu)."""

    distribution: Literal["lognormal"]
    mu: Number
    sigma: Positive

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def likely_range(self) -> tuple[float, float]:
        return (math.exp(self.mu - 4 * self.sigma), math.exp(self.mu + 4 * self.sigma))


class Uniform(_Distribution):
    distribution: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Triangular(_Distribution):
    distribution: Literal["triangular"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"need low ≤ mode ≤ high and low < high, got low={self.low:g}, mode={self.mode:g}, high={self.high:g}"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Beta(_Distribution):
    """Beta(a, b) scaled to [low, high] (default [0, 1])."""

    distribution: Literal["beta"]
    a: Positive
    b: Positive
    low: Number = 0.0
    high: Number = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> Beta:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Discrete(_Distribution):
    """One of ``values``, with ``weights`` (equal when left out)."""

    distribution: Literal["discrete"]
    values: Annotated[list[Number], Field(min_length=1)]
    weights: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Discrete:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"{len(self.weights)} weights for {len(self.values)} values: give one weight per value"
                )
            if abs(sum(self.weights) - 1.0) > 1e-9:
                raise ValueError(f"weights sum to {sum(self.weights):g}, not 1")
        return self

    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))


Distribution = Annotated[
    Union[Normal, Lognormal, Uniform, Triangular, Beta, Discrete],  # noqa: UP007
    Field(discriminator="distribution"),
]
DISTRIBUTIONS: dict[str, type[_Distribution]] = {
    "normal": Normal,
    "lognormal": Lognormal,
    "uniform": Uniform,
    "triangular": Triangular,
    "beta": Beta,
    "discrete": Discrete,
}


class MonteCarlo(Strict):
    runs: Annotated[int, Field(ge=1, le=100_000)] = 1000
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 20260101


class Outputs(Strict):
    lang: Literal["zh", "en"] = "zh"
    formats: Annotated[list[Literal["png", "svg", "pdf"]], Field(min_length=1)] = ["png"]


class Correlation(Strict):
    """Drawn parameters drawn together: their rank correlation through a Gaussian copula
    (each keeps its own distribution); ``matrix`` is the normal scores' correlation, in the
    order of ``paths``."""

    paths: Annotated[list[Text], Field(min_length=2, max_length=12)]
    matrix: list[list[Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)]]]
    source: Text | None = None


class Document(Strict):
    """One scenario file. A region baseline gives ``horizon``, ``region`` and ``parameters``;
    a policy scenario ``extends`` another file and changes only what differs."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    title: Title
    description: Description | None = None
    extends: Text | Annotated[list[Text], Field(min_length=1)] | None = None
    horizon: Horizon | None = None
    region: Region | None = None
    parameters: dict[str, Any] | None = None
    policy: dict[str, dict[str, Any]] | None = None
    # "none" removes a draw inherited from an extended file (the value given holds)
    uncertainty: dict[str, Distribution | Literal["none"]] | None = None
    # drawn parameters drawn together (the last file that gives it holds)
    correlation: Correlation | None = None
    calibrate: Calibrate | None = None
    # the areas of a city (its counties); pooling between them is parameters.pooling.*
    areas: (
        Annotated[
            dict[AreaKey, Area],
            Field(min_length=2, max_length=MAX_AREAS),
        ]
        | None
    ) = None
    monte_carlo: MonteCarlo | None = None
    outputs: Outputs | None = None
