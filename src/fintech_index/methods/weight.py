"""Weighting kernels: the weights of one aggregate's children.

Each maps the children's scores ``x[..., units, k]`` and the framework's weights ``w[k]``
to weights ``[..., k]`` (one set per batch member, e.g. per year). Units with a missing
child are left out of data-driven weights, as COINr's ``na.omit`` does. COINr reference:
https://bluefoxr.github.io/COINr/articles/weights.html; OECD/JRC Handbook (2008) section 6.1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import register
from .contracts import Each, Interval, Options


def _per_member(x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``fn`` to each [units, k] matrix of the batch, on the complete rows only."""
    out = np.full(x.shape[:-2] + x.shape[-1:], np.nan)
    for idx in np.ndindex(*x.shape[:-2]):
        m = x[idx]
        out[idx] = fn(m[~np.isnan(m).any(axis=1)])
    return out


def _batch(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(w, dtype=np.float64),
                           x.shape[:-2] + x.shape[-1:]).copy()


@register("weight", "w_explicit", constraints={"values": Each(Interval(0, None),
                                                               positive_sum=True)})
def w_explicit(x: np.ndarray, w: np.ndarray, values: list[float] | None = None) -> np.ndarray:
    """The framework's weights, or ``values`` (one per child, in the framework's order)."""
    v = w if values is None else np.asarray(values, dtype=np.float64)
    if v.shape[-1] != x.shape[-1]:
        raise ValueError(f"w_explicit: {v.shape[-1]} values for {x.shape[-1]} children")
    return _batch(v, x)


