"""Normalisation kernels: put indicators on a common scale, honouring their direction.

Each maps ``x[..., units, k]`` to the same shape, computing statistics over the units axis
(-2) and ignoring missing values, as COINr's ``n_*`` functions do
(COINr reference: https://bluefoxr.github.io/COINr/reference/Normalise.html).

On a panel, COINr's ``Normalise()`` of a purse defaults to ``global = TRUE``: the years are
stacked into one data set, normalised together (min, max, mean, ranks ... over all
unit-years) and split back, so scores are comparable across years (``R/normalise.R``,
``Normalise.purse``; vignette "Normalisation", section Purses). :func:`pool_years` does that
for any kernel; ``global: false`` normalises each year on its own. ``global`` is declared
here as a parameter of the whole stage (:func:`~fintech_index.methods.stage_param`).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ranks import rankdata
from . import Kernel, register, stage_param
from .contracts import Interval, Options, Pair

GLOBAL = "global"  # the methodology parameter, COINr's Normalise(global = TRUE)


def has_global_form(kernel: Kernel) -> bool:
    """Whether normalising all years together is defined for a kernel: for all but those
    anchored to one unit's value (``n_dist2ref``: the reference unit has a value per year,
    and COINr's row number ``iref`` of the stacked years picks one unit-year)."""
    return not kernel.takes("ref_index")


def is_global(kernel: Kernel, value: bool | None) -> bool:
    """The ``global`` choice of a methodology: as given, else COINr's default for a panel
    (``TRUE``) where :func:`has_global_form`, else each year on its own."""
    return has_global_form(kernel) if value is None else bool(value)


def _global_problems(kernel: Kernel, value) -> list[tuple[str, str]]:
    """``global`` is true or false, and true only for a method that has a global form."""
    if value is not None and not isinstance(value, bool):
        return [("M87", f"global is {value!r}; accepted: true (normalise all years together, "
                        "COINr's default for a panel) or false (each year on its own)")]
    if value is True and not has_global_form(kernel):
        return [("M86", f"method '{kernel.name}' has no global form (its reference unit has a "
                        "value per year); set global: false or choose another method")]
    return []


