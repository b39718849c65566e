"""``fundsim …``: the command line, the only code that chooses paths under ``outputs/``."""

from .main import entry, main

__all__ = ["entry", "main"]
