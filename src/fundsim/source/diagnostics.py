"""Diagnostics: what is wrong, where (file, line, dotted path), and what would be valid.

Every problem found while reading a scenario becomes a :class:`Diagnostic`. Loading never
stops at the first one: all are collected and raised together in a :class:`ScenarioError`,
so a planner fixes a file in one pass. The text format follows compilers
(``file:line:column: error: path: message``) so editors can jump to the place.

A file can be wrong on every line (a 16 MB table of garbage has millions of bad cells), so
errors given a *kind* are bounded: the first :data:`SHOWN` of each kind in each column of a
file are kept, the rest counted into one "… and N more such errors" line. Memory and output
then stay small whatever the file holds.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .pathnames import shown_path

Severity = Literal["error", "warning"]
SHOWN = 20  # the errors of one kind in one column of a file shown: enough to fix a file


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a scenario or a region data file.

    Parameters
    ----------
    severity : "error" or "warning"
    file : the file the finding is in
    line, column : 1-based position in ``file``; 0 when the whole file is meant
    path : dotted path of the offending key (``policy.payment.drg.share``), or ""
    message : what is wrong
    hint : what would be valid, or a "did you mean"
    summary : it counts the errors of a kind beyond those shown (listed after the file's others)
    """

    severity: Severity
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""
    summary: bool = False

    def format(self) -> str:
        where = shown_path(self.file)  # one line, whatever the file's name holds
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        text = f"{where}: {self.severity}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(ValueError):
    """Bad input other than a scenario's content (an option, a results file, an output
    place): the command line prints the message and exits 2. The message says what is
    wrong, where, and what would be valid. Anything else raised inside fundsim is a bug."""


@dataclass
class ScenarioError(Exception):
    """Raised when a scenario (or a file it relies on) is invalid; holds every diagnostic."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class Collector:
    """Accumulates diagnostics for one load; raises them together.

    Errors given a ``kind`` (a short phrase, the same for every error of that kind: "not a
    whole number") are bounded: :attr:`shown` of each kind in each column (``path``) of a
    file are kept, and the rest are counted into one summary diagnostic, updated in place.
    """

    def __init__(self, shown: int = SHOWN) -> None:
        self.items: list[Diagnostic] = []
        self.shown = shown
        self._seen: set[tuple[str, str, int, str, str]] = set()
        self._found: dict[tuple[str, str, str], int] = {}  # errors of each (file, path, kind)
        self._summary: dict[tuple[str, str, str], int] = {}  # where its summary is in items

    def add(self, diagnostic: Diagnostic) -> None:
        key = (
            diagnostic.severity,
            diagnostic.file,
            diagnostic.line,
            diagnostic.path,
            diagnostic.message,
        )
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diagnostic)

    def error(
        self,
        file: str | Path,
        line: int,
        path: str,
        message: str,
        hint: str = "",
        column: int = 0,
        kind: str = "",
    ) -> None:
        """Record an error; one of a ``kind`` beyond the :attr:`shown` is only counted."""
        if kind:
            key = (str(file), path, kind)
            self._found[key] = self._found.get(key, 0) + 1
            if self._found[key] > self.shown:
                self._summarise(key)
                return
        self.add(Diagnostic("error", str(file), line, column, path, message, hint))

    def room(self, file: str | Path, path: str, kind: str) -> int:
        """How many more errors of ``kind`` in ``path`` of ``file`` would be shown."""
        return max(self.shown - self._found.get((str(file), path, kind), 0), 0)

    def more(self, file: str | Path, path: str, kind: str, count: int) -> None:
        """Count ``count`` errors of ``kind`` found beyond those given one by one (a reader
        that checks a column at once gives only the first :meth:`room` of them)."""
        if count <= 0:
            return
        key = (str(file), path, kind)
        self._found[key] = self._found.get(key, 0) + count
        if self._found[key] > self.shown:
            self._summarise(key)

    def _summarise(self, key: tuple[str, str, str]) -> None:
        file, path, kind = key
        beyond = self._found[key] - self.shown
        summary = Diagnostic(
            "error",
            file,
            0,
            0,
            path,
            f"… and {beyond:,} more such errors ({kind}); the first {self.shown} are shown "
            f"(另有{beyond:,}个同类错误未列出)",
            summary=True,
        )
        if key in self._summary:
            self.items[self._summary[key]] = summary
        else:
            self._summary[key] = len(self.items)
            self.items.append(summary)

    def warning(
        self, file: str | Path, line: int, path: str, message: str, hint: str = "", column: int = 0
    ) -> None:
        self.add(Diagnostic("warning", str(file), line, column, path, message, hint))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ScenarioError(sorted_diagnostics(self.items))


def sorted_diagnostics(items: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Errors in file order, then line order (a file's summaries of errors not shown
    last); stable otherwise."""
    return sorted(items, key=lambda d: (d.file, d.summary, d.line, d.column))


SHOWN_CHARACTERS = 40  # of a value quoted in a message


def shown_cell(text: str) -> str:
    """A value from a file as a message quotes it: control characters escaped (a NUL is not
    shown as a space, an escape sequence never reaches the terminal), and cut to
    :data:`SHOWN_CHARACTERS`."""
    cut = text[:SHOWN_CHARACTERS]
    escaped = "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in cut
    )
    return escaped + ("…" if len(text) > SHOWN_CHARACTERS else "")


def did_you_mean(name: str, candidates: Sequence[str], cutoff: float = 0.6) -> str:
    """A "did you mean" hint naming the closest candidate, or "" when none is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    if close:
        return f"did you mean '{close[0]}'?"
    # A misspelt last segment of a dotted path: compare the segments alone.
    if "." in name:
        head, _, tail = name.rpartition(".")
        siblings = [c.rpartition(".")[2] for c in candidates if c.rpartition(".")[0] == head]
        close = difflib.get_close_matches(tail, siblings, n=1, cutoff=cutoff)
        if close:
            return f"did you mean '{head}.{close[0]}'?"
    return ""


def valid_names_hint(candidates: Sequence[str], limit: int = 8) -> str:
    names = sorted(candidates)
    shown = ", ".join(names[:limit])
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return f"valid: {shown}{more}"