def pool_years(fn, x: np.ndarray, **kw) -> np.ndarray:
    """Global normalisation (COINr ``Normalise.purse(global = TRUE)``): ``x[..., years, units,
    k]`` is normalised as one data set of ``years * units`` rows, e.g. min-max
    ``y_tu = (x_tu - min_{s,v} x_sv) / (max_{s,v} x_sv - min_{s,v} x_sv)``, and split back
    into years. Leading axes before the years stay a batch; with no years axis
    (``x[units, k]``) it is ``fn(x)``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 3:
        return fn(x, **kw)
    *batch, ny, nu, k = x.shape
    y = fn(x.reshape(*batch, ny * nu, k), **kw)
    return y.reshape(x.shape)


stage_param("normalise", GLOBAL, problems=_global_problems,
            runner=lambda kernel, value: pool_years if is_global(kernel, value) else None)


def _oriented(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """COINr flips negative indicators by multiplying by the direction before normalising."""
    return x * np.asarray(direction, dtype=np.float64)


def _pair(v, i: int) -> np.ndarray:
    """Element ``i`` of a pair parameter (l, u) or a batch of pairs [..., 2], shaped to
    broadcast against ``x[..., units, k]``."""
    return np.asarray(v, dtype=np.float64)[..., i][..., None, None]


def _nan_stat(fn, x: np.ndarray, **kw) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns give NaN
        return fn(x, axis=-2, keepdims=True, **kw)


@register("normalise", "n_minmax", constraints={"l_u": Pair(increasing=True)})
def n_minmax(x: np.ndarray, direction: np.ndarray, l_u: tuple[float, float] = (0.0, 100.0)
             ) -> np.ndarray:
    """Min-max: ``y = (x - min) / (max - min) * (u - l) + l``; constant columns give NaN.

    COINr ``n_minmax(x, l_u = c(0, 100))``; OECD/JRC Handbook (2008) section 5, eq. (5.3).
    """
    xo = _oriented(x, direction)
    lo, hi = _nan_stat(np.nanmin, xo), _nan_stat(np.nanmax, xo)
    lower, upper = _pair(l_u, 0), _pair(l_u, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if np.broadcast_shapes(xo.shape, lo.shape, lower.shape) != xo.shape:
            return (xo - lo) / (hi - lo) * (upper - lower) + lower
        # the same steps in the oriented copy: no array of the data's size made per step
        xo -= lo
        xo /= hi - lo
        xo *= upper - lower
        xo += lower
        return xo


@register("normalise", "n_zscore",
          constraints={"m_sd": Pair(second=Interval(0, None, closed="neither"))})
def n_zscore(x: np.ndarray, direction: np.ndarray, m_sd: tuple[float, float] = (0.0, 1.0)
             ) -> np.ndarray:
    """Z-score: ``y = (x - mean) / sd * sd' + mean'`` with the sample sd (n - 1), as R's sd().

    COINr ``n_zscore(x, m_sd = c(0, 1))``; OECD/JRC Handbook (2008) eq. (5.2).
    """
    xo = _oriented(x, direction)
    mean = _nan_stat(np.nanmean, xo)
    sd = _nan_stat(np.nanstd, xo, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xo - mean) / sd * _pair(m_sd, 1) + _pair(m_sd, 0)


@register("normalise", "n_goalposts",
          constraints={"scale_factor": Interval(0, None, closed="neither")})
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


@register("normalise", "n_scaled", constraints={"npara": Pair(increasing=True)})
def n_scaled(x: np.ndarray, direction: np.ndarray, npara: tuple[float, float] = (0.0, 100.0)
             ) -> np.ndarray:
    """Linear scaling with fixed bounds (not min-max): ``y = (x - l) / (u - l) * 100``.
    COINr ``n_scaled(x, npara = c(0, 100))`` (GII 2020)."""
    xo = _oriented(x, direction)
    lower, upper = _pair(npara, 0), _pair(npara, 1)
    return (xo - lower) / (upper - lower) * 100


def _rank_min(x: np.ndarray) -> np.ndarray:
    """R's ``rank(x, ties.method = "min", na.last = "keep")`` over units."""
    if x.size == 0:
        return x.copy()
    return rankdata(x, "min", axis=-2)


