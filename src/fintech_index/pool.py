"""One function over many items on two threads, the results in the items' order (issue 27:
NumPy's sorts and Arrow's compute kernels let go of the GIL, so two columns parse, or two
blocks of ranks sort, at once on two cores)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

WORKERS = min(2, os.cpu_count() or 1)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], threaded: bool = True) -> list[R]:
    """``[fn(item) for item in items]``, on :data:`WORKERS` threads when ``threaded`` (the
    caller's measured threshold: a pool costs more than it saves on small work), there are
    two items or more, and the caller is the main thread (a caller running threads of its
    own, the audit engine or the web app, keeps the cores busy already). A fresh pool per
    call: no thread outlives it, nor a fork. The first exception, in the items' order, is
    raised."""
    items = list(items)
    if (not threaded or WORKERS < 2 or len(items) < 2
            or threading.current_thread() is not threading.main_thread()):
        return [fn(item) for item in items]
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(fn, items))
