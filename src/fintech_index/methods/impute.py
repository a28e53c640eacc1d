"""Imputation kernels: fill missing values (NaN); observed values are never changed.

Each maps ``x[..., years, units, k]`` to the same shape. Cross-sectional methods work on
each year separately (the year axis is then just another batch axis); panel methods
(``i_latest``, ``i_interp``) work along the year axis and receive the years themselves.
A kernel may leave a value missing when it has nothing to fill it with (e.g. a group with
no observed value): the build reports it. COINr reference:
https://bluefoxr.github.io/COINr/reference/Impute.html and ``impute_panel``; OECD/JRC
Handbook on Constructing Composite Indicators (2008), section 1.3 "Imputation of missing
data" (unconditional mean/median substitution, hot deck, expectation-maximisation).
"""

from __future__ import annotations

import warnings

import numpy as np

from . import register
from .contracts import Interval, Options

UNIT_AXIS = -2
YEAR_AXIS = -3
MAX_CONDITION = 1e12  # i_EM: a covariance this ill-conditioned is treated as singular


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns give NaN
        return fn(*a, **kw)


def _fill(x: np.ndarray, value: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), value, x)


@register("impute", "i_mean")
def i_mean(x: np.ndarray) -> np.ndarray:
    """Replace a missing value by the mean of the indicator's observed values that year.
    COINr ``i_mean``."""
    return _fill(x, _quiet(np.nanmean, x, axis=UNIT_AXIS, keepdims=True))


@register("impute", "i_median")
def i_median(x: np.ndarray) -> np.ndarray:
    """Replace a missing value by the median of the indicator's observed values that year.
    COINr ``i_median`` (R's ``median``: the mean of the two middle values for even n)."""
    return _fill(x, _quiet(np.nanmedian, x, axis=UNIT_AXIS, keepdims=True))


def _by_group(x: np.ndarray, groups: np.ndarray, stat) -> np.ndarray:
    """Apply a cross-sectional imputation within each group of units; units without a group
    (code -1) are left as they are, as COINr's ``skip_f_na = TRUE`` does."""
    g = np.asarray(groups)
    if g.shape != (x.shape[UNIT_AXIS],):
        raise ValueError(f"groups has shape {g.shape}; expected one code per unit "
                         f"({x.shape[UNIT_AXIS]})")
    out = np.array(x, dtype=np.float64, copy=True)
    for code in np.unique(g[g >= 0]):
        members = g == code
        out[..., members, :] = stat(x[..., members, :])
    return out


