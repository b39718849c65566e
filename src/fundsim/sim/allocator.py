"""Keep freed array memory in the process for reuse (glibc only).

A run allocates and frees arrays of tens of megabytes every simulated year. By default glibc
hands blocks that large straight back to the kernel (``mmap``/``munmap``), so every new
array pays a page fault per 4 KiB page on first touch, which on a virtual machine cost a
third of a 3-million-insured run. Raising the mmap and trim thresholds keeps the memory in
the heap and reuses it. The resident memory is the run's peak either way.

Process-wide, so it is called by the entry points (``fundsim run``, batch workers,
benchmarks), not on import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
_LIMIT = 32 * 1024 * 1024  # glibc's largest mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX)
_KEEP = 1024 * 1024 * 1024  # freed memory kept at the top of the heap before it is returned


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed blocks up to 32 MiB instead of unmapping them.

    Returns whether the setting took (False on other C libraries and systems)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, _LIMIT)) and bool(mallopt(M_TRIM_THRESHOLD, _KEEP))


def give_back_freed_memory() -> bool:
    """Return the heap's free pages to the kernel now (glibc's ``malloc_trim``): after a
    phase that made and freed many small objects (a claims file read in chunks), so that
    they do not count in the resident memory of the next phase.

    Returns whether anything was given back (False on other C libraries and systems)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return bool(trim(0))
