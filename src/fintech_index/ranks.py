"""Ranks along one axis by a single stable argsort, as R's ``rank(x, ties.method,
na.last = "keep")`` and SciPy's ``rankdata(..., nan_policy="omit")`` give them: 1 is the
smallest value, missing values stay missing. Here rather than SciPy's so that the engine
ranks thousands of replications at once without importing ``scipy.stats``.
"""

from __future__ import annotations

import numpy as np

TIES = ("min", "max", "average", "dense", "ordinal")


def rankdata(a: np.ndarray, method: str = "average", axis: int = -1) -> np.ndarray:
    """Ranks of ``a`` along ``axis`` (float64; NaN where ``a`` is NaN).

    Ties: ``min`` (1, 2, 2, 4), ``max`` (1, 3, 3, 4), ``average`` (1, 2.5, 2.5, 4),
    ``dense`` (1, 2, 2, 3), ``ordinal`` (1, 2, 3, 4 in order of position)."""
    if method not in TIES:
        raise ValueError(f"ties method {method!r} is not one of {', '.join(TIES)}")
    x = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    n = x.shape[-1]
    if x.size == 0:
        return np.moveaxis(x.copy(), -1, axis)
    order = np.argsort(x, axis=-1, kind="stable")  # NaN sorts last: no effect on the others
    ranked = np.take_along_axis(x, order, -1)
    position = np.broadcast_to(np.arange(1, n + 1, dtype=np.float64), x.shape)
    if method == "ordinal":
        in_order = position
    else:
        starts = np.ones(x.shape, dtype=bool)
        starts[..., 1:] = ranked[..., 1:] != ranked[..., :-1]
        if method == "dense":
            in_order = np.cumsum(starts, axis=-1, dtype=np.float64)
        else:
            first = np.maximum.accumulate(np.where(starts, position, 0.0), axis=-1)
            ends = np.ones(x.shape, dtype=bool)
            ends[..., :-1] = starts[..., 1:]
            last = np.flip(np.minimum.accumulate(
                np.flip(np.where(ends, position, np.inf), -1), axis=-1), -1)
            in_order = {"min": first, "max": last}.get(method, (first + last) / 2)
    out = np.empty(x.shape, dtype=np.float64)
    np.put_along_axis(out, order, in_order, -1)
    out[np.isnan(x)] = np.nan
    return np.moveaxis(out, -1, axis)


def descending_ranks(scores: np.ndarray, ties: str = "min", axis: int = -1) -> np.ndarray:
    """Ranks with 1 = the highest score (how an index ranks its units)."""
    return rankdata(-np.asarray(scores, dtype=np.float64), ties, axis)
