"""Aggregation kernels: weighted means of a node's children.

Each maps ``x[..., units, k]`` and weights ``w[k]`` or ``w[..., k]`` (one weight set per
batch member) to ``[..., units]``. A missing child makes the result missing unless
``na_rm=True``, which drops it and rescales the other weights (COINr's behaviour).
COINr reference: https://bluefoxr.github.io/COINr/reference/Aggregate.html; OECD/JRC
Handbook (2008) section 6.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from . import register


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


@register("aggregate", "a_amean")
def a_amean(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted arithmetic mean: ``sum(w' x)`` with ``w' = w / sum(w)``, computed in COINr's
    order (``a_amean``: weights rescaled first, then the weighted sum)."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = w / _sum_children(w, keepdims=True)
        num = _sum_children(np.where(missing, 0.0, share * x))
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
        num = np.exp(_sum_children(terms) / _sum_children(w))
    return _finish(num, missing, w, na_rm)


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


@register("aggregate", "a_mean_min")
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


@register("aggregate", "a_bod")
def a_bod(x: np.ndarray, w: np.ndarray, share_bounds: tuple[float, float] | None = None,
          weight_bounds: tuple[float, float] | None = None) -> np.ndarray:
    """Benefit of the doubt (Cherchye, Moesen, Rogge and Van Puyenbroeck 2007, Soc. Indic.
    Res. 82: 111-145; OECD/JRC Handbook 2008 section 6.3, eq. 22): each unit's score is
    ``max_w sum_k w_k x_uk`` subject to ``sum_k w_k x_vk <= 1`` for every unit v and
    ``w >= 0``, so the best unit under its own most favourable weights scores 1.
    ``share_bounds = [lo, hi]`` bounds each child's share ``w_k x_uk / sum_j w_j x_uj``
    (pie-share constraints); ``weight_bounds = [lo, hi]`` bounds each weight's share of the
    total weight ``w_k / sum_j w_j`` (the Handbook's Table 19 uses 10-15%). Solved as one
    linear programme per unit with SciPy's HiGHS (:func:`bod` also returns the weights).
    The framework weights ``w`` are not used: the weights are the unit's own. A unit with a
    missing child scores NaN."""
    return bod(x, share_bounds, weight_bounds)[0]


def outranking_matrix(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The outranking matrix of the units (OECD/JRC Handbook 2008, section 6.13, eq. 32,
    Table 36): ``e_jk = sum_q w'_q [x_jq > x_kq] + 1/2 sum_q w'_q [x_jq = x_kq]`` with
    ``w' = w / sum(w)`` and ``e_jj = 0``, so ``e_jk + e_kj = 1``. A comparison with a
    missing value counts for neither unit. ``x[..., units, k]``, ``w[k]`` or ``w[..., k]``;
    returns ``[..., units, units]``."""
    x = np.asarray(x, dtype=np.float64)
    wb = np.broadcast_to(np.asarray(w, dtype=np.float64), x.shape[:-2] + x.shape[-1:])
    share = wb / _sum_children(wb, keepdims=True)
    n = x.shape[-2]
    e = np.zeros(x.shape[:-2] + (n, n))
    for q in range(x.shape[-1]):
        col = x[..., :, q]
        a, b = col[..., :, None], col[..., None, :]
        sq = share[..., q][..., None, None]
        e += sq * (a > b) + 0.5 * sq * (a == b)
    return e * (1.0 - np.eye(n))


def kemeny_order(e: np.ndarray) -> np.ndarray:
    """The Condorcet-Kemeny-Young-Levenglick ranking of an outranking matrix ``e`` [n, n]
    (Handbook section 6.12-6.13, eq. 33): the order ``r*`` maximising ``sum_{j before k}
    e_jk`` over all n! orders, solved exactly as a 0-1 linear programme with SciPy's HiGHS
    (``milp``): ``y_jk = 1`` if j precedes k (j < k), objective ``sum (e_jk - e_kj) y_jk``,
    transitivity ``0 <= y_ij + y_jk - y_ik <= 1`` for every triple (Kemeny 1959; Young and
    Levenglick 1978). Where several orders reach the optimum, HiGHS's (deterministic) one is
    returned, with neighbours whose comparison is tied (``e_jk = e_kj``, so swapping them
    keeps the optimum) put in their given order. Returns the unit indices, best first."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    e = np.asarray(e, dtype=np.float64)
    n = e.shape[0]
    if n < 2:
        return np.arange(n)
    pi, pj = np.triu_indices(n, 1)  # pair variables y_ij, i < j, in row-major order
    gain = e[pi, pj] - e[pj, pi]

    def col(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * n - a * (a + 1) // 2 + (b - a - 1)

    cons = []
    if n >= 3:
        t = np.array(list(combinations(range(n), 3)), dtype=np.int64)
        i, j, k = t[:, 0], t[:, 1], t[:, 2]
        rows = np.repeat(np.arange(len(t)), 3)
        cols = np.column_stack([col(i, j), col(j, k), col(i, k)]).ravel()
        vals = np.tile([1.0, 1.0, -1.0], len(t))
        a = csr_array((vals, (rows, cols)), shape=(len(t), len(gain)))
        cons = [LinearConstraint(a, 0.0, 1.0)]
    ones = np.ones(len(gain))
    first = milp(-gain, integrality=ones, bounds=Bounds(0, 1), constraints=cons)
    if first.status != 0:
        raise ValueError(f"a_kemeny: the ranking programme failed ({first.message})")
    y = np.round(first.x)
    before = np.zeros((n, n))
    before[pi, pj], before[pj, pi] = y, 1.0 - y
    order = list(np.argsort(-before.sum(axis=1), kind="stable"))
    swapped = True  # neighbours tied pairwise (e_jk = e_kj) go in their given order
    while swapped:
        swapped = False
        for p in range(n - 1):
            a, b = order[p], order[p + 1]
            if a > b and e[a, b] == e[b, a]:
                order[p], order[p + 1] = b, a
                swapped = True
    return np.array(order)


@register("aggregate", "a_kemeny")
def a_kemeny(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Non-compensatory aggregation (OECD/JRC Handbook 2008, section 6.13): the units' exact
    Condorcet-Kemeny ranking (:func:`kemeny_order`) of the :func:`outranking_matrix` with the
    weights as importance coefficients. The score is the number of units ranked below the
    unit (n - 1 for the first), so ranks follow from scores as for any other aggregate."""
    e = outranking_matrix(x, w)
    n = e.shape[-1]
    out = np.empty(e.shape[:-1])
    for idx in np.ndindex(*e.shape[:-2]):
        order = kemeny_order(e[idx])
        score = np.empty(n)
        score[order] = np.arange(n - 1, -1, -1, dtype=np.float64)
        out[idx] = score
    return out


def bod(x: np.ndarray, share_bounds: tuple[float, float] | None = None,
        weight_bounds: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Benefit-of-the-doubt scores ``[..., units]`` and each unit's own weights
    ``[..., units, k]`` (see :func:`a_bod`). ``weight_bounds = [lo, hi]`` bounds each weight's
    share of the unit's total weight, ``lo <= w_k / sum_j w_j <= hi`` (the Handbook's TAI
    example, Table 19, keeps every weight between 10% and 15% of the total); ``share_bounds``
    bounds each child's share of the score. Weights of units on the frontier are often not
    unique (Handbook p. 93); HiGHS returns one optimal vertex."""
    from scipy.optimize import linprog

    x = np.asarray(x, dtype=np.float64)
    k = x.shape[-1]
    scores = np.full(x.shape[:-1], np.nan)
    weights = np.full(x.shape, np.nan)
    for idx in np.ndindex(*x.shape[:-2]):
        xs = x[idx]
        complete = ~np.isnan(xs).any(axis=-1)
        others = xs[complete]
        for u in np.flatnonzero(complete):
            a_ub = [others]
            b_ub = [np.ones(len(others))]
            xu = xs[u]
            if share_bounds is not None:
                lo, hi = share_bounds
                eye = np.eye(k) * xu
                a_ub += [lo * np.tile(xu, (k, 1)) - eye, eye - hi * np.tile(xu, (k, 1))]
                b_ub += [np.zeros(k), np.zeros(k)]
            if weight_bounds is not None:
                lo, hi = weight_bounds
                a_ub += [lo * np.ones((k, k)) - np.eye(k), np.eye(k) - hi * np.ones((k, k))]
                b_ub += [np.zeros(k), np.zeros(k)]
            res = linprog(-xu, A_ub=np.vstack(a_ub), b_ub=np.concatenate(b_ub),
                          bounds=[(0, None)] * k, method="highs")
            if res.status != 0:
                raise ValueError(f"a_bod: the linear programme for unit {u} has no solution "
                                 f"({res.message}); loosen share_bounds or weight_bounds")
            scores[idx + (u,)] = -res.fun
            weights[idx + (u,)] = res.x
    return scores, weights
