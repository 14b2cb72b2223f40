"""Keep freed memory in the process, so that a batch's arrays do not cost page faults every call.

A setting of the whole process, so the library never makes it by itself: a program that runs
the evaluator on large batches calls :func:`keep_freed_memory` once (the benchmark does).

A forward and backward pass over 100 000 samples makes a few arrays of 800 kB per tape node
and frees them at the end. glibc's malloc returns such memory to the OS (it maps large blocks
on their own and trims the heap's free top), and takes it back as fresh pages next time: on a
network of a few dozen ops those page faults cost more than the arithmetic. Raising both
thresholds keeps the memory in the heap for reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

# mallopt's parameters (malloc.h) and the values set: blocks below 32 MB come from the heap, and
# up to 256 MB of free heap is kept rather than returned.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


@functools.cache
def keep_freed_memory() -> bool:
    """Ask glibc, once per process, to keep freed memory for reuse; False where there is no glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
