"""fundsim: forecasts of the solvency of Chinese basic medical insurance funds.

The Python API (each loaded on first use: ``import fundsim`` stays cheap)::

    import fundsim

    scenario = fundsim.load_scenario("scenarios/nanchuan/calibrated.yaml")
    one = fundsim.simulate(scenario, run=0)                   # one run, a results Dataset
    ds = fundsim.run_batch([scenario], runs=100, out="outputs/nanchuan")
    ds.fundsim.prob_depleted().sel(fund="urrbmi_pool")         # P(depleted by each year)
    base = fundsim.read_results("outputs/nanchuan", scenario="baseline-calibrated")
    paid = fundsim.benefits.calculate(scenario, claims)        # the claim calculator
"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

    from .scenario.loader import Scenario


def load_scenario(path: str | Path, allow_outside: Sequence[str | Path] = ()) -> Scenario:
    """Read, validate and resolve a scenario file (its ``extends:`` chain and region data).

    Raises :class:`fundsim.source.diagnostics.ScenarioError` with every located problem
    (file, line, dotted path, what would be valid) when it is not valid.
    """
    from .scenario.loader import load_scenario as load

    return load(path, allow_outside)


def run_batch(
    scenarios: Sequence[Scenario | str | Path] | Scenario | str | Path,
    runs: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    resume: bool = False,
) -> xr.Dataset:
    """A Monte Carlo batch of one or more scenarios, as ``fundsim run`` runs it, returned as
    its results Dataset (dims scenario, run, year, fund, ...).

    ``runs`` and ``seed`` default to the first scenario's ``monte_carlo``; ``out`` is the
    batch folder (results.nc, summaries, resumable while it runs; default: a temporary folder
    removed afterwards); ``workers`` (1: this process), ``scheduler`` (``"local"`` or a Dask
    address) choose the backend, which never changes the numbers.
    """
    import tempfile

    from .ensemble.backends import make_backend
    from .ensemble.batch import Batch
    from .ensemble.batch import run_batch as run

    listed = (
        scenarios
        if isinstance(scenarios, Sequence) and not isinstance(scenarios, str)
        else [scenarios]
    )
    loaded = [s if not isinstance(s, (str, Path)) else load_scenario(s) for s in listed]
    first = loaded[0]
    count = runs if runs is not None else first.monte_carlo.runs
    chosen_seed = seed if seed is not None else first.monte_carlo.seed

    def backend() -> Any:
        return make_backend(loaded, workers, scheduler)

    if out is None:
        with tempfile.TemporaryDirectory(prefix="fundsim-") as folder:
            batch = Batch(loaded, count, chosen_seed, Path(folder) / "batch")
            return run(batch, backend, force=force, resume=resume)
    batch = Batch(loaded, count, chosen_seed, Path(out))
    return run(batch, backend, force=force, resume=resume)


def read_results(path: str | Path, scenario: str | None = None) -> xr.Dataset:
    """A batch's results (its folder or ``results.nc``); with ``scenario``, that scenario's
    alone, without the ``scenario`` dimension (its runs, years and funds as they are)."""
    from .results.io import read_results as read

    ds = read(Path(path))
    if scenario is None:
        return ds
    names = [str(s) for s in ds["scenario"].values]
    if scenario not in names:
        from .source.diagnostics import InputError

        raise InputError(
            f"no scenario {scenario!r} in {path}; these results hold {', '.join(names)}"
        )
    return ds.sel(scenario=scenario)


def calibrate(
    scenario: str | Path,
    history: str | Path | None = None,
    until: int | None = None,
    workers: int | None = None,
    runs: int | None = None,
) -> tuple[Any, Scenario]:
    """Fit the scenario's ``calibrate:`` parameters to its history (``fundsim calibrate``):
    returns the fit (values, standard deviations, residuals; ``fundsim.calibration.fit.Fit``)
    and the scenario over the fitted years."""
    from .calibration.run import calibrate as fit
    from .calibration.run import plan

    return fit(plan(scenario, history, until), workers=workers, runs=runs)


def __getattr__(name: str) -> Any:
    if name == "simulate":  # lazy: importing fundsim stays cheap for the command line
        from .ensemble.evaluate import simulate

        return simulate
    if name == "benefits":
        import importlib

        return importlib.import_module(".benefits", __name__)
    raise AttributeError(name)


__all__ = [
    "__version__",
    "calibrate",
    "load_scenario",
    "read_results",
    "run_batch",
    "simulate",
]
