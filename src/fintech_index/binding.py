"""The arguments the engine supplies to a kernel, bound in one place.

A methodology gives a kernel's parameters by the names its users know (``use_group: region``,
``ref: CHE``); the engine turns them into what the kernel takes and adds what comes from
the framework and the data: group codes per unit, the years, the reference unit's row, the
indicators' directions, goalposts and targets, and (for optimised weights) the node's own
aggregation function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .errors import MethodError
from .framework import Framework
from .methodology import PARAM_FOR_ENGINE_ARG, Choice
from .methods import Kernel
from .panel import Panel


def group_codes(panel: Panel, column: str) -> np.ndarray:
    """Integer group per unit from a unit metadata column; -1 where the unit has none."""
    import pandas as pd

    col = panel.units[column] if column in panel.units.columns else pd.Series(
        [None] * len(panel.units), index=panel.units.index)
    codes, _ = pd.factorize(col.where(col.notna() & (col.astype(str) != ""), None),
                            sort=True)
    return codes.astype(np.int64)


def bind(kernel: Kernel, choice: Choice, panel: Panel, framework: Framework | None = None,
         indicators: Sequence[int] | None = None, goalposts: np.ndarray | None = None,
         aggregate: Callable | None = None) -> dict:
    """Keyword arguments for ``kernel``: the choice's parameters (without the names the
    engine translates) and every engine-supplied argument the kernel takes.
    ``indicators`` (positions in the framework) and ``goalposts`` ([indicators, 2], after
    any transform) are needed by normalisation kernels only."""
    kw = {k: v for k, v in choice.params.items() if k not in PARAM_FOR_ENGINE_ARG.values()}
    if kernel.takes("groups"):
        kw["groups"] = group_codes(panel, choice.params["use_group"])
    if kernel.takes("years"):
        kw["years"] = np.array(panel.years)
    if kernel.takes("ref_index"):
        ref = choice.params["ref"]
        if ref not in panel.unit_codes:
            raise MethodError("A12", f"{choice.method}: reference unit '{ref}' is not a unit of "
                                     f"{panel.origin}")
        kw["ref_index"] = panel.unit_codes.index(ref)
    if kernel.takes("aggregate"):
        kw["aggregate"] = aggregate
    if framework is None or indicators is None:
        return kw
    idx = list(indicators)
    codes = [framework.indicators[i] for i in idx]
    if kernel.takes("direction"):
        kw["direction"] = framework.directions()[idx]
    if kernel.takes("gposts"):
        gp = framework.goalposts() if goalposts is None else goalposts
        lacking = [c for c, i in zip(codes, idx, strict=True) if np.isnan(gp[i]).any()]
        if lacking:
            raise MethodError("A02", f"{kernel.stage}: method '{choice.method}' needs goalposts "
                                     f"but indicator(s) {lacking} have none in "
                                     f"{framework.source_file}; add goalposts: [lower, upper]")
        kw["gposts"] = gp[idx]
    if kernel.takes("targ") and "targ" not in kw:
        targets = framework.targets()
        lacking = [c for c, i in zip(codes, idx, strict=True) if np.isnan(targets[i])]
        if lacking:
            raise MethodError("A03", f"{kernel.stage}: method '{choice.method}' needs a target "
                                     f"but indicator(s) {lacking} have none in "
                                     f"{framework.source_file}; add target: <value>, or give "
                                     "targ in the methodology")
        kw["targ"] = targets[idx]
    return kw
