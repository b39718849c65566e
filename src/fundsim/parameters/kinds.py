"""Value kinds of policy parameters: what a value must look like, and how to say it is wrong.

Each parameter in the catalogue names a kind. A kind is a pydantic type (strict: ``"0.5"``
is not a number, ``true`` is not 1) plus the words a planner needs when a value is refused.
Validated values are made immutable (lists become tuples) so snapshots can be shared.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)


class Tier(BaseModel):
    """One critical-illness tier: the ratio paid on annual self-pay above ``from`` [yuan]."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)
    from_: Annotated[float, Field(alias="from", ge=0, allow_inf_nan=False)]
    ratio: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _increasing(tiers: list[Tier]) -> list[Tier]:
    for before, after in itertools.pairwise(tiers):
        if after.from_ <= before.from_:
            raise ValueError(
                f"critical-illness thresholds must increase: {after.from_:g} follows {before.from_:g}"
            )
    return tiers


def _not_rising(values: list[float]) -> list[float]:
    for before, after in itertools.pairwise(values):
        if after > before:
            raise ValueError(
                f"a deductible ladder may not rise: {after:g} follows {before:g} "
                "(the second and later admissions of a year pay no more than the first)"
            )
    return values


def _monthday(value: str) -> str:
    try:
        dt.date.fromisoformat(f"2001-{value}")
    except ValueError:
        raise ValueError(f"'{value}' is not a month and day") from None
    if len(value) != 5:
        raise ValueError(f"'{value}' is not written MM-DD")
    return value


@dataclass(frozen=True)
class Kind:
    """A kind of parameter value.

    Parameters
    ----------
    name : the kind's name in the catalogue
    label : how a value of this kind is called in messages ("ratio", "amount of money")
    valid : what would be valid, said to a planner
    lower, upper : bounds of numeric kinds (None when open), used to check uncertainty ranges
    numeric : whether an uncertainty distribution may be put on it
    """

    name: str
    label: str
    valid: str
    adapter: TypeAdapter[Any]
    lower: float | None = None
    upper: float | None = None
    numeric: bool = True

    def validate(self, value: Any) -> tuple[Any, str | None]:
        """Return ``(value, None)`` when valid, else ``(None, message)``."""
        try:
            checked = self.adapter.validate_python(value)
        except ValidationError as exc:
            return None, _describe(self, value, exc)
        if isinstance(checked, list):  # immutable: tiers become ((from, ratio), …)
            checked = tuple((t.from_, t.ratio) if isinstance(t, Tier) else t for t in checked)
        if self.name in {"int", "count", "month"}:
            checked = int(checked)
        elif self.numeric and not isinstance(checked, bool):
            checked = float(checked)
        return checked, None

    @property
    def label_article(self) -> str:
        return ("an " if self.label[0] in "aeiou" else "a ") + self.label

    @property
    def bounds_text(self) -> str:
        return bounds_text(self.lower, self.upper)


def bounds_text(lower: float | None, upper: float | None) -> str:
    """``[low, high]`` as a planner reads it (∞ where open)."""
    low = "-∞" if lower is None else shown_number(lower)
    high = "∞" if upper is None else shown_number(upper)
    return f"[{low}, {high}]"


