"""How good an imputation is: hide observed values, impute them, compare (k-fold cross-
validation per indicator and per method), so that a methodology picks its method by these
figures and states them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..framework import Framework
from ..methodology import Methodology, Stage
from ..ordinal import apply_ordinals
from ..panel import OBSERVED, Panel
from ..prepare import denominate, impute

FOLDS = 5


def _inputs(framework: Framework, panel: Panel, meth: Methodology) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """The values as the imputation stage sees them, and where they were observed."""
    x = np.array(panel.values, dtype=np.float64)
    flags = np.array(panel.flags, copy=True)
    if any(framework.nodes[c].ordinal is not None for c in framework.indicators):
        x, flags = apply_ordinals(framework, panel, x, flags)
    if meth.denominate:
        x = denominate(framework, panel, x)
    return x, (flags & OBSERVED != 0) & ~np.isnan(x)


def imputation_check(framework: Framework, panel: Panel, methodology: Methodology,
                     candidates: Sequence[dict | str], year: int | None = None,
                     folds: int = FOLDS, seed: int = 0) -> pd.DataFrame:
    """Per indicator and candidate method (a name or ``{method: ..., params}``): hide each
    fold of the observed values of ``year`` in turn (units shuffled with ``seed``; the other
    indicators and units as they are), impute with that method alone, and compare with the
    hidden truth. Columns: indicator, method, hidden (observed values hidden, one fold at a
    time), not_imputed (hidden values the method left missing: not in the errors), mae,
    rmse, mae_sd (MAE over the standard deviation of the observed values: comparable
    across indicators).
    """
    t = panel.years.index(panel.years[-1] if year is None else int(year))
    x, seen = _inputs(framework, panel, methodology)
    rng = np.random.default_rng(seed)
    rows = []
    for cand in candidates:
        stage = Stage.model_validate({"method": cand} if isinstance(cand, str) else cand)
        meth = methodology.model_copy(update={"impute": stage})
        label = stage.method + "".join(f" {k}={v}" for k, v in stage.params.items())
        for j, code in enumerate(framework.indicators):
            units = np.flatnonzero(seen[t, :, j])
            if len(units) < 3:
                continue
            order = rng.permutation(units)
            truth, guess = [], []
            for part in np.array_split(order, min(folds, len(units))):
                hidden = x.copy()
                hidden[t, part, j] = np.nan
                filled = impute(framework, panel, meth, hidden)
                truth.append(x[t, part, j])
                guess.append(filled[t, part, j])
            err = np.concatenate(guess) - np.concatenate(truth)
            left = np.isnan(err)  # a method that cannot fill a value (a group with no other)
            err = err[~left]
            sd = float(np.std(x[t, units, j], ddof=1))
            mae = float(np.mean(np.abs(err))) if len(err) else np.nan
            rows.append({"indicator": code, "method": label, "hidden": len(units),
                         "not_imputed": int(left.sum()), "mae": mae,
                         "rmse": float(np.sqrt(np.mean(err ** 2))) if len(err) else np.nan,
                         "mae_sd": mae / sd if sd > 0 else np.nan})
    return pd.DataFrame(rows, columns=["indicator", "method", "hidden", "not_imputed", "mae",
                                       "rmse", "mae_sd"])


def summary(check: pd.DataFrame) -> pd.DataFrame:
    """Per method: the mean of ``mae_sd`` over the indicators, and on how many indicators it
    has the lowest error."""
    best = check.loc[check.groupby("indicator")["mae_sd"].idxmin()]
    out = check.groupby("method").agg(mean_mae_sd=("mae_sd", "mean"),
                                      indicators=("indicator", "nunique"))
    out["best_on"] = best["method"].value_counts().reindex(out.index, fill_value=0)
    return out.sort_values("mean_mae_sd")
