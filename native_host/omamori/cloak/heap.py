"""Keeping freed large arrays in the process's heap while the cloak's networks run (glibc only).

glibc hands every block over 32 MB back to the system as soon as it is freed,
and the next such block is faulted in again page by page. A pass through the
tiny VAE at 1024 px frees and allocates hundreds of arrays of 50-270 MB, so on
Linux the page faults cost about a sixth of the cloak's time: a 2048x2048
image took 57.7 s (17 s of it system time), and 49.6 s (6 s) with the blocks
kept in the heap. ``arrays_kept_in_heap`` keeps them for a stretch of work,
then gives the free memory back. Elsewhere (macOS, Windows, musl) it does
nothing.
"""
from __future__ import annotations

import ctypes
import sys
from contextlib import contextmanager
from functools import cache
from typing import Iterator

# mallopt parameters (malloc.h) and glibc's defaults
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_TOP_PAD, _DEFAULT_MMAP_MAX = 128 * 1024, 128 * 1024, 65536
_KEPT_TRIM_THRESHOLD = 2**31 - 1  # bytes of free memory at the heap's top kept rather than returned (int max)
_KEPT_TOP_PAD = 256 << 20        # bytes the heap grows by beyond each request (fewer, larger brk calls)


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version           # present in glibc only
        return libc if libc.mallopt and libc.malloc_trim else None
    except (OSError, AttributeError):
        return None


@contextmanager
def arrays_kept_in_heap() -> Iterator[None]:
    """Within: large blocks come from the heap and stay there when freed; on leaving, the defaults come back
    and the heap's free memory is returned to the system (malloc_trim)."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, _KEPT_TRIM_THRESHOLD)
    libc.mallopt(_M_TOP_PAD, _KEPT_TOP_PAD)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
        libc.mallopt(_M_TOP_PAD, _DEFAULT_TOP_PAD)
        libc.malloc_trim(0)
