"""The progress bar of batches, calibrations and backtests (tqdm)."""

from __future__ import annotations

from typing import Any, TextIO


class ProgressBar:
    """tqdm's bar: work done, rate and time left (runs resumed from disk count as done but
    not in the rate; a total that was an estimate is corrected when the caller knows better)."""

    def __init__(self, total: int, description: str, err: TextIO | None, unit: str = "run") -> None:
        self.total, self.description, self.err, self.unit = total, description, err, unit
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                initial=done,
                desc=self.description,
                unit=self.unit,
                file=self.err,
                smoothing=0.1,
                dynamic_ncols=True,
                # a log file gets a line every few seconds, a terminal a live bar
                mininterval=0.1 if getattr(self.err, "isatty", lambda: False)() else 5.0,
            )
        else:
            if total != self._bar.total:  # an estimate, corrected as the work goes
                self._bar.total = max(total, done)
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
