"""Keep freed memory in the process, so that a solver loop does not page-fault its buffers back in every step.

One energy gradient of the CT prior (batch 4, 64 x 64) allocates and frees activations of 1-4 MB each. Under
glibc's default malloc the freed top of the heap goes back to the kernel whenever it passes the trim threshold
(128 kB at start, raised as glibc adapts), and the next iteration page-faults fresh pages in again: the default CT
command (200 iterations, four starts) measured 9.3-11.4 s that way and 6.7-7.4 s with the thresholds below (the
project's 2-core machine, interleaved runs, the same iterates bit for bit; README, "CT at interactive speed").
A fixed mmap threshold of 32 MB (glibc's largest) serves every activation from the heap, and a trim threshold of
256 MB keeps up to that much freed heap for reuse: a long-lived server or a command that solves repeatedly holds
at most that much more resident memory than it uses at its peak.

Only glibc has these knobs; elsewhere (macOS, Windows, musl) `keep_freed_memory` does nothing and says so.
The environment can override it: when MALLOC_TRIM_THRESHOLD_ or MALLOC_MMAP_THRESHOLD_ is set, the user's
values stand, and GNC_EXPLORER_ALLOCATOR=default leaves glibc's defaults (how `bench ct` times the difference).
"""

from __future__ import annotations

import ctypes
import os
import platform

MMAP_THRESHOLD = 32 << 20  # bytes: allocations below this come from the heap (glibc caps the setting here)
TRIM_THRESHOLD = 256 << 20  # bytes of free heap top kept before any is handed back to the kernel

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
SWITCH = "GNC_EXPLORER_ALLOCATOR"  # set to "default" to leave glibc's thresholds alone

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Set glibc's malloc thresholds once per process; True when this process runs with them.

    Cheap and idempotent: the app calls it on every script run, the CLI once at start.
    """
    global _done
    if _done is None:
        _done = _set_thresholds()
    return _done


def _set_thresholds() -> bool:
    if any(name in os.environ for name in _ENV) or os.environ.get(SWITCH) == "default":
        return False  # the user chose the allocator's settings
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
