"""Data preparation before normalisation: denominate -> impute -> screen -> treat.

Each stage follows COINr's build order (``build_example_coin``: Denominate, Impute,
Screen, Treat) and records what it did: every imputed or treated value is flagged in the
provenance, every treatment and screening decision is listed, and each intermediate data
set is kept (COINr's ``.$Data$Denominated``, ``Imputed``, ``Screened``, ``Treated``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .binding import bound, indicator_groups, run_indicator_stage
from .errors import MAX_LISTED, MethodError
from .framework import Framework
from .methodology import Choice, Methodology, ScreenChoice
from .ordinal import apply_ordinals
from .panel import IMPUTED, TREATED, Panel


@dataclass
class Prepared:
    """Values ready for normalisation, with the panel (after screening) and the records."""

    panel: Panel
    values: np.ndarray
    flags: np.ndarray
    datasets: dict[str, np.ndarray] = field(default_factory=dict)
    treatment: pd.DataFrame = field(default_factory=pd.DataFrame)
    screening: pd.DataFrame = field(default_factory=pd.DataFrame)
    # values the impute stage's default filled after a partial kernel left them (None: none)
    completed_by_default: np.ndarray | None = None


def denominate(framework: Framework, panel: Panel, x: np.ndarray) -> np.ndarray:
    """``x / denominator`` for every indicator that names one (COINr ``Denominate``).
    A missing or zero denominator leaves the value missing, to be imputed or reported."""
    out = x.copy()
    dpos = {c: k for k, c in enumerate(panel.denominator_codes)}
    for i, code in enumerate(framework.indicators):
        d = framework.nodes[code].denominator
        if d is None:
            continue
        if d not in dpos:
            raise MethodError("A13",
                              f"denominate: indicator '{framework.path(code)}' is divided by "
                              f"'{d}', which the data ({panel.origin}) do not give")
        den = panel.denominators[..., dpos[d]]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., i] = np.where(den != 0, x[..., i] / den, np.nan)
    return out


def refuse_unobserved_units(framework: Framework, panel: Panel, meth: Methodology,
                            x: np.ndarray) -> None:
    """Refuse [A20] to impute a unit with no observed value in any year (a declared unit
    without a data row): every value of its would be invented, and it was ranked on them.
    (A unit observed in another year may be filled from it: i_latest, i_interp.)"""
    if all(c.method == "none" for c, _ in indicator_groups(framework, meth.impute)):
        return
    empty = np.isnan(x).all(axis=(0, -1))  # [units]
    if not empty.any():
        return
    units = [panel.unit_codes[u] for u in np.flatnonzero(empty)]
    shown = ", ".join(map(repr, units[:MAX_LISTED]))
    if len(units) > MAX_LISTED:
        shown += f" ... and {len(units) - MAX_LISTED:,} more"
    raise MethodError("A20", f"impute ({meth.impute.method}): {len(units)} unit(s) have no "
                             f"observed value in {panel.origin}, so every value of theirs "
                             f"would be imputed and ranked: {shown}; give their data, or "
                             "leave them out of the declared units")


def impute(framework: Framework, panel: Panel, meth: Methodology, x: np.ndarray
           ) -> np.ndarray:
    """Fill missing values, each indicator by its resolved choice; what a ``partial``
    kernel (``i_aux``) leaves missing is then filled by the stage's default choice run on
    every indicator as filled so far, so that it uses the predicted values too."""
    return impute_completing(framework, panel, meth, x)[0]


def impute_completing(framework: Framework, panel: Panel, meth: Methodology, x: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`impute`, and where the stage's default completed a partial kernel (a bool
    mask like ``x``): those values carry the default's method in the provenance, not the
    partial kernel's."""
    refuse_unobserved_units(framework, panel, meth, x)
    out = x.copy()
    completed = np.zeros(x.shape, dtype=bool)
    rest: list[int] = []
    for b, idx, filled in run_indicator_stage("impute", framework, panel, meth.impute, x):
        changed = ~np.isnan(x[..., idx]) & (filled != x[..., idx])
        if changed.any():
            raise MethodError("A14",
                              f"impute: method '{b.choice.method}' changed observed values; an "
                              "imputation kernel may only fill missing ones")
        out[..., idx] = filled
        if b.kernel.partial:
            rest += idx
    if rest and np.isnan(out[..., rest]).any():
        default = Choice(method=meth.impute.method, params=meth.impute.params)
        where = f"indicator(s) {[framework.indicators[i] for i in rest]} (completing " \
            "a partial imputation)"
        b = bound("impute", default, panel, where)
        if not b.kernel.partial:
            done = b(out)
            left = np.isnan(out[..., rest])
            out[..., rest] = np.where(left, done[..., rest], out[..., rest])
            completed[..., rest] = left & ~np.isnan(done[..., rest])
    return out, completed