@register("impute", "i_mean_grp")
def i_mean_grp(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Group mean: a missing value takes the mean of the observed values of the units in the
    same group (``use_group``: any unit metadata column, e.g. region or income group).
    COINr ``i_mean_grp(x, f)``; the ASEM example imputes by ``EurAsia_group``."""
    return _by_group(x, groups, i_mean)


@register("impute", "i_median_grp")
def i_median_grp(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Group median: as ``i_mean_grp`` with the median. COINr ``i_median_grp(x, f)``."""
    return _by_group(x, groups, i_median)


@register("impute", "i_min")
def i_min(x: np.ndarray) -> np.ndarray:
    """Replace a missing value by the lowest observed value of the indicator that year: for
    a censored list (e.g. ratings published for the top 20 only), an upper bound for the
    units left out of it."""
    return _fill(x, _quiet(np.nanmin, x, axis=UNIT_AXIS, keepdims=True))


@register("impute", "none")
def i_none(x: np.ndarray) -> np.ndarray:
    """No imputation: missing values stay missing (to exclude one indicator)."""
    return np.array(x, dtype=np.float64, copy=True)


@register("impute", "i_constant")
def i_constant(x: np.ndarray, value: float = 0.0) -> np.ndarray:
    """Replace every missing value by ``value`` (e.g. 0 where absence means none)."""
    return _fill(x, float(value))


def _last_observed(x: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every cell, the value and year of the latest observation at or before it
    (NaN where there is none), along the year axis."""
    t = x.shape[YEAR_AXIS]
    pos = np.arange(t).reshape((t, 1, 1))
    idx = np.where(np.isnan(x), -1, pos)
    idx = np.maximum.accumulate(idx, axis=YEAR_AXIS)
    have = idx >= 0
    safe = np.where(have, idx, 0)
    value = np.where(have, np.take_along_axis(x, safe, axis=YEAR_AXIS), np.nan)
    when = np.where(have, np.asarray(years, dtype=np.float64)[safe], np.nan)
    return value, when


@register("impute", "i_latest", constraints={"max_time": Interval(0, None)})
def i_latest(x: np.ndarray, years: np.ndarray, max_time: int | None = None) -> np.ndarray:
    """Latest available year: carry the last observed value forward, at most ``max_time``
    years (None: no limit). Earlier years are never filled from later ones.
    COINr ``impute_panel(iData, max_time)`` (``Impute(purse, f_i = "impute_panel")``)."""
    value, when = _last_observed(x, years)
    age = np.asarray(years, dtype=np.float64).reshape((-1, 1, 1)) - when
    ok = ~np.isnan(value) if max_time is None else (age <= max_time)
    return np.where(np.isnan(x) & ok, value, x)


@register("impute", "i_interp", constraints={"ends": Options("none", "nearest")})
def i_interp(x: np.ndarray, years: np.ndarray, ends: str = "none") -> np.ndarray:
    """Linear interpolation between the nearest observed years before and after:
    ``x_t = x_a + (x_b - x_a) (t - a) / (b - a)``; no extrapolation past the ends unless
    ``ends: nearest``, which carries the first observation back and the last forward (NumPy's
    ``np.interp``; ND-GAIN Technical Document (2015), "input" data: gaps filled by linear
    interpolation, the nearest observed year's value at both ends)."""
    yrs = np.asarray(years, dtype=np.float64)
    before, t_before = _last_observed(x, yrs)
    after_r, t_after_r = _last_observed(np.flip(x, axis=YEAR_AXIS), yrs[::-1])
    after, t_after = np.flip(after_r, axis=YEAR_AXIS), np.flip(t_after_r, axis=YEAR_AXIS)
    t = yrs.reshape((-1, 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        interp = before + (after - before) * (t - t_before) / (t_after - t_before)
    if ends == "nearest":  # one side missing: the other side's nearest observation
        interp = np.where(np.isnan(before), after, np.where(np.isnan(after), before, interp))
    return np.where(np.isnan(x) & ~np.isnan(interp), interp, x)


@register("impute", "i_EM", constraints={"max_iter": Interval(1, None),
                                         "tol": Interval(0, None, closed="neither")})
def i_em(x: np.ndarray, max_iter: int = 200, tol: float = 1e-6) -> np.ndarray:
    """Expectation-maximisation under a multivariate normal, per year (Dempster, Laird and
    Rubin 1977; Little and Rubin 2002, ch. 11; OECD/JRC Handbook 2008, section 1.3).

    E-step: for each unit, ``x_m = mu_m + S_mo S_oo^-1 (x_o - mu_o)`` and the conditional
    covariance ``S_mm - S_mo S_oo^-1 S_om``; M-step: ``mu`` and the ML covariance of the
    completed data plus that correction. Stops when no mean or covariance entry moves by more
    than ``tol`` times its scale. A unit with nothing observed gets the mean.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.array(x, copy=True)
    lead = x.shape[:-2]
    for idx in np.ndindex(*lead):
        out[idx] = _em_matrix(x[idx], max_iter, tol)
    return out


def _precision(sigma: np.ndarray) -> np.ndarray | None:
    """``S^-1`` from one symmetric eigendecomposition ``S = V diag(l) V'``, ``S^-1 = V
    diag(1/l) V'``; None where S is singular or nearly so (``l_min <= l_max / 1e12``), which
    the same decomposition tells."""
    try:
        lam, vec = np.linalg.eigh(sigma)
    except np.linalg.LinAlgError:
        return None
    if not lam[0] > lam[-1] / MAX_CONDITION:
        return None
    return (vec / lam) @ vec.T


def _conditionals(sigma: np.ndarray, patterns: dict[bytes, list[int]], miss: np.ndarray
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each missing pattern, ``B = S_mo S_oo^-1`` and ``C = S_mm - B S_om``.

    With ``P = S^-1`` these are ``B = -P_mm^-1 P_mo`` and ``C = P_mm^-1`` (one k x k inverse
    per iteration, then only small solves); where S is singular or nearly so (as many
    indicators as units, a constant indicator: condition number above 1e12), each pattern
    is solved by least squares on ``S_oo``, singular values below 1e-12 of the largest
    counting as zero."""
    prec = _precision(sigma)
    if prec is not None:
        out = []
        for rows in patterns.values():
            m = miss[rows[0]]
            p_mm_inv = np.linalg.inv(prec[np.ix_(m, m)])
            out.append((-p_mm_inv @ prec[np.ix_(m, ~m)], p_mm_inv))
        if all(np.isfinite(b).all() and np.isfinite(c).all() for b, c in out):
            return out
    out = []
    for rows in patterns.values():
        m = miss[rows[0]]
        o = ~m
        s_mo = sigma[np.ix_(m, o)]
        beta = np.linalg.lstsq(sigma[np.ix_(o, o)], s_mo.T, rcond=1 / MAX_CONDITION)[0].T
        out.append((beta, sigma[np.ix_(m, m)] - beta @ s_mo.T))
    return out


def _em_matrix(a: np.ndarray, max_iter: int, tol: float) -> np.ndarray:
    n, k = a.shape
    miss = np.isnan(a)
    if not miss.any():
        return a.copy()
    mu = _quiet(np.nanmean, a, axis=0)
    if np.isnan(mu).any():
        return a.copy()  # an indicator with no observed value: nothing to estimate from
    filled = np.where(miss, mu, a)
    sigma = np.cov(filled, rowvar=False, bias=True).reshape(k, k)
    patterns: dict[bytes, list[int]] = {}
    for i in range(n):
        if miss[i].any():
            patterns.setdefault(miss[i].tobytes(), []).append(i)
    for _ in range(max_iter):
        correction = np.zeros((k, k))
        for rows, (beta, c_mm) in zip(patterns.values(), _conditionals(sigma, patterns, miss),
                                      strict=True):
            m = miss[rows[0]]
            o = ~m
            filled[np.ix_(rows, m)] = mu[m] + (a[np.ix_(rows, o)] - mu[o]) @ beta.T
            correction[np.ix_(m, m)] += len(rows) * c_mm
        new_mu = filled.mean(axis=0)
        d = filled - new_mu
        new_sigma = (d.T @ d + correction) / n
        if not (np.isfinite(new_mu).all() and np.isfinite(new_sigma).all()):
            raise ValueError("i_EM: the iteration diverged (the covariance of the completed "
                             "data is no longer finite); the data are too degenerate for a "
                             "multivariate normal: choose i_mean, i_median or i_mean_grp")
        scale = np.maximum(np.abs(new_sigma).max(), 1e-300)
        done = (np.abs(new_mu - mu).max() <= tol * max(np.abs(new_mu).max(), 1e-300)
                and np.abs(new_sigma - sigma).max() <= tol * scale)
        mu, sigma = new_mu, new_sigma
        if done:
            break
    return np.where(miss, filled, a)


@register("impute", "i_EM_bounded")
def i_em_bounded(x: np.ndarray, max_iter: int = 200, tol: float = 1e-6) -> np.ndarray:
    """COINr-style ``i_EM`` (multivariate normal EM), each imputed value then truncated to
    the range its indicator takes among the observed units of the same year:
    ``x_imp = min(max(x_EM, min_obs), max_obs)``. A normal model can place an estimate
    outside a bounded scale (a GPCI score below 0); an imputation must stay a value the
    indicator can take (OECD/JRC Handbook 2008, section 1.3: imputed values are estimates
    of plausible data, flagged as such)."""
    filled = i_em(x, max_iter=max_iter, tol=tol)
    seen = ~np.isnan(x)
    lo = np.min(np.where(seen, x, np.inf), axis=-2, keepdims=True)  # +inf: none observed
    hi = np.max(np.where(seen, x, -np.inf), axis=-2, keepdims=True)
    bounded = np.clip(filled, lo, hi)
    return np.where(np.isnan(x), bounded, x)


def _isotonic(a: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Increasing least-squares fit of ``y`` on ``a`` by pool-adjacent-violators: the
    distinct values of ``a`` (sorted) and the fitted value at each (ties in ``a`` pooled)."""
    knots, inv = np.unique(a, return_inverse=True)
    sums = np.bincount(inv, weights=y)
    counts = np.bincount(inv).astype(np.float64)
    blocks: list[list[float]] = []  # [sum, count, number of knots]
    for s, c in zip(sums, counts, strict=True):
        blocks.append([s, c, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s2, c2, k2 = blocks.pop()
            blocks[-1][0] += s2
            blocks[-1][1] += c2
            blocks[-1][2] += k2
    fitted = np.concatenate([np.full(int(k), s / c) for s, c, k in blocks])
    return knots, fitted


def _predict_aux(y: np.ndarray, a: np.ndarray, fit: str, min_fit: int) -> np.ndarray:
    """One indicator column ``y[units]`` with auxiliaries ``a[units, m]``: its missing values
    predicted where every auxiliary is observed (see :func:`i_aux`)."""
    both = ~np.isnan(y) & ~np.isnan(a).any(axis=1)
    want = np.isnan(y) & ~np.isnan(a).any(axis=1)
    out = y.copy()
    if not want.any() or both.sum() < min_fit:
        return out
    if fit == "ratio":
        total = a[both, 0].sum()
        if total > 0 and (a[both | want, 0] > 0).all():
            out[want] = a[want, 0] * (y[both].sum() / total)
        return out
    if fit == "linear":
        design = np.column_stack([np.ones(both.sum()), a[both]])
        beta = np.linalg.lstsq(design, y[both], rcond=None)[0]
        out[want] = np.column_stack([np.ones(want.sum()), a[want]]) @ beta
        return out
    if fit == "increasing":
        knots, fitted = _isotonic(a[both, 0], y[both])
    else:  # decreasing in a = increasing in -a
        knots, fitted = _isotonic(-a[both, 0], y[both])
        knots, fitted = -knots[::-1], fitted[::-1]
    inside = want & (a[:, 0] >= knots[0]) & (a[:, 0] <= knots[-1])
    out[inside] = np.interp(a[inside, 0], knots, fitted)
    return out


@register("impute", "i_aux", partial=True, constraints={
    "fit": Options("linear", "increasing", "decreasing"), "min_fit": Interval(2, None)})
def i_aux(x: np.ndarray, aux: np.ndarray, fit: str = "linear", min_fit: int = 3
          ) -> np.ndarray:
    """Regression imputation on named auxiliary variables (OECD/JRC Handbook on
    Constructing Composite Indicators, 2008, section 1.3 "Imputation of missing data",
    regression imputation: a missing value is the prediction of a model fitted on the
    units where both the variable and its auxiliaries are observed).

    ``aux[..., years, units, m]``: the auxiliary columns the methodology names
    (``use_aux``), which travel in the panel beside the indicators as the framework's
    ``denominators:`` do. Per year and indicator, fitted on the units observed on both:
    ``fit: linear`` is least squares ``x = b0 + b1 a1 + ... + bm am`` (it extrapolates);
    ``increasing`` / ``decreasing`` is a monotone fit on one auxiliary (isotonic
    regression by pool-adjacent-violators, interpolated linearly between the fitted
    points, never extrapolated: a score on another index's scale predicted from the raw
    figure). A value is left missing where an auxiliary is missing, outside the fitted
    range of a monotone fit, or when fewer than ``min_fit`` units are observed on both; the
    stage's default choice then fills it (``partial``: see ``prepare.impute``).
    """
    x = np.asarray(x, dtype=np.float64)
    aux = np.asarray(aux, dtype=np.float64)
    a = np.broadcast_to(aux, x.shape[:-1] + aux.shape[-1:])
    if fit != "linear" and a.shape[-1] != 1:
        raise ValueError(f"i_aux: fit '{fit}' takes one auxiliary variable, got "
                         f"{a.shape[-1]}; use fit: linear for several")
    out = np.array(x, copy=True)
    for idx in np.ndindex(*x.shape[:-2]):
        for j in range(x.shape[-1]):
            out[idx][:, j] = _predict_aux(x[idx][:, j], a[idx], fit, min_fit)
    return out


@register("impute", "i_aux_ratio", partial=True, constraints={"min_fit": Interval(1, None)})
def i_aux_ratio(x: np.ndarray, aux: np.ndarray, min_fit: int = 1) -> np.ndarray:
    """Ratio imputation on one auxiliary variable: a missing ``x_i = r * a_i`` with the
    ratio estimator ``r = sum(x_j) / sum(a_j)`` over the units observed on both (Cochran,
    Sampling Techniques, 3rd ed. 1977, chapter 6; the Handbook's regression imputation
    through the origin). For a score proportional to a raw figure (a min-max score whose
    minimum lies near zero), one observed unit already fixes ``r``: ``min_fit`` defaults to 1.
    Left missing where the auxiliary is missing, where fewer than ``min_fit`` units are
    observed on both, or unless every auxiliary value used is positive."""
    return i_aux(x, aux, fit="ratio", min_fit=min_fit)


@register("impute", "i_aux_monotone", partial=True, constraints={"min_fit": Interval(2, None)})
def i_aux_monotone(x: np.ndarray, aux: np.ndarray, decreasing: bool = False, min_fit: int = 3
                   ) -> np.ndarray:
    """Monotone regression imputation on one auxiliary variable, under its own name: as
    ``i_aux`` with ``fit: increasing`` (or ``decreasing``), a score on another index's scale
    predicted from the raw figure by isotonic regression, never extrapolated."""
    return i_aux(x, aux, fit="decreasing" if decreasing else "increasing", min_fit=min_fit)
