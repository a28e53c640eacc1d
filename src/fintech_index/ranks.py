"""Ranks along one axis by a single stable argsort, as R's ``rank(x, ties.method,
na.last = "keep")`` and SciPy's ``rankdata(..., nan_policy="omit")`` give them: 1 is the
smallest value, missing values stay missing. Here rather than SciPy's so that the engine
ranks thousands of replications at once without importing ``scipy.stats``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .pool import ordered_map

TIES = ("min", "max", "average", "dense", "ordinal")
BLOCK = 1 << 17  # values ranked at a time (whole rows; 1 MB a float array)
# from two blocks of values on, the blocks are ranked on two threads (measured on 2 shared
# cores: 226 x 20,000 values ~190 ms alone, ~110 ms on two threads; one block: no gain)
POOL_MIN = 2 * BLOCK


@lru_cache(maxsize=4)
def _row_starts(size: int, n: int) -> np.ndarray:
    """The flat place where each place's row starts, rows of n laid end to end (kept)."""
    out = np.repeat(np.arange(0, size, n, dtype=np.int64), n)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=4)
def _positions(size: int) -> np.ndarray:
    """0, 1, ..., size - 1 (int64, read-only), kept: a new array of millions of places
    costs more in page faults than in filling it."""
    out = np.arange(size, dtype=np.int64)
    out.setflags(write=False)
    return out


def rankdata(a: np.ndarray, method: str = "average", axis: int = -1) -> np.ndarray:
    """Ranks of ``a`` along ``axis`` (float64; NaN where ``a`` is NaN).

    Ties: ``min`` (1, 2, 2, 4), ``max`` (1, 3, 3, 4), ``average`` (1, 2.5, 2.5, 4),
    ``dense`` (1, 2, 2, 3), ``ordinal`` (1, 2, 3, 4 in order of position).

    The rows are ranked a block of rows at a time (:data:`BLOCK` values: the temporaries
    stay a few megabytes however many rows), the blocks on two threads when there are
    enough values (:data:`POOL_MIN`; :func:`~.pool.ordered_map`)."""
    if method not in TIES:
        raise ValueError(f"ties method {method!r} is not one of {', '.join(TIES)}")
    x = np.ascontiguousarray(np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1))
    n = x.shape[-1]
    if x.size == 0:
        return np.moveaxis(x.copy(), -1, axis)
    rows = x.reshape(-1, n)
    out = np.empty(rows.shape)
    per = max(1, BLOCK // n)
    blocks = [slice(i, i + per) for i in range(0, len(rows), per)]
    ordered_map(lambda b: _rank_rows(rows[b], method, out[b]), blocks, x.size >= POOL_MIN)
    return np.moveaxis(out.reshape(x.shape), -1, axis)


def _sortable(x: np.ndarray) -> np.ndarray:
    """``x`` to sort: its NaNs as +inf where it holds no +inf (NumPy's vectorised argsort
    gives up on an array with a NaN: three times slower), else ``x``. Either way the NaNs
    sort after every number, and the ranks of the numbers do not change."""
    nan = np.isnan(x)
    if not nan.any() or np.isposinf(x).any():
        return x
    return np.where(nan, np.inf, x)


def _rank_rows(x: np.ndarray, method: str, out: np.ndarray) -> None:
    """Ranks of each row of ``x`` ``[rows, n]`` into ``out``, by one argsort."""
    n = x.shape[-1]
    key = _sortable(x)
    # NaN sorts last: no effect on the others. Only "ordinal" needs equal values in order of
    # position (a stable sort); the other rules give tied values one rank whatever their order
    at = np.argsort(key, axis=-1, kind="stable" if method == "ordinal" else None)
    # the rows laid end to end (few large temporaries: each costs page faults when new)
    at += np.arange(0, x.size, n).reshape(x.shape[:-1] + (1,))
    at = at.ravel()  # flat position of the value sorted into each place
    if method == "ordinal":
        in_order = _positions(x.size) - _row_starts(x.size, n) + 1
    else:
        ranked = key.ravel()[at]
        starts = np.ones(x.size, dtype=bool)  # a run of equal values starts here
        np.not_equal(ranked[1:], ranked[:-1], out=starts[1:])
        starts[::n] = True  # every row starts a run
        place = ranked.view(np.int64)  # the sorted values are no longer needed: reuse
        if method == "dense":
            np.cumsum(starts, out=place)
            place -= np.repeat(place[::n] - 1, n)
            in_order = place
        else:
            # a run's first place (a running maximum of the run starts) and its last (a
            # running minimum, from the right, of the run ends); both lie in the sorted
            # value's own row, so the place in the row is the flat place less the row's start
            first = last = None
            if method in ("min", "average"):
                first = place
                np.multiply(_positions(x.size), starts, out=first)
                np.maximum.accumulate(first, out=first)
                first -= _row_starts(x.size, n)
            if method in ("max", "average"):
                ends = np.ones(x.size, dtype=bool)
                ends[:-1] = starts[1:]
                last = np.where(ends, _positions(x.size), x.size)[::-1]
                np.minimum.accumulate(last, out=last)
                last = last[::-1] - _row_starts(x.size, n)
            if last is None:
                first += 1
                in_order = first
            elif first is None:
                in_order = last + 1
            else:
                in_order = (first + last) / 2 + 1
    flat = out.reshape(-1)
    flat[at] = in_order
    flat[np.isnan(x.ravel())] = np.nan


def descending_ranks(scores: np.ndarray, ties: str = "min", axis: int = -1) -> np.ndarray:
    """Ranks with 1 = the highest score (how an index ranks its units)."""
    return rankdata(-np.asarray(scores, dtype=np.float64), ties, axis)


def percentile_ranks(a: np.ndarray, ties: str = "min", axis: int = -1) -> np.ndarray:
    """Percentile ranks ``(rank - 1) / (N - 1)`` along ``axis``, 0 for the smallest value and
    1 for the largest, N the values present (NaN stays NaN; one value alone gets NaN). With
    ties ``min``, Excel's ``PERCENTRANK.INC`` and the CDC/ATSDR SVI's rule ("all sequences
    of ties are assigned the smallest of the corresponding ranks")."""
    r = rankdata(a, ties, axis)
    n = np.sum(~np.isnan(r), axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, (r - 1) / np.maximum(n - 1, 1), np.nan)
