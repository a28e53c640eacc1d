"""Weighting kernels: the weights of one aggregate's children.

Each maps the children's scores ``x[..., units, k]`` and the framework's weights ``w[k]``
to weights ``[..., k]`` (one set per batch member, e.g. per year). Units with a missing
child are left out of data-driven weights, as COINr's ``na.omit`` does. COINr reference:
https://bluefoxr.github.io/COINr/articles/weights.html; OECD/JRC Handbook (2008) section 6.1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# the factor model, shared with the audit's coherence tables, lives in fintech_index.stats;
# its names stay importable from here (methods.weight.factors_to_keep, varimax, ...)
from ..stats import (  # noqa: F401
    FACTOR_RULES,
    FactorModel,
    factor_model,
    factors_to_keep,
    varimax,
)
from ..stats import degenerate as _degenerate
from ..stats import standardised as _standardised
from . import register
from .contracts import Each, Interval, Options, shape_only


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
@shape_only
def w_explicit(x: np.ndarray, w: np.ndarray, values: list[float] | None = None) -> np.ndarray:
    """The framework's weights, or ``values`` (one per child, in the framework's order)."""
    v = w if values is None else np.asarray(values, dtype=np.float64)
    if v.shape[-1] != x.shape[-1]:
        raise ValueError(f"w_explicit: {v.shape[-1]} values for {x.shape[-1]} children")
    return _batch(v, x)


@register("weight", "w_equal")
@shape_only
def w_equal(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Equal weights: every child 1."""
    return _batch(np.ones(x.shape[-1]), x)


@register("weight", "w_budget", constraints={"points": Each(Interval(0, None),
                                                            positive_sum=True)})
@shape_only
def w_budget(x: np.ndarray, w: np.ndarray, points: list[float]) -> np.ndarray:
    """Budget allocation: experts share a budget of points among the children; the weights
    are ``points / sum(points)`` (OECD/JRC Handbook 2008, section 6.1.6 "budget allocation
    process")."""
    p = np.asarray(points, dtype=np.float64)
    if p.shape[-1] != x.shape[-1] or (p < 0).any() or p.sum() <= 0:
        raise ValueError(f"w_budget: points must be {x.shape[-1]} non-negative numbers with "
                         f"a positive sum (got {list(points)})")
    return _batch(p / p.sum(axis=-1, keepdims=True), x)


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


def _factor_weights(m: np.ndarray, n_factors: int | None = None, rule: str = "kaiser",
                    threshold: float | None = None) -> np.ndarray:
    if _degenerate(m, 3):
        return np.full(m.shape[1], np.nan)
    return factor_model(m, n_factors, rule, threshold).weights()


@register("weight", "w_factor", constraints={
    "n_factors": Interval(1, None), "rule": Options("kaiser", "variance_share", "cumulative"),
    "threshold": Interval(0, None, closed="neither")})
def w_factor(x: np.ndarray, w: np.ndarray, n_factors: int | None = None, rule: str = "kaiser",
             threshold: float | None = None) -> np.ndarray:
    """The handbook's factor-analysis weights (OECD/JRC Handbook 2008, section 6.1 and its
    TAI example, Tables 16-18): principal-component factors are kept by ``n_factors`` or by
    ``rule`` (``kaiser``: eigenvalue > 1; ``variance_share``: each explains > 10% of the
    variance, which keeps the TAI example's four; ``cumulative``: together >= 60%;
    ``threshold`` changes the number) and varimax-rotated; see :meth:`FactorModel.weights`."""
    return _per_member(np.asarray(x, dtype=np.float64),
                       lambda m: _factor_weights(m, n_factors, rule, threshold))


def _correlations(x: np.ndarray, y: np.ndarray, cortype: str) -> np.ndarray:
    if cortype == "spearman":
        from ..ranks import rankdata
        x, y = rankdata(x, "average", axis=0), rankdata(y, "average")
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


