"""Outlier treatment kernels: winsorisation and log/Box-Cox transforms, as COINr's Treat().

Each maps ``x[..., units, k]`` to a :class:`Treated` (values, a code per point saying what
was done, and per-indicator details), with statistics over the units axis ignoring missing
values. COINr reference: https://bluefoxr.github.io/COINr/reference/Treat.html (file
``R/treat.R``); OECD/JRC Handbook (2008), section 1.5 (outliers, skewness and kurtosis).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import register
from .contracts import Interval, Options

NONE, WIN_HIGH, WIN_LOW, TRANSFORMED = np.uint8(0), np.uint8(1), np.uint8(2), np.uint8(3)


@dataclass(frozen=True)
class Treated:
    """Treated values, what was done to each point, and per-indicator details [..., k]."""

    x: np.ndarray
    points: np.ndarray  # uint8 codes: NONE, WIN_HIGH, WIN_LOW, TRANSFORMED
    details: dict[str, np.ndarray] = field(default_factory=dict)


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = np.sum(~np.isnan(x), axis=-2).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=-2) / n
        d = np.where(np.isnan(x), 0.0, x - mean[..., None, :])
    return n, (d * d).sum(-2), (d ** 3).sum(-2), (d ** 4).sum(-2)


def skew_kurt(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample skewness and excess kurtosis over units, as COINr's ``skew`` and ``kurt``
    (e1071 type 2; Excel's SKEW and KURT), with m_r the sums of r-th powers of deviations:

        skew = sqrt(n) m3 / m2^(3/2) * sqrt(n (n-1)) / (n-2)        (NaN below 3 values)
        kurt = ((n+1)(r-3) + 6)(n-1) / ((n-2)(n-3)),  r = n m4 / m2^2   (NaN below 4)
    """
    n, m2, m3, m4 = _moments(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        sk = np.sqrt(n) * m3 / m2 ** 1.5
        sk = sk * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * m4 / m2 ** 2
        kt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return np.where(n >= 3, sk, np.nan), np.where(n >= 4, kt, np.nan)


def skew(x: np.ndarray) -> np.ndarray:
    """Sample skewness over units (see :func:`skew_kurt`)."""
    return skew_kurt(x)[0]


def kurt(x: np.ndarray) -> np.ndarray:
    """Sample excess kurtosis over units (see :func:`skew_kurt`)."""
    return skew_kurt(x)[1]


def passes(x: np.ndarray, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> np.ndarray:
    """COINr ``check_SkewKurt``: passes if ``|skew| < skew_thresh`` OR ``kurt < kurt_thresh``.
    An undefined skewness (constant or too few values) passes: there is nothing to treat."""
    return _passing(*skew_kurt(x), skew_thresh, kurt_thresh)


def _passing(sk: np.ndarray, kt: np.ndarray, skew_thresh: float, kurt_thresh: float
             ) -> np.ndarray:
    return (np.abs(sk) < skew_thresh) | (kt < kurt_thresh) | np.isnan(sk) | np.isnan(kt)


def _log_ct(x: np.ndarray) -> np.ndarray:
    lo = np.nanmin(x, axis=-2, keepdims=True)
    hi = np.nanmax(x, axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x - lo + 0.01 * (hi - lo))


def _log_ct_orig(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x - np.nanmin(x, axis=-2, keepdims=True) + 1)


def _boxcox(x: np.ndarray, lmbda: float, makepos: bool = True) -> np.ndarray:
    if makepos:
        x = x - np.nanmin(x, axis=-2, keepdims=True) + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x) if lmbda == 0 else (x ** lmbda - 1) / lmbda


def _whole_column(x: np.ndarray, fn) -> Treated:
    y = fn(x)
    points = np.where(np.isnan(x), NONE, TRANSFORMED).astype(np.uint8)
    return Treated(y, points, {"transformed": np.ones(x.shape[:-2] + x.shape[-1:], bool)})


@register("treat", "log_CT")
def log_ct(x: np.ndarray) -> Treated:
    """COIN Tool log: ``log(x - min + 0.01 (max - min))``, every point. COINr ``log_CT``."""
    return _whole_column(x, _log_ct)


@register("treat", "log_CT_orig")
def log_ct_orig(x: np.ndarray) -> Treated:
    """Original COIN Tool log: ``log(x - min + 1)``, every point. COINr ``log_CT_orig``."""
    return _whole_column(x, _log_ct_orig)


@register("treat", "boxcox")
def boxcox(x: np.ndarray, lmbda: float = 0.5, makepos: bool = True) -> Treated:
    """Box-Cox with a fixed lambda: ``(x'^l - 1) / l`` (``log x'`` for l = 0) where
    ``x' = x - min + 1`` when ``makepos``. COINr ``boxcox(x, lambda, makepos)``."""
    return _whole_column(x, lambda v: _boxcox(v, lmbda, makepos))


@register("treat", "none")
def treat_none(x: np.ndarray) -> Treated:
    """No treatment (e.g. to exclude one indicator from a global treatment)."""
    return Treated(np.array(x, dtype=np.float64, copy=True), np.zeros(x.shape, np.uint8), {})


def _replace_extreme(y: np.ndarray, side: np.ndarray, extreme, store: np.ndarray
                     ) -> np.ndarray:
    """One winsorisation step on the columns in ``side``: the point(s) at the extreme take
    the next value inward; ``store`` records which points were replaced at this end."""
    ext = extreme(y, axis=-2, keepdims=True)
    at = (y == ext) & side[..., None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column of one distinct value
        nxt = extreme(np.where(at, np.nan, y), axis=-2, keepdims=True)
    at &= ~np.isnan(nxt)
    store[...] = np.where(side[..., None, :], at, store)
    return np.where(at, nxt, y)


def _as_columns(x: np.ndarray) -> np.ndarray:
    """[..., units, k] -> [units, columns]: every (batch member, indicator) one column."""
    return np.moveaxis(x, -2, 0).reshape(x.shape[-2], -1)


def _from_columns(c: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.moveaxis(c.reshape((shape[-2],) + shape[:-2] + shape[-1:]), 0, -2)


def _winsorise_columns(y: np.ndarray, winmax: int | None, skew_thresh: float,
                       kurt_thresh: float, force_win: bool):
    """The winsorisation loop on [units, columns], working only on the columns still
    failing at each step."""
    y = y.copy()
    ok = passes(y, skew_thresh, kurt_thresh)
    last_hi = np.zeros(y.shape, bool)
    last_lo = np.zeros(y.shape, bool)
    nwin = np.zeros(ok.shape, np.int64)
    limit = y.shape[0] if winmax is None else int(winmax)
    for _ in range(y.shape[0] + 1):
        act = np.flatnonzero((~ok | force_win) & (nwin < limit))
        if not len(act):
            break
        sub, hi, lo = y[:, act], last_hi[:, act], last_lo[:, act]
        high = skew(sub) >= 0
        for side, extreme, store in ((high, np.nanmax, hi), (~high, np.nanmin, lo)):
            if side.any():
                sub = _replace_extreme(sub, side, extreme, store)
        y[:, act], last_hi[:, act], last_lo[:, act] = sub, hi, lo
        nwin[act] = hi.sum(0) + lo.sum(0)
        ok[act] = passes(sub, skew_thresh, kurt_thresh)
    return y, ok, nwin, last_hi, last_lo


_SECOND_STAGE = {"log_CT": _log_ct, "log_CT_orig": _log_ct_orig, "none": None}


@register("treat", "winsorise", constraints={
    "winmax": Interval(0, None), "skew_thresh": Interval(0, None),
    "kurt_thresh": Interval(0, None),
    "f2": Options("log_CT", "log_CT_orig", "boxcox", "none")})
def winsorise(x: np.ndarray, winmax: int | None = 5, skew_thresh: float = 2.0,
              kurt_thresh: float = 3.5, force_win: bool = False, f2: str = "log_CT",
              lmbda: float | None = None) -> Treated:
    """COINr's default two-stage treatment (``Treat`` with ``f1 = "winsorise"``,
    ``f2 = "log_CT"``, ``f_pass = "check_SkewKurt"``).

    Stage 1, per indicator failing the test (|skew| >= 2 and kurtosis >= 3.5): while it
    fails and fewer than ``winmax`` points are winsorised, replace the highest value(s) by the
    next highest if skew >= 0, else the lowest by the next lowest. As in COINr, the count is
    that of the points replaced at the last high step plus the last low step (ties replaced
    at once count together), so repeated steps at one end count the growing set of tied
    points. Stage 2, if it still fails: apply ``f2`` (``log_CT``, ``log_CT_orig``,
    ``boxcox`` with ``lmbda``, or ``none``) to the *original* values (COINr's default
    ``combine_treat = FALSE``).
    """
    x0 = np.asarray(x, dtype=np.float64)
    y, ok, nwin, last_hi, last_lo = _winsorise_columns(
        _as_columns(x0), winmax, skew_thresh, kurt_thresh, force_win)
    y, last_hi, last_lo = (_from_columns(a, x0.shape) for a in (y, last_hi, last_lo))
    per_column = x0.shape[:-2] + x0.shape[-1:]
    ok, nwin = ok.reshape(per_column), nwin.reshape(per_column)
    sk0, kt0 = skew_kurt(x0)
    failed_first = ~_passing(sk0, kt0, skew_thresh, kurt_thresh)
    points = np.where(last_hi, WIN_HIGH, np.where(last_lo, WIN_LOW, NONE)).astype(np.uint8)
    second = ~ok
    if second.any() and f2 != "none":
        if f2 == "boxcox":
            if lmbda is None:
                raise ValueError("winsorise: f2 = boxcox needs lmbda")
            t = _boxcox(x0, lmbda)
        elif f2 in _SECOND_STAGE:
            t = _SECOND_STAGE[f2](x0)
        else:
            raise ValueError(f"winsorise: f2 {f2!r} is not one of log_CT, log_CT_orig, boxcox, "
                             "none")
        col = second[..., None, :]
        y = np.where(col, t, y)
        points = np.where(col & ~np.isnan(x0), TRANSFORMED, points).astype(np.uint8)
    sk1, kt1 = skew_kurt(y)
    details = {
        "failed_before": failed_first,
        "winsorised": np.where(second & (f2 != "none"), 0, nwin),
        "transformed": second & (f2 != "none"),
        "passes_after": _passing(sk1, kt1, skew_thresh, kurt_thresh),
        "skew_before": sk0, "kurt_before": kt0, "skew_after": sk1, "kurt_after": kt1,
    }
    return Treated(y, points, details)
