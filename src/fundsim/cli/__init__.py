"""``fundsim …``: the command line, the only code that chooses paths under ``outputs/``."""

from .main import main

__all__ = ["main"]
