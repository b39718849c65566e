"""What an interrupt (Ctrl-C, or SIGTERM raised as one) becomes on the command line.

Exit 130 (143 for SIGTERM) wherever it lands: in a compiled kernel (see
:func:`fundsim.ensemble.backends.interrupt_behind`), in a finaliser (passed on here), or
after the results are in place (said here). A batch's message says what it kept.
"""

from __future__ import annotations

import _thread
import signal
import threading
from pathlib import Path
from typing import Any

from ..source.pathnames import shown_path


def interrupts_passed_on(
    previous: Any, running: threading.Event, terminated: type[KeyboardInterrupt]
) -> Any:
    """An unraisable-exception hook that raises again, in the main thread, an interrupt that
    came while Python ran a finaliser (a weak reference's callback, a ``__del__``): there it
    cannot be raised, so Python would print "Exception ignored in: …" with a traceback and
    lose the interrupt. It is raised a moment later from another thread (raised from the
    hook, it would land in the hook and be lost the same way), while the command still
    runs (``running`` set). ``terminated``: the interrupt SIGTERM raises. Every other
    unraisable exception goes to ``previous``."""

    def interrupt(number: signal.Signals) -> None:
        if running.is_set():
            _thread.interrupt_main(number)

    def hook(unraisable: Any) -> None:
        kind = unraisable.exc_type
        if isinstance(kind, type) and issubclass(kind, KeyboardInterrupt):
            number = signal.SIGTERM if issubclass(kind, terminated) else signal.SIGINT
            later = threading.Timer(0.05, interrupt, (number,))
            later.daemon = True
            later.start()
            return
        previous(unraisable)

    return hook


def batch_interrupted(batch: Any, shown: Path) -> str:
    """What an interrupt left of ``batch`` (its --out shown as ``shown``), and what to do.

    An interrupt after the results are in place exits 130 (143 on SIGTERM) all the same:
    the command did not end as asked (its summary was not printed), and a signal's exit
    status is what the program that sent it expects; the message says the results are
    complete, so nobody runs the batch again."""
    from ..ensemble.batch import kept_runs

    if batch.complete:
        return (
            f"interrupted after the results were written: {shown_path(shown)} is complete "
            "(plot or report it; a rerun would need --force) (结果已完整写出)"
        )
    kept = kept_runs(batch)
    if kept is None:
        return (
            "interrupted before any run finished; nothing was kept (nothing half-written is left)"
        )
    return (
        f"interrupted; the {kept} finished run(s) are kept in {shown_path(shown)}.partial, rerun "
        "the same command with --resume to finish (已完成的模拟保留，可用 --resume 继续)"
    )
