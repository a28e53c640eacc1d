"""Normalisation kernels: put indicators on a common scale, honouring their direction.

Each maps ``x[..., units, k]`` to the same shape, computing statistics over the units axis
(-2) and ignoring missing values, as COINr's ``n_*`` functions do
(COINr reference: https://bluefoxr.github.io/COINr/reference/Normalise.html).
"""

from __future__ import annotations

import warnings

import numpy as np

from . import register


def _oriented(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """COINr flips negative indicators by multiplying by the direction before normalising."""
    return x * np.asarray(direction, dtype=np.float64)


def _nan_stat(fn, x: np.ndarray, **kw) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns give NaN
        return fn(x, axis=-2, keepdims=True, **kw)


@register("normalise", "n_minmax")
def n_minmax(x: np.ndarray, direction: np.ndarray, l_u: tuple[float, float] = (0.0, 100.0)
             ) -> np.ndarray:
    """Min-max: ``y = (x - min) / (max - min) * (u - l) + l``; constant columns give NaN.

    COINr ``n_minmax(x, l_u = c(0, 100))``; OECD/JRC Handbook (2008) section 5, eq. (5.3).
    """
    xo = _oriented(x, direction)
    lo, hi = _nan_stat(np.nanmin, xo), _nan_stat(np.nanmax, xo)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xo - lo) / (hi - lo) * (l_u[1] - l_u[0]) + l_u[0]


@register("normalise", "n_zscore")
def n_zscore(x: np.ndarray, direction: np.ndarray, m_sd: tuple[float, float] = (0.0, 1.0)
             ) -> np.ndarray:
    """Z-score: ``y = (x - mean) / sd * sd' + mean'`` with the sample sd (n - 1), as R's sd().

    COINr ``n_zscore(x, m_sd = c(0, 1))``; OECD/JRC Handbook (2008) eq. (5.2).
    """
    xo = _oriented(x, direction)
    mean = _nan_stat(np.nanmean, xo)
    sd = _nan_stat(np.nanstd, xo, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xo - mean) / sd * m_sd[1] + m_sd[0]


@register("normalise", "n_goalposts")
def n_goalposts(x: np.ndarray, direction: np.ndarray, gposts: np.ndarray,
                trunc2posts: bool = True, scale_factor: float = 1.0) -> np.ndarray:
    """Goalposts: ``y = (x - lower) / (upper - lower)`` (``(upper - x) / (upper - lower)`` for
    direction -1), truncated to [0, 1] when ``trunc2posts``, times ``scale_factor``.

    ``gposts`` is ``[k, 2]`` (lower, upper) per indicator. COINr ``n_goalposts``; UNDP HDR
    Technical Notes 2023/2024, dimension index = (actual - min) / (max - min).
    """
    gp = np.asarray(gposts, dtype=np.float64)
    lo, hi = gp[..., 0], gp[..., 1]
    d = np.asarray(direction)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(d > 0, (x - lo) / (hi - lo), (hi - x) / (hi - lo))
    if trunc2posts:
        y = np.clip(y, 0.0, 1.0)
    return y * scale_factor


@register("normalise", "none", honours_direction=False)
def n_none(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """No normalisation: values pass through unchanged (for formulas that take raw values)."""
    return np.array(x, dtype=np.float64, copy=True)
