"""Ordinal inputs: a rank in a published top-N list, a tier, a membership, read by the one
rule the framework declares for the indicator (``ordinal: {kind: rank, list_size: 50}``).

Scores (Borda points, higher is better; OECD/JRC Handbook 2008, section 5.2 on ranking and
categorical scales, and COINr's ``n_borda``):

* ``rank`` r in a list of N:  score = N + 1 - r   (#1 -> N, #N -> 1)
* ``tier`` t of T tiers (1 = best):  score = T + 1 - t
* ``member`` of a top-N list:  score = 1
* absent from the list:  score = 0, flagged BELOW_CUTOFF.

Why absent is 0 and not missing: a published top-N list is a censored measurement. A unit
absent from it is known to rank below the last listed entry, so its value is not missing at
random (Handbook section 4.1: imputing data that are not missing at random biases them); an
imputation from the other units would place it among, or above, the listed ones. Reading it
as the step below the list keeps the order the publisher stated and no more. The rule is
applied only in a year in which the list has at least one entry (a list not published for
that year leaves every unit missing), and never per unit.
"""

from __future__ import annotations

import numpy as np

from .errors import DataError
from .framework import Framework, OrdinalSpec
from .panel import Panel

BELOW_CUTOFF = np.uint8(8)


def _top(spec: OrdinalSpec) -> float:
    return float(spec.list_size if spec.kind != "tier" else len(spec.tiers or []))


def out_of_list(values: np.ndarray, spec: OrdinalSpec) -> np.ndarray:
    """Where a value cannot be read by the rule (a rank outside 1..N, a member not 1)."""
    v = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(v)
    if spec.kind == "member":
        return present & (v != 1)
    return present & ((v < 1) | (v > _top(spec)))


def read_ordinal(values: np.ndarray, spec: OrdinalSpec) -> tuple[np.ndarray, np.ndarray]:
    """Scores and the below-cut-off mask for one indicator's values [..., years, units]
    (ranks, tier positions or 1 for members; NaN = absent from the list). Values must be
    readable (see :func:`out_of_list`)."""
    v = np.asarray(values, dtype=np.float64)
    present = ~np.isnan(v)
    top = _top(spec)
    scores = np.where(present, 1.0 if spec.kind == "member" else top + 1.0 - v, np.nan)
    listed_year = present.any(axis=-1, keepdims=True)  # the list exists in that year
    below = ~present & listed_year
    return np.where(below, 0.0, scores), below


def apply_ordinals(framework: Framework, panel: Panel, x: np.ndarray, flags: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Every indicator with an ``ordinal:`` rule read into scores ([years, units,
    indicators]); values placed below a list's cut-off get the BELOW_CUTOFF flag."""
    out, flags = x.copy(), flags.copy()
    for k, code in enumerate(framework.indicators):
        spec = framework.nodes[code].ordinal
        if spec is None:
            continue
        bad = np.argwhere(out_of_list(x[..., k], spec))
        if len(bad):
            y, u = bad[0]
            top = _top(spec)
            accepted = ("1 (a member)" if spec.kind == "member"
                        else f"a {spec.kind} from 1 to {top:g}")
            raise DataError("D40", f"{panel.origin}: unit '{panel.unit_codes[u]}', year "
                                   f"{panel.years[y]}, indicator '{framework.path(code)}': "
                                   f"{float(x[y, u, k])!r} is not {accepted} (its declared "
                                   f"ordinal: {spec.model_dump(exclude_none=True)}); "
                                   f"{len(bad)} value(s) in all")
        scores, below = read_ordinal(x[..., k], spec)
        out[..., k] = scores
        flags[..., k] |= np.where(below, BELOW_CUTOFF, 0).astype(np.uint8)
    return out, flags
