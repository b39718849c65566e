"""The command line's paths and addresses, judged once before any command does any work.

A path given on the command line (a scenario, ``--out``, ``--claims``, ``--history``,
``--ranges``, a results folder, ``--allow-outside``) that no file system could hold (a NUL
character, a name over 255 bytes, a path over 4,095 bytes) is refused here, for every
command alike, rather than as an ``OSError`` from whichever call first touches it. What
stands at a path (a folder, a pipe, a broken link) is for the command that reads or writes
it to judge: :func:`fundsim.places.check_place` for outputs, the readers for inputs.
"""

from __future__ import annotations

import argparse
import os

from ..source.diagnostics import InputError
from ..source.pathnames import name_problem, shown_path

# the scenario arguments kept as text (every other path argument is a Path), by command
SCENARIO_TEXTS = {
    "validate": ("scenarios",),
    "explain": ("scenario",),
    "run": ("scenarios",),
    "compare": ("baseline", "others"),
}
SCHEDULER_HINT = (
    "give the address of a running Dask scheduler, tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786), "
    "or 'local' for a Dask cluster on this machine; leave --scheduler out to run on a local "
    "process pool (Dask调度器地址，例如 tcp://10.0.0.5:8786)"
)


def check_arguments(args: argparse.Namespace) -> None:
    """:class:`InputError` (exit 2) for a path argument that cannot name a file, or an empty
    ``--scheduler``; nothing else is looked at."""
    texts = SCENARIO_TEXTS.get(getattr(args, "command", ""), ())
    for dest, value in vars(args).items():
        for each in value if isinstance(value, list) else [value]:
            if isinstance(each, os.PathLike) or (isinstance(each, str) and dest in texts):
                problem = name_problem(each)
                if problem:
                    raise InputError(f"{_label(dest)}{shown_path(each)}: {problem}")
    scheduler = getattr(args, "scheduler", None)
    if scheduler is not None:
        check_scheduler(scheduler)


def check_scheduler(address: str) -> None:
    """:class:`InputError` unless ``address`` could be a Dask scheduler's address (Dask
    itself judges the rest when it connects)."""
    if not address.strip():
        raise InputError(f"--scheduler {address!r}: an empty address; {SCHEDULER_HINT}")
    if any(not c.isprintable() or c.isspace() for c in address):
        raise InputError(
            f"--scheduler {shown_path(address)}: an address holds no spaces or control "
            f"characters; {SCHEDULER_HINT}"
        )


def _label(dest: str) -> str:
    """How the command line names an argument: ``--out `` for an option, nothing for the
    positional ones (their value is shown alone)."""
    positional = ("scenarios", "scenario", "baseline", "others", "results", "folder", "region_dir")
    return "" if dest in positional else f"--{dest.replace('_', '-')} "
