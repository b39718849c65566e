"""fundsim: forecasts of the solvency of Chinese basic medical insurance funds."""

__version__ = "0.1.0"

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "simulate":  # lazy: importing fundsim stays cheap for the command line
        from .ensemble.evaluate import simulate

        return simulate
    raise AttributeError(name)


__all__ = ["__version__", "simulate"]
