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
# the complete methods every check tries (EM first: the reference each method is compared
# with on the values it fills, ref_mae_sd); auxiliary regressions are tried where named
COMPLETE = ("i_EM_bounded", "i_median", "i_mean")
# linear, monotone and through-the-origin (ratio) regression on auxiliary variables
AUX_KERNELS = ("i_aux", "i_aux_monotone", "i_aux_ratio")


def candidates_for(stage: Stage) -> list[dict | str]:
    """What a check of a methodology's imputation tries: EM (the reference), the
    methodology's own imputation as a whole, the complete methods, and each auxiliary
    regression it names (``by_node`` ``i_aux``) on its indicator alone, with every fit:
    the chosen one with its parameters, the others with their defaults."""
    own = {"method": stage.method, **stage.params,
           "by_node": {k: {"method": c.method, **c.params} for k, c in stage.by_node.items()}}
    aux = [{**(c.params if kernel == c.method else {"use_aux": c.params["use_aux"]}),
            "method": kernel, "only": [code]}
           for code, c in stage.by_node.items() if c.method in AUX_KERNELS
           for kernel in AUX_KERNELS]
    return [COMPLETE[0], own, *COMPLETE[1:], *aux]


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


def _label(stage: Stage) -> str:
    """The method and its parameters; a stage with per-indicator choices says how many."""
    own = stage.method + "".join(f" {k}={v}" for k, v in stage.params.items())
    return own + (f" by_node={len(stage.by_node)}" if stage.by_node else "")


def imputation_check(framework: Framework, panel: Panel, methodology: Methodology,
                     candidates: Sequence[dict | str], year: int | None = None,
                     folds: int = FOLDS, seed: int = 0) -> pd.DataFrame:
    """Per indicator and candidate method (a name or ``{method: ..., params}``; ``only:
    [codes]`` tries it on those indicators alone, e.g. an auxiliary regression on the
    indicator its auxiliary measures): hide each fold of the observed values of ``year`` in
    turn (units shuffled with ``seed``, the same folds for every candidate; the other
    indicators and units as they are), impute with that method alone, and compare with the
    hidden truth. Columns: indicator, method, hidden (observed values hidden, one fold at a
    time), not_imputed (hidden values the method left missing: not in the errors), mae,
    rmse, mae_sd (MAE over the standard deviation of the observed values: comparable
    across indicators), and like for like: ref_mae_sd, the first candidate's MAE / sd on
    the values this method filled (so that a method that fills only some values, e.g. where
    an auxiliary variable is observed, is compared on those).
    """
    t = panel.years.index(panel.years[-1] if year is None else int(year))
    x, seen = _inputs(framework, panel, methodology)
    rng = np.random.default_rng(seed)
    order = {j: rng.permutation(np.flatnonzero(seen[t, :, j]))
             for j in range(len(framework.indicators))}
    errors: dict[tuple[int, str], np.ndarray] = {}  # (indicator, method) -> error per unit
    for cand in candidates:
        spec = {"method": cand} if isinstance(cand, str) else dict(cand)
        only = spec.pop("only", None)
        stage = Stage.model_validate(spec)
        meth = methodology.model_copy(update={"impute": stage})
        for j, code in enumerate(framework.indicators):
            units = order[j]
            if len(units) < 3 or (only is not None and code not in only):
                continue
            err = np.full(x.shape[1], np.nan)
            for part in np.array_split(units, min(folds, len(units))):
                hidden = x.copy()
                hidden[t, part, j] = np.nan
                err[part] = impute(framework, panel, meth, hidden)[t, part, j] - x[t, part, j]
            errors[(j, _label(stage))] = err
    first = {}
    for (j, _), err in errors.items():
        first.setdefault(j, err)
    rows = []
    for (j, label), err in errors.items():
        units = order[j]
        e = err[units]
        filled = ~np.isnan(e)  # a method may leave a value missing (a group with no other)
        ref = first[j][units][filled]
        sd = float(np.std(x[t, units, j], ddof=1))
        mae = float(np.mean(np.abs(e[filled]))) if filled.any() else np.nan
        ref_mae = float(np.mean(np.abs(ref))) if len(ref) and not np.isnan(ref).any() \
            else np.nan
        rows.append({"indicator": framework.indicators[j], "method": label,
                     "hidden": len(units), "not_imputed": int((~filled).sum()), "mae": mae,
                     "rmse": float(np.sqrt(np.mean(e[filled] ** 2))) if filled.any()
                     else np.nan,
                     "mae_sd": mae / sd if sd > 0 else np.nan,
                     "ref_mae_sd": ref_mae / sd if sd > 0 else np.nan})
    return pd.DataFrame(rows, columns=["indicator", "method", "hidden", "not_imputed", "mae",
                                       "rmse", "mae_sd", "ref_mae_sd"])


def summary(check: pd.DataFrame) -> pd.DataFrame:
    """Per method: the mean of ``mae_sd`` over the indicators, and on how many indicators it
    has the lowest error."""
    best = check.loc[check.groupby("indicator")["mae_sd"].idxmin()]
    out = check.groupby("method").agg(mean_mae_sd=("mae_sd", "mean"),
                                      indicators=("indicator", "nunique"))
    out["best_on"] = best["method"].value_counts().reindex(out.index, fill_value=0)
    return out.sort_values("mean_mae_sd")