# Saaty's (1980) random consistency index RI by matrix size n (n = 1 ... 10)
SAATY_RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)


def _judgement(v) -> float:
    """A pairwise judgement: a number or a fraction written as text ('1/3')."""
    if isinstance(v, str) and "/" in v:
        num, den = v.split("/", 1)
        return float(num) / float(den)
    return float(v)


def _comparison_matrix(matrix) -> np.ndarray:
    a = np.asarray(matrix, dtype=object)
    a = np.vectorize(_judgement, otypes=[np.float64])(a) if a.dtype == object else a
    a = np.asarray(a, dtype=np.float64)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"AHP: the comparison matrix must be square (got shape {a.shape})")
    if not (np.isfinite(a).all() and (a > 0).all()):
        raise ValueError("AHP: every pairwise judgement must be a positive number")
    if not np.allclose(a * np.swapaxes(a, -1, -2), 1.0, rtol=1e-6, atol=0):
        bad = np.argwhere(~np.isclose(a * np.swapaxes(a, -1, -2), 1.0, rtol=1e-6, atol=0))[0]
        i, j = int(bad[-2]), int(bad[-1])
        raise ValueError(f"AHP: the comparison matrix is not reciprocal: a[{i + 1},{j + 1}] = "
                         f"{a[tuple(bad)]:g} but a[{j + 1},{i + 1}] should be its inverse")
    return a


def ahp_weights(matrix) -> tuple[np.ndarray, np.ndarray]:
    """AHP weights and consistency ratio of a pairwise comparison matrix (Saaty 1980; OECD/JRC
    Handbook 2008, section 6.7, Table 20): ``a_ij`` says how many times child i is more
    important than child j (``a_ji = 1 / a_ij``, judgements may be fractions such as '1/3').
    The weights are the principal right eigenvector ``A w = lambda_max w`` scaled to sum 1;
    ``CI = (lambda_max - n) / (n - 1)`` and ``CR = CI / RI_n`` with Saaty's random index
    (CR < 0.1 is the usual rule of thumb; NaN for n > 10, where RI is not tabulated).
    ``matrix`` may be a batch ``[..., n, n]``; returns weights ``[..., n]`` and CR ``[...]``."""
    a = _comparison_matrix(matrix)
    n = a.shape[-1]
    weights = np.empty(a.shape[:-1])
    ratio = np.empty(a.shape[:-2])
    for idx in np.ndindex(*a.shape[:-2]):
        vals, vecs = np.linalg.eig(a[idx])
        top = int(np.argmax(vals.real))
        v = np.abs(vecs[:, top].real)
        weights[idx] = v / v.sum()
        lam = float(vals[top].real)
        ci = (lam - n) / (n - 1) if n > 2 else 0.0
        ri = SAATY_RANDOM_INDEX[n - 1] if n <= len(SAATY_RANDOM_INDEX) else np.nan
        ratio[idx] = 0.0 if n <= 2 else ci / ri
    return weights, ratio


def _matrix_problem(v) -> str | None:
    """Contract of w_ahp's matrix: what is accepted, or None."""
    try:
        _comparison_matrix(v)
    except (ValueError, TypeError, ZeroDivisionError) as e:
        return f"a square reciprocal matrix of positive judgements ({e})"
    return None


@register("weight", "w_ahp", constraints={"matrix": _matrix_problem})
def w_ahp(x: np.ndarray, w: np.ndarray, matrix: list[list[float | str]]) -> np.ndarray:
    """Analytic hierarchy process weights from a pairwise comparison ``matrix`` of the
    children, in the framework's order (see :func:`ahp_weights`; OECD/JRC Handbook 2008,
    section 6.7)."""
    weights, _ = ahp_weights(matrix)
    if weights.shape[-1] != x.shape[-1]:
        raise ValueError(f"w_ahp: the comparison matrix is {weights.shape[-1]} x "
                         f"{weights.shape[-1]} for {x.shape[-1]} children")
    return _batch(weights, x)
