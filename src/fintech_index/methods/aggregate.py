"""Aggregation kernels: weighted means of a node's children.

Each maps ``x[..., units, k]`` and weights ``w[k]`` or ``w[..., k]`` (one weight set per
batch member) to ``[..., units]``. A missing child makes the result missing unless
``na_rm=True``, which drops it and rescales the other weights (COINr's behaviour).
COINr reference: https://bluefoxr.github.io/COINr/reference/Aggregate.html; OECD/JRC
Handbook (2008) section 6.
"""

from __future__ import annotations

import numpy as np

from . import register


def _weights(x: np.ndarray, w: np.ndarray, na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weights broadcast against x ([..., 1, k]); zero where x is missing and na_rm."""
    w = np.asarray(w, dtype=np.float64)
    w = w[..., None, :] if w.ndim > 1 else w
    w = np.broadcast_to(w, x.shape)
    missing = np.isnan(x)
    if na_rm:
        w = np.where(missing, 0.0, w)
    return w, missing


def _finish(num: np.ndarray, missing: np.ndarray, w: np.ndarray, na_rm: bool) -> np.ndarray:
    if na_rm:
        return np.where(w.sum(axis=-1) > 0, num, np.nan)
    return np.where(missing.any(axis=-1), np.nan, num)


@register("aggregate", "a_amean")
def a_amean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted arithmetic mean: ``sum(w x) / sum(w)``. COINr ``a_amean``."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore"):
        num = np.where(missing, 0.0, x * w).sum(axis=-1) / w.sum(axis=-1)
    return _finish(num, missing, w, na_rm)


@register("aggregate", "a_gmean")
def a_gmean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted geometric mean: ``exp(sum(w log x) / sum(w))``, as COINr's ``a_gmean``.

    The log form cannot underflow as ``prod(x ** w)`` does with many children; it gives
    UNDP's published HDI, GDI, IHDI and PHDI values exactly all the same. A zero child gives
    0 (UNDP: Rwanda 1994 has a life expectancy index of 0 and a PHDI of 0; COINr refuses
    zeros). Negative values give NaN, which build() reports as an error naming the node.
    """
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(x >= 0, x, np.nan))
        terms = np.where(missing | (w == 0), 0.0, w * logs)
        num = np.exp(terms.sum(axis=-1) / w.sum(axis=-1))
    return _finish(num, missing, w, na_rm)


@register("aggregate", "a_hmean")
def a_hmean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted harmonic mean: ``sum(w) / sum(w / x)``; a zero child gives 0, negatives NaN.
    COINr ``a_hmean``."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(missing, 0.0, w / np.where(x >= 0, x, np.nan))
        num = w.sum(axis=-1) / inv.sum(axis=-1)
    return _finish(num, missing, w, na_rm)


@register("aggregate", "a_genmean")
def a_genmean(x: np.ndarray, w: np.ndarray, p: float = 2.0, na_rm: bool = False) -> np.ndarray:
    """Generalised (power) mean: ``(sum(w x^p) / sum(w)) ** (1/p)``; p = 0 is the geometric
    mean, p = 1 arithmetic, p = -1 harmonic. COINr ``a_genmean(x, w, p)``; needs x >= 0."""
    if p == 0:
        return a_gmean(x, w, na_rm=na_rm)
    wb, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        powered = np.where(missing, 0.0, wb * np.where(x >= 0, x, np.nan) ** p)
        num = (powered.sum(axis=-1) / wb.sum(axis=-1)) ** (1.0 / p)
    return _finish(num, missing, wb, na_rm)


@register("aggregate", "a_prod")
def a_prod(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted product ``prod(x ** w)`` (not a mean): e.g. UNDP's IHDI dimension index
    ``(1 - A_x) * I_x`` and PHDI ``HDI * adjustment factor``."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore"):
        num = np.prod(np.where(missing, 1.0, x ** w), axis=-1)
    return _finish(num, missing, w, na_rm)
