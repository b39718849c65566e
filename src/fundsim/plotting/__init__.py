"""Charts for planning documents, in Chinese and English (architecture §1).

Each chart function takes a results Dataset and an optional Axes and returns the Axes
(:mod:`.charts`); :mod:`.figures` makes and writes whole figures; :mod:`fundsim.reporting`
writes the report from them.
"""

from .charts import (
    KINDS,
    RESERVE_ZONES,
    ReserveZones,
    cashflow,
    compare,
    depletion,
    difference,
    fan,
    income_expenditure,
    lever_chain,
    reserve,
    waterfall,
)
from .figures import FORMATS, figure, write_fan_charts, write_figure

__all__ = [
    "FORMATS",
    "KINDS",
    "RESERVE_ZONES",
    "ReserveZones",
    "cashflow",
    "compare",
    "depletion",
    "difference",
    "fan",
    "figure",
    "income_expenditure",
    "lever_chain",
    "reserve",
    "waterfall",
    "write_fan_charts",
    "write_figure",
]
