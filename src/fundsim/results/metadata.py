"""The texts and attributes of a results file (:mod:`fundsim.results.checks` checks its
numbers): the scenarios' titles, descriptions and marks, which charts draw and workbooks
hold, without control characters and in the formats fundsim writes them (JSON,
``MM-DD/MM-DD``, share/lag); the attributes charts read, as text; the weight as a positive
number (a city's, one for each area)."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import xarray as xr

from ..source.characters import control_character, describe
from ..source.diagnostics import InputError

# texts of the scenario coordinates: the longest fundsim writes (titles as the scenario
# schema allows them) and whether they may hold a line break (the assumptions, one a line)
TEXT_LIMITS = {
    "scenario_title_zh": 200,
    "scenario_title_en": 200,
    "scenario_description_zh": 2000,
    "scenario_description_en": 2000,
}
MAX_TEXT = 100_000
MULTILINE = ("scenario_assumptions_zh", "scenario_assumptions_en")
ATTRS_READ = ("long_name", "long_name_zh", "units")  # of variables and coordinates, by charts


def refusal(where: str, detail: str) -> InputError:
    """The error of a results file fundsim could not have written."""
    return InputError(f"{where}: not fundsim results ({detail})")


def shown(label: Any) -> str:
    """A label or value as a message shows it: text quoted, a number as it is."""
    if isinstance(label, str | np.str_):
        return repr(str(label))
    if isinstance(label, np.generic):
        return str(label.item())
    return repr(label)


def check_texts(ds: xr.Dataset, where: str) -> None:
    """The scenarios' texts (titles, descriptions, marks) charts draw and workbooks hold."""
    for name in ds.coords:
        key = str(name)
        if not key.startswith("scenario_"):
            continue
        coord = ds[name]
        if coord.dims != ("scenario",) or coord.dtype.kind not in "USO":
            raise refusal(where, f"{key} is not a text for each scenario")
        for scenario, value in zip(ds["scenario"].values, coord.values, strict=True):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            at = f"{key} of scenario '{scenario}'"
            _check_text(text, at, where, TEXT_LIMITS.get(key, MAX_TEXT), key in MULTILINE)
            check = _FORMATS.get(key)
            if check is not None and text:
                problem = check(text)
                if problem:
                    raise refusal(where, f"{at}: {problem}")


def _check_text(
    text: str, what: str, where: str, limit: int = MAX_TEXT, lines: bool = False
) -> None:
    odd = control_character(text, "\n" if lines else "")
    if odd is not None:
        raise refusal(where, f"{what} holds a control character {describe(odd)}")
    if len(text) > limit:
        raise refusal(where, f"{what} is {len(text):,} characters long, more than {limit:,}")


def _events(text: str) -> str:
    """Dated policy marks: a JSON list of [date, zh, en, [pool, …]]."""
    try:
        rows = json.loads(text)
        assert isinstance(rows, list)
        for date, zh, en, pools in rows:
            dt.date.fromisoformat(date)
            assert isinstance(pools, list)
            for label in (zh, en, *pools):
                assert isinstance(label, str) and control_character(label) is None
    except (ValueError, TypeError, AssertionError):
        return 'not a list of policy marks ([["2025-01-01", "标题", "title", ["urrbmi"]], …])'
    return ""


def _campaign(text: str) -> str:
    """The URRBMI premium campaign: MM-DD/MM-DD."""
    match = re.fullmatch(r"(\d\d)-(\d\d)/(\d\d)-(\d\d)", text)
    try:
        assert match is not None
        numbers = [int(g) for g in match.groups()]
        dt.date(2000, numbers[0], numbers[1])  # a leap year: 02-29 is a day
        dt.date(2000, numbers[2], numbers[3])
    except (ValueError, AssertionError):
        return "not a campaign's first and last day (MM-DD/MM-DD, e.g. 09-01/12-31)"
    return ""


def _out_of_area(text: str) -> str:
    """Out-of-area settlement: the direct share (0 to 1) / the reimbursement lag in months."""
    share, _, lag = text.partition("/")
    try:
        direct, months = float(share), float(lag)
    except ValueError:
        direct = months = math.nan
    if not (0 <= direct <= 1 and 0 <= months <= 120):
        return "not a direct share (0 to 1) and a lag in months (e.g. 0.6/3)"
    return ""


def _lever_titles(text: str) -> str:
    """Each policy file's titles: a JSON object {file: [zh, en]}."""
    try:
        named = json.loads(text)
        assert isinstance(named, dict)
        for titles in named.values():
            assert isinstance(titles, list) and len(titles) == 2
            for title in titles:
                assert isinstance(title, str) and control_character(title) is None
    except (ValueError, TypeError, AssertionError):
        return 'not the titles of the policy files ({"drg.yaml": ["标题", "title"]})'
    return ""


_FORMATS: dict[str, Callable[[str], str]] = {
    "scenario_events": _events,
    "scenario_campaign": _campaign,
    "scenario_out_of_area": _out_of_area,
    "scenario_lever_titles": _lever_titles,
}


def check_attrs(ds: xr.Dataset, city: bool, where: str) -> None:
    """The attributes fundsim reads: texts without control characters, labels of the axes as
    text, the weight as a positive number (a city's: one per area), the areas' names."""
    owners: list[tuple[str, dict[Hashable, Any]]] = [("the results", ds.attrs)]
    owners += [(str(name), ds[name].attrs) for name in ds.variables]
    for owner, attrs in owners:
        for key, value in attrs.items():
            if isinstance(value, str):
                _check_text(value, f"the attribute {key} of {owner}", where)
            elif key in ATTRS_READ and owner != "the results":
                raise refusal(where, f"the attribute {key} of {owner} is not a text")
    if "weight" in ds.attrs:
        _check_weight(ds.attrs["weight"], ds.sizes.get("area", 0), city, where)
    if city:
        for key in ("labels_zh", "labels_en"):
            if key not in ds["area"].attrs:
                continue
            try:
                labels = json.loads(str(ds["area"].attrs[key]))
                assert isinstance(labels, list) and len(labels) == ds.sizes["area"]
                for label in labels:
                    assert isinstance(label, str) and control_character(label) is None
            except (ValueError, AssertionError):
                raise refusal(
                    where,
                    f"the attribute {key} of area is not a JSON list of the {ds.sizes['area']} "
                    "areas' names",
                ) from None


def _check_weight(weight: Any, areas: int, city: bool, where: str) -> None:
    """How many insured one simulated person stands for (1 / population.sample): a positive
    number; a city's, one for each of its areas (``2,2,5``)."""
    if city:
        parts = weight.split(",") if isinstance(weight, str) else []
        count = areas - 2  # not the city's own accounts and its total
    else:  # a number, not a text or a list
        parts = [] if isinstance(weight, str | bytes | bool | np.bool_) else [weight]
        count = 1
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError):
        numbers = []
    if len(numbers) != count or not all(math.isfinite(n) and n > 0 for n in numbers):
        valid = f"{count} positive numbers joined by commas" if city else "a positive number"
        raise refusal(where, f"the attribute weight is {shown(weight)[:40]}, not {valid}")