@register("normalise", "n_rank")
def n_rank(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Ranks, higher value = higher rank, ties take the lowest rank. COINr ``n_rank``."""
    return _rank_min(_oriented(x, direction))


@register("normalise", "n_borda")
def n_borda(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Borda scores: ``rank(x) - 1`` (units beaten). COINr ``n_borda``."""
    return _rank_min(_oriented(x, direction)) - 1


REVERSE = ("negate", "complement")  # n_prank: how an indicator of direction -1 is ranked


@register("normalise", "n_prank", constraints={"reverse": Options(*REVERSE)})
def n_prank(x: np.ndarray, direction: np.ndarray, reverse: str = "negate") -> np.ndarray:
    """Percentile ranks: ``(rank(x) - 1) / (n - 1)`` with ties at the smallest rank and n the
    observed units (COINr ``n_prank``; Excel ``PERCENTRANK.INC``; CDC/ATSDR SVI
    documentation: "Percentile Rank = (Rank-1)/(N-1) ... all sequences of ties are assigned
    the smallest of the corresponding ranks").

    An indicator of direction -1 is ranked as ``-x`` (``reverse: negate``, COINr) or given
    ``1 - PR(x)`` (``reverse: complement``, CDC's per-capita income in the SVI 2014-2018:
    ``EPL_PCI = 1 - PERCENTRANK.INC(EP_PCI)``); the two differ where values tie."""
    n = np.sum(~np.isnan(x), axis=-2, keepdims=True)
    d = np.asarray(direction, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if reverse == "negate":
            return (_rank_min(_oriented(x, d)) - 1) / (n - 1)
        up = (_rank_min(np.asarray(x, dtype=np.float64)) - 1) / (n - 1)
        return np.where(d < 0, 1 - up, up)


@register("normalise", "n_fracmax")
def n_fracmax(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Fraction of the maximum: ``y = x / max(x)``. COINr ``n_fracmax``."""
    xo = _oriented(x, direction)
    with np.errstate(invalid="ignore", divide="ignore"):
        return xo / _nan_stat(np.nanmax, xo)


@register("normalise", "n_dist2max")
def n_dist2max(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Distance to the maximum: ``y = 1 - (max - x) / (max - min)``. COINr ``n_dist2max``."""
    xo = _oriented(x, direction)
    lo, hi = _nan_stat(np.nanmin, xo), _nan_stat(np.nanmax, xo)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - (hi - xo) / (hi - lo)


@register("normalise", "n_dist2ref")
def n_dist2ref(x: np.ndarray, direction: np.ndarray, ref_index: int,
               cap_max: bool = False) -> np.ndarray:
    """Distance to a reference unit: ``y = 1 - (x_ref - x) / (x_ref - min)``, capped at 1
    when ``cap_max``. The methodology names the unit (``ref: CHE``); COINr
    ``n_dist2ref(x, iref, cap_max)`` takes its row number."""
    xo = _oriented(x, direction)
    ref = xo[..., ref_index:ref_index + 1, :]
    lo = _nan_stat(np.nanmin, xo)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = 1 - (ref - xo) / (ref - lo)
    return np.minimum(y, 1.0) if cap_max else y


@register("normalise", "n_dist2targ")
def n_dist2targ(x: np.ndarray, direction: np.ndarray, targ: np.ndarray,
                cap_max: bool = False) -> np.ndarray:
    """Distance to a target: ``y = 1 - (targ - x) / (targ - min)``, capped at 1 when
    ``cap_max``. ``targ`` is one number or one per indicator (default: the framework's
    ``target``, COINr iMeta's ``Target``); it is oriented with the indicator, as x is.
    COINr ``n_dist2targ(x, targ, cap_max)``."""
    xo = _oriented(x, direction)
    t = np.asarray(targ, dtype=np.float64) * np.asarray(direction, dtype=np.float64)
    lo = _nan_stat(np.nanmin, xo)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = 1 - (t - xo) / (t - lo)
    return np.minimum(y, 1.0) if cap_max else y


@register("normalise", "n_percentile")
def n_percentile(x: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Percentile rank as the OECD/JRC Handbook (2008) prints it (Table 15, "percentile"):
    ``y = rank(x) / n`` with ties at the lowest rank and n the observed units, so the best
    unit scores 1 and none scores 0 (COINr's ``n_prank`` is ``(rank(x) - 1) / (n - 1)``)."""
    n = np.sum(~np.isnan(x), axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _rank_min(_oriented(x, direction)) / n


@register("normalise", "n_above_below_mean", constraints={"p": Interval(0, None)})
def n_above_below_mean(x: np.ndarray, direction: np.ndarray, p: float = 0.2) -> np.ndarray:
    """Indicators above or below the mean (OECD/JRC Handbook 2008, section 5.5): with
    ``r = x / mean(x)``, ``y = 1`` if ``r > 1 + p``, ``-1`` if ``r < 1 - p``, else 0 (a
    neutral band of +/- p around the mean); an indicator with direction -1 has the signs
    swapped. ``p`` may be a batch ``[...]`` of thresholds."""
    xa = np.asarray(x, dtype=np.float64)
    pb = np.asarray(p, dtype=np.float64)[..., None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = xa / _nan_stat(np.nanmean, xa)
    y = np.where(r > 1 + pb, 1.0, np.where(r < 1 - pb, -1.0, 0.0))
    return np.where(np.isnan(r), np.nan, y * np.asarray(direction, dtype=np.float64))
