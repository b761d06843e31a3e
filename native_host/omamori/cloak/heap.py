"""Keeping freed large arrays in the process's heap while the cloak's networks run (glibc only).

glibc hands every block over 32 MB back to the system as soon as it is freed,
and the next such block is faulted in again page by page. A pass through the
tiny VAE frees and allocates hundreds of arrays over that size (50-270 MB for
a whole 1024 px view, up to 67 MB for the 512 px tiles the cloak now uses), so
on Linux those page faults were about a sixth of the cloak's time (docs/cloak.md,
"Time and memory"). ``arrays_kept_in_heap`` keeps them for a stretch of work,
then gives the free memory back. Elsewhere (macOS, Windows, musl) it does
nothing.

The settings are the whole process's: it is meant for one stretch of work at a
time (the host's worker runs one request at a time), not for nested or
concurrent use. Any mallopt call also ends glibc's own adjustment of its
thresholds for the life of the process, so on leaving it sets them where that
adjustment ends (blocks up to 32 MB kept in the heap, 64 MB of free memory kept
at its top), overriding MALLOC_*_ environment variables.
"""
from __future__ import annotations

import ctypes
import sys
from contextlib import contextmanager
from functools import cache
from typing import Iterator

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -2, -3, -4
# inside: no block is mmapped, 2 GB (int max) of free memory stays at the heap's top, which grows 256 MB at a time
_KEPT = {_M_MMAP_MAX: 0, _M_TRIM_THRESHOLD: 2**31 - 1, _M_TOP_PAD: 256 << 20}
# after: glibc's default count and pad, and the thresholds where its own adjustment ends on 64-bit systems
_AFTER = {_M_MMAP_MAX: 65536, _M_TOP_PAD: 128 * 1024, _M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 64 << 20}


@cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version           # present in glibc only
        libc.mallopt
        libc.malloc_trim
        return libc
    except (OSError, AttributeError):
        return None


@contextmanager
def arrays_kept_in_heap() -> Iterator[None]:
    """Within: large blocks come from the heap and stay there when freed. On leaving: the settings of the
    module docstring, and the heap's free memory returned to the system (malloc_trim)."""
    libc = _glibc()
    if libc is None:
        yield
        return
    for parameter, value in _KEPT.items():
        libc.mallopt(parameter, value)
    try:
        yield
    finally:
        for parameter, value in _AFTER.items():
            libc.mallopt(parameter, value)
        libc.malloc_trim(0)
