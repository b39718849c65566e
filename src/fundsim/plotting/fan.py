"""The fan chart of a fund's balance: 5–95% and 25–75% bands over runs, the median, zero.

The main job's chart (issue 4). Labels are English here; the Chinese labels, fonts and the
rest of the chart suite come with the plotting issue.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt
import xarray as xr
from matplotlib.axes import Axes

MILLION = 1e6


def fan(ds: xr.Dataset, scenario: str, fund: str, ax: Axes | None = None) -> Axes:
    """Balance of ``fund`` in ``scenario``: bands over runs, median and the zero line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.3, 3.6), layout="constrained")  # A4 text width
    balance = ds["balance"].sel(scenario=scenario, fund=fund) / MILLION
    q = balance.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="run")
    years = ds["year"].values
    color = "#1f77b4"
    ax.fill_between(
        years,
        q.sel(quantile=0.05),
        q.sel(quantile=0.95),
        color=color,
        alpha=0.18,
        lw=0,
        label="5–95%",
    )
    ax.fill_between(
        years,
        q.sel(quantile=0.25),
        q.sel(quantile=0.75),
        color=color,
        alpha=0.38,
        lw=0,
        label="25–75%",
    )
    ax.plot(years, q.sel(quantile=0.5), color=color, lw=2, label="median")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("balance at year end [million yuan]")
    runs = balance.sizes["run"]
    ax.set_title(f"{fund}: balance, {scenario} ({runs} runs)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="best", frameon=False, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return ax


def write_fan_charts(ds: xr.Dataset, folder: Path, dpi: int = 150) -> list[Path]:
    """One PNG per scenario and fund under ``folder``: ``fan_<scenario>_<fund>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario in ds["scenario"].values:
        for fund in ds["fund"].values:
            fig, ax = plt.subplots(figsize=(6.3, 3.6), layout="constrained")
            fan(ds, str(scenario), str(fund), ax)
            path = folder / f"fan_{scenario}_{fund}.png"
            fig.savefig(path, dpi=dpi)
            plt.close(fig)
            written.append(path)
    return written
