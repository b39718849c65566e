"""Paths a user or a file hands fundsim: judged before they are used, shown safely in messages.

A path can be wrong by its text alone (a NUL character, a name longer than the file system
allows, a path longer than the system takes) or by what stands at it (a folder where a file
is wanted, a named pipe, a device, a link that leads nowhere or back to itself). The
operating system says so with exceptions of many kinds (``ValueError: embedded null byte``,
``OSError: File name too long``, ``RuntimeError: Symlink loop``); fundsim says it first, in
words, naming the path.

A path in a message is shown escaped (a newline in a name would break the
``FILE:LINE: error:`` line) and, when long, shortened to its first and last characters.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

NAME_MAX = 255  # bytes in one name of a path (Linux and macOS file systems)
PATH_MAX = 4096  # bytes in a path the system takes, its final NUL included (Linux)
SHOWN = 160  # characters of a path shown in a message (a real one fits; 5,000 do not)
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}

PathText = str | os.PathLike[str]


def shown_path(path: PathText, limit: int = SHOWN) -> str:
    """``path`` for a message: control characters escaped (``\\n``, ``\\x1b``), and a path
    longer than ``limit`` characters shortened to its first and last ones around "…"."""
    text = "".join(
        _ESCAPES.get(c, f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if not c.isprintable()
        else c
        for c in os.fspath(path)
    )
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return f"{text[:keep]}…{text[-keep:]}"


def name_problem(path: PathText) -> str | None:
    """Why the text of ``path`` cannot name a file on this system, or None: a NUL
    character, a name (a part between slashes) over :data:`NAME_MAX` bytes, the whole over
    :data:`PATH_MAX` bytes. Judged without touching the file system."""
    text = os.fspath(path)
    if "\0" in text:
        return "a path cannot hold a NUL character (\\0)"
    try:
        encoded = os.fsencode(text)
    except UnicodeEncodeError:
        return "the path is not valid text (it holds a lone surrogate character)"
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > NAME_MAX:
        return (
            f"file name too long: a name in the path is {longest:,} bytes, and a file or "
            f"folder name is at most {NAME_MAX} bytes"
        )
    if len(encoded) >= PATH_MAX:
        return f"path too long: {len(encoded):,} bytes, and a path is at most {PATH_MAX - 1:,}"
    return None


def real_path(path: PathText) -> Path:
    """``path`` with symbolic links followed as far as they lead (a loop, or a path that
    cannot name a file, is left as it is: :func:`what_is` says what it is)."""
    try:
        return Path(os.path.realpath(path))
    except (ValueError, OSError):  # a NUL character; a name too long to look up
        return Path(os.path.abspath(path))


def what_is(path: PathText, follow: bool = True) -> str | None:
    """What stands at ``path``, for a message ("a folder", "a file", "a named pipe (FIFO)",
    "a device", "a socket", "a broken link (to …)", "a symbolic link loop", "a symbolic
    link (to …)" when ``follow`` is false), or None when nothing does. ``follow``: judge
    what a link leads to (an input is read through links), else the link itself (an
    output is never written through one)."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError) as error:
        return _unreachable(error)
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return f"a broken link (to {shown_path(_target(path))}, which does not exist)"
        except (OSError, ValueError) as error:
            return _unreachable(error)
        if not follow:
            return f"a symbolic link (to {shown_path(_target(path))})"
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _target(path: PathText) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _unreachable(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno == errno.ELOOP:
        return "a symbolic link loop, which leads back to itself"
    if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
        return "a path too long for this system"
    if isinstance(error, OSError):
        return f"a path that cannot be looked at ({error.strerror or error})"
    return "a path that cannot name a file"


def file_problem(path: PathText) -> str | None:
    """Why ``path`` cannot be read as a file ("is a folder, not a file", "is a named pipe
    (FIFO), not a file", "is a broken link (…)", "file name too long: …"), or None when it is
    a regular file or when nothing is there (each reader says "not found" its own way)."""
    problem = name_problem(path)
    if problem:
        return problem
    kind = what_is(path)
    if kind is None or kind == "a file":
        return None
    if kind.startswith(("a broken link", "a symbolic link loop", "a path")):
        return f"is {kind}"
    return f"is {kind}, not a file"