def shown_number(value: float) -> str:
    """A bound or a value as a planner reads it: 1,000,000 rather than 1e+06."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:g}"


def _describe(kind: Kind, value: Any, exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    kind_of_error = error["type"]
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if (
        kind_of_error
        in {
            "greater_than_equal",
            "less_than_equal",
            "greater_than",
            "less_than",
        }
        and not error["loc"]
    ):
        return f"{kind.label} {shown} is outside {kind.bounds_text}"
    if kind_of_error == "finite_number":
        return f"{shown} is not a finite number"
    if kind_of_error.endswith("_type") or kind_of_error in {"int_from_float", "bool_parsing"}:
        if isinstance(value, str) and kind.numeric and _number_text(value):
            return (
                f"{shown} is not {kind.label_article}: YAML reads it as text; write the "
                f"number with a decimal point, e.g. {float(value):.1e} or {float(value):.10g}"
            )
        return f"{shown} is not {kind.label_article}"
    location = ".".join(str(p) for p in error["loc"])
    where = f" at {location}" if location else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{kind.label}{where}: {message}"


def _number_text(text: str) -> bool:
    """Whether ``text`` reads as a number in Python though YAML 1.1 keeps it text (``1e-6``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _num(
    lower: float | None = None, upper: float | None = None, strict_lower: bool = False
) -> TypeAdapter[Any]:
    if strict_lower:
        return TypeAdapter(
            Annotated[float, Field(strict=True, gt=lower, le=upper, allow_inf_nan=False)]
        )
    return TypeAdapter(
        Annotated[float, Field(strict=True, ge=lower, le=upper, allow_inf_nan=False)]
    )


def _int(lower: int | None = None, upper: int | None = None) -> TypeAdapter[Any]:
    return TypeAdapter(Annotated[int, Field(strict=True, ge=lower, le=upper)])


_FRACTION = "rates are fractions: 0.7 means 70%"

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("ratio", "ratio", f"a number from 0 to 1; {_FRACTION}", _num(0, 1), 0.0, 1.0),
        Kind(
            "fraction_positive",
            "fraction",
            "a number above 0 and at most 1",
            _num(0, 1, strict_lower=True),
            0.0,
            1.0,
        ),
        Kind("rate", "rate", f"a number from -1 to 1; {_FRACTION}", _num(-1, 1), -1.0, 1.0),
        Kind("money", "amount of money", "a number of yuan, 0 or more", _num(0), 0.0, None),
        Kind("signed_money", "amount of money", "a number of yuan", _num(), None, None),
        Kind("count", "count", "a whole number, 0 or more", _int(0), 0.0, None),
        Kind(
            "multiple", "multiple", "a number above 0", _num(0, None, strict_lower=True), 0.0, None
        ),
        Kind("positive", "number", "a number above 0", _num(0, None, strict_lower=True), 0.0, None),
        Kind("nonnegative", "number", "a number, 0 or more", _num(0), 0.0, None),
        Kind("age", "age", "an age in years from 0 to 120", _num(0, 120), 0.0, 120.0),
        Kind("days", "number of days", "a number of days, 0 or more", _num(0), 0.0, None),
        Kind("months", "number of months", "a number of months, 0 or more", _num(0), 0.0, None),
        Kind("month", "month", "a month number from 1 to 12", _int(1, 12), 1.0, 12.0),
        Kind(
            "month_list",
            "list of months",
            "a list of month numbers from 1 to 12, e.g. [3, 9]",
            TypeAdapter(
                Annotated[
                    list[Annotated[int, Field(strict=True, ge=1, le=12)]],
                    Field(min_length=1, strict=True),
                ]
            ),
            numeric=False,
        ),
        Kind(
            "monthday",
            "month-day",
            "a month and day written MM-DD, e.g. 10-15",
            TypeAdapter(
                Annotated[
                    str, Field(strict=True, pattern=r"^\d\d-\d\d$"), AfterValidator(_monthday)
                ]
            ),
            numeric=False,
        ),
        Kind(
            "ladder",
            "ladder of factors",
            "a list of numbers from 0 to 1 that never rises, e.g. [1, 0.5] (the last repeats)",
            TypeAdapter(
                Annotated[
                    list[Annotated[float, Field(strict=False, ge=0, le=1, allow_inf_nan=False)]],
                    Field(min_length=1, max_length=12, strict=True),
                    AfterValidator(_not_rising),
                ]
            ),
            numeric=False,
        ),
        Kind(
            "layer_basis",
            "basis of a high-cost layer",
            "selfpay_net (the annual policy-range self-pay without deductibles) or above_cap "
            "(the policy-range cost above the pooled fund's annual cap)",
            TypeAdapter(Literal["selfpay_net", "above_cap"]),
            numeric=False,
        ),
        Kind(
            "pooling_mode",
            "pooling mode",
            "separate (each area its own fund), reserve (area funds with a city risk "
            "adjustment reserve) or unified (one city fund, 统收统支)",
            TypeAdapter(Literal["separate", "reserve", "unified"]),
            numeric=False,
        ),
        Kind(
            "reserve_basis",
            "basis of the reserve's share",
            "income (a share of each area's pooled-fund income since the last payment) or "
            "balance (a share of its balance on the payment day)",
            TypeAdapter(Literal["income", "balance"]),
            numeric=False,
        ),
        Kind(
            "bool",
            "true/false value",
            "true or false",
            TypeAdapter(Annotated[bool, Field(strict=True)]),
            numeric=False,
        ),
        Kind(
            "tiers",
            "tier table",
            "a list of {from: yuan, ratio: 0..1} with increasing 'from'",
            TypeAdapter(
                Annotated[list[Tier], Field(min_length=1, strict=True), AfterValidator(_increasing)]
            ),
            numeric=False,
        ),
    ]
}