@register("weight", "w_equal")
def w_equal(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Equal weights: every child 1."""
    return _batch(np.ones(x.shape[-1]), x)


@register("weight", "w_budget", constraints={"points": Each(Interval(0, None),
                                                            positive_sum=True)})
def w_budget(x: np.ndarray, w: np.ndarray, points: list[float]) -> np.ndarray:
    """Budget allocation: experts share a budget of points among the children; the weights
    are ``points / sum(points)`` (OECD/JRC Handbook 2008, section 6.1.6 "budget allocation
    process")."""
    p = np.asarray(points, dtype=np.float64)
    if p.shape[-1] != x.shape[-1] or (p < 0).any() or p.sum() <= 0:
        raise ValueError(f"w_budget: points must be {x.shape[-1]} non-negative numbers with "
                         f"a positive sum (got {list(points)})")
    return _batch(p / p.sum(axis=-1, keepdims=True), x)


def _standardised(m: np.ndarray) -> np.ndarray:
    return (m - m.mean(axis=0)) / m.std(axis=0, ddof=1)


def _degenerate(m: np.ndarray, min_rows: int) -> bool:
    """Too few complete units, or a child without variation: no components to weight by."""
    return len(m) < min_rows or bool((np.ptp(m, axis=0) == 0).any())


def _first_component(m: np.ndarray) -> np.ndarray:
    if _degenerate(m, 2):
        return np.full(m.shape[1], np.nan)
    _, _, vt = np.linalg.svd(_standardised(m), full_matrices=False)
    v = vt[0]
    return -v if v.sum() < 0 else v


@register("weight", "w_pca")
def w_pca(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """COINr's PCA weights (``get_PCA(..., weights_to = ...)``): the loadings of the first
    principal component of the standardised children (``prcomp(center = TRUE, scale =
    TRUE)``, rotation[, 1]). A component's sign is arbitrary; it is fixed here so that the
    loadings sum to a positive number (COINr keeps whatever sign prcomp returns)."""
    return _per_member(np.asarray(x, dtype=np.float64), _first_component)


def varimax(loadings: np.ndarray, max_iter: int = 1000, tol: float = 1e-5) -> np.ndarray:
    """Varimax rotation (Kaiser 1958) of a [k, f] loading matrix, with Kaiser normalisation,
    the algorithm and stopping rule (``eps = 1e-5``) of R's ``stats::varimax``."""
    k, f = loadings.shape
    if f < 2:
        return loadings.copy()
    h = np.sqrt((loadings ** 2).sum(axis=1, keepdims=True))
    a = loadings / h
    rot = np.eye(f)
    d = 0.0
    for _ in range(max_iter):
        z = a @ rot
        b = a.T @ (z ** 3 - z @ np.diag((z ** 2).sum(axis=0)) / k)
        u, s, vt = np.linalg.svd(b)
        rot = u @ vt
        d_old, d = d, s.sum()
        if d < d_old * (1 + tol):
            break
    return (a @ rot) * h


def _factor_weights(m: np.ndarray) -> np.ndarray:
    if _degenerate(m, 3):
        return np.full(m.shape[1], np.nan)
    corr = np.corrcoef(m, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    keep = max(1, int((vals > 1).sum()))
    load = varimax(vecs[:, :keep] * np.sqrt(vals[:keep]))
    sq = load ** 2
    explained = sq.sum(axis=0)
    scaled = sq / explained  # squared loadings scaled to unity sum per factor
    factor = np.argmax(scaled, axis=1)
    share = explained / explained.sum()
    wts = scaled[np.arange(len(factor)), factor] * share[factor]
    return wts / wts.sum()


@register("weight", "w_factor")
def w_factor(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The handbook's factor-analysis weights (OECD/JRC Handbook 2008, section 6.1.1 and its
    TAI example): principal-component factors with eigenvalue > 1 are kept and
    varimax-rotated; squared loadings are scaled to unity sum per factor; each child is
    assigned to the factor on which its scaled squared loading is largest and weighted by that
    loading times the factor's share of the explained variance; weights sum to 1."""
    return _per_member(np.asarray(x, dtype=np.float64), _factor_weights)


def _correlations(x: np.ndarray, y: np.ndarray, cortype: str) -> np.ndarray:
    if cortype == "spearman":
        from scipy.stats import rankdata
        x, y = rankdata(x, axis=0), rankdata(y)
    elif cortype != "pearson":
        raise ValueError(f"w_opt: cortype {cortype!r} is not pearson or spearman")
    xc, yc = x - x.mean(axis=0), y - y.mean()
    return (xc * yc[:, None]).sum(0) / np.sqrt((xc ** 2).sum(0) * (yc ** 2).sum())


@register("weight", "w_opt", constraints={
    "itarg": Each(Interval(0, None), positive_sum=True), "optype": Options("balance", "infomax"),
    "cortype": Options("pearson", "spearman"), "toler": Interval(0, None, closed="neither"),
    "maxiter": Interval(1, None)})
def w_opt(x: np.ndarray, w: np.ndarray, aggregate: Callable, itarg: list[float] | None = None,
          optype: str = "balance", cortype: str = "pearson", toler: float = 1e-6,
          maxiter: int = 2000) -> np.ndarray:
    """Weights optimised so the children's correlations with the aggregate match target
    importances (COINr ``get_opt_weights``; Becker et al. 2017, Ecol. Indic. 80: 12-22).

    ``balance`` minimises ``log(mean((itarg' - r / sum(r))^2))`` with r the correlations of
    the children with the aggregate and ``itarg' = itarg / sum(itarg)`` (default equal);
    ``infomax`` maximises ``sum(r)``. Nelder-Mead from the targets (balance) or the framework
    weights (infomax), as COINr does with R's ``optim``; SciPy's Nelder-Mead takes different
    steps, so optimised weights agree with COINr's to the optimiser's tolerance, not to the
    bit. Correlations are with the node's own aggregate (COINr's with the index, which is the
    same for the level below the index). Weights are returned summing to 1.
    """
    from scipy.optimize import minimize

    k = x.shape[-1]
    target = np.ones(k) if itarg is None else np.asarray(itarg, dtype=np.float64)
    target = target / target.sum()
    start = target if optype == "balance" else np.asarray(w, dtype=np.float64)
    if optype not in ("balance", "infomax"):
        raise ValueError(f"w_opt: optype {optype!r} is not balance or infomax")

    def solve(m: np.ndarray) -> np.ndarray:
        def objective(v: np.ndarray) -> float:
            v = np.abs(v) / np.abs(v).sum()
            r = _correlations(m, aggregate(m, v), cortype)
            if optype == "infomax":
                return -float(r.sum())
            return float(np.log(np.mean((target - r / r.sum()) ** 2) + 1e-300))

        res = minimize(objective, start, method="Nelder-Mead",
                       options={"fatol": toler, "xatol": toler, "maxiter": maxiter})
        v = np.abs(res.x)
        return v / v.sum()

    return _per_member(np.asarray(x, dtype=np.float64), solve)
