"""Aggregation kernels: weighted means of a node's children.

Each maps ``x[..., units, k]`` and weights ``w[k]`` or ``w[..., k]`` (one weight set per
batch member) to ``[..., units]``. Missing children follow COINr's functions (R/aggregate.R):
``a_amean``, ``a_gmean`` and ``a_hmean`` skip a missing child and rescale the other weights
(``na_rm=True`` by default); COINr's ``a_genmean`` returns NA when any child is missing, and
so does ours by default (``na_rm=False``), as do ``a_prod`` and ``a_mean_min``, which COINr
does not have. ``na_rm=False`` makes any missing child give a missing result (UNDP's rule).

``dat_thresh`` is COINr's data-availability threshold of ``Aggregate(dat_thresh = )``: a
unit whose share of observed children ``sum(!is.na(x)) / k`` is below it gets no value
(COINr ``Aggregate.data.frame``: ``if (sum(!is.na(x))/lx < dat_thresh) NA``); ``None``
(COINr's ``NULL``) sets no threshold. A batch of thresholds ``[...]`` is one per batch member.
COINr reference: https://bluefoxr.github.io/COINr/reference/Aggregate.html; OECD/JRC
Handbook (2008) section 6.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from . import register
from .contracts import Each, Interval, LinearForm, Pair, linear, per_node

# COINr's Aggregate(dat_thresh =): a share of children between 0 and 1
DAT_THRESH = {"dat_thresh": Interval(0, 1)}


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


def available_share(x: np.ndarray) -> np.ndarray:
    """Share of observed children per unit, ``sum(!is.na(x)) / k`` (COINr's data
    availability of a row in ``Aggregate``), ``[..., units]``."""
    return observed_share(np.isnan(np.asarray(x)))


def observed_share(missing: np.ndarray) -> np.ndarray:
    """:func:`available_share` from the missing mask ``[..., units, k]``."""
    return _sum_children((~missing).astype(np.float64)) / missing.shape[-1]


def below_threshold(x: np.ndarray, dat_thresh) -> np.ndarray:
    """Units whose share of observed children is below ``dat_thresh`` (one threshold, or one
    per batch member ``[...]``); False everywhere when ``dat_thresh`` is None."""
    if dat_thresh is None:
        return np.zeros(np.shape(x)[:-1], dtype=bool)
    return missing_below_threshold(np.isnan(np.asarray(x)), dat_thresh)


def missing_below_threshold(missing: np.ndarray, dat_thresh) -> np.ndarray:
    """:func:`below_threshold` from the missing mask ``[..., units, k]``."""
    if dat_thresh is None:
        return np.zeros(missing.shape[:-1], dtype=bool)
    return observed_share(missing) < np.asarray(dat_thresh, dtype=np.float64)[..., None]


def _finish(num: np.ndarray, missing: np.ndarray, w: np.ndarray, na_rm: bool,
            dat_thresh=None, x: np.ndarray | None = None) -> np.ndarray:
    if na_rm:
        out = np.where(_sum_children(w) > 0, num, np.nan)
    else:
        out = np.where(missing.any(axis=-1), np.nan, num)
    if dat_thresh is not None:
        out = np.where(below_threshold(x, dat_thresh), np.nan, out)
    return out


def weighted_sum(wn: np.ndarray, terms: np.ndarray, per_unit: bool = False,
                 out: np.ndarray | None = None) -> np.ndarray:
    """``sum_j wn_j * terms_j`` over the children ``j``: ``wn[..., k]`` (one weight per
    child; ``per_unit``: ``wn[..., k, units]``, one per child and unit) against
    ``terms[..., k, units]``, giving ``[..., units]``; leading axes broadcast (10,000 weight
    sets against one data set). One ``np.einsum`` with ``optimize=False`` (never BLAS, whose
    summation order differs between matrix-vector and matrix-matrix products and between
    CPUs), on C-contiguous operands with the children on a slower axis than the units, so
    that einsum adds child after child into each output element (``((0 + p_1) + p_2) +
    ...``) whatever the batch size and wherever a member sits in the batch: build, audit and
    web get the same bits (tests/test_engine.py checks it as a property)."""
    terms = np.ascontiguousarray(terms, dtype=np.float64)
    wn = np.ascontiguousarray(wn, dtype=np.float64)
    return np.einsum("...ku,...ku->...u" if per_unit else "...k,...ku->...u", wn, terms,
                     optimize=False, out=out)


def linear_z(terms: np.ndarray, missing: np.ndarray | None, w: np.ndarray, na_rm: bool,
             dat_thresh=None, out: np.ndarray | None = None) -> np.ndarray:
    """The weighted sum ``z = sum_j w'_j f(x_j)`` of a :class:`LinearForm` kernel, with
    ``w' = w / sum(w)`` (COINr's order: weights rescaled first, then the weighted sum).

    ``terms[..., k, units]`` are the children's ``f(x)``, ``missing[..., k, units]`` where a
    child has no score (None: nowhere), ``w[k]`` or ``w[..., k]``. Missing children: with
    ``na_rm`` skipped and the other weights rescaled (no child left: NaN), without it the
    result is NaN. A child with weight 0 (an excluded indicator) adds nothing, even where
    its term is infinite or undefined (NaN * 0 would be NaN). ``dat_thresh``: a unit with a
    smaller share of observed children gets NaN. ``out``: where to write ``z`` (e.g. the
    parent's row of terms)."""
    terms = np.asarray(terms, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        per_unit = missing is not None and bool(missing.any())
        if not per_unit:
            total = _fold_children(w)  # [...]
            wn = w / total[..., None]
            usable = total[..., None] > 0
            share = np.float64(1.0)
        else:
            wk = w[..., :, None]  # one weight per child, against [..., k, units]
            wm = np.where(missing, 0.0, wk) if na_rm else np.broadcast_to(
                wk, np.broadcast_shapes(wk.shape, missing.shape))
            total = _fold_children(np.swapaxes(wm, -1, -2))  # [..., units]
            wn = wm / total[..., None, :]
            terms = np.where(missing, 0.0, terms)
            usable = total > 0 if na_rm else ~missing.any(axis=-2)
            share = observed_share(np.swapaxes(missing, -1, -2))
        if (wn == 0).any() and not np.isfinite(terms).all():
            dropped = (wn == 0) if per_unit else (wn == 0)[..., :, None]
            terms = np.where(dropped & ~np.isfinite(terms), 0.0, terms)
        z = weighted_sum(wn, terms, per_unit, out)
    if not usable.all():
        np.copyto(z, np.nan, where=~usable)
    if dat_thresh is not None:
        np.copyto(z, np.nan, where=share < np.asarray(dat_thresh, dtype=np.float64)[..., None])
    return z


def _nonnegative(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, x, np.nan)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(_nonnegative(x))


def _exp(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(z)


def _reciprocal(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / _nonnegative(x)


def _inverse(z: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / z


def _identity(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


ARITHMETIC = LinearForm("arithmetic", _identity, _identity)
GEOMETRIC = LinearForm("geometric", _log, _exp)
HARMONIC = LinearForm("harmonic", _reciprocal, _inverse)


def linear_mean(x: np.ndarray, w: np.ndarray, form: LinearForm, na_rm: bool,
                dat_thresh=None) -> np.ndarray:
    """A :class:`LinearForm` kernel on children ``x[..., units, k]``: ``g(linear_z(f(x)))``,
    the same reduction the engine runs on a whole tree."""
    x = np.asarray(x, dtype=np.float64)
    missing = np.isnan(x)
    terms = np.swapaxes(form.f(x), -1, -2)
    z = linear_z(terms, np.swapaxes(missing, -1, -2) if missing.any() else None, w, na_rm,
                 dat_thresh)
    return form.g(z)


@register("aggregate", "a_amean", constraints=DAT_THRESH)
@linear(ARITHMETIC)
def a_amean(x: np.ndarray, w: np.ndarray, na_rm: bool = True, dat_thresh: float | None = None
            ) -> np.ndarray:
    """Weighted arithmetic mean: ``sum(w' x)`` with ``w' = w / sum(w)``, computed in COINr's
    order (``a_amean``: weights rescaled first, then the weighted sum). By default a missing
    child is skipped and the weights of the others rescaled to sum to 1, as COINr's
    ``a_amean`` does (``w <- w[!is.na(x)]; x <- x[!is.na(x)]; w <- w/sum(w)``)."""
    return linear_mean(x, w, ARITHMETIC, na_rm, dat_thresh)


@register("aggregate", "a_gmean", constraints=DAT_THRESH)
@linear(GEOMETRIC)
def a_gmean(x: np.ndarray, w: np.ndarray, na_rm: bool = True, dat_thresh: float | None = None
            ) -> np.ndarray:
    """Weighted geometric mean: ``exp(sum(w' log x))``, ``w' = w / sum(w)``, as COINr's
    ``a_gmean``, which skips a missing child by default (``w[is.na(x)] <- NA``, sums with
    ``na.rm = TRUE``).

    The log form cannot underflow as ``prod(x ** w)`` does with many children; it gives
    UNDP's published HDI, GDI, IHDI and PHDI values exactly all the same. A zero child gives
    0 (UNDP: Rwanda 1994 has a life expectancy index of 0 and a PHDI of 0; COINr refuses
    zeros). Negative values give NaN, which build() reports as an error naming the node.
    """
    return linear_mean(x, w, GEOMETRIC, na_rm, dat_thresh)


@register("aggregate", "a_hmean", constraints=DAT_THRESH)
@linear(HARMONIC)
def a_hmean(x: np.ndarray, w: np.ndarray, na_rm: bool = True, dat_thresh: float | None = None
            ) -> np.ndarray:
    """Weighted harmonic mean: ``1 / sum(w' / x)``, ``w' = w / sum(w)``; a zero child gives
    0, negatives NaN. COINr ``a_hmean``, which skips a missing child by default (sums with
    ``na.rm = TRUE``)."""
    return linear_mean(x, w, HARMONIC, na_rm, dat_thresh)


SMALL_P = 1e-2  # below this |p|, a_genmean sums expm1 terms (see its docstring)


@register("aggregate", "a_genmean", constraints=DAT_THRESH)
def a_genmean(x: np.ndarray, w: np.ndarray, p: float = 2.0, na_rm: bool = False,
              dat_thresh: float | None = None) -> np.ndarray:
    """Generalised (power) mean, COINr ``a_genmean(x, w, p)``:
    ``M_p = (sum(w x^p) / sum(w)) ** (1/p)``; p = 0 is the geometric mean, p = 1
    arithmetic, p = -1 harmonic; needs x >= 0 (a negative child gives NaN). A missing child
    gives a missing result by default, as in COINr (its sums have no ``na.rm``);
    ``na_rm=True`` skips it and rescales the other weights.

    Computed scaled, so that no power overflows: ``M_p = m * (sum w' (x/m)^p) ** (1/p)``
    with ``w' = w / sum(w)`` and ``m`` the largest child that counts (a weight > 0) for
    p > 0, the smallest for p < 0, so every ``(x/m)^p <= 1`` and m's own term is ``w'_m``
    (``p: 1000`` gave inf for every unit). For ``|p| < SMALL_P``, where ``(x/m)^p`` rounds
    towards 1 and the 1/p power would magnify the rounding, the same mean is taken as
    ``m * exp(log1p(sum w' expm1(p log(x/m))) / p)``. The result is clipped to the
    counting children's [min, max], where every power mean lies. A zero child gives 0 for
    p < 0 (as the harmonic mean); children all 0 give 0."""
    pa = np.asarray(p, dtype=np.float64)
    if pa.ndim == 0 and pa == 0:
        return a_gmean(x, w, na_rm=na_rm, dat_thresh=dat_thresh)
    if (pa == 0).any():
        raise ValueError("a_genmean: a batch of p may not contain 0; use a_gmean for p = 0")
    x = np.asarray(x, dtype=np.float64)
    pb = pa[..., None, None]  # one p per batch member, against x[..., units, k]
    wb, missing = _weights(x, w, na_rm)
    counts = ~missing & (wb > 0)
    every = bool(counts.all())  # the usual case: no where() over the whole batch

    def counted(a: np.ndarray, other: float) -> np.ndarray:
        return a if every else np.where(counts, a, other)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        xs = x if (x >= 0).all() else np.where(x >= 0, x, np.nan)  # negative: NaN (A07)
        wn = counted(wb / _sum_children(counted(wb, 0.0), keepdims=True), 0.0)
        hi = np.max(counted(xs, -np.inf), axis=-1)
        lo = np.min(counted(xs, np.inf), axis=-1)
        m = hi if (pa > 0).all() else lo if (pa < 0).all() else np.where(pb[..., 0] > 0, hi,
                                                                          lo)
        r = xs / m[..., None]  # [..., units, k]
        scaled = _sum_children(counted(wn * r ** pb, 0.0)) ** (1.0 / pb[..., 0])
        if (np.abs(pa) < SMALL_P).any():
            s = _sum_children(counted(wn * np.expm1(pb * np.log(r)), 0.0))
            scaled = np.where(np.abs(pb[..., 0]) < SMALL_P, np.exp(np.log1p(s) / pb[..., 0]),
                              scaled)
        num = np.where(m == 0, 0.0, m * scaled)
        num = np.minimum(np.maximum(num, lo), hi)  # NaN (a negative child) stays NaN
    return _finish(num, missing, wb, na_rm, dat_thresh, x)


@register("aggregate", "a_prod", constraints=DAT_THRESH)
def a_prod(x: np.ndarray, w: np.ndarray, na_rm: bool = False, dat_thresh: float | None = None
           ) -> np.ndarray:
    """Weighted product ``prod(x ** w)`` (not a mean): e.g. UNDP's IHDI dimension index
    ``(1 - A_x) * I_x`` and PHDI ``HDI * adjustment factor``."""
    w, missing = _weights(x, w, na_rm)
    with np.errstate(invalid="ignore"):
        num = _fold_children(np.where(missing, 1.0, x ** w), np.multiply)
    return _finish(num, missing, w, na_rm, dat_thresh, x)


@register("aggregate", "a_mean_min", constraints={"alpha": Interval(0, 1),
                                                  "beta": Interval(0, None), **DAT_THRESH})
def a_mean_min(x: np.ndarray, w: np.ndarray, alpha: float = 0.5, beta: float = 0.0,
               na_rm: bool = False, dat_thresh: float | None = None) -> np.ndarray:
    """Mean-min function (Casadio Tarabusi and Guarini 2013, "An unbalance adjustment method
    for development indicators", Soc. Indic. Res. 112: 19-45; Compind ``ci_mean_min``):
    ``y = mu - alpha (sqrt((mu - m)^2 + beta^2) - beta)`` with ``mu`` the weighted mean and
    ``m`` the minimum of the children. alpha = 0 is the mean; alpha = 1, beta = 0 the
    minimum; in between, imbalance between children is penalised."""
    mu = a_amean(x, w, na_rm=na_rm, dat_thresh=dat_thresh)
    with np.errstate(invalid="ignore"):
        m = np.min(np.where(np.isnan(x), np.inf, x), axis=-1) if na_rm else np.min(x, axis=-1)
    m = np.where(np.isinf(m), np.nan, m)
    a = np.asarray(alpha, dtype=np.float64)[..., None]
    b = np.asarray(beta, dtype=np.float64)[..., None]
    return mu - a * (np.sqrt((mu - m) ** 2 + b ** 2) - b)


@register("aggregate", "a_copeland")
def a_copeland(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Copeland scores as COINr's ``a_copeland`` (``R/aggregate.R``; reference page
    ``a_copeland``): the outranking matrix ``outrankMatrix`` has, for units i < j,
    ``O_ij = sum_k w'_k [x_ik > x_jk] + 1/2 sum_k w'_k [x_ik = x_jk]`` with
    ``w' = w / sum(w)`` and ``O_ji = 1 - O_ij``; each pair then counts +1 for the unit with
    ``O > 1/2``, -1 for the other, 0 for both when ``O = 1/2``, and the score is the row sum
    ``sum_j sign(O_ij - 1/2)``: pairwise wins minus losses, Copeland's rule (OECD/JRC
    Handbook 2008, section 6.1). COINr's vignette "Aggregation" describes the score as the
    row sum of O itself; its code, reference page and unit test (``test-aggregate.R``,
    "copeland") take the signs, and so do we. A missing value wins no comparison."""
    x = np.asarray(x, dtype=np.float64)
    wb = np.broadcast_to(np.asarray(w, dtype=np.float64), x.shape[:-2] + x.shape[-1:])
    share = wb / _sum_children(wb, keepdims=True)
    n = x.shape[-2]
    wins = np.zeros(x.shape[:-2] + (n, n))
    ties = np.zeros(x.shape[:-2] + (n, n))
    for k in range(x.shape[-1]):  # COINr: sum(w[x_i > x_j]) + sum(w[x_i == x_j]) / 2
        col = x[..., :, k]
        a, b = col[..., :, None], col[..., None, :]
        sk = share[..., k][..., None, None]
        wins += sk * (a > b)
        ties += sk * (a == b)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    sign = np.where(upper, np.sign(wins + ties / 2 - 0.5), 0.0)
    return _sum_children(sign - np.swapaxes(sign, -1, -2))


def _share_bounds_problem(params: dict, k: int) -> str | None:
    """Shares of k children sum to 1: bounds [lo, hi] on each share can be met only when
    ``k * lo <= 1 <= k * hi`` (else only all-zero weights satisfy them, and every unit
    scored 0)."""
    for name in ("weight_bounds", "share_bounds"):
        bounds = params.get(name)
        if bounds is None:
            continue
        lo, hi = float(bounds[0]), float(bounds[1])
        if lo > hi or k * lo > 1 or k * hi < 1:
            return (f"{name} = {list(bounds)} cannot be met by {k} children, whose shares "
                    f"sum to 1 (accepted: lo <= hi, lo <= 1/{k} = {1 / k:.4g} <= hi)")
    return None


BOUNDS = Pair(first=Interval(0, 1), second=Interval(0, 1), ordered=True)


@register("aggregate", "a_bod", constraints={"share_bounds": BOUNDS, "weight_bounds": BOUNDS})
@per_node(_share_bounds_problem)
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
            if not -res.fun > 0 and (xu > 0).any():
                # the all-zero weights meet every bound; they are never a unit's answer
                raise ValueError(f"a_bod: only all-zero weights meet the bounds for unit "
                                 f"{u} (row {u + 1}: {xu.tolist()}; a share bound > 0 "
                                 "cannot hold for a child of value 0); loosen share_bounds "
                                 "or weight_bounds")
            scores[idx + (u,)] = -res.fun
            weights[idx + (u,)] = res.x
    return scores, weights


@register("aggregate", "a_sum")
def a_sum(x: np.ndarray, w: np.ndarray, na_rm: bool = False) -> np.ndarray:
    """Weighted sum ``sum_j w_j x_j`` (with ``w_equal``, the plain sum: the CDC/ATSDR SVI's
    theme score ``SPL_THEMEk``, the sum of the theme's percentile ranks, and ``SPL_THEMES``,
    the sum of the themes). A missing child gives a missing sum (CDC: -999 for the theme and
    the overall) unless ``na_rm``, which sums the observed children (none observed: missing).
    """
    x = np.asarray(x, dtype=np.float64)
    return _weighted_count_or_sum(x, x, w, na_rm)


def _weighted_count_or_sum(terms: np.ndarray, x: np.ndarray, w: np.ndarray, na_rm: bool
                           ) -> np.ndarray:
    """``sum_j w_j terms_j`` over the children ``[..., units, k]``, child after child (the
    same numbers whatever the batch around them), missing where a child of ``x`` is missing
    (``na_rm``: where all are)."""
    w = np.asarray(w, dtype=np.float64)
    missing = np.isnan(x)
    total = _sum_children(np.where(missing, 0.0, terms) * (w[..., None, :] if w.ndim > 1
                                                             else w))
    lost = missing.all(-1) if na_rm else missing.any(-1)
    return np.where(lost, np.nan, total)


@register("aggregate", "a_count", constraints={"threshold": Interval(None, None)})
def a_count(x: np.ndarray, w: np.ndarray, threshold: float = 0.9, na_rm: bool = False
            ) -> np.ndarray:
    """Flags counted: ``sum_j w_j [x_j >= threshold]`` (with ``w_equal``, how many children
    reach the threshold). CDC/ATSDR SVI: a variable at or above the 90th percentile
    (``EPL >= 0.9``) is flagged, ``F_THEMEk`` counts the flags of a theme and ``F_TOTAL``
    (``a_sum`` of the themes' counts) all of them. A missing child gives a missing count
    unless ``na_rm``. ``threshold`` may be a batch ``[...]``, one per batch member."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(threshold, dtype=np.float64)[..., None, None]
    return _weighted_count_or_sum((x >= t).astype(np.float64), x, w, na_rm)


def _coefficients_problem(params: dict, k: int) -> str | None:
    """a_linear needs one coefficient per child."""
    c = params.get("coefficients")
    if c is not None and len(c) != k:
        return f"coefficients has {len(c)} value(s) but the node has {k} children (accepted: " \
               f"one coefficient per child, in the framework's order)"
    return None


@register("aggregate", "a_linear", constraints={"coefficients": Each(Interval(None, None)),
                                                "offset": Interval(None, None),
                                                "scale": Interval(None, None)})
@per_node(_coefficients_problem)
def a_linear(x: np.ndarray, w: np.ndarray, coefficients: list[float] | None = None,
             offset: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """A fixed linear combination of the children: ``y = scale * (offset + sum_j c_j x_j)``,
    the sign of ``c_j`` being child j's direction (a child where higher is worse enters with
    a negative coefficient). ND-GAIN (Chen et al. 2015, ND-GAIN Technical Document, section
    "ND-GAIN index"): ``(readiness - vulnerability + 1) * 50`` is ``coefficients: [-1, 1]``
    over (vulnerability, readiness), ``offset: 1``, ``scale: 50``. Framework weights are not
    used; a missing child gives a missing result (no rescaling can stand in for it). No
    coefficients: 1 for every child (the plain sum)."""
    c = np.ones(x.shape[-1]) if coefficients is None else np.asarray(coefficients, np.float64)
    return scale * (offset + _sum_children(x * c))
