"""Keep freed memory for the next large numpy array (glibc only), so a Monte Carlo run or a
grid does not pay a page fault for every page of every temporary array.

A 10,000-draw, 36-month Monte Carlo makes dozens of ``(10000, 37)`` float arrays (3 MB each).
glibc's ``malloc`` hands arrays that large out as fresh memory maps and returns them to the
system when freed, so the next array's pages are faulted in again: about 13,000 page faults a
run. On a virtual machine where a fault costs a few microseconds that doubles the run
(measured here: 55 ms against 23 ms). :func:`keep_freed_memory` asks ``malloc`` to serve
blocks below 32 MiB from its heap and to keep up to 256 MiB of freed heap, so the same pages
are reused.

Monte Carlo runs and grids no longer need it: they price their draws in blocks of
:data:`~simulator.core.limits.BLOCK_DRAWS` and make no temporary array larger than one block's, so
they run as fast with glibc as it comes (``docs/speed.md``). Other large arrays may still gain.

It changes the whole process, so the library never calls it by itself: the command line and
the app call it at start (they own their process); a notebook may call it too. It does
nothing where ``mallopt`` is missing (macOS, Windows) and when the user has set glibc's own
``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` variables, and it can be turned off
with ``FTROI_KEEP_FREED_MEMORY=0``.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
"""``mallopt`` parameter: free heap kept at the top before it is given back [bytes]."""
M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter: blocks at least this large are separate memory maps [bytes]."""
MMAP_THRESHOLD_BYTES = 32 * 2**20
"""Blocks below this come from the heap (glibc's largest dynamic threshold) [bytes]."""
TRIM_THRESHOLD_BYTES = 256 * 2**20
"""Freed heap kept for reuse, about one chunked Monte Carlo run's peak [bytes]."""
OFF_SWITCH = "FTROI_KEEP_FREED_MEMORY"
GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory(environ: dict[str, str] | None = None) -> bool:
    """Ask glibc's ``malloc`` to keep freed memory for reuse (see the module's text).

    Returns True when the setting took effect, False when it was left alone (not glibc, turned
    off with ``FTROI_KEEP_FREED_MEMORY=0``, or glibc's variables already set by the user).
    """
    env = os.environ if environ is None else environ
    if env.get(OFF_SWITCH, "1").strip() in ("0", "false", "no", "off"):
        return False
    if any(name in env for name in GLIBC_VARIABLES) or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt   # musl has one too, and ignores these settings
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
