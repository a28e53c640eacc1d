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
from .contracts import Interval, Pair


def _fold_children(a: np.ndarray, op=np.add, keepdims: bool = False) -> np.ndarray:
    """Reduce over the last axis in a fixed order (child 1 op child 2 op ...). NumPy's own
    reductions pick pairwise or sequential order by the array's shape, so a batch and a
    single call could differ in the last bit; this keeps them bit-identical."""
    a = np.asarray(a)
    total = a[..., 0].copy() if a.shape[-1] else np.zeros(a.shape[:-1])
    for j in range(1, a.shape[-1]):
        op(total, a[..., j], out=total)
    return total[..., None] if keepdims else total


def _sum_children(a: np.ndarray, keepdims: bool = False) -> np.ndarray:
    return _fold_children(a, np.add, keepdims)


def _weights(x: np.ndarray, w: np.ndarray, na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weights broadcast against x ([..., 1, k]); zero where x is missing and na_rm. A batch
    of weight sets [b, k] against one data set [units, k] gives [b, units, k]."""
    w = np.asarray(w, dtype=np.float64)
    w = w[..., None, :] if w.ndim > 1 else w
    w = np.broadcast_to(w, np.broadcast_shapes(x.shape, w.shape))
    missing = np.isnan(x)
    if na_rm:
        w = np.where(missing, 0.0, w)
    return w, missing


def _finish(num: np.ndarray, missing: np.ndarray, w: np.ndarray, na_rm: bool) -> np.ndarray:
    if na_rm:
        return np.where(_sum_children(w) > 0, num, np.nan)
    return np.where(missing.any(axis=-1), np.nan, num)


def _columns(x: np.ndarray, w: np.ndarray, na_rm: bool):
    """Per child j: its values ``x[..., j]``, its weight (zero where missing and na_rm) and
    its missing mask, shaped to broadcast to ``[..., units]``. Column by column, a batch of
    weight sets ``[b, k]`` against one data set ``[units, k]`` never materialises
    ``[b, units, k]``; each element sees the same operations as in the whole-array form."""
    w = np.asarray(w, dtype=np.float64)
    w = w[..., None, :] if w.ndim > 1 else w
    missing = np.isnan(x)
    out = []
    for j in range(x.shape[-1]):
        wj, mj = w[..., j], missing[..., j]
        if not mj.any():
            mj = None  # nothing to mask: the weight stays one number per batch member
        elif na_rm:
            wj = np.where(mj, 0.0, wj)
        out.append((x[..., j], wj, mj))
    return out, missing


def _fold(arrays: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Sum in a fixed order (first + second + ...), broadcast to ``shape``."""
    total = np.array(np.broadcast_to(arrays[0], shape), dtype=np.float64) if arrays else \
        np.zeros(shape)
    for a in arrays[1:]:
        np.add(total, a, out=total)
    return total


def _out_shape(x: np.ndarray, w: np.ndarray) -> tuple[int, ...]:
    w = np.asarray(w)
    return np.broadcast_shapes(x.shape[:-1], w.shape[:-1] + (1,) if w.ndim > 1 else ())


def _finish_columns(num: np.ndarray, missing: np.ndarray, w_total: np.ndarray, na_rm: bool
                    ) -> np.ndarray:
    if na_rm:
        return np.where(w_total > 0, num, np.nan)
    return np.where(missing.any(axis=-1), np.nan, num)


@register("aggregate", "a_amean")
def a_amean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted arithmetic mean: ``sum(w' x)`` with ``w' = w / sum(w)``, computed in COINr's
    order (``a_amean``: weights rescaled first, then the weighted sum)."""
    x = np.asarray(x, dtype=np.float64)
    cols, missing = _columns(x, w, na_rm)
    shape = _out_shape(x, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        w_total = _fold([wj for _, wj, _ in cols], shape)
        num = _fold([wj / w_total * xj if mj is None else np.where(mj, 0.0, wj / w_total * xj)
                     for xj, wj, mj in cols], shape)
    return _finish_columns(num, missing, w_total, na_rm)


@register("aggregate", "a_gmean")
def a_gmean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted geometric mean: ``exp(sum(w log x) / sum(w))``, as COINr's ``a_gmean``.

    The log form cannot underflow as ``prod(x ** w)`` does with many children; it gives
    UNDP's published HDI, GDI, IHDI and PHDI values exactly all the same. A zero child gives
    0 (UNDP: Rwanda 1994 has a life expectancy index of 0 and a PHDI of 0; COINr refuses
    zeros). Negative values give NaN, which build() reports as an error naming the node.
    """
    x = np.asarray(x, dtype=np.float64)
    cols, missing = _columns(x, w, na_rm)
    shape = _out_shape(x, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = []
        for xj, wj, mj in cols:
            term = wj * np.log(np.where(xj >= 0, xj, np.nan))
            drop = (wj == 0) if mj is None else (mj | (wj == 0))
            terms.append(np.where(drop, 0.0, term) if np.any(drop) else term)
        w_total = _fold([wj for _, wj, _ in cols], shape)
        num = np.exp(_fold(terms, shape) / w_total)
    return _finish_columns(num, missing, w_total, na_rm)


@register("aggregate", "a_hmean")
def a_hmean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted harmonic mean: ``sum(w) / sum(w / x)``; a zero child gives 0, negatives NaN.
    COINr ``a_hmean``."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(missing, 0.0, w / np.where(x >= 0, x, np.nan))
        num = _sum_children(w) / _sum_children(inv)
    return _finish(num, missing, w, na_rm)


@register("aggregate", "a_genmean")
def a_genmean(x: np.ndarray, w: np.ndarray, p: float = 2.0, na_rm: bool = False) -> np.ndarray:
    """Generalised (power) mean: ``(sum(w x^p) / sum(w)) ** (1/p)``; p = 0 is the geometric
    mean, p = 1 arithmetic, p = -1 harmonic. COINr ``a_genmean(x, w, p)``; needs x >= 0."""
    pa = np.asarray(p, dtype=np.float64)
    if pa.ndim == 0 and pa == 0:
        return a_gmean(x, w, na_rm=na_rm)
    if (pa == 0).any():
        raise ValueError("a_genmean: a batch of p may not contain 0; use a_gmean for p = 0")
    pb = pa[..., None, None]  # one p per batch member, against x[..., units, k]
    wb, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        powered = np.where(missing, 0.0, wb * np.where(x >= 0, x, np.nan) ** pb)
        num = (_sum_children(powered) / _sum_children(wb)) ** (1.0 / pb[..., 0])
    return _finish(num, missing, wb, na_rm)


@register("aggregate", "a_prod")
def a_prod(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted product ``prod(x ** w)`` (not a mean): e.g. UNDP's IHDI dimension index
    ``(1 - A_x) * I_x`` and PHDI ``HDI * adjustment factor``."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore"):
        num = _fold_children(np.where(missing, 1.0, x ** w), np.multiply)
    return _finish(num, missing, w, na_rm)


@register("aggregate", "a_mean_min", constraints={"alpha": Interval(0, 1),
                                                  "beta": Interval(0, None)})
def a_mean_min(x: np.ndarray, w: np.ndarray, alpha: float = 0.5, beta: float = 0.0,
               na_rm: bool = False) -> np.ndarray:
    """Mean-min function (Casadio Tarabusi and Guarini 2013, "An unbalance adjustment method
    for development indicators", Soc. Indic. Res. 112: 19-45; Compind ``ci_mean_min``):
    ``y = mu - alpha (sqrt((mu - m)^2 + beta^2) - beta)`` with ``mu`` the weighted mean and
    ``m`` the minimum of the children. alpha = 0 is the mean; alpha = 1, beta = 0 the
    minimum; in between, imbalance between children is penalised."""
    mu = a_amean(x, w, na_rm=na_rm)
    with np.errstate(invalid="ignore"):
        m = np.min(np.where(np.isnan(x), np.inf, x), axis=-1) if na_rm else np.min(x, axis=-1)
    m = np.where(np.isinf(m), np.nan, m)
    a = np.asarray(alpha, dtype=np.float64)[..., None]
    b = np.asarray(beta, dtype=np.float64)[..., None]
    return mu - a * (np.sqrt((mu - m) ** 2 + b ** 2) - b)


@register("aggregate", "a_copeland")
def a_copeland(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Copeland (outranking) scores as COINr's ``a_copeland``/``outrankMatrix``: for units
    i < j, ``O_ij = sum_k w'_k [x_ik > x_jk] + 1/2 sum_k w'_k [x_ik = x_jk]`` with
    ``w' = w / sum(w)``, ``O_ji = 1 - O_ij``, ``O_ii = 0``; the score is ``sum_j O_ij``.
    A missing value wins no comparison. OECD/JRC Handbook (2008) section 6.1 (eq. 6.9)."""
    x = np.asarray(x, dtype=np.float64)
    wb = np.broadcast_to(np.asarray(w, dtype=np.float64), x.shape[:-2] + x.shape[-1:])
    share = wb / _sum_children(wb, keepdims=True)
    n = x.shape[-2]
    wins = np.zeros(x.shape[:-2] + (n, n))
    for k in range(x.shape[-1]):
        col = x[..., :, k]
        a, b = col[..., :, None], col[..., None, :]
        sk = share[..., k][..., None, None]
        wins += sk * (a > b) + 0.5 * sk * (a == b)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    orm = np.where(upper, wins, np.where(upper.T, 1.0 - np.swapaxes(wins, -1, -2), 0.0))
    return _sum_children(orm)


@register("aggregate", "a_bod", constraints={
    "share_bounds": Pair(first=Interval(0, 1), second=Interval(0, 1))})
def a_bod(x: np.ndarray, w: np.ndarray, share_bounds: tuple[float, float] | None = None
          ) -> np.ndarray:
    """Benefit of the doubt (Cherchye, Moesen, Rogge and Van Puyenbroeck 2007, Soc. Indic.
    Res. 82: 111-145; OECD/JRC Handbook 2008 section 6.1): each unit's score is
    ``max_w sum_k w_k x_uk`` subject to ``sum_k w_k x_vk <= 1`` for every unit v and
    ``w >= 0``, so the best unit under its own most favourable weights scores 1.
    ``share_bounds = [lo, hi]`` bounds each child's share ``w_k x_uk / sum_j w_j x_uj``
    (pie-share constraints). Solved as one linear programme per unit with SciPy's HiGHS.
    The framework weights ``w`` are not used: the weights are the unit's own. A unit with a
    missing child scores NaN."""
    from scipy.optimize import linprog

    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape[:-1], np.nan)
    for idx in np.ndindex(*x.shape[:-2]):
        xs = x[idx]
        complete = ~np.isnan(xs).any(axis=-1)
        others = xs[complete]
        k = xs.shape[-1]
        for u in np.flatnonzero(complete):
            a_ub = [others]
            b_ub = [np.ones(len(others))]
            if share_bounds is not None:
                lo, hi = share_bounds
                xu = xs[u]
                eye = np.eye(k) * xu
                a_ub += [lo * np.tile(xu, (k, 1)) - eye, eye - hi * np.tile(xu, (k, 1))]
                b_ub += [np.zeros(k), np.zeros(k)]
            res = linprog(-xs[u], A_ub=np.vstack(a_ub), b_ub=np.concatenate(b_ub),
                          bounds=[(0, None)] * k, method="highs")
            if res.status != 0:
                raise ValueError(f"a_bod: the linear programme for unit {u} has no solution "
                                 f"({res.message}); loosen share_bounds")
            out[idx + (u,)] = -res.fun
    return out
