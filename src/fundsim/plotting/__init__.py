"""Charts: each takes a Dataset and an optional Axes and returns the Axes."""

from .fan import fan, write_fan_charts

__all__ = ["fan", "write_fan_charts"]
