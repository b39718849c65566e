"""fundsim: forecasts of the solvency of Chinese basic medical insurance funds."""

__version__ = "0.1.0"
