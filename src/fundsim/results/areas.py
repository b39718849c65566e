"""The ``area`` dimension of a city scenario's results: its names and one area at a time.

A city's results hold each area, ``city`` (the city's own accounts: the risk adjustment
reserves) and ``total`` (the city consolidated). Summaries, charts and reports take one of
them: :func:`select_area` gives the Dataset of one, without the dimension and with the funds
that area has, so every function written for a one-area Dataset works on it.
"""

from __future__ import annotations

import json

import xarray as xr

from ..codes import ACCOUNTS, CITY_ACCOUNTS
from ..source.diagnostics import InputError

CITY, TOTAL = "city", "total"
CITY_LABELS = {
    CITY: ("市级账户（风险调剂金）", "city accounts (reserves)"),
    TOTAL: ("全市合计", "city total"),
}


MODES = ("separate", "reserve", "unified")  # the codes of the results' pooling_mode


def unified_at_end(ds: xr.Dataset, scenario: str) -> bool:
    """Whether the scenario's areas are one city fund at the horizon's end."""
    if "pooling_mode" not in ds:
        return False
    mode = ds["pooling_mode"].sel(scenario=scenario).isel(year=-1)
    return bool((mode == MODES.index("unified")).all())


def area_names(ds: xr.Dataset) -> list[str]:
    """The areas of a city's results, ``city`` and ``total`` last; [] for one area."""
    return [str(a) for a in ds["area"].values] if "area" in ds.dims else []


def area_label(ds: xr.Dataset, area: str, lang: str) -> str:
    """The area's name in ``lang`` (from the results' area labels)."""
    if area in CITY_LABELS:
        return CITY_LABELS[area][0 if lang == "zh" else 1]
    key = "labels_zh" if lang == "zh" else "labels_en"
    if "area" not in ds.coords:  # one area selected: its labels kept with it
        return str(ds.attrs.get(f"area_{key}", area))
    names = area_names(ds)
    try:
        labels = json.loads(str(ds["area"].attrs.get(key, "[]")))
    except ValueError:
        labels = []
    return labels[names.index(area)] if len(labels) == len(names) and area in names else area


def funds_of(area: str) -> tuple[str, ...]:
    """The funds an area of a city's results has."""
    return CITY_ACCOUNTS if area == CITY else ACCOUNTS


def select_area(ds: xr.Dataset, area: str | None = None) -> xr.Dataset:
    """The results of one area (default: the city total), without the ``area`` dimension
    and with its funds (an area's own; the city's reserves; the total's pooled funds hold
    the reserves, so it shows the area funds only); a one-area Dataset as it is (``area``
    must then be None or ``total``)."""
    names = area_names(ds)
    if not names:
        if area not in (None, TOTAL):
            raise InputError(f"these results hold one area; --area {area} names none of them")
        return ds
    area = TOTAL if area is None else area
    if area not in names:
        raise InputError(f"no area '{area}' in these results; valid: {', '.join(names)}")
    one = ds.sel(area=area, drop=True)
    funds = funds_of(area)
    one = one.sel(fund=[f for f in one["fund"].values if str(f) in funds])
    one.attrs["area"] = area
    for lang in ("zh", "en"):
        one.attrs[f"area_labels_{lang}"] = area_label(ds, area, lang)
    return one
