"""arrays_kept_in_heap: freed large arrays stay in the process while inside, and go back to the system after."""
from __future__ import annotations

import os

import numpy as np
import pytest

from omamori.cloak import heap

pytestmark = pytest.mark.skipif(heap._glibc() is None, reason="glibc only (elsewhere it does nothing)")


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_freed_arrays_stay_inside_and_are_returned_after():
    before = _resident_mb()
    with heap.arrays_kept_in_heap():
        block = np.ones(300 * 2**20 // 8)           # 300 MB, far above glibc's 32 MB mmap limit
        del block
        kept = _resident_mb()
        again = np.ones(300 * 2**20 // 8)           # served from the kept memory
        del again
    after = _resident_mb()
    # Freed, yet still resident (returned memory would show about 0 here); other allocations can move the
    # baseline by tens of MB, hence not 300.
    assert kept - before > 200
    assert after - before < 50                      # returned on leaving
    block = np.ones(300 * 2**20 // 8)               # after: large blocks are mmapped again, returned when freed
    del block
    assert _resident_mb() - before < 50
