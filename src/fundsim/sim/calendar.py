"""Days, months and years of the horizon on the SimPy clock (days from the horizon start)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    end: dt.date  # last day simulated

    @property
    def days(self) -> int:
        """Days simulated (the clock runs from 0 to ``days``)."""
        return (self.end - self.start).days + 1

    def day(self, date: dt.date) -> float:
        return float((date - self.start).days)

    def date(self, day: float) -> dt.date:
        return self.start + dt.timedelta(days=int(np.floor(day)))

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))

    @property
    def months(self) -> list[dt.date]:
        """First day of every calendar month touched by the horizon."""
        out, d = [], dt.date(self.start.year, self.start.month, 1)
        while d <= self.end:
            out.append(d)
            d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
        return out

    def year_bounds(self) -> NDArray[np.float64]:
        """First day of each year (clipped to the horizon), then the day after the last."""
        starts = [max(dt.date(y, 1, 1), self.start) for y in self.years]
        return np.array([self.day(d) for d in starts] + [float(self.days)])

    def month_bounds(self) -> NDArray[np.float64]:
        starts = [max(m, self.start) for m in self.months]
        return np.array([self.day(d) for d in starts] + [float(self.days)])