def screen(choice: ScreenChoice, x: np.ndarray, panel: Panel
           ) -> tuple[np.ndarray, pd.DataFrame]:
    """Unit-years kept (COINr ``Screen``): the share of observed values (``byNA``) must be
    at least ``dat_thresh`` and/or the share of non-zero values (``byNZ``) at least
    ``nzero_thresh``. Returns the mask [years, units] and one row per unit and year."""
    k = x.shape[-1]
    present = (~np.isnan(x)).sum(-1) / k
    nonzero = ((x != 0) & ~np.isnan(x)).sum(-1) / k
    keep = np.ones(present.shape, bool)
    if choice.unit_screen in ("byNA", "both"):
        keep &= present >= choice.dat_thresh
    if choice.unit_screen in ("byNZ", "both"):
        keep &= nonzero >= choice.nzero_thresh
    ny, nu = present.shape
    frame = pd.DataFrame({
        "year": np.repeat(np.array(panel.years), nu),
        "unit": np.tile(np.array(panel.unit_codes, dtype=object), ny),
        "share_present": present.reshape(-1), "share_nonzero": nonzero.reshape(-1),
        "kept": keep.reshape(-1)})
    return keep, frame


def treat(framework: Framework, panel: Panel, meth: Methodology, x: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Outlier treatment per indicator, each year separately (COINr ``Treat``)."""
    out = x.copy()
    points = np.zeros(x.shape, np.uint8)
    rows: list[pd.DataFrame] = []
    for b, idx, res in run_indicator_stage("treat", framework, panel, meth.treat, x):
        out[..., idx] = res.x
        points[..., idx] = res.points
        ny, k = len(panel.years), len(idx)
        table = {"year": np.repeat(np.array(panel.years), k),
                 "indicator": np.tile(np.array([framework.indicators[i] for i in idx],
                                               dtype=object), ny),
                 "method": b.choice.method,
                 "points_treated": (res.points != 0).sum(-2).reshape(-1)}
        table |= {name: np.broadcast_to(v, (ny, k)).reshape(-1)
                  for name, v in res.details.items()}
        rows.append(pd.DataFrame(table))
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(frame):
        frame = frame.sort_values(["year", "indicator"], kind="stable").reset_index(drop=True)
    return out, points, frame


def prepare(framework: Framework, panel: Panel, meth: Methodology) -> Prepared:
    """Run the preparation stages the methodology asks for, in COINr's order.

    Every stage makes a new array and alters none it was given, so each data set kept is
    the stage's own output, not a copy, and the values handed on are the panel's own where
    no stage changes them (20,000 x 200: a copy of 32 MB per stage was held for the whole
    run); all are read-only."""
    x = np.asarray(panel.values, dtype=np.float64)  # the panel's own: never written
    flags = np.array(panel.flags, copy=True)
    datasets = {"raw": panel.values}
    if any(framework.nodes[c].ordinal is not None for c in framework.indicators):
        x, flags = apply_ordinals(framework, panel, x, flags)
        datasets["ordinal"] = x
    if meth.denominate:
        x = denominate(framework, panel, x)
        datasets["denominated"] = x
    completed = None
    if meth.impute is not None:
        before = np.isnan(x)
        x, completed = impute_completing(framework, panel, meth, x)
        flags |= np.where(before & ~np.isnan(x), IMPUTED, 0).astype(np.uint8)
        datasets["imputed"] = x
    screening = pd.DataFrame()
    if meth.screen is not None:
        keep, screening = screen(meth.screen, x, panel)
        x = np.where(keep[..., None], x, np.nan)
        units_kept = keep.any(axis=0) if meth.screen.action == "drop" else np.ones(
            keep.shape[1], bool)
        if not keep.any():
            sc = meth.screen
            raise MethodError("A22", f"screen (dat_thresh: {sc.dat_thresh:g}, unit_screen: "
                                     f"{sc.unit_screen}, nzero_thresh: {sc.nzero_thresh:g}) "
                                     f"keeps no unit of {panel.origin} (the largest share of "
                                     "observed values is "
                                     f"{float(screening['share_present'].max()):.3g}); lower "
                                     "the thresholds")
        panel = panel.subset_units(units_kept)
        x, flags = x[:, units_kept], flags[:, units_kept]
        completed = None if completed is None else completed[:, units_kept]
        datasets = {k: v[:, units_kept] for k, v in datasets.items()}
        datasets["screened"] = x
    treatment = pd.DataFrame()
    if meth.treat is not None:
        x, points, treatment = treat(framework, panel, meth, x)
        flags |= np.where(points != 0, TREATED, 0).astype(np.uint8)
        datasets["treated"] = x
        datasets["treated_points"] = points
    for v in datasets.values():
        v.setflags(write=False)
    if completed is not None and not completed.any():
        completed = None
    return Prepared(panel, x, flags, datasets, treatment, screening, completed)
